"""Each county's error share in the quality checks (seed 000: "常住人口数据库280万条,全市共有差错32万条,占11%,
清流18%"): records failing at least one check ÷ the county's records, through the SDK and `flowpop quality`."""

from __future__ import annotations

from typing import Any

import flowpop
from tests import tree
from tests.cli.runner import invoke
from tests.conftest import person_fields


def key_target(client: flowpop.Client, **stay: Any) -> int:
    """A married woman from 南昌东湖区 living in 三明: without a 婚育证明 she fails key_target_no_certificate."""
    return client.persons.create(
        **person_fields(
            stay={"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": "2026-03-01", **stay}
        )
    ).id


def test_quality_error_share_per_county(client) -> None:
    for _ in range(2):
        key_target(client)  # key target without a certificate: an error
    for _ in range(2):
        client.persons.create(**person_fields(sex="M"))
    client.persons.create(
        **person_fields(
            sex="M", stay={"residence_code": tree.VILLAGE_C1, "reason": "work", "arrived_on": "2026-03-01"}
        )
    )
    report = client.reports.quality()
    shares = {s.division_code: (s.records, s.errors, s.share) for s in report.by_county}
    assert shares[tree.COUNTY_SANYUAN] == (4, 2, 0.5)
    assert shares[tree.COUNTY_SHAXIAN] == (1, 0, 0.0)
    assert (report.persons_checked, report.records_with_errors, report.error_share) == (5, 2, 0.4)


def test_quality_command_shows_the_share(client, db_url) -> None:
    key_target(client)
    client.persons.create(**person_fields(sex="M"))
    out = invoke(["--db", db_url, "quality"], env={"FLOWPOP_LANG": "zh"}).output
    assert "差错率" in out and "三元区" in out and "50.0%" in out
