"""Places for the demo registry, which is one city's registry (三明市): the national list of counties
(with the 2021 三明 successors), and demo townships, villages and grids under 三明's 11 counties only — its
own area (kernel.area derives it from the counties with villages loaded). Everywhere else stays at county
level, as a real city registry holds it: the counties 三明's outflow lives in (a stay there names the county
and an address text, no village) and the counties inflow comes from. Nothing is invented outside 3504."""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass, field

from flowpop.rules.divisions_source import DivisionRow, national_counties

CITY = "350400000000"  # 三明市
# current county-level divisions of 三明 and how many floating residents each draws (inflow) / sends (outflow)
SANMING: dict[str, tuple[int, int]] = {
    "350404": (25, 5),   # 三元区
    "350405": (12, 9),   # 沙县区
    "350421": (4, 7),    # 明溪县
    "350423": (4, 8),    # 清流县
    "350424": (7, 15),   # 宁化县
    "350425": (8, 13),   # 大田县
    "350426": (8, 14),   # 尤溪县
    "350428": (6, 8),    # 将乐县
    "350429": (4, 6),    # 泰宁县
    "350430": (4, 8),    # 建宁县
    "350481": (16, 7),   # 永安市
}
# 2021: 梅列区 and the old 三元区 merged into the new 三元区; 沙县 became 沙县区
SUCCESSORS = {"350402000000": "350404000000", "350403000000": "350404000000", "350427000000": "350405000000"}
# codes in use before a county's current code existed (ID numbers keep the code of birth registration)
PREDECESSORS = {"350404": ("350403", "350402"), "350405": ("350427",), "350481": ("350420",)}
# where 三明's outflow lives, with weights
DESTINATIONS: dict[str, int] = {
    "350203": 12, "350206": 10, "350211": 8, "350212": 4,   # 厦门
    "350102": 8, "350104": 7, "350121": 4,                  # 福州
    "350582": 9, "350583": 4,                               # 泉州
    "440306": 8, "440307": 6, "440113": 4, "440604": 3,     # 深圳、广州、佛山
    "330782": 5, "330212": 3, "330109": 3,                  # 义乌、宁波、杭州
    "310115": 3, "320506": 2,                               # 上海、苏州
}
# provinces inflow to 三明 comes from (Fujian: other cities only), with weights
ORIGINS: dict[str, int] = {
    "36": 25, "35": 12, "51": 13, "52": 11, "43": 9, "34": 8, "41": 8, "42": 4, "50": 4, "45": 3, "44": 2, "33": 1,
}
ORIGIN_COUNTIES_PER_PROVINCE = 24

_A = "东西南北上下中大小新老青白石金龙凤桂林溪坑坪洋岭岩山水江河湖塘田坊桥口头湾沙竹松梅兰桃李杨柳高长安福"
_B = "溪坑坪洋岭岩山源田塘坊桥口湾坂墩坑洲岗里厝埔垄亭营寨堡峰川阳丰兴和平安宁乐明华光荣盛"
ROADS = ("建设路", "人民路", "新华路", "解放路", "东新路", "列东街", "北山路", "滨江路", "和平街", "工业路", "中山路", "府前路")
# roads of an address elsewhere (text only: the registry holds those places at county level)
ROADS_ELSEWHERE = ("建设路", "人民路", "新华路", "解放路", "中山路", "工业路", "滨江路", "和平路", "东风路", "胜利路",
                   "文化路", "青年路")


@dataclass
class Village:
    code: str
    name: str
    address: str  # the part of an address above the street: 福建省三明市三元区某某街道某某社区
    grids: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Elsewhere:
    """A county outside the own area where 三明's outflow lives: the registry holds it at county level, and a
    stay there names the county (its 12-digit code) and an address text (the county's full name, a road, a
    number), no village and no grid."""

    code: str
    address: str  # the county's full name: 广东省深圳市宝安区


@dataclass
class County:
    code6: str
    full_name: str
    villages: list[Village] = field(default_factory=list)
    townships: list[tuple[str, str]] = field(default_factory=list)  # (code, address prefix)


@dataclass
class Places:
    rows: list[DivisionRow]
    names: dict[str, str]  # code6 → full name (province + city + county) for every county-level code
    sanming: dict[str, County]
    destinations: list[Elsewhere]
    destination_weights: list[int]
    origins: list[str]  # code6 of counties inflow comes from
    origin_weights: list[int]
    by_province: dict[str, list[str]]  # current code6 per province
    retired: list[str]  # retired code6, for ID numbers registered long ago

    @property
    def demo_count(self) -> int:
        return sum(1 for r in self.rows if r.is_demo)


