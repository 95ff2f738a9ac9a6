"""The one vocabulary (flowpop.labels): every code the contract allows has a Chinese and an English label,
field titles head the registry's exports, errors travel as message + message_en (never one 'zh|en' text),
and one mechanism says a phrase in the language decided in one place."""

from __future__ import annotations

import csv
import io
import json
import re
import typing
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

import flowpop
from flowpop import labels, types
from flowpop.registry.files import exports

# The contract's Literal types → the vocabulary's kind of code
ALIAS_KINDS = {
    "Sex": "sex", "Role": "role", "Reason": "reason", "MaritalStatus": "marital_status", "Category": "category",
    "Education": "education", "HukouType": "hukou_type", "PersonStatus": "person_status", "StayStatus": "stay_status",
    "Direction": "direction", "Level": "level", "MessageKind": "message_kind", "MessageStatus": "message_status",
    "NotificationTopic": "topic", "MessageActionName": "message_action", "ServiceKind": "service",
    "HouseUse": "house_use", "HouseMode": "house_mode", "ChangeOperation": "operation",
    "InspectionOutcome": "inspection_outcome", "NotFoundOutcome": "not_found_outcome",
    "ComanagementList": "comanagement_list",
}
# Literals written inside a model, by model.field
INLINE_KINDS = {
    "MessageCreate.kind": "message_kind", "CalendarYearInfo.source": "calendar_source", "Message.accountable_side": "accountable_side",
    "LateDeclaration.state": "declaration_state", "Changeset.status": "changeset_status",
    "ChangesetPreview.status": "changeset_status", "Campaign.status": "campaign_status",
    "CampaignItem.kind": "inspection_kind",
}
# Literals no user reads as a label: query parameters, typed as the option values they are
NOT_LABELLED_ALIASES = {"PersonSort", "ExportFormat", "InboxBox", "InboxStatus"}
NOT_LABELLED = {"box", "sort", "format", "by"}  # fields of that sort written inline (by: county | pair rows)

CJK = re.compile(r"[\u3400-\u9fff]")
JOINED = re.compile(r"[\u3400-\u9fff）。]\s*(\||\s/\s)\s*[A-Za-z]")  # '中文|English', '中文 / English'


def _literal_args(annotation: Any) -> list[tuple[str, ...]]:
    if typing.get_origin(annotation) is typing.Literal:
        return [typing.get_args(annotation)]
    return [found for arg in typing.get_args(annotation) for found in _literal_args(arg)]


def _contract_codes() -> list[tuple[str, str, str]]:
    """(where, kind, code) for every code a Literal of flowpop/types.py allows."""
    aliases = {typing.get_args(v): n for n, v in vars(types).items() if typing.get_origin(v) is typing.Literal}
    out: set[tuple[str, str, str]] = set()
    for args, name in aliases.items():
        if name in NOT_LABELLED_ALIASES:
            continue
        assert name in ALIAS_KINDS, f"types.{name} is a Literal with no kind of label in ALIAS_KINDS"
        out.update((name, ALIAS_KINDS[name], code) for code in args)
    for model in vars(types).values():
        if not (isinstance(model, type) and issubclass(model, BaseModel) and model.__module__ == types.__name__):
            continue
        for field, info in model.model_fields.items():
            for args in _literal_args(info.annotation):
                owner = next(c for c in model.__mro__ if field in c.__dict__.get("__annotations__", {}))
                where = f"{owner.__name__}.{field}"
                if args in aliases or field in NOT_LABELLED:
                    continue
                assert where in INLINE_KINDS, f"{where} is a Literal with no kind of label in INLINE_KINDS"
                out.update((where, INLINE_KINDS[where], code) for code in args)
    return sorted(out)


@pytest.mark.parametrize(("where", "kind", "code"), _contract_codes())
def test_every_code_of_the_contract_has_both_labels(where: str, kind: str, code: str) -> None:
    zh, en = labels.label(kind, code, "zh"), labels.label(kind, code, "en")
    assert CJK.search(zh), f"{where} {code!r}: no Chinese label in LABELS[{kind!r}]"
    assert en and not CJK.search(en), f"{where} {code!r}: no English label"
    assert labels.code_for(kind, zh) == code and labels.code_for(kind, en) == code


@pytest.mark.parametrize("name", sorted(labels.FIELDS))
def test_every_field_title_has_both_halves(name: str) -> None:
    zh, en = labels.FIELDS[name]
    assert CJK.search(zh) and en and not CJK.search(en)
    assert labels.field_for(zh) is not None and labels.field_for(en) is not None


def test_coded_fields_name_kinds_that_exist() -> None:
    assert set(labels.CODED.values()) | set(labels.STATUS_KIND.values()) <= set(labels.LABELS)


def test_the_language_is_decided_in_one_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWPOP_LANG", raising=False)
    assert labels.lang() == "zh" and labels.t("是", "yes") == "是"
    monkeypatch.setenv("FLOWPOP_LANG", "en_US.UTF-8")
    assert labels.lang() == "en" and labels.label("sex", "F") == "female" and labels.title("name") == "Name"
    previous = labels.set_lang("zh")
    try:
        assert labels.lang() == "zh" and labels.label("sex", "F") == "女"  # a choice outranks FLOWPOP_LANG
    finally:
        labels.set_lang(previous)
    assert labels.lang() == "en"


