"""The quarterly report's data-quality section gives each county's error share (seed 000: "常住人口数据库280万条,
全市共有差错32万条,占11%,清流18%"), narrowed to the counties of the report's division as the check counts are."""

from __future__ import annotations

import re
from pathlib import Path

from tests import tree
from tests.conftest import person_fields


def test_the_quarterly_report_shows_each_countys_error_share(client, run, tmp_path: Path) -> None:
    client.persons.create(**person_fields())  # a key target without a 婚育证明: one error
    client.persons.create(**person_fields(sex="M"))
    stay = {"residence_code": tree.VILLAGE_C1, "reason": "work", "arrived_on": "2026-03-01"}
    client.persons.create(**person_fields(sex="M", stay=stay))
    out = tmp_path / "report.html"
    run("report", "quarterly", "--division", tree.COUNTY_SANYUAN, "-o", str(out))
    html = out.read_text(encoding="utf-8")
    table = html[html.index('<table class="error-share">'):]
    table = table[: table.index("</table>")]
    rows = re.findall(r'<tr><td class="name">([^<]*)</td><td>(\d+)</td><td>(\d+)</td><td>([^<]*)</td></tr>', table)
    assert [(name[-3:], *rest) for name, *rest in rows] == [("三元区", "2", "1", "50.0%")]  # not 沙县区's record
    run("report", "quarterly", "-o", str(out))
    assert "沙县区" in out.read_text(encoding="utf-8").split('<table class="error-share">')[1].split("</table>")[0]
