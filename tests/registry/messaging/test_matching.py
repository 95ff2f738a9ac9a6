"""Matching a message to a local record (配对): a subject whose valid ID number differs from a local record's is
never matched automatically on name and birth date (it scored 92 and matched); it is a candidate for a person to
decide, with the fields that differ shown."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import flowpop
from flowpop.rules import idnumber
from tests import tree
from tests.conftest import person_fields

Maker = Callable[[str, str | None], flowpop.Client]
BORN = dt.date(1991, 7, 14)


def _local_and_asker(as_user: Maker) -> tuple[flowpop.Client, flowpop.Client, flowpop.types.PersonDetail]:
    a, d = as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)
    p = a.persons.create(
        **person_fields(
            id_number=idnumber.make("360102", BORN, 120), name="万慧", household_code=tree.VILLAGE_D1
        )
    )
    return a, d, p


def test_another_valid_id_number_is_a_candidate_never_a_match(as_user: Maker) -> None:
    a, d, p = _local_and_asker(as_user)
    other = idnumber.make("360102", BORN, 122)
    assert idnumber.check(other).ok and other != idnumber.make("360102", BORN, 120)
    sent = d.inbox.send(
        kind="assist_request",
        addressee_code=tree.TOWNSHIP_A,
        subject={"id_number": other, "name": "万慧", "birth_date": BORN.isoformat(), "sex": "F"},
    )
    m = a.inbox.get(sent.id)
    assert m.matched_person_id is None and m.status == "new"
    (c,) = m.candidates
    assert c.person_id == p.id and c.reason == "other_id_number" and c.score < 90
    assert [(x.field, x.message, x.local) for x in c.differences] == [
        ("id_number", idnumber.mask(other), idnumber.mask(p.id_number))
    ]
    assert "match" in m.allowed_actions  # a person decides
    assert a.inbox.act(m.id, "match", version=m.version, person_id=p.id).matched_person_id == p.id


def test_the_same_number_still_matches_and_shows_what_else_differs(as_user: Maker) -> None:
    a, d, p = _local_and_asker(as_user)
    sent = d.inbox.send(
        kind="assist_request",
        addressee_code=tree.TOWNSHIP_A,
        subject={"id_number": idnumber.make("360102", BORN, 120), "name": "万惠"},
    )
    m = a.inbox.get(sent.id)
    assert m.matched_person_id == p.id and m.candidates[0].reason == "id_number"
    assert [(x.field, x.message, x.local) for x in m.candidates[0].differences] == [("name", "万惠", "万慧")]