def test_a_catalog_falls_back_and_formats(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWPOP_LANG", raising=False)
    base = labels.Catalog({"saved": ("已保存 {n} 条", "{n} saved")})
    screen = labels.Catalog({"title": ("标题", "Title")}, base)
    assert screen("saved", n=2) == "已保存 2 条" and "saved" in screen and "nothing" not in screen
    monkeypatch.setenv("FLOWPOP_LANG", "en")
    assert screen("saved", n=2) == "2 saved" and screen("title") == "Title"
    with pytest.raises(KeyError):
        screen("nothing")


def test_the_front_ends_share_the_vocabulary() -> None:
    import flowpop_tui
    from flowpop_cli import state, views
    from flowpop_tui import i18n

    assert state.t is labels.t
    assert views.FIELDS is labels.FIELDS and i18n.FIELDS is labels.FIELDS
    assert views.OPERATIONS is labels.LABELS["operation"] and views.CHANGESET_STATUS is labels.LABELS["changeset_status"]
    assert i18n.OUTCOMES is labels.LABELS["message_outcome"]
    assert i18n.lang is labels.lang and i18n.set_lang is labels.set_lang
    # the console has one catalog: no second translation module beside tui/i18n.py
    assert isinstance(i18n.UI, labels.Catalog)
    tui = Path(flowpop_tui.__file__).parent
    assert not [p.name for p in tui.glob("*i18n*.py") if p.name != "i18n.py"]


# ---------------------------------------------------------------- exports


@pytest.mark.parametrize("reveal", [False, True])
def test_export_headers_are_the_vocabulary_titles(client: flowpop.Client, make_person: Any, reveal: bool) -> None:
    make_person(marital_status="first_marriage")
    text = client.persons.export("csv", reveal=reveal).decode("utf-8-sig")
    header, first = list(csv.reader(io.StringIO(text)))[:2]
    keys = [k for k, _ in (exports.COLUMNS if reveal else exports.MASKED_COLUMNS)]
    assert header == [labels.title(k, "zh") for k in keys]
    assert ("年龄" in header) == reveal and ("出生年份" in header) != reveal
    assert labels.label("marital_status", "first_marriage", "zh") in first


# ---------------------------------------------------------------- errors travel as pairs


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def _assert_pair(doc: dict[str, Any]) -> None:
    assert doc.get("message") and doc.get("message_en"), doc
    assert CJK.search(doc["message"]) and not CJK.search(doc["message_en"]), doc
    for text in _strings(doc):
        assert not JOINED.search(text), f"a zh|en text on the wire: {text!r}"
    for e in doc.get("errors", []):
        assert e["message"] and e["message_en"], e


ERROR_PATHS = [
    ("GET", "/v1/persons/987654321", {}, 404),
    ("GET", "/v1/no-such-route", {}, 404),
    ("DELETE", "/v1/persons", {}, 405),
    ("POST", "/v1/persons", {"json": {"name": "张三"}}, 422),
    ("POST", "/v1/persons", {"json": {"name": "张三", "id_number": "110101199003077", "sex": "X"}}, 422),
    ("POST", "/v1/persons", {"content": b"{bad", "headers": {"content-type": "application/json"}}, None),
    ("GET", "/v1/persons", {"params": {"cursor": "not-a-cursor"}}, 400),
    ("GET", "/v1/persons", {"params": {"divsion": "350404"}}, 422),
    ("POST", "/v1/houses", {"json": {"code": "123", "address": "x", "rooms": 1, "use": "rented", "mode": "property",
                                     "division_code": "360102001001"}}, 422),
    ("GET", "/v1/exports/persons", {"params": {"format": "pdf"}}, 422),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), ERROR_PATHS)
def test_problem_documents_carry_message_and_message_en(client: flowpop.Client, method: str, path: str,
                                                        kwargs: dict[str, Any], status: int | None) -> None:
    response = client.request(method, path, **kwargs)
    assert response.status_code >= 400 and (status is None or response.status_code == status), response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    _assert_pair(response.json())


def test_exchange_refusals_are_pairs(client: flowpop.Client) -> None:
    lines = ["{not json", json.dumps({"format": "other"}),
             json.dumps({"format": "flowpop.message/1", "uid": "u-1", "kind": "assist_request", "sender_code": "510100000000",
                         "addressee_code": "999999999999", "subject": {"name": "李四"}, "items": {}}),
             json.dumps({"format": "flowpop.message/1", "uid": "u-2", "kind": "nonsense"})]
    result = client.exchange.import_batch("\n".join(lines) + "\n")
    assert [r["line"] for r in result.rejected] == [1, 2, 3, 4]
    for r in result.rejected:
        assert "reason" not in r
        _assert_pair(r)


def test_import_problems_are_pairs(client: flowpop.Client) -> None:
    data = "身份证号,姓名,性别,户籍地,流入日期\n,张三,男,360102,2026-01-01\n110101199003078888,,男,360102,2026-13-01\n"
    result = client.persons.import_file(data.encode("utf-8"), filename="bad.csv", dry_run=True)
    assert result.problems
    for p in result.problems:
        assert p.reason and p.reason_en and not JOINED.search(p.reason) and not JOINED.search(p.reason_en)
        assert "|" not in p.reason and "|" not in p.reason_en


def test_the_rules_give_their_reasons_as_pairs() -> None:
    from flowpop.rules import housecode, legacy

    with pytest.raises(legacy.DateError) as caught:
        legacy.parse_date("2026-13-01")
    assert (caught.value.zh, caught.value.en) == ("日期不存在：2026-13-01", "no such date: 2026-13-01")
    _, reason = housecode.check("123")
    assert reason is not None and CJK.search(reason[0]) and not CJK.search(reason[1])