def _full_names(rows: list[DivisionRow]) -> dict[str, str]:
    name = {r.code: r.name for r in rows}
    out: dict[str, str] = {}
    for r in rows:
        if r.level != "county":
            continue
        prov, city = r.code[:2].ljust(12, "0"), r.code[:4].ljust(12, "0")
        city_name = name.get(city, "")
        out[r.code[:6]] = name.get(prov, "") + ("" if city_name == "市辖区" else city_name) + r.name
    return out


def _unique_names(rng: random.Random, n: int, suffixes: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    while len(out) < n:
        stem = rng.choice(_A) + rng.choice(_B)
        if stem in seen:
            continue
        seen.add(stem)
        out.append(stem + suffixes[len(out)])
    return out


def _county_tree(rng: random.Random, code6: str, full: str, townships: int, villages: int, grids: int,
                 rows: list[DivisionRow]) -> County:
    """Townships: 街道 001-, 镇 101-, 乡 201- ; villages: 社区 001-, 村 201- ; grids: village + 001-."""
    county = County(code6, full)
    kinds = ["street"] * max(1, townships // 3) + ["town"] * max(1, townships // 2)
    kinds += ["xiang"] * max(0, townships - len(kinds))
    kinds = kinds[:townships]
    suffix = {"street": "街道", "town": "镇", "xiang": "乡"}
    names = _unique_names(rng, len(kinds), [suffix[k] for k in kinds])
    counters = {"street": 1, "town": 101, "xiang": 201}
    for kind, tname in zip(kinds, names, strict=True):
        tcode = f"{code6}{counters[kind]:03d}000"
        counters[kind] += 1
        tname = f"{tname}（演示）"
        rows.append(DivisionRow(tcode, tname, "township", f"{code6}000000", is_demo=True))
        county.townships.append((tcode, full + tname))
        communities = villages // 2 if kind == "street" else max(1, villages // 4)
        vkinds = ["社区"] * communities + ["村"] * (villages - communities)
        vnames = _unique_names(rng, len(vkinds), vkinds)
        vcount = {"社区": 1, "村": 201}
        for vkind, vname in zip(vkinds, vnames, strict=True):
            vcode = f"{tcode[:9]}{vcount[vkind]:03d}"
            vcount[vkind] += 1
            rows.append(DivisionRow(vcode, vname, "village", tcode, is_demo=True))
            village = Village(vcode, vname, full + tname.removesuffix("（演示）") + vname)
            for g in range(1, grids + 1):
                gcode = f"{vcode}{g:03d}"
                rows.append(DivisionRow(gcode, f"{vname}第{g}网格", "grid", vcode, is_demo=True))
                village.grids.append(gcode)
            county.villages.append(village)
    return county


def build_places(rng: random.Random, size: int) -> Places:
    national = [dataclasses.replace(r, successor_code=SUCCESSORS[r.code]) if r.code in SUCCESSORS else r
                for r in national_counties()]
    names = _full_names(national)
    rows = list(national)
    # about 100 floating residents per village at size 100k, fewer places for small demos
    townships = max(2, min(8, size // 1500))
    villages = max(2, min(8, size // 1500))
    grids = 3 if size < 20_000 else 4
    sanming = {c: _county_tree(rng, c, names[c], townships, villages, grids, rows) for c in SANMING}
    destinations = [Elsewhere(f"{code6}000000", names[code6]) for code6 in DESTINATIONS]
    dest_weights = list(DESTINATIONS.values())
    current = [r for r in national if r.level == "county" and r.valid_to is None and r.name != "市辖区"]
    by_province: dict[str, list[str]] = {}
    for r in current:
        by_province.setdefault(r.code[:2], []).append(r.code[:6])
    origins: list[str] = []
    origin_weights: list[int] = []
    for prov, weight in ORIGINS.items():
        pool = [c for c in by_province.get(prov, []) if not c.startswith("3504")]
        chosen = rng.sample(pool, min(ORIGIN_COUNTIES_PER_PROVINCE, len(pool)))
        # a few counties send most people: weight by rank
        for rank, code6 in enumerate(chosen):
            origins.append(code6)
            origin_weights.append(weight * (len(chosen) - rank) * 10 // len(chosen) + 1)
    retired = sorted(r.code[:6] for r in national if r.level == "county" and r.valid_to is not None and r.name != "市辖区")
    return Places(rows, names, sanming, destinations, dest_weights, origins, origin_weights, by_province, retired)
