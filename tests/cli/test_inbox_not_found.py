"""`flowpop inbox resolve` answers a 查无此人 by what is done to the outflow record, `flowpop inbox not-found`
shows the loop, and `flowpop inbox show` lists a candidate's differing fields (a different ID number is never
matched automatically)."""

from __future__ import annotations

import datetime as dt

import flowpop
from flowpop.rules import idnumber
from tests import tree
from tests.cli.runner import Run, jsonout
from tests.conftest import person_fields


def test_resolve_and_the_loop(run: Run, townships: tuple[flowpop.Client, flowpop.Client]) -> None:
    a, d = townships
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    sent = a.inbox.send(kind="not_found", addressee_code=tree.TOWNSHIP_D, person_id=p.id)
    run("inbox", "resolve", str(sent.id), "--outcome", "moved", code=4, user=d)  # the new place is missing
    done = jsonout(
        run(
            "inbox",
            "resolve",
            str(sent.id),
            "--outcome",
            "returned",
            "--date",
            "2026-04-01",
            "--format",
            "json",
            user=d,
        )
    )
    assert (done["status"], done["outcome"]) == ("answered", "returned")
    assert d.persons.get(p.id).stays[0].returned_on == dt.date(2026, 4, 1)
    loop = jsonout(run("inbox", "not-found", "--json", user=d))
    assert loop["addressed_here"]["answered"]["returned"] == 1 and loop["addressed_here"]["open"] == 0
    table = run("inbox", "not-found", user=a).stdout
    assert "本地发出（现居住地）" in table and "已返回户籍地" in table


def test_show_lists_what_differs(run: Run, townships: tuple[flowpop.Client, flowpop.Client]) -> None:
    a, d = townships
    born = dt.date(1991, 7, 14)
    p = a.persons.create(
        **person_fields(
            id_number=idnumber.make("360102", born, 120), name="万慧", household_code=tree.VILLAGE_D1
        )
    )
    other = idnumber.make("360102", born, 122)
    sent = d.inbox.send(
        kind="assist_request",
        addressee_code=tree.TOWNSHIP_A,
        subject={"id_number": other, "name": "万慧", "birth_date": born.isoformat()},
    )
    shown = run("inbox", "show", str(sent.id), user=a).stdout
    assert "不同之处" in shown and idnumber.mask(other) in shown and str(p.id) in shown
    assert "姓名+出生日期，身份证号不同" in shown
