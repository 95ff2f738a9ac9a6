"""Issue 11, item 9: counts stay within the caller's area.

A county campaign listed to a township operator showed the whole county's items (100,904) where its
progress showed the township's own (329). An employer's roster listed, and its worker count counted,
people living in another county, whom the same caller cannot open."""

from __future__ import annotations

import datetime as dt
from typing import Any

from stdnum.cn import uscc

import flowpop
from tests import tree
from tests.conftest import person_fields

TODAY = dt.date.today()
QUARTER = f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}"


def _living_in(village: str, **stay: Any) -> dict[str, Any]:
    return person_fields(household_code=tree.VILLAGE_D1,
                         stay={"residence_code": village, "reason": "work", "arrived_on": "2026-03-01", **stay})


def test_a_county_campaign_counts_only_the_township_s_own_items(client: flowpop.Client, as_user: Any) -> None:
    for village in (tree.VILLAGE_A1, tree.VILLAGE_A1, tree.VILLAGE_B1, tree.VILLAGE_B1, tree.VILLAGE_B1):
        client.persons.create(**_living_in(village))
    campaign = client.inspections.create(quarter=QUARTER, jurisdiction_code=tree.COUNTY_SANYUAN)
    assert campaign.items == 5
    operator = as_user("township_operator", tree.TOWNSHIP_A)
    own = operator.inspections.progress(campaign.id).campaign
    assert (own.items, own.done) == (2, 0)
    item = next(i for i in client.inspections.items(campaign.id, limit=100) if i.village_code == tree.VILLAGE_B1)
    client.inspections.record(campaign.id, item.id, version=item.version, outcome="present")  # done elsewhere

    listed = next(c for c in operator.inspections.list() if c.id == campaign.id)
    assert (listed.items, listed.done) == (2, 0)
    assert (next(c for c in client.inspections.list() if c.id == campaign.id).items,) == (5,)
    me = as_user("village_assistant", tree.VILLAGE_A1).me()
    assigned = operator.inspections.assign(campaign.id, [{"division_code": tree.VILLAGE_A1, "username": me.username}])
    assert (assigned.items, assigned.done) == (2, 0)


def test_an_employer_shows_only_the_workers_the_caller_may_see(client: flowpop.Client, as_user: Any) -> None:
    body = "91350404MA2Y00042"
    code = body + uscc.calc_check_digit(body)
    client.employers.create(uscc=code, name="三元纺织厂", division_code=tree.VILLAGE_A1)
    local = client.persons.create(**_living_in(tree.VILLAGE_A1, employer_code=code))
    for _ in range(9):  # commuting from 沙县
        client.persons.create(**_living_in(tree.VILLAGE_C1, employer_code=code))
    operator = as_user("township_operator", tree.TOWNSHIP_A)
    assert [p.id for p in operator.employers.roster(code)] == [local.id]
    seen = operator.employers.get(code)
    assert seen.floating_workers == 1 and seen.needs_agreement  # the agreement is owed for all ten
    assert [(e.floating_workers, e.needs_agreement) for e in operator.employers.list(q=code)] == [(1, True)]
    assert [e.uscc for e in operator.employers.list(needs_agreement=True)] == [code]
    assert client.employers.get(code).floating_workers == 10 and len(client.employers.roster(code)) == 10
