"""The console offers on a message exactly the steps the registry lists in its allowed_actions: per kind and
status, none for a read-only user; a step the registry refuses after all (the message moved on meanwhile) is
shown where the user is."""

from __future__ import annotations

from collections.abc import Callable

import pytest

import flowpop
from flowpop_tui import i18n
from flowpop_tui.inbox import InboxScreen
from flowpop_tui.inbox_actions import ACTION_BINDINGS
from tests import tree
from tests.conftest import person_fields
from tests.tui.pilot import SIZE, console, footer_keys, open_inbox, point_at, settle, status_line

pytestmark = pytest.mark.usefixtures("search_first")
Maker = Callable[[str, str | None], flowpop.Client]
STEP_KEYS = [b.action for b in ACTION_BINDINGS if b.action != "sheet"]


def offered(screen: InboxScreen) -> list[str]:
    return [a for a in STEP_KEYS if screen.check_action(a, ()) is True]


async def test_the_console_offers_exactly_the_registrys_actions(db_url: str, as_user: Maker) -> None:
    a, d = as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))  # D is notified
    asked = a.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_D, person_id=p.id, items={"verify": ["在住"]})
    read = d.inbox.act(asked.id, "read", version=asked.version)
    q = a.persons.create(**person_fields())
    a.stays.transfer(q.stays[0].id, version=q.stays[0].version, to_residence_code=tree.VILLAGE_B1, reason="搬迁")
    messages = list(d.inbox.list(status="all"))
    assert {m.kind for m in messages} == {"notification", "assist_request"} and read.status == "read"
    async with console(db_url, d).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        for m in messages:
            point_at(inbox, m.id)
            await settle(pilot)
            steps = [x for x in m.allowed_actions if x != "acknowledge"]  # acknowledging is the selection's c
            assert steps and offered(inbox) == [x for x in STEP_KEYS if x in steps], m.kind
            shown = footer_keys(pilot.app)  # type: ignore[arg-type]  # the pilot's app is our FlowpopApp
            assert {x for x in STEP_KEYS if i18n.t(f"key_{x}") in shown} == set(steps)
    b = as_user("township_operator", tree.TOWNSHIP_B)
    transfer = next(iter(b.inbox.list(kind="transfer")))
    async with console(db_url, b).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        point_at(inbox, transfer.id)
        await settle(pilot)
        assert offered(inbox) == ["read", "match", "accept", "refuse", "close", "forward", "return", "escalate"]
        assert offered(inbox) == sorted(transfer.allowed_actions, key=STEP_KEYS.index)


async def test_a_read_only_user_is_offered_no_step(db_url: str, as_user: Maker) -> None:
    a = as_user("township_operator", tree.TOWNSHIP_A)
    a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    viewer = as_user("city_viewer", tree.COUNTY_DONGHU)
    note = next(iter(viewer.inbox.list()))
    assert note.allowed_actions == []
    async with console(db_url, viewer).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        point_at(inbox, note.id)
        await settle(pilot)
        assert offered(inbox) == [] and inbox.check_action("sheet", ()) is True


async def test_a_step_refused_after_all_is_shown_in_place(db_url: str, as_user: Maker) -> None:
    a, d = as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)
    a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    note = next(iter(d.inbox.list()))
    async with console(db_url, d).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        point_at(inbox, note.id)
        await settle(pilot)
        assert "read" in offered(inbox)
        elsewhere = d.inbox.act(note.id, "read", version=note.version)  # someone else reads it meanwhile
        await pilot.press("r")
        await settle(pilot)
        with pytest.raises(flowpop.APIStatusError) as refused:
            d.inbox.act(note.id, "read", version=note.version)
        assert refused.value.status_code == 409
        assert status_line(pilot.app) == i18n.error_text(refused.value).replace("\n", " ")  # type: ignore[arg-type]  # our FlowpopApp
        assert d.inbox.get(note.id).version == elsewhere.version
        assert "read" not in offered(inbox)  # the console shows where it stands now
