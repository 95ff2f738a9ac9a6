"""Reading what the user typed: ``--set field=value``, Chinese labels for codes, JSON input,
prompts on a terminal and usage errors off one. Values are passed on as text: the registry validates them
(one set of rules, field-by-field messages)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import IO, Any

import click

from flowpop.labels import code_for
from flowpop_cli.state import bad_input, is_tty, t
from flowpop_cli.views import CODED, FIELDS

# short option-style names accepted by `--set`, besides the API's field names and the labels
ALIASES = {
    "marital": "marital_status",
    "hukou": "hukou_type",
    "household": "household_code",
    "residence": "residence_code",
    "grid": "grid_code",
    "arrived": "arrived_on",
    "left_home": "left_home_on",
    "expected_return": "expected_return_on",
    "birth": "birth_date",
}


class CodeChoice(click.Choice):
    """A code, or its Chinese/English label (``--status 在册`` = ``--status active``)."""

    def __init__(self, kind: str, codes: Sequence[str]) -> None:
        super().__init__(list(codes))
        self.kind = kind

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        code = code_for(self.kind, value) if isinstance(value, str) else None
        return super().convert(code or value, param, ctx)


# whole-number fields of the contract: typed text becomes a number; anything else goes on for the registry to refuse
WHOLE_NUMBERS = frozenset({"rooms", "capacity", "expires_days", "person_id", "stay_id"})


def coded(field: str, value: Any) -> Any:
    """A code from a code or its Chinese/English label; unknown text goes on as typed (the registry says why)."""
    if isinstance(value, str) and field in WHOLE_NUMBERS and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    if value is None or field not in CODED:
        return value
    return code_for(CODED[field], value) or value


def field_name(text: str, allowed: Iterable[str]) -> str:
    allowed = set(allowed)
    key = text.strip().replace("-", "_")
    key = ALIASES.get(key, key)
    if key in allowed:
        return key
    for name, (zh, en) in FIELDS.items():
        if name in allowed and text.strip() in (zh, en):
            return name
    raise click.BadParameter(
        t(f"不能修改的字段：{text}（可用：{', '.join(sorted(allowed))}）",
          f"not an editable field: {text} (editable: {', '.join(sorted(allowed))})"),
        param_hint="--set",
    )


def parse_sets(pairs: Sequence[str], allowed: Iterable[str]) -> dict[str, Any]:
    """``["phone=138…", "婚姻状况=初婚", "note="]`` → API fields; an empty value clears the field."""
    allowed = tuple(allowed)
    out: dict[str, Any] = {}
    for pair in pairs:
        if "=" not in pair:
            raise click.BadParameter(t(f"应为 字段=值：{pair}", f"expected field=value: {pair}"), param_hint="--set")
        key, value = pair.split("=", 1)
        name = field_name(key, allowed)
        out[name] = coded(name, value.strip()) if value.strip() else None
    return out


def read_json_object(stream: IO[str]) -> dict[str, Any]:
    try:
        data = json.load(stream)
    except json.JSONDecodeError as exc:
        raise bad_input(f"JSON 格式错误：{exc}", f"malformed JSON: {exc}") from None
    if not isinstance(data, dict):
        raise bad_input("JSON 应为一个对象", "the JSON must be one object")
    return data


def require(values: dict[str, Any], needed: Sequence[tuple[str, str, str, str]]) -> None:
    """Fill missing required values: prompt on a terminal, a usage error otherwise.

    ``needed``: (key, option, Chinese prompt, English prompt).
    """
    missing = [n for n in needed if values.get(n[0]) in (None, "")]
    if not missing:
        return
    if not is_tty():
        options = ", ".join(n[1] for n in missing)
        raise click.UsageError(t(f"缺少必填项：{options}", f"missing required options: {options}"))
    for key, _option, zh, en in missing:
        values[key] = coded(key, click.prompt(t(zh, en)).strip())


def confirm(question_zh: str, question_en: str, yes: bool) -> None:
    """Ask on a terminal unless --yes; scripts (no terminal) are not asked."""
    if yes or not is_tty():
        return
    click.confirm(t(question_zh, question_en), abort=True)
