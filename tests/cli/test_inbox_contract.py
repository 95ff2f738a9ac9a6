"""`flowpop inbox …` takes its rules and words from the contract and the vocabulary: the list's options are
MessageFilters' fields (generated as `persons list`'s are), the kinds one may send are MessageCreate's, a
subject is shown by Subject's fields, and a bulk acknowledgement tells why it skipped a message in the registry's
words (no SKIPS table of its own). `flowpop bulk --help` lists the operations by their labels."""

from __future__ import annotations

import typing
from typing import Any

import click
import pytest

import flowpop
from flowpop import labels, types
from flowpop.registry.inbox import workflow
from flowpop_cli import cmd_inbox, filter_options
from flowpop_cli.main import cli
from tests import tree
from tests.cli.runner import Run, jsonout
from tests.conftest import person_fields

MISSING = 987_654


def _command(*path: str) -> click.Command:
    command: click.Command = cli
    for name in path:
        assert isinstance(command, click.Group)
        command = command.commands[name]
    return command


def _options(command: click.Command) -> dict[str, click.Option]:
    return {p.name: p for p in command.params if isinstance(p, click.Option) and p.name}


def test_list_options_are_the_filter_model() -> None:
    offered = _options(_command("inbox", "list"))
    assert set(types.MessageFilters.model_fields) - {"limit", "cursor"} <= set(offered)
    kind = offered["kind"]
    assert {"--kind", "--type"} <= set(kind.opts)  # --type: the older name, still taken
    assert isinstance(kind.type, click.Choice) and list(kind.type.choices) == list(typing.get_args(types.MessageKind))
    status = offered["status"]
    assert isinstance(status.type, click.Choice)
    assert list(status.type.choices) == list(typing.get_args(types.InboxStatus))


def _sent(a: flowpop.Client, d: flowpop.Client) -> tuple[types.Message, types.Message]:
    """A's registration tells D (a notification); D asks A about the person (a request)."""
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    note = next(iter(d.inbox.list(kind="notification")))
    asked = d.inbox.send(kind="assist_request", addressee_code=tree.TOWNSHIP_A, person_id=p.id,
                         items={"verify": ["在住"]})
    return note, asked


def test_list_filters_by_kind_label_or_code(run: Run, townships: Any) -> None:
    a, d = townships
    note, asked = _sent(a, d)
    for args in (("--kind", "通报"), ("--kind", "notification"), ("--type", "通报")):
        assert [m["id"] for m in jsonout(run("inbox", "list", *args, "--json", user=d))] == [note.id], args
    out = jsonout(run("inbox", "list", "--box", "out", "--kind", "assist_request", "--json", user=d))
    assert [m["id"] for m in out] == [asked.id]
    assert jsonout(run("inbox", "list", "--status", "已办结", "--json", user=d)) == []
    refused = run("inbox", "list", "--overdeu", user=d, code=2)
    assert "'--overdeu'" in refused.stderr, refused.stderr


def test_send_kinds_come_from_the_contract() -> None:
    kind = _options(_command("inbox", "send"))["kind"]
    contract = typing.get_args(types.MessageCreate.model_fields["kind"].annotation)
    assert isinstance(kind.type, click.Choice)
    assert list(kind.type.choices) == [k for k in contract if k != "notification"]  # the CLI has no --topic
    assert all(labels.label("message_kind", k, "zh") in (kind.help or "") for k in kind.type.choices)


def test_no_table_of_its_own() -> None:
    for name in ("SKIPS", "ITEM_LABELS", "OUTCOMES", "SIDES"):
        assert not hasattr(cmd_inbox, name), name
    assert set(cmd_inbox.SUBJECT_FIELDS) == set(types.Subject.model_fields) | {"birth_year"}
    assert {k: v for k, v in filter_options.KINDS.items() if k != "status"} == {
        k: v for k, v in labels.CODED.items() if k != "status"}


@pytest.mark.parametrize("language", ["zh", "en"])
def test_show_gives_the_birth_year_to_a_user_without_reveal(run: Run, as_user: Any, townships: Any,
                                                            language: str) -> None:
    """The registry sends a subject's birth year, never the date (not even with the reveal right): the card shows
    the year, whoever reads it."""
    a, d = townships
    note, _ = _sent(a, d)
    viewer = as_user("city_viewer", tree.COUNTY_DONGHU)
    assert not viewer.inbox.get(note.id).subject.get("birth_date")
    for user in (viewer, d):
        year = str(user.inbox.get(note.id).subject["birth_year"])
        shown = run("--lang", language, "inbox", "show", str(note.id), user=user).stdout
        subject = shown.split("\n" + labels.pick(("对象", "Subject"), language) + "\n", 1)[1].split("\n\n", 1)[0]
        rows = {line.split("  ")[0]: line.split()[-1] for line in subject.splitlines()}
        assert rows[labels.title("birth_year", language)] == year, shown
        assert labels.title("birth_date", language) not in rows, shown


@pytest.mark.parametrize("language", ["zh", "en"])
def test_ack_tells_the_skips_in_the_registrys_words(run: Run, townships: Any, language: str) -> None:
    a, d = townships
    note, asked = _sent(a, d)
    d.inbox.acknowledge([note.id])
    out = run("--lang", language, "inbox", "ack", str(note.id), str(asked.id), str(MISSING), user=d).stdout
    reasons = d.inbox.acknowledge([note.id, asked.id, MISSING]).skipped
    assert [s.code for s in reasons] == ["bad_transition", "not_addressee", "not_found"]
    for s in reasons:
        why = labels.message(s, language)
        assert labels.pick((f"  {why}：1 条（编号 {s.id}）", f"  {why}: 1 (IDs {s.id})"), language) in out, out
    assert labels.pick(workflow.NOT_FOUND, language) in out
    as_json = jsonout(run("inbox", "ack", str(MISSING), "--format", "json", user=d))
    assert as_json["skipped"] == [{"id": MISSING, "code": "not_found", "message": workflow.NOT_FOUND[0],
                                   "message_en": workflow.NOT_FOUND[1]}]


def test_bulk_help_lists_the_operations_by_their_labels(run: Run) -> None:
    shown = run("bulk", "--help").stdout
    for code, (zh, en) in labels.LABELS["operation"].items():
        assert any(line.split()[:1] == [code] and f"{zh} / {en}" in line for line in shown.splitlines()), (code, shown)
