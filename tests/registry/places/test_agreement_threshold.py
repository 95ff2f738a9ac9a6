"""The employer agreement threshold is a setting (seed 004: "专门与用工10人以上的业主签订流动人口管理责任状"):
employers.agreement_workers, 10 by default."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowpop.registry.kernel import settings as settings_mod
from tests import tree
from tests.conftest import person_fields
from tests.records import credit_code


@pytest.fixture
def settings_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def write(body: str) -> None:
        path = tmp_path / "settings.toml"
        path.write_text(body, encoding="utf-8")
        monkeypatch.setenv("FLOWPOP_SETTINGS", str(path))
        settings_mod.load()  # checked now: a wrong key fails here

    return write


def test_employer_agreement_threshold_is_a_setting(client, settings_file) -> None:
    code = credit_code(77)
    client.employers.create(uscc=code, name="三明测试机械厂", division_code=tree.TOWNSHIP_A)
    for _ in range(3):
        client.persons.create(
            **person_fields(
                stay={
                    "residence_code": tree.VILLAGE_A1,
                    "reason": "work",
                    "arrived_on": "2026-03-01",
                    "employer_code": code,
                }
            )
        )
    assert client.employers.list(needs_agreement=True) == []  # 3 < 10 (seed 004: 用工10人以上)
    settings_file("[employers]\nagreement_workers = 3\n")
    assert [e.uscc for e in client.employers.list(needs_agreement=True)] == [code]
    assert client.employers.get(code).needs_agreement is True
