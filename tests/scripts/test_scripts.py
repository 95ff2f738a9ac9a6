"""The clean-up jobs in scripts/, run through their main() against a real registry with legacy mess in it."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest

import flowpop
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import person_fields
from tests.scripts.jobs import run, run_json, script, set_id_number, sql

TODAY = dt.date.today()


def snapshot(client: flowpop.Client, ids: list[int]) -> dict[int, Any]:
    out = {}
    for i in ids:
        p = client.persons.get(i, reveal=True)
        out[i] = (p.status, p.version, p.id_number, sorted((s.id, s.status, s.version) for s in p.stays))
    return out


# ------------------------------------------------------------------------------------------ dedupe


def test_dedupe_merges_each_group_keeping_the_best_record(client, db_url, capsys, monkeypatch) -> None:
    a = client.persons.create(**person_fields())
    b = client.persons.create(**person_fields(name="王秀瑛"))  # a second active record of a's number
    set_id_number(db_url, b.id, client.persons.get(a.id, reveal=True).id_number)
    sql(db_url, "UPDATE persons SET updated_at = :t WHERE id = :id", t=dt.datetime(2020, 1, 1), id=b.id)  # a is newer
    fields = person_fields(name="张丽")
    old = client.persons.create(**fields)
    client.persons.deregister(old.id, version=old.version, reason="离开", date="2026-04-01")
    new = client.persons.create(**{**fields, "stay": {**fields["stay"], "arrived_on": "2026-05-01"}})
    sql(db_url, "UPDATE persons SET updated_at = :t WHERE id = :id", t=dt.datetime(2020, 1, 1), id=new.id)
    bystander = client.persons.create(**person_fields())
    everyone = [a.id, b.id, old.id, new.id, bystander.id]
    before = snapshot(client, everyone)

    dry = run_json(capsys, "dedupe_persons", db_url)
    assert dry["dry_run"] is True
    assert {g["keep"]: g["merge"] for g in dry["groups"]} == {a.id: [b.id], new.id: [old.id]}  # active first, then newest
    assert all(g["changeset"]["failing"] == 0 and g["changeset"]["status"] == "planned" for g in dry["groups"])
    assert snapshot(client, everyone) == before  # a dry run changes nothing

    done = run_json(capsys, "dedupe_persons", db_url, "--apply")
    assert len(done["applied"]) == 2 and all(cs["status"] == "applied" for cs in done["applied"])
    kept = client.persons.get(a.id)
    assert kept.status == "active" and client.persons.get(b.id).status == "archived"
    assert {s.id: s.status for s in kept.stays} == {a.stays[0].id: "open", b.stays[0].id: "archived"}
    assert kept.current_stay_id == a.stays[0].id
    assert client.persons.get(old.id).status == "archived"
    assert sorted(s.id for s in client.persons.get(new.id).stays) == sorted([old.stays[0].id, new.stays[0].id])
    assert snapshot(client, [bystander.id]) == {bystander.id: before[bystander.id]}
    checks = {ch.key: ch.count for ch in client.reports.quality().checks}
    assert checks["duplicate_active_id"] == checks["duplicate_record"] == 0

    monkeypatch.setenv("FLOWPOP_LANG", "en")
    code, out = run(capsys, "dedupe_persons", db_url, "--apply")
    assert code == 0 and "nothing to merge" in out  # a second run finds nothing left
    assert run_json(capsys, "dedupe_persons", db_url, "--apply")["groups"] == []

    merged_ab = next(cs["id"] for g, cs in zip(done["groups"], done["applied"], strict=True) if g["keep"] == a.id)
    client.changesets.revert(merged_ab)  # the printed ids undo the merge
    assert client.persons.get(b.id).status == "active"
    assert [(s.id, s.status) for s in client.persons.get(b.id).stays] == [(b.stays[0].id, "open")]


# ------------------------------------------------------------------------------------------ 15-digit numbers


def test_upgrade_id15_in_scope_and_failing_records_held_back(client, db_url, capsys) -> None:
    here = client.persons.create(**person_fields())
    bad = client.persons.create(**person_fields())
    elsewhere = client.persons.create(**person_fields(stay={"residence_code": tree.VILLAGE_C1, "reason": "work",
                                                            "arrived_on": "2026-03-01"}))
    set_id_number(db_url, here.id, "360102900506124")
    set_id_number(db_url, bad.id, "360102901332128")  # month 13: cannot be upgraded
    set_id_number(db_url, elsewhere.id, "360102880101241")
    everyone = [here.id, bad.id, elsewhere.id]
    before = snapshot(client, everyone)

    dry = run_json(capsys, "upgrade_id15", db_url, "--division", tree.TOWNSHIP_A)
    assert (dry["changeset"]["total"], dry["changeset"]["failing"]) == (2, 1)
    assert dry["changeset"]["failures"][0]["person_id"] == bad.id
    assert "360102900506124" not in json.dumps(dry)  # numbers are shown masked
    code, _ = run(capsys, "upgrade_id15", db_url, "--division", tree.TOWNSHIP_A, "--apply")
    assert code == 3  # a failing record blocks the apply without --skip-failing
    assert snapshot(client, everyone) == before

    done = run_json(capsys, "upgrade_id15", db_url, "--division", "350404", "--apply", "--skip-failing")
    assert done["applied"]["applied"] == 1
    assert client.persons.get(here.id, reveal=True).id_number == idnumber.upgrade15("360102900506124")
    after = snapshot(client, everyone)
    assert after[bad.id] == before[bad.id] and after[elsewhere.id] == before[elsewhere.id]

    rest = run_json(capsys, "upgrade_id15", db_url, "--apply", "--skip-failing")
    assert rest["applied"]["applied"] == 1
    assert client.persons.get(elsewhere.id, reveal=True).id_number == idnumber.upgrade15("360102880101241")
    again = run_json(capsys, "upgrade_id15", db_url, "--apply", "--skip-failing")
    assert again["changeset"]["total"] == again["changeset"]["failing"] == 1  # only the impossible one is left
    assert again["applied"]["applied"] == 0


def test_a_county_admin_over_a_server_sees_its_county_only(client, db_url, server, capsys) -> None:
    here = client.persons.create(**person_fields())
    elsewhere = client.persons.create(**person_fields(stay={"residence_code": tree.VILLAGE_C1, "reason": "work",
                                                            "arrived_on": "2026-03-01"}))
    set_id_number(db_url, here.id, "360102900506124")
    set_id_number(db_url, elsewhere.id, "360102880101241")
    client.users.create(username="sanyuan_admin", role="county_admin", jurisdiction_code=tree.COUNTY_SANYUAN)
    secret = client.tokens.create(username="sanyuan_admin", name="cron").token
    capsys.readouterr()
    code = script("upgrade_id15").main(["--url", server, "--token", secret, "--apply", "--json"])
    assert code == 0
    assert json.loads(capsys.readouterr().out)["applied"]["applied"] == 1
    assert client.persons.get(here.id, reveal=True).id_number == idnumber.upgrade15("360102900506124")
    assert client.persons.get(elsewhere.id, reveal=True).id_number == "360102880101241"


# ------------------------------------------------------------------------------------------ departures


def _with_stay(client: flowpop.Client, expected: dt.date | None, **overrides: Any) -> flowpop.types.PersonDetail:
    stay = {"residence_code": tree.VILLAGE_A1, "reason": "work", "arrived_on": (TODAY - dt.timedelta(days=90)).isoformat()}
    if expected:
        stay["expected_return_on"] = expected.isoformat()
    return client.persons.create(**person_fields(stay=stay, **overrides))


def test_deregister_departed_overdue_and_not_found(client, db_url, capsys) -> None:
    late = _with_stay(client, TODAY - dt.timedelta(days=30))
    just = _with_stay(client, TODAY - dt.timedelta(days=2))
    future = _with_stay(client, TODAY + dt.timedelta(days=30))
    open_ended = _with_stay(client, None)
    gone = _with_stay(client, None, name="查无")
    campaign = client.inspections.create(quarter=f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}",
                                         jurisdiction_code=tree.TOWNSHIP_A)
    item = next(i for i in client.inspections.items(campaign.id, limit=1000) if i.person_id == gone.id)
    client.inspections.record(campaign.id, item.id, version=item.version, outcome="not_found")
    everyone = [late.id, just.id, future.id, open_ended.id, gone.id]
    before = snapshot(client, everyone)

    assert run_json(capsys, "deregister_departed", db_url, "--date", TODAY.isoformat())["overdue"] == sorted(
        [late.id, just.id])
    dry = run_json(capsys, "deregister_departed", db_url, "--grace-days", "5", "--include-not-found",
                   "--date", TODAY.isoformat())
    assert (dry["overdue"], dry["not_found"]) == ([late.id], [gone.id])
    assert dry["changeset"]["total"] == 2
    assert snapshot(client, everyone) == before

    done = run_json(capsys, "deregister_departed", db_url, "--grace-days", "5", "--include-not-found", "--apply",
                    "--chunk-size", "100", "--reason", "清查注销", "--date", TODAY.isoformat())
    assert (done["applied"]["status"], done["applied"]["applied"]) == ("applied", 2)
    for pid in (late.id, gone.id):
        p = client.persons.get(pid)
        assert p.status == "deregistered" and (p.stays[0].status, p.stays[0].returned_on) == ("deregistered", TODAY)
        assert client.persons.history(pid)[0].reason == "清查注销"
    after = snapshot(client, everyone)
    assert all(after[i] == before[i] for i in (just.id, future.id, open_ended.id))

    again = run_json(capsys, "deregister_departed", db_url, "--grace-days", "5", "--include-not-found", "--apply",
                     "--date", TODAY.isoformat())
    assert (again["overdue"], again["not_found"], again["changeset"]) == ([], [], None)


@pytest.mark.parametrize("name", ["dedupe_persons", "upgrade_id15", "deregister_departed", "reconcile_outflows"])
def test_scripts_report_registry_errors(db_url, capsys, monkeypatch, name: str) -> None:
    monkeypatch.setenv("FLOWPOP_LANG", "en")
    capsys.readouterr()
    code = script(name).main(["--db", db_url, "--division", "999999", "--json"])
    captured = capsys.readouterr()
    assert code == 1 and captured.out == ""
    assert "the registry refused" in captured.err and "999999000000" in captured.err


# ------------------------------------------------------------------------------------------ outflows


def _flow(num: str, name: str) -> dict[str, Any]:
    return {"id_number": num, "name": name, "household_code": tree.VILLAGE_D1, "marital_status": "first_marriage",
            "stay": {"residence_code": tree.VILLAGE_A1, "reason": "work",
                     "arrived_on": (TODAY - dt.timedelta(days=10)).isoformat()}}


def test_reconcile_pairs_both_sides_and_raises_co_management(client, db_url, as_user, capsys) -> None:
    household_side = as_user("township_operator", tree.TOWNSHIP_D)
    residence_side = as_user("township_operator", tree.TOWNSHIP_A)
    born, born2 = dt.date(1992, 3, 4), dt.date(1988, 7, 1)
    number = idnumber.make("360102", born, 2)
    out_rec = household_side.persons.create(**_flow(number, "林小红"))
    in_rec = residence_side.persons.create(**_flow(idnumber.make("360102", born, 4), "林小红"))
    set_id_number(db_url, in_rec.id, number)  # two systems, one person
    maybe_out = household_side.persons.create(**_flow(idnumber.make("360102", born2, 6), "陈建"))
    maybe_in = residence_side.persons.create(**_flow(idnumber.make("360102", born2, 8), "陈建"))
    alone = residence_side.persons.create(**_flow(idnumber.make("360102", born, 10), "孤单"))
    everyone = [out_rec.id, in_rec.id, maybe_out.id, maybe_in.id, alone.id]
    before = snapshot(client, everyone)
    quarter = f"{TODAY.year}Q{(TODAY.month - 1) // 3 + 1}"
    rate = next(r for r in client.reports.rates(quarter, level="county").total.rates if r.key == "co_management")

    dry = run_json(capsys, "reconcile_outflows", db_url)
    assert dry["rate_before"]["numerator"] == rate.numerator and dry["rate_before"]["denominator"] == rate.denominator
    pairs = {p["kind"]: (p["keep"], p["merge"]) for p in dry["pairs"]}
    assert pairs == {"certain": (in_rec.id, out_rec.id), "probable": (maybe_in.id, maybe_out.id)}
    assert snapshot(client, everyone) == before

    done = run_json(capsys, "reconcile_outflows", db_url, "--apply")
    assert done["acknowledged"] == 2
    kept = client.persons.get(in_rec.id)
    assert kept.status == "active" and kept.current_stay_id == in_rec.stays[0].id
    assert {s.id: s.status for s in kept.stays} == {in_rec.stays[0].id: "open", out_rec.stays[0].id: "archived"}
    assert client.persons.get(out_rec.id).status == "archived"
    assert (done["rate_after"]["numerator"], done["rate_after"]["denominator"]) == (rate.numerator + 1, rate.denominator - 1)
    after = snapshot(client, everyone)
    assert all(after[i] == before[i] for i in (maybe_out.id, maybe_in.id, alone.id))  # probable: shown, not merged

    again = run_json(capsys, "reconcile_outflows", db_url, "--apply")
    assert [p["kind"] for p in again["pairs"]] == ["probable"] and again["acknowledged"] == 0
    run_json(capsys, "reconcile_outflows", db_url, "--apply", "--include-probable")
    assert client.persons.get(maybe_out.id).status == "archived"
    assert run_json(capsys, "reconcile_outflows", db_url, "--apply", "--include-probable")["pairs"] == []
