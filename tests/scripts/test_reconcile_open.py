"""scripts/reconcile_outflows.py reads every registration notice the inbox counts as open — the registry's
own "open" (deadlines.OPEN, the inbox's default status filter), not a list of its own: a notice the addressee
has matched to a local record but not acknowledged is still open, its stay still registered by one side only."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

import flowpop
from flowpop.rules import idnumber
from tests import tree
from tests.scripts.jobs import run_json, set_id_number

TODAY = dt.date.today()


def _flow(num: str, name: str) -> dict[str, Any]:
    return {"id_number": num, "name": name, "household_code": tree.VILLAGE_D1, "marital_status": "first_marriage",
            "stay": {"residence_code": tree.VILLAGE_A1, "reason": "work",
                     "arrived_on": (TODAY - dt.timedelta(days=10)).isoformat()}}


def test_a_matched_notice_is_still_open_and_paired(client: flowpop.Client, db_url: str, as_user: Any,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    household_side = as_user("township_operator", tree.TOWNSHIP_D)
    residence_side = as_user("township_operator", tree.TOWNSHIP_A)
    born = dt.date(1991, 5, 6)
    number = idnumber.make("360102", born, 2)
    out_rec = household_side.persons.create(**_flow(number, "周小梅"))
    in_rec = residence_side.persons.create(**_flow(idnumber.make("360102", born, 4), "周小梅"))
    set_id_number(db_url, in_rec.id, number)  # two systems, one person
    # the residence side matches the household side's notice to its own record, and acknowledges nothing yet
    notice = next(m for m in residence_side.inbox.list(kind="notification")
                  if m.topic == "stay_registered" and m.stay_id == out_rec.stays[0].id)
    matched = residence_side.inbox.act(notice.id, "match", version=notice.version, person_id=in_rec.id)
    assert matched.status == "matched"

    dry = run_json(capsys, "reconcile_outflows", db_url)
    assert [(p["kind"], p["keep"], p["merge"]) for p in dry["pairs"]] == [("certain", in_rec.id, out_rec.id)]
    assert notice.id in dry["pairs"][0]["notices"]

    done = run_json(capsys, "reconcile_outflows", db_url, "--apply")
    assert done["acknowledged"] == 2
    assert client.persons.get(out_rec.id).status == "archived"
    assert client.inbox.get(notice.id).status == "closed"
