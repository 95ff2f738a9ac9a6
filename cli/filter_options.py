"""A list's filter options, generated from its model in the contract (flowpop.types.*Filters): one option per
field, so the CLI cannot drift from what the registry accepts. Values go on as typed; the registry validates
them (one set of rules, field-by-field messages). Click refuses an option that is not there."""

from __future__ import annotations

import datetime as dt
import types as pytypes
import typing
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

import click
from annotated_types import Ge, Le
from pydantic import BaseModel

from flowpop.labels import CODED, STATUS_KIND
from flowpop_cli.inputs import CodeChoice

F = TypeVar("F", bound=Callable[..., Any])

# the help text of every filter field (Chinese / English); a model field missing here fails at import
HELP: dict[str, str] = {
    "q": "身份证号、姓名、拼音或首字母 / ID number, name, pinyin or initials",
    "id_number": "公民身份号码 / citizen ID number",
    "name": "姓名 / name",
    "division": "区划代码（含下级）/ division code, subtree included",
    "status": "状态 / status",
    "category": "类别 / category",
    "key_target": "只列重点服务管理对象 / key service targets only",
    "floating": "只列（或不列）计入流动人口的：跨县、非同市区间、异地30日以上 / who counts as floating population",
    "arrived_from": "流入日期起 / arrived on or after",
    "arrived_to": "流入日期止 / arrived on or before",
    "direction": "流向（需 --division 或有管辖区域）/ direction (needs --division or a jurisdiction)",
    "expected_return_before": "预计返回日期已过此日的（居住中）/ open stays expected back before this date",
    "sort": "排序 / order",
    "reveal": "显示完整身份证号（记入访问日志）/ full ID numbers (access-logged)",
    "use": "用途 / use",
    "vacant": "无人登记居住的 / nobody registered living there",
    "over_capacity": "超过核定人数的 / more occupants than capacity",
    "needs_agreement": "只列需签订治安责任书的 / only those needing an agreement",
    "box": "收件、发件或全部 / received, sent or both",
    "kind": "类型 / kind",
    "overdue": "只列逾期事项 / overdue items only",
}
# which label vocabulary reads a coded field, so `--status 在册` works as `--status active`: the vocabulary's own
# (flowpop.labels.CODED); a status is a person's unless a command says whose (labels.STATUS_KIND)
KINDS: dict[str, str] = {**CODED, "status": STATUS_KIND["person"]}
METAVARS: dict[type, str] = {dt.date: "DATE", int: "N"}


def _plain(annotation: Any) -> tuple[Any, list[Any]]:
    """(the type, its metadata) without Optional and Annotated."""
    metadata: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation, *more = typing.get_args(annotation)
            metadata += more
        elif origin in (typing.Union, pytypes.UnionType):
            annotation = next(a for a in typing.get_args(annotation) if a is not type(None))
        else:
            return annotation, metadata


def option_name(field: str) -> str:
    return "--" + field.replace("_", "-")


def options_for(model: type[BaseModel], *, skip: Collection[str] = ()) -> list[str]:
    """The fields of a model that a command offers as options, in the model's order."""
    return [name for name in model.model_fields if name not in skip]


def filter_options(model: type[BaseModel], *, skip: Collection[str] = (),
                   kinds: Mapping[str, str] = KINDS, overrides: Mapping[str, dict[str, Any]] | None = None
                   ) -> Callable[[F], F]:
    """One option per field of ``model`` but ``skip`` (paging, or what the command takes as an argument).
    Yes/no fields are flags that ask for true; codes are choices that take their labels too. ``overrides`` maps
    a field to click.option settings; its ``aliases`` are more option names (an older spelling kept working)."""

    def decorate(func: F) -> F:
        for name in reversed(options_for(model, skip=skip)):
            info = model.model_fields[name]
            kind, metadata = _plain(info.annotation)
            metadata += info.metadata
            given = dict((overrides or {}).get(name, {}))
            aliases = given.pop("aliases", ())
            settings: dict[str, Any] = {"default": None, "help": given.get("help") or HELP[name]}
            if kind is bool:
                settings["is_flag"] = True
            elif typing.get_origin(kind) is typing.Literal:
                codes = [str(c) for c in typing.get_args(kind)]
                settings["type"] = CodeChoice(kinds[name], codes) if name in kinds else click.Choice(codes)
            elif kind is int:
                low = next((m.ge for m in metadata if isinstance(m, Ge) and isinstance(m.ge, int)), None)
                high = next((m.le for m in metadata if isinstance(m, Le) and isinstance(m.le, int)), None)
                settings["type"] = click.IntRange(low, high)
            else:
                settings["metavar"] = METAVARS.get(kind, "CODE" if name == "division" else "TEXT")
            settings.update(given)
            func = click.option(option_name(name), *aliases, name, **settings)(func)
        return func

    return decorate


def chosen(values: Mapping[str, Any], model: type[BaseModel]) -> dict[str, Any]:
    """The filters a user gave (None: not given), for the SDK's list call built on ``model``."""
    return {k: v for k, v in values.items() if k in model.model_fields and v is not None}
