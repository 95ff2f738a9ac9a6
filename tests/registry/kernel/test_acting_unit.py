"""The unit an action is done in the name of (a message's sender, a service's provider): one check
(DivisionCache.check_acting) — named, known, and inside the caller's jurisdiction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest

import flowpop
from flowpop.errors import ValidationError
from tests import tree
from tests.conftest import person_fields


def _codes(exc: pytest.ExceptionInfo[ValidationError]) -> list[tuple[str | None, str]]:
    return [(e.field, e.code) for e in exc.value.errors]


def test_a_sender_outside_the_jurisdiction_is_refused(as_user: Callable[[str, str | None], flowpop.Client]) -> None:
    op = as_user("township_operator", tree.TOWNSHIP_A)
    with pytest.raises(ValidationError) as exc:
        op.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_D, sender_code=tree.TOWNSHIP_B,
                      subject={"name": "甲"})
    assert _codes(exc) == [("sender_code", "outside_jurisdiction")]
    assert "发件单位" in exc.value.errors[0].message


def test_a_nationwide_sender_must_name_its_unit(as_user: Callable[[str, str | None], flowpop.Client]) -> None:
    admin = as_user("admin", None)
    with pytest.raises(ValidationError) as exc:
        admin.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_D, subject={"name": "甲"})
    assert _codes(exc) == [("sender_code", "required")]


def test_a_provider_outside_the_jurisdiction_is_refused(as_user: Callable[[str, str | None], flowpop.Client]) -> None:
    op = as_user("township_operator", tree.TOWNSHIP_A)
    p = op.persons.create(**person_fields())
    with pytest.raises(ValidationError) as exc:
        op.persons.record_service(p.id, kind="checkup", provided_on=dt.date(2026, 5, 1), provider_code=tree.TOWNSHIP_B)
    assert _codes(exc) == [("provider_code", "outside_jurisdiction")]
    assert "服务单位" in exc.value.errors[0].message
    assert op.persons.services(p.id) == []
