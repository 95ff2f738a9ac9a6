"""Demo persons and their stays as plain row dicts, ready for bulk inserts.

Everything is drawn from one seeded ``random.Random``, so a seed (and a 'today') gives the same rows.
A few percent of the rows carry deliberate, realistic data errors (as legacy imports bring them) so
that quality checks have something to find; ``ERROR_SHARES`` lists the kinds.
"""

from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from faker.providers.person.zh_CN import Provider as _FakerNames

from flowpop.demo.history import history_entries
from flowpop.demo.houses import Declarations, HouseSlot, build_houses
from flowpop.demo.places import PREDECESSORS, ROADS, ROADS_ELSEWHERE, SANMING, Elsewhere, Places, Village
from flowpop.registry.kernel.validation import category as category_of
from flowpop.registry.kernel.validation import is_key_target
from flowpop.registry.people.moves import person_county
from flowpop.registry.store.distribution import shard_county
from flowpop.rules.idnumber import make as make_id
from flowpop.rules.names import name_keys

ERROR_SHARES: dict[str, float] = {
    "id_checksum": 0.006,            # wrong check character
    "id_15_digits": 0.004,           # legacy 15-digit number never upgraded
    "sex_mismatch": 0.002,           # sex disagrees with the ID number
    "birth_date_mismatch": 0.003,    # birth date disagrees with the ID number
    "duplicate_id_number": 0.004,    # a second active record with the same ID number
    "arrival_before_birth": 0.001,
    "arrival_in_future": 0.001,
    "phone_format": 0.005,           # malformed phone number
    "residence_not_village": 0.004,  # residence only down to the township
}
ENDED_SHARES = {"deregistered": 0.03, "archived": 0.01}

_SURNAMES = list(_FakerNames.last_names)
_SURNAME_CUM = list(itertools.accumulate(_FakerNames.last_names.values()))
_GIVEN = {"M": list(_FakerNames.first_names_male), "F": list(_FakerNames.first_names_female)}
_CHARS = {
    "M": "伟志俊文浩宇轩子明国华建军海波涛斌鹏飞强勇杰磊峰超辉永春林金德荣福兴家晨晓天鑫",
    "F": "秀丽娟芳敏静燕玲婷雪慧琳颖欣怡梦佳思雨婉月春梅兰霞红艳萍丹倩晶洁琴诗涵紫晓",
}
_AGE_BANDS = [(0, 15, 3), (16, 19, 5), (20, 29, 30), (30, 39, 28), (40, 49, 20), (50, 60, 11), (61, 70, 3)]
_AGE_CUM = list(itertools.accumulate(w for *_, w in _AGE_BANDS))
_REASONS = (("work", 62), ("business", 18), ("family", 8), ("marriage", 5), ("study", 3), ("other", 4))
_EDU_YOUNG = (("none", 1), ("primary", 6), ("junior", 38), ("senior", 27), ("college", 14), ("bachelor", 12), ("postgraduate", 2))
_EDU_OLD = (("none", 4), ("primary", 25), ("junior", 48), ("senior", 17), ("college", 4), ("bachelor", 2), ("postgraduate", 0))
_HUKOU = (("agricultural", 58), ("non_agricultural", 11), ("resident", 31))
_MINORITIES = {
    "52": (("苗族", 14), ("布依族", 9), ("侗族", 5), ("土家族", 2)),
    "51": (("彝族", 4), ("藏族", 1), ("羌族", 1)),
    "45": (("壮族", 30), ("瑶族", 3)),
    "43": (("土家族", 5), ("苗族", 3), ("侗族", 1)),
    "35": (("畲族", 2), ("回族", 1)),
    "41": (("回族", 2),),
    "42": (("土家族", 3),),
    "50": (("土家族", 4), ("苗族", 2)),
}
_OCCUPATIONS = {
    "work": ("制造业工人", "建筑工人", "餐饮服务员", "快递员", "保安", "家政服务员", "货车司机", "销售员", "厨师",
             "装修工", "电子厂普工", "仓库管理员", "美发师", "护工"),
    "business": ("个体经商", "餐馆经营", "服装零售", "建材销售", "水果批发", "小吃店主"),
    "family": ("无业", "家务"),
    "marriage": ("家务", "个体经商", "制造业工人"),
    "study": ("学生", "学徒"),
    "other": ("灵活就业", "无业"),
}
_EMPLOYER_WORDS = ("鑫达", "恒通", "闽发", "华兴", "永盛", "金山", "福泰", "荣昌", "远航", "三和", "中联", "宏达")
_EMPLOYER_KINDS = ("机械制造有限公司", "建筑工程有限公司", "物流有限公司", "餐饮管理有限公司", "电子科技有限公司",
                   "纺织有限公司", "物业服务有限公司", "食品有限公司")
