"""Who counts as floating population (流动人口), as the rates count it (docs/rules.md, "Definitions").

条例 第二条 (seed 002): someone who has left the county, city or 市辖区 of their household registration
and lives elsewhere for work or life, an adult of childbearing age — except people away on business,
for medical care, study, tourism or visits, and people living in another district of the same 直辖市
or 设区的市 (人户分离). Seed 001 第二条 adds: living away 30 days or more. The numbers (days, ages) and
whether moves between districts of one city count are settings (``[floating]``): provinces differ.

- ``away``: household and residence in different counties, and not two districts of one city (unless
  the ``districts_of_one_city`` setting counts them);
- ``long_enough``: arrived ``min_days_away`` days or more before the day counted;
- ``of_age``: aged ``min_age``–``max_age`` on that day — the family-planning definition (成年育龄人员),
  applied to the family-planning indicators (certificates); the public-security rates (registration,
  residence permits) count every age.

Temporary reasons (出差、就医、上学、旅游、探亲、访友) are not asked at registration: the stay's reason
is one of work, business, family, marriage, study, other (see docs/rules.md for why study stays count).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import and_, func, not_, true

from flowpop.registry.kernel import settings as settings_mod
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.kernel.validation import years_before
from flowpop.registry.store import tables as t
from flowpop.registry.store.scans import unindexed

NOT_DISTRICTS = ("林区", "特区", "自治区")  # county-level units named …区 that are no 市辖区


def is_district(name: str) -> bool:
    """A 市辖区 by its name (三元区, 沙县区); 神农架林区 and 六枝特区 are not districts of a city."""
    return name.endswith("区") and not name.endswith(NOT_DISTRICTS)


def districts(reg: Registry) -> frozenset[str]:
    """The 6-digit codes of the 市辖区 in the division list (retired ones included: 梅列区 stays a district of 三明)."""
    nodes = reg.divisions.nodes
    cached = getattr(reg.divisions, "_districts", None)
    if cached is None or cached[0] is not nodes:
        found = frozenset(n.code[:6] for n in nodes.values() if n.level == "county" and is_district(n.name))
        cached = (nodes, found)
        reg.divisions._districts = cached  # type: ignore[attr-defined]  # cached beside the nodes it is built from
    return cached[1]


def same_city_districts(reg: Registry, household: str | None, residence: str | None) -> bool:
    """Two different districts of one 直辖市 or 设区的市: 人户分离, not floating population (条例 第二条)."""
    if not household or not residence or household[:6] == residence[:6] or household[:4] != residence[:4]:
        return False
    found = districts(reg)
    return household[:6] in found and residence[:6] in found


def is_away(reg: Registry, household: str | None, residence: str | None) -> bool:
    """Living outside the county of household registration, as the floating-population definition counts it."""
    if not household or not residence or household[:6] == residence[:6]:
        return False
    return bool(settings_mod.load().floating["districts_of_one_city"]) or not same_city_districts(
        reg, household, residence
    )


def away(reg: Registry, household: Any, residence: Any) -> Any:
    """SQL: ``is_away`` over two code columns."""
    other_county = func.substr(household, 1, 6) != func.substr(residence, 1, 6)
    if settings_mod.load().floating["districts_of_one_city"]:
        return other_county
    found = districts(reg)
    home_cities = {code[:4] for code in reg.divisions.home_counties}
    near = sorted(d for d in found if not home_cities or d[:4] in home_cities) or [""]
    same_city = and_(
        func.substr(household, 1, 4) == func.substr(residence, 1, 4),
        func.substr(household, 1, 6).in_(near),
        func.substr(residence, 1, 6).in_(near),
    )
    return and_(other_county, not_(same_city))


def reason_counted(reason: Any) -> Any:
    """SQL: the stay's reason is not one the settings leave out (``excluded_reasons``)."""
    excluded = list(settings_mod.load().floating["excluded_reasons"])
    return reason.not_in(excluded) if excluded else true()


def stay_counted(reg: Registry, day: dt.date) -> Any:
    """SQL over ``stays``: the stay makes its person floating population on ``day`` (away, long enough, a
    reason counted); whether it is open that day is the caller's condition."""
    S = t.Stay
    return and_(away(reg, S.household_code, S.residence_code), long_enough(S.arrived_on, day), reason_counted(S.reason))


def long_enough(arrived_on: Any, day: dt.date) -> Any:
    """SQL: arrived ``min_days_away`` days or more before ``day`` (异地居住30日以上)."""
    days = int(settings_mod.load().floating["min_days_away"])
    return unindexed(arrived_on) <= day - dt.timedelta(days=days) if days else true()


def of_age(birth_date: Any, day: dt.date) -> Any:
    """SQL: aged ``min_age`` to ``max_age`` (both included) on ``day``: 成年育龄人员."""
    s = settings_mod.load().floating
    return and_(
        birth_date > years_before(day, int(s["max_age"]) + 1),
        birth_date <= years_before(day, int(s["min_age"])),
    )
