"""`flowpop inbox show` says what the user may do with a message, as the registry answers it (allowed_actions),
and `inbox ack --all-notifications` takes what the registry says may be acknowledged."""

from __future__ import annotations

from collections.abc import Callable

import flowpop
from flowpop import labels
from tests import tree
from tests.cli.runner import Run, jsonout
from tests.conftest import person_fields

Maker = Callable[[str, str | None], flowpop.Client]


def test_show_lists_the_registrys_actions_and_ack_takes_what_it_allows(run: Run, as_user: Maker) -> None:
    a, d = as_user("township_operator", tree.TOWNSHIP_A), as_user("township_operator", tree.TOWNSHIP_D)
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    note = next(iter(d.inbox.list(kind="notification")))
    asked = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A, person_id=p.id, items={"verify": ["在住"]})
    offered = "、".join(labels.label("message_action", x, "zh") for x in note.allowed_actions)
    shown = run("inbox", "show", str(note.id), user=d).stdout
    assert "可办理" in shown and offered in shown and "接收" in offered
    assert "可办理" not in run("inbox", "show", str(asked.id), user=d).stdout  # the sender may do nothing with it
    viewer = as_user("city_viewer", tree.COUNTY_DONGHU)
    assert "可办理" not in run("inbox", "show", str(note.id), user=viewer).stdout
    # a request addressed to D is open in its inbox too, but the registry does not list acknowledge for it
    back = a.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_D, person_id=p.id, items={"verify": ["在住"]})
    done = jsonout(run("inbox", "ack", "--all-notifications", "--yes", "--format", "json", user=d))
    assert (done["done"], done["skipped"]) == (1, [])
    assert d.inbox.get(note.id).status == "closed" and d.inbox.get(back.id).status == "new"
