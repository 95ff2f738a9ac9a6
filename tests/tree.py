"""A small division tree for tests: real provinces, cities and counties, plus test townships and villages."""

from __future__ import annotations

from flowpop.rules.divisions_source import national_counties

PROVINCES = ("35", "36", "51")

LOCAL = [
    # 三明市三元区 (current code since 2021)
    ("350404001000", "测试街道甲", "township"),
    ("350404001001", "甲一社区", "village"),
    ("350404001002", "甲二社区", "village"),
    ("350404001001001", "甲一社区第一网格", "grid"),
    ("350404002000", "测试镇乙", "township"),
    ("350404002001", "乙一村", "village"),
    # 三明市沙县区
    ("350405001000", "测试街道丙", "township"),
    ("350405001001", "丙一社区", "village"),
    # 南昌市东湖区
    ("360102001000", "测试街道丁", "township"),
    ("360102001001", "丁一社区", "village"),
]

TOWNSHIP_A = "350404001000"
VILLAGE_A1 = "350404001001"
VILLAGE_A2 = "350404001002"
GRID_A1 = "350404001001001"
TOWNSHIP_B = "350404002000"
VILLAGE_B1 = "350404002001"
COUNTY_SANYUAN = "350404000000"
COUNTY_SHAXIAN = "350405000000"
VILLAGE_C1 = "350405001001"
TOWNSHIP_D = "360102001000"
VILLAGE_D1 = "360102001001"
COUNTY_DONGHU = "360102000000"
RETIRED_MEILIE = "350402000000"


def rows() -> list[dict[str, object]]:
    out: list[dict[str, object]] = [
        {"code": r.code, "name": r.name, "level": r.level, "parent_code": r.parent_code,
         "valid_from": r.valid_from, "valid_to": r.valid_to}
        for r in national_counties()
        if r.code[:2] in PROVINCES
    ]
    out += [{"code": code, "name": name, "level": level, "is_demo": True} for code, name, level in LOCAL]
    return out