_MOBILE_PREFIXES = ("130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                    "156", "157", "158", "159", "166", "173", "177", "180", "181", "182", "183", "185", "186",
                    "187", "188", "189", "191", "198", "199")
_END_CLOSED = ("返回户籍地", "迁往他处", "务工合同到期", "随家人迁往他处")
_END_DEREGISTERED = ("返回户籍地", "迁往他处", "已离开本地", "死亡")
_END_ARCHIVED = ("长期外出，信息无法核实", "人员下落不明，暂予退档")
EARLIEST = dt.date(2010, 1, 1)


def _weighted(pairs: tuple[tuple[str, int], ...]) -> tuple[list[str], list[int]]:
    return [p[0] for p in pairs], list(itertools.accumulate(p[1] for p in pairs))


@dataclass
class Plan:
    """Which persons (by index) carry a deliberate error or end deregistered/archived."""

    errors: dict[int, str]
    ended: dict[int, str]
    dup_source: dict[int, int]  # duplicate → the earlier person whose ID number it repeats


def make_plan(rng: random.Random, size: int) -> Plan:
    floor = 2 if size >= 200 else (1 if size >= 30 else 0)
    counts = {kind: max(floor, round(share * size)) for kind, share in ERROR_SHARES.items()}
    if sum(counts.values()) > size // 3:
        counts = dict.fromkeys(counts, 0)
    start = min(10, size)
    picks = rng.sample(range(start, size), sum(counts.values()))
    errors: dict[int, str] = {}
    it = iter(picks)
    for kind, n in counts.items():
        for _ in range(n):
            errors[next(it)] = kind
    free = [i for i in range(size) if i not in errors]
    ended: dict[int, str] = {}
    for status, share in ENDED_SHARES.items():
        for i in rng.sample(free, min(len(free) // 4, round(share * size))):
            ended.setdefault(i, status)
    dup_source: dict[int, int] = {}
    used: set[int] = set()
    for j in sorted(i for i, k in errors.items() if k == "duplicate_id_number"):
        for _ in range(100):
            i = rng.randrange(j)
            if i not in errors and i not in ended and i not in used:
                used.add(i)
                dup_source[j] = i
                break
        else:
            del errors[j]  # nobody suitable to duplicate (tiny demos only)
    return Plan(errors, ended, dup_source)


@dataclass
class Tally:
    persons: int = 0
    stays: int = 0
    history: int = 0
    declarations: int = 0
    directions: Counter[str] = field(default_factory=Counter)
    categories: Counter[str] = field(default_factory=Counter)
    statuses: Counter[str] = field(default_factory=Counter)
    key_targets: int = 0
    errors: Counter[str] = field(default_factory=Counter)


@dataclass
class Chunk:
    persons: list[dict[str, Any]] = field(default_factory=list)
    stays: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    declarations: list[dict[str, Any]] = field(default_factory=list)


class PeopleGenerator:
    def __init__(self, rng: random.Random, places: Places, plan: Plan, *, today: dt.date,
                 first_person_id: int = 1, first_stay_id: int = 1) -> None:
        """Call ``houses()`` before the first ``person()``: stays in 三明 live in those houses."""
        self.rng = rng
        self._random = rng.random
        self.places = places
        self.plan = plan
        self.today = today
        self.now = dt.datetime.combine(today, dt.time(17, 30))
        self.next_person = first_person_id
        self.next_stay = first_stay_id
        self.tally = Tally()
        self._issued: set[str] = set()
        # index → id number, name, sex, birth date, household (for the deliberate duplicates)
        self._identity: dict[int, tuple[str, str, str, dt.date, tuple[str, str, str, str | None]]] = {}
        self._keys: dict[str, tuple[str, str]] = {}
        self._reasons = _weighted(_REASONS)
        self._edu_young, self._edu_old, self._hukou = _weighted(_EDU_YOUNG), _weighted(_EDU_OLD), _weighted(_HUKOU)
        self._minorities = {p: _weighted(pairs) for p, pairs in _MINORITIES.items()}
        self._origins = places.origins, list(itertools.accumulate(places.origin_weights))
        self._dest = places.destinations, list(itertools.accumulate(places.destination_weights))
        self._in_county, self._in_cum = self._weighted_sanming(0)
        self._out_county, self._out_cum = self._weighted_sanming(1)
        self._villages = {c: county.villages for c, county in places.sanming.items()}
        self._vill_cum = {c: list(itertools.accumulate(3 if v.name.endswith("社区") else 1 for v in vs))
                          for c, vs in self._villages.items()}
        self._home_cum = {c: list(itertools.accumulate(1 if v.name.endswith("社区") else 3 for v in vs))
                          for c, vs in self._villages.items()}
        self._houses: dict[str, list[HouseSlot]] = {}
        self._village_grids = {v.code: v.grids for vs in self._villages.values() for v in vs}
        self._declarations = Declarations(rng, today)
        self._declared: list[tuple[dict[str, Any], dt.date, str]] = []

    def houses(self, size: int) -> list[dict[str, Any]]:
        rows, self._houses = build_houses(self.rng, self.places, size, landlord=self._landlord, now=self.now)
        return rows

    def _landlord(self, county: str) -> tuple[str, str, str | None]:
        sex = "M" if self._random() < 0.6 else "F"
        born = self._birth((35, 75))
        return self._name(sex), self._id_number(self._region(county, born), born, sex), self._phone()

    def _weighted_sanming(self, which: int) -> tuple[list[str], list[int]]:
        codes = list(SANMING)
        return codes, list(itertools.accumulate(SANMING[c][which] for c in codes))

    # ------------------------------------------------------------------ draws (random() is the cheapest call)

    def _rn(self, n: int) -> int:
        return int(self._random() * n)

    def _ri(self, lo: int, hi: int) -> int:
        return lo + int(self._random() * (hi - lo + 1))

    def _rc(self, seq: Any) -> Any:
        return seq[int(self._random() * len(seq))]

    def _pick(self, values: list[Any], cum: Sequence[float]) -> Any:
        return values[bisect.bisect_right(cum, self.rng.random() * cum[-1])]

    def _date_between(self, lo: dt.date, hi: dt.date) -> dt.date:
        if hi <= lo:
            return lo
        return lo + dt.timedelta(days=self._rn((hi - lo).days + 1))

    def _name(self, sex: str) -> str:
        rng = self.rng
        surname = self._pick(_SURNAMES, _SURNAME_CUM)
        if rng.random() < 0.55:
            given = self._rc(_GIVEN[sex])
        else:
            chars = _CHARS[sex]
            given = self._rc(chars) + (self._rc(chars) if rng.random() < 0.8 else "")
        return surname + given

    def _name_keys(self, name: str) -> tuple[str, str]:
        keys = self._keys.get(name)
        if keys is None:
            keys = self._keys[name] = name_keys(name)
        return keys

    def _birth(self, age_range: tuple[int, int] | None) -> dt.date:
        rng = self.rng
        if age_range is None:
            lo, hi, _ = _AGE_BANDS[bisect.bisect_right(_AGE_CUM, rng.random() * _AGE_CUM[-1])]
        else:
            lo, hi = age_range
        age = self._ri(lo, hi)
        return self.today - dt.timedelta(days=int((age + rng.random()) * 365.25) + 1)

    def _marital(self, sex: str, age: int) -> str:
        rng = self.rng
        legal = 20 if sex == "F" else 22
        if age < legal:
            return "unmarried"
        p = 0.15 if age < legal + 2 else 0.35 if age < 25 else 0.6 if age < 30 else 0.85 if age < 35 else 0.93 if age < 45 else 0.96
        if rng.random() >= p:
            return "unmarried"
        r = rng.random()
        widowed = 0.005 if age < 40 else 0.02 if age < 50 else 0.05 if age < 60 else 0.12
        if r < widowed:
            return "widowed"
        if r < widowed + 0.05:
            return "divorced"
        if r < widowed + 0.11:
            return "remarried"
        return "first_marriage"

    def _region(self, household6: str, born: dt.date) -> str:
        """Region of birth registration: mostly the household county as it was coded then."""
        rng = self.rng
        r = rng.random()
        if r < 0.85:
            older = PREDECESSORS.get(household6)
            return self._rc(older) if older and born.year < 2021 else household6
        if r < 0.96:
            return self._rc(self.places.by_province.get(household6[:2]) or [household6])
        return self._rc(self.places.retired)

    def _id_number(self, region: str, born: dt.date, sex: str) -> str:
        while True:
            number = make_id(region, born, self._rn(500) * 2 + (1 if sex == "M" else 0))
            if number not in self._issued:
                self._issued.add(number)
                return number

    def _phone(self) -> str | None:
        rng = self.rng
        if rng.random() < 0.05:
            return None
        return self._rc(_MOBILE_PREFIXES) + f"{self._rn(100_000_000):08d}"

    def _registered_at(self, day: dt.date) -> dt.datetime:
        """When a stay was entered: mostly within days of arrival, some late."""
        rng = self.rng
        r = rng.random()
        delay = self._ri(0, 3) if r < 0.7 else self._ri(4, 10) if r < 0.9 else self._ri(11, 90)
        at = dt.datetime.combine(day + dt.timedelta(days=delay), dt.time(8, 30)) + dt.timedelta(minutes=self._rn(540))
        return min(at, self.now - dt.timedelta(minutes=self._ri(1, 599)))

    def _arrival(self, born: dt.date) -> dt.date:
        rng = self.rng
        earliest = max(EARLIEST, born + dt.timedelta(days=30))
        adult = _years_after(born, 16)
        if adult < self.today:
            earliest = max(earliest, adult)
        span = (self.today - earliest).days
        if span <= 0:
            return self.today
        days = int(rng.expovariate(1 / (3.5 * 365)))
        if days > span:
            days = self._rn(span + 1)
        return self.today - dt.timedelta(days=days)

    # ------------------------------------------------------------------ places

    def _sanming_village(self, county6: str, *, home: bool) -> Village:
        cum = self._home_cum[county6] if home else self._vill_cum[county6]
        return self._pick(self._villages[county6], cum)

    def _residence(self, village: Village | Elsewhere, in_sanming: bool) -> tuple[dict[str, Any], HouseSlot | None]:
        if isinstance(village, Elsewhere):  # a county elsewhere: its code, an address text, no village nor grid
            address = f"{village.address}{self._rc(ROADS_ELSEWHERE)}{self._ri(1, 600)}号"
            return {"residence_code": village.code, "residence_address": address, "grid_code": None,
                    "house_code": None, "room": None}, None
        address = f"{village.address}{self._rc(ROADS)}{self._ri(1, 300)}号"
        grid = self._rc(village.grids) if in_sanming and village.grids else None
        house = self._rc(self._houses[grid]) if grid in self._houses else None
        return {"residence_code": village.code, "residence_address": address, "grid_code": grid,
                "house_code": house.code if house else None, "room": self._rc(house.rooms) if house else None}, house

    def _household(self, direction: str) -> tuple[str, str, str, str | None]:
        """(household code, address, code6 for the ID region, county6 in 三明 or None)."""
        if direction == "inflow":
            code6 = self._pick(*self._origins)
            address = (f"{self.places.names[code6]}{self._rc('东西南北新大小石龙')}{self._rc('坑田坪溪山口')}镇"
                       f"{self._rc('上下前后中新老')}{self._rc('村屋寨坊庄湾')}村{self._ri(1, 12)}组{self._ri(1, 80)}号")
            return code6 + "000000", address, code6, None
        county6 = self._pick(self._out_county, self._out_cum)
        village = self._sanming_village(county6, home=True)
        return village.code, f"{village.address}{self._ri(1, 200)}号", county6, county6

    # ------------------------------------------------------------------ one person

    def _direction(self) -> str:
        r = self.rng.random()
        return "inflow" if r < 0.56 else "outflow" if r < 0.84 else "cross_county" if r < 0.97 else "local"

    def _current_place(self, direction: str, home_county: str | None) -> tuple[Village | Elsewhere, bool]:
        """Where the current stay lives, and whether that is in 三明."""
        if direction == "outflow":
            return self._pick(*self._dest), False
        if direction == "local" and home_county:
            return self._sanming_village(home_county, home=False), True
        while True:
            county6 = self._pick(self._in_county, self._in_cum)
            if county6 != home_county:
                return self._sanming_village(county6, home=False), True

    def person(self, index: int, chunk: Chunk) -> None:
        rng = self.rng
        error = self.plan.errors.get(index)
        ended = self.plan.ended.get(index)
        direction = self._direction()
        if error == "residence_not_village" and direction == "outflow":
            direction = "inflow"
        source = self.plan.dup_source.get(index)
        if source is not None:  # the same person registered a second time, elsewhere
            id_number, name, sex, born, (hh_code, hh_address, hh6, home_county) = self._identity[source]
            if home_county is None:
                direction = "inflow"
            elif direction == "inflow":
                direction = "cross_county"
        else:
            household = hh_code, hh_address, hh6, home_county = self._household(direction)
            sex = "M" if rng.random() < 0.55 else "F"
            born = self._birth((31, 60) if error == "id_15_digits" else None)
            name = self._name(sex)
            id_number = self._id_number(self._region(hh6, born), born, sex)
            self._identity[index] = (id_number, name, sex, born, household)
        age = self.today.year - born.year - ((self.today.month, self.today.day) < (born.month, born.day))
        marital = self._marital(sex, age)
        stored_sex, stored_birth, phone = sex, born, self._phone()
        if error == "id_checksum":
            id_number = id_number[:17] + self._rc([c for c in "0123456789X" if c != id_number[17]])
        elif error == "id_15_digits":
            id_number = id_number[:6] + id_number[8:17]
        elif error == "sex_mismatch":
            stored_sex = "F" if sex == "M" else "M"
            marital = "unmarried" if age < 22 else marital
        elif error == "birth_date_mismatch":
            stored_birth = self._wrong_birth(born)
        elif error == "phone_format":
            phone = self._bad_phone()
        edu = self._pick(*(self._edu_old if age >= 45 else self._edu_young))
        minorities = self._minorities.get(hh6[:2])
        ethnicity = "汉族"
        if minorities and rng.random() * 100 < minorities[1][-1]:
            ethnicity = self._pick(*minorities)
        pinyin, initials = self._name_keys(name)
        category = category_of(stored_sex, marital)
        person_id = self.next_person
        self.next_person += 1

        stays = self._stays(person_id, born, direction, home_county, hh_code, hh_address, error, ended)
        current = stays[-1]
        status = ended or "active"
        created = stays[0]["created_at"] if source is None else current["created_at"]
        person = {
            "id": person_id, "id_number": id_number, "id_rev": id_number[::-1], "name": name,
            "name_pinyin": pinyin, "name_initials": initials, "sex": stored_sex, "birth_date": stored_birth,
            "ethnicity": ethnicity, "education": edu, "hukou_type": self._pick(*self._hukou),
            "marital_status": marital, "category": category, "phone": phone,
            "household_code": hh_code, "household_address": hh_address,
            **self._household_house(hh_code),
            "residence_code": current["residence_code"], "arrived_on": current["arrived_on"],
            "current_stay_id": current["id"], "status": status, "note": None, "warnings": [],
            "version": 1 if status == "active" else 2, "created_at": created,
            "updated_at": current["updated_at"] if ended else created, "created_by": "demo",
            "county": person_county(current["residence_code"], hh_code),
        }
        for stay in stays:  # all the person's stays live in the person's county (issue #17)
            stay["county"] = person["county"]
        chunk.persons.append(person)
        chunk.stays += stays
        chunk.history += history_entries(person, stays)
        for stay, declared_on, landlord in self._declared:
            chunk.declarations.append({
                "house_code": stay["house_code"], "county": shard_county(stay["house_code"]), "stay_id": stay["id"],
                "declared_on": declared_on,
                "declared_by": landlord or None, "created_at": dt.datetime.combine(declared_on, dt.time(11)),
                "created_by": "demo"})
        self._declared.clear()
        self._count(person, direction, error)

    def _household_house(self, hh_code: str) -> dict[str, Any]:
        """Most 三明 households are registered at a known house and room (户籍在此): the house view lists them
        as registered members, with where they live now."""
        grids = self._village_grids.get(hh_code)
        if not grids or self._random() >= 0.7:
            return {"household_house_code": None, "household_room": None}
        houses = self._houses.get(self._rc(grids))
        house = self._rc(houses) if houses else None
        return {"household_house_code": house.code if house else None,
                "household_room": self._rc(house.rooms) if house else None}

    def _wrong_birth(self, born: dt.date) -> dt.date:
        if born.day <= 12 and born.day != born.month:
            try:
                return born.replace(month=born.day, day=born.month)
            except ValueError:
                pass
        return born - dt.timedelta(days=self._rc((365, 366, 30, 10)))

    def _bad_phone(self) -> str:
        good = self._rc(_MOBILE_PREFIXES) + f"{self._rn(100_000_000):08d}"
        kind = self._rn(4)
        if kind == 0:
            return good[:10]  # a digit missing
        if kind == 1:
            return good + str(self._rn(10))  # a digit too many
        if kind == 2:
            return f"{good[:3]}-{good[3:7]}-{good[7:]}"
        return good[:5] + "O" + good[6:]  # letter O for zero

    def _stays(self, person_id: int, born: dt.date, direction: str, home_county: str | None,
               hh_code: str, hh_address: str, error: str | None, ended: str | None) -> list[dict[str, Any]]:
        rng = self.rng
        if error == "arrival_before_birth":
            arrived = born - dt.timedelta(days=self._ri(30, 3000))
        elif error == "arrival_in_future":
            arrived = self.today + dt.timedelta(days=self._ri(20, 400))
        else:
            arrived = self._arrival(born)
        village, in_sanming = self._current_place(direction, home_county)
        current = self._stay(person_id, hh_code, hh_address, village, in_sanming, arrived)
        if error in ("arrival_before_birth", "arrival_in_future"):
            current["left_home_on"] = None
            current["created_at"] = current["updated_at"] = self.now - dt.timedelta(minutes=self._ri(1, 90 * 24 * 60))
        elif error == "residence_not_village":
            township = village.code[:9] + "000"
            current.update(residence_code=township, grid_code=None, house_code=None, room=None, declare_due_on=None)
            self._declared = [d for d in self._declared if d[0] is not current]
        if ended:
            self._end(current, ended)
        earlier: list[dict[str, Any]] = []
        r = rng.random()
        n_earlier = 0 if error or r >= 0.19 else 2 if r < 0.04 else 1
        upto = (current["left_home_on"] or arrived) - dt.timedelta(days=1)
        for _ in range(n_earlier):
            start_lo = max(EARLIEST - dt.timedelta(days=3 * 365), _years_after(born, 17))
            if (upto - start_lo).days < 120:
                break
            start = self._date_between(start_lo, upto - dt.timedelta(days=90))
            end = self._date_between(start + dt.timedelta(days=60), upto)
            # a stay elsewhere only for 三明's own people (their household side registered it); for the others an
            # earlier stay in 三明: the registry holds no stay between two places outside its area
            elsewhere = home_county is not None and rng.random() < 0.5
            place: Village | Elsewhere = self._pick(*self._dest) if elsewhere else self._sanming_village(
                self._rc(list(self._villages)), home=False)
            stay = self._stay(person_id, hh_code, hh_address, place, place.code[:4] == "3504", start)
            stay.update(status="closed", returned_on=end, end_reason=self._rc(_END_CLOSED), version=2,
                        updated_at=min(self.now, dt.datetime.combine(end, dt.time(10)) + dt.timedelta(days=self._ri(0, 20))))
            earlier.append(stay)
            upto = (stay["left_home_on"] or start) - dt.timedelta(days=1)
        stays = [*reversed(earlier), current]
        for s in stays:
            s["id"] = self.next_stay
            self.next_stay += 1
        return stays

    def _stay(self, person_id: int, hh_code: str, hh_address: str, village: Village | Elsewhere, in_sanming: bool,
              arrived: dt.date) -> dict[str, Any]:
        rng = self.rng
        reason = self._pick(*self._reasons)
        left = None if rng.random() < 0.15 else arrived - dt.timedelta(days=self._ri(0, 3))
        expected = arrived + dt.timedelta(days=self._ri(180, 1095)) if rng.random() < 0.25 else None
        occupation = self._rc(_OCCUPATIONS[reason])
        employer = None
        if reason == "work" and rng.random() < 0.8:
            employer = f"{village.address[3:5]}{self._rc(_EMPLOYER_WORDS)}{self._rc(_EMPLOYER_KINDS)}（演示）"
        created = self._registered_at(arrived)
        residence, house = self._residence(village, in_sanming)
        stay = {
            "id": 0, "person_id": person_id, "household_code": hh_code, "household_address": hh_address,
            **residence, "declare_due_on": None, "reason": reason, "left_home_on": left, "arrived_on": arrived,
            "expected_return_on": expected, "returned_on": None, "occupation": occupation, "employer": employer,
            "status": "open", "end_reason": None, "version": 1, "created_at": created, "updated_at": created,
            "created_by": "demo",
        }
        if house is not None and house.rented:
            stay["declare_due_on"] = due = self._declarations.due(arrived)
            declared_on = self._declarations.declared_on(arrived, due)
            if declared_on is not None:
                self._declared.append((stay, declared_on, house.landlord))
        return stay

    def _end(self, stay: dict[str, Any], ended: str) -> None:
        lo = max(stay["arrived_on"] + dt.timedelta(days=30), stay["created_at"].date())
        day = self._date_between(min(lo, self.today), self.today)
        at = min(self.now, dt.datetime.combine(day, dt.time(9)) + dt.timedelta(minutes=self._rn(480)))
        stay.update(status=ended, version=2, updated_at=at,
                    end_reason=self._rc(_END_DEREGISTERED if ended == "deregistered" else _END_ARCHIVED))
        if ended == "deregistered":
            stay["returned_on"] = day

    # ------------------------------------------------------------------ counts

    def _count(self, person: dict[str, Any], direction: str, error: str | None) -> None:
        tally = self.tally
        tally.persons += 1
        tally.directions["local" if direction == "cross_county" else direction] += 1
        if direction == "cross_county":
            tally.directions["cross_county"] += 1
        tally.categories[person["category"]] += 1
        tally.statuses[person["status"]] += 1
        if is_key_target(person["category"], person["birth_date"], self.today):
            tally.key_targets += 1
        if error:
            tally.errors[error] += 1


def _years_after(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
