"""Divisions are found by the pinyin and initials of their names, as persons are (issue 15: pinyin and initials in
every filter — the console's division picker searches the registry): ``sx`` and ``shaxian`` find 沙县区, and since
initials match many names (市辖区 is sxq too), the places this registry serves come first."""

from __future__ import annotations

import flowpop
from tests import tree


def test_a_division_is_found_by_pinyin_and_initials(client: flowpop.Client) -> None:
    assert [d.code for d in client.divisions.list(q="shaxian")] == [tree.COUNTY_SHAXIAN]
    assert client.divisions.list(q="sx")[0].code == tree.COUNTY_SHAXIAN
    assert client.divisions.list(q="SXQ")[0].code == tree.COUNTY_SHAXIAN
    assert tree.COUNTY_SANYUAN in {d.code for d in client.divisions.list(q="syq")}
    assert tree.TOWNSHIP_A in {d.code for d in client.divisions.list(q="csjdj")}  # 测试街道甲
    assert [d.code for d in client.divisions.list(q="沙县")][:1] == [tree.COUNTY_SHAXIAN]  # characters as before
