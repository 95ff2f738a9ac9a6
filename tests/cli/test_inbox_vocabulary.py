"""`flowpop inbox show` names a message's fields, items, outcome and accountable side in the vocabulary's words
(flowpop.labels), not in a second list of its own."""

from __future__ import annotations

import datetime as dt

import pytest

from flowpop import labels
from tests import tree
from tests.cli.runner import Run, jsonout
from tests.conftest import person_fields


@pytest.mark.parametrize("language", ["zh", "en"])
def test_show_reads_titles_and_labels_from_the_vocabulary(run: Run, as_user, language: str,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    a = as_user("township_operator", tree.TOWNSHIP_A)
    b = as_user("township_operator", tree.TOWNSHIP_B)
    stay = a.persons.create(**person_fields()).stays[0]
    sent = jsonout(run("stays", "transfer", str(stay.id), "--to", tree.VILLAGE_B1, "--reason", "搬迁至乙镇",
                       "--format", "json", user=a))
    monkeypatch.setenv("FLOWPOP_TODAY", (dt.date.fromisoformat(sent["due_on"]) + dt.timedelta(days=1)).isoformat())
    shown = run("--lang", language, "inbox", "show", str(sent["id"]), user=b).stdout
    items = shown.split("\n" + labels.pick(("事项", "Items"), language) + "\n", 1)[1].split("\n\n", 1)[0].splitlines()
    assert [line.split("  ")[0] for line in items][:2] == [labels.title("from_residence_code", language),
                                                           labels.title("to_residence_code", language)], shown
    side = labels.label("accountable_side", "residence", language)
    assert labels.pick((f"责任方为{side} ", f"Overdue: {side}, "), language) in shown, shown

    monkeypatch.delenv("FLOWPOP_TODAY")
    b.inbox.act(sent["id"], "refuse", version=b.inbox.get(sent["id"]).version, reason="无此房屋")
    refused = run("--lang", language, "inbox", "show", str(sent["id"]), user=b).stdout
    outcome = next(line for line in refused.splitlines() if line.startswith(labels.title("outcome", language) + " "))
    assert outcome.split()[-1] == labels.label("message_outcome", "refused", language)
