"""The own area (issue 13 item 1): the division prefixes this registry holds down to villages, derived from the
divisions loaded or set in the settings file, shown by GET /v1/me, and what decides which messages leave through
the exchange (the rest stay in this registry's inbox)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

import flowpop
from flowpop_cli.main import cli
from tests import tree
from tests.conftest import person_fields


def outflow(client: flowpop.Client, as_user) -> None:  # type: ignore[no-untyped-def]
    """A 三元区 township operator registers an outflow to 南昌东湖区 (the household side acts: a 通报 to 东湖)."""
    op = as_user("township_operator", tree.TOWNSHIP_A)
    op.persons.create(
        **person_fields(
            household_code=tree.TOWNSHIP_A,
            stay={"residence_code": tree.VILLAGE_D1, "reason": "work", "arrived_on": "2026-03-01"},
        )
    )


def test_derived_from_the_villages_loaded(
    client: flowpop.Client, as_user, monkeypatch, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(tmp_path / "none.toml"))
    assert client.me().own_area == ["350404", "350405", "360102"]
    outflow(client, as_user)
    assert client.exchange.export() == ""  # 东湖 is held here: its notice stays in this registry's inbox


def test_an_explicit_setting_sends_the_rest_out(
    client: flowpop.Client, as_user, monkeypatch, tmp_path: Path, db_url: str
) -> None:  # type: ignore[no-untyped-def]
    settings = tmp_path / "settings.toml"
    settings.write_text("[exchange]\nhome = ['3504']\n", encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(settings))
    assert client.me().own_area == ["3504"]
    outflow(client, as_user)
    lines = client.exchange.export().splitlines()
    assert len(lines) == 1 and '"addressee_code": "360102001000"' in lines[0]
    result = CliRunner().invoke(cli, ["--db", db_url, "me"])
    assert result.exit_code == 0 and "3504" in result.output and "本库辖区" in result.output


@pytest.mark.parametrize("home", [["3601"]])
def test_a_batch_for_a_place_outside_is_refused(
    client: flowpop.Client, monkeypatch, tmp_path: Path, home: list[str]
) -> None:  # type: ignore[no-untyped-def]
    settings = tmp_path / "settings.toml"
    settings.write_text(f"[exchange]\nhome = {home!r}\n", encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(settings))
    line = (
        '{"format": "flowpop.message/1", "uid": "u-1", "kind": "notification", "sender_code": "360102001000", '
        '"addressee_code": "350404001000", "subject": {"name": "王秀英"}}\n'
    )
    result = client.exchange.import_batch(line)
    assert result.inserted == 0 and result.rejected and "350404001000" in result.rejected[0]["message_en"]
