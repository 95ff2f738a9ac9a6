"""Importing house and employer lists (CSV in UTF-8 or GB18030, XLSX) with the same normalisation and
error report as person imports: every row goes through the registry's own rules, each bad row is
reported with its line, column and reason, and nothing is imported partially unless asked to skip bad rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError as PydanticError
from sqlalchemy.orm import Session

from flowpop.labels import code_for
from flowpop.registry.files.imports import Options
from flowpop.registry.kernel.auth import Actor
from flowpop.registry.kernel.errors import ApiError
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.places import employers, houses
from flowpop.rules import legacy
from flowpop.rules.divisions_source import pad12
from flowpop.types import EmployerCreate, HouseCreate, ImportProblem, ImportResult

HOUSE_HEADERS: dict[str, tuple[str, ...]] = {
    "code": ("房屋编码",), "legacy_code": ("原房屋编号", "原编码"), "division_code": ("所在村居", "村居代码", "所在区划"),
    "grid_code": ("网格", "网格代码"), "address": ("地址", "房屋地址"), "rooms": ("房间数",),
    "capacity": ("核定人数", "核定居住人数"), "use": ("用途", "房屋用途"), "mode": ("管理模式",),
    "landlord_name": ("房东姓名", "房主姓名"), "landlord_id_number": ("房东身份证号", "房主身份证号"),
    "landlord_phone": ("房东电话", "房主电话"),
}
EMPLOYER_HEADERS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "信用代码"), "name": ("单位名称", "名称"), "address": ("地址", "单位地址"),
    "division_code": ("所在区划", "区划代码"), "contact_name": ("联系人",), "contact_phone": ("联系电话", "电话"),
    "agreement_signed_on": ("责任书签订日期", "签订日期"),
}
WHOLE = {"rooms", "capacity"}
DATES = {"agreement_signed_on"}
CODED = {"use": "house_use", "mode": "house_mode"}
CODES = {"division_code", "grid_code"}


def _columns(header: list[object], aliases: dict[str, tuple[str, ...]], mapping: dict[str, str]) -> dict[int, str]:
    lookup = {alias: key for key, names in aliases.items() for alias in names}
    lookup.update({key: key for key in aliases})
    lookup.update(mapping)
    return {i: lookup[k] for i, h in enumerate(header) if (k := legacy.clean(h).replace(" ", "")) in lookup}


def _value(key: str, raw: str) -> Any:
    if key in WHOLE:
        return int(raw) if raw.isdigit() else raw
    if key in DATES:
        try:
            return legacy.parse_date(raw)
        except ValueError:
            return raw
    if key in CODED:
        return code_for(CODED[key], raw) or raw
    if key in CODES and raw.isdigit() and len(raw) == 6:
        return pad12(raw)
    return raw


def _problems(line: int, exc: Exception, values: dict[str, Any]) -> list[ImportProblem]:
    if isinstance(exc, ApiError):
        if exc.errors:
            return [ImportProblem(line=line, column=e.field, value=str(values.get(e.field, ""))[:100], reason=e.message,
                                  reason_en=e.message_en) for e in exc.errors]
        return [ImportProblem(line=line, column="", value="", reason=exc.message, reason_en=exc.message_en)]
    assert isinstance(exc, PydanticError)
    out = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"])
        out.append(ImportProblem(line=line, column=field, value=str(values.get(field, ""))[:100],
                                 reason="取值无效：" + err["msg"], reason_en=err["msg"]))
    return out


def _run(reg: Registry, actor: Actor, data: bytes, options: Options, aliases: dict[str, tuple[str, ...]],
         create: Callable[[Session, dict[str, Any]], object]) -> ImportResult:
    actor.require("write")
    table = legacy.read_table(data, options.filename)
    header = next(table, None) or []
    columns = _columns(list(header), aliases, options.mapping)
    result = ImportResult(total=0, inserted=0, updated=0, unchanged=0, duplicates=0, rejected=0, problems=[],
                          dry_run=options.dry_run, applied=False)
    with reg.writing() as session:
        for line, raw in enumerate(table, start=2):
            if not any(str(v or "").strip() for v in raw):
                continue
            result.total += 1
            values = {key: _value(key, legacy.clean(raw[i])) for i, key in columns.items()
                      if i < len(raw) and legacy.clean(raw[i])}
            savepoint = session.begin_nested()
            try:
                create(session, values)
                savepoint.commit()
                result.inserted += 1
            except (ApiError, PydanticError) as exc:
                savepoint.rollback()
                result.problems += _problems(line, exc, values)
                result.rejected += 1
        if options.dry_run or (result.rejected and not options.skip_bad):
            session.rollback()
            return result
        result.applied = result.inserted > 0
    return result


def import_houses(reg: Registry, actor: Actor, data: bytes, options: Options) -> ImportResult:
    return _run(reg, actor, data, options, HOUSE_HEADERS,
                lambda s, v: houses.create(reg, s, actor, HouseCreate(**v)))


def import_employers(reg: Registry, actor: Actor, data: bytes, options: Options) -> ImportResult:
    return _run(reg, actor, data, options, EMPLOYER_HEADERS,
                lambda s, v: employers.create(reg, s, actor, EmployerCreate(**v)))
