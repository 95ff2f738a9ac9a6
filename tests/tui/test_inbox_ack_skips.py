"""The console's bulk acknowledgement tells why the registry skipped a message, in the registry's words
(message / message_en) and the user's language, not only how many it skipped."""

from __future__ import annotations

import pytest

import flowpop
from flowpop import labels
from flowpop_tui import i18n
from tests import tree
from tests.conftest import person_fields
from tests.tui.pilot import SIZE, console, open_inbox, point_at, settle, status_line

pytestmark = pytest.mark.usefixtures("search_first")


@pytest.mark.parametrize("language", ["zh", "en"])
async def test_a_skip_is_told_with_its_reason(db_url: str, townships: tuple[flowpop.Client, flowpop.Client],
                                              language: str) -> None:
    a, d = townships
    for name in ("周一", "周二"):
        a.persons.create(**person_fields(household_code=tree.VILLAGE_D1, name=name))  # D is told of each
    first, second = sorted(m.id for m in d.inbox.list(kind="notification"))
    i18n.set_lang(language)  # the conftest puts it back
    async with console(db_url, d).run_test(size=SIZE) as pilot:
        inbox = await open_inbox(pilot)
        point_at(inbox, first)
        await pilot.press("space")
        point_at(inbox, second)
        await pilot.press("space")
        d.inbox.acknowledge([second])  # a colleague acknowledged it meanwhile
        await pilot.press("c")
        await settle(pilot)
        await pilot.press("y")  # the count confirmed
        await settle(pilot)
        skipped = d.inbox.acknowledge([second]).skipped[0]
        shown = status_line(pilot.app)
        assert i18n.t("acknowledged", done=1, skipped=1) in shown, shown
        assert labels.message(skipped, language) in shown, shown
        assert d.inbox.get(first).status == "closed"
