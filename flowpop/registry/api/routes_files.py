"""/v1/imports/{persons,houses,employers} and /v1/exports/persons: files in and out."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from flowpop.registry.api.deps import Caller, Reg
from flowpop.registry.api.uploads import spooled_body
from flowpop.registry.files import exports, import_batches, imports, imports_places
from flowpop.registry.kernel.errors import Invalid, field_error
from flowpop.rules import legacy
from flowpop.types import ImportBatchStatus, ImportResult, PersonExportFilters

router = APIRouter(prefix="/v1", tags=["files"])


@router.post("/imports/persons", response_model=ImportResult)
async def import_persons(
    request: Request, reg: Reg, who: Caller, dry_run: bool = False, skip_bad: bool = False,
    filename: Annotated[str, Query(max_length=200)] = "",
    mapping: Annotated[str | None, Query(max_length=10_000, description="JSON object: header → field")] = None,
    accept_identity_changes: Annotated[bool, Query(
        description="apply a known ID number's new name, sex or birth date (else such a row is a conflict)")] = False,
    batch: Annotated[str | None, Query(min_length=8, max_length=40, pattern=r"^[A-Za-z0-9_-]+$", description=(
        "your id for the import's batch, to follow its progress at GET /v1/imports/batches/{batch} while it runs"
    ))] = None,
) -> ImportResult:
    """The body is the file itself (CSV in UTF-8 or GB18030, XLSX, XLS or ODS). The rows are written a chunk
    per transaction; the import's progress is its batch (``batch``, else the id the answer carries)."""
    return await _run_import(request, reg, who, dry_run, skip_bad, filename, mapping, imports.import_persons,
                             accept_identity_changes=accept_identity_changes, batch_id=batch)


@router.get("/imports/batches/{batch_id}", response_model=ImportBatchStatus)
def import_batch(batch_id: str, reg: Reg, who: Caller) -> ImportBatchStatus:
    """A legacy import's progress and counts (an ``interrupted`` one is resumed by importing the file again)."""
    return import_batches.status(reg, who, batch_id)


async def _run_import(request: Request, reg: Reg, who: Caller, dry_run: bool, skip_bad: bool, filename: str,
                      mapping: str | None, run: Callable[..., ImportResult], **more: Any) -> ImportResult:
    """What every import shares: the mapping (JSON: header → field), the file as the body, a worker thread."""
    try:
        extra = json.loads(mapping) if mapping else {}
        if not isinstance(extra, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in extra.items()):
            raise ValueError
    except ValueError as exc:
        raise Invalid([field_error("mapping", "bad_mapping", "映射须为 JSON 对象：列名 → 字段名",
                                   "mapping must be a JSON object: header → field")]) from exc
    options = imports.Options(dry_run=dry_run, skip_bad=skip_bad, mapping=extra, filename=filename, **more)
    async with spooled_body(request) as path:  # read from there row by row
        if not path.stat().st_size:
            raise Invalid([field_error("body", "empty_file", "文件为空", "the file is empty")])
        try:
            return await run_in_threadpool(run, reg, who, path, options)
        except legacy.UnreadableFile as exc:
            raise Invalid([field_error("body", "unreadable_file", exc.zh, exc.en)]) from exc


@router.post("/imports/houses", response_model=ImportResult)
async def import_houses(
    request: Request, reg: Reg, who: Caller, dry_run: bool = False, skip_bad: bool = False,
    filename: Annotated[str, Query(max_length=200)] = "",
    mapping: Annotated[str | None, Query(max_length=10_000)] = None,
) -> ImportResult:
    """A house list (CSV or XLSX): 房屋编码, 所在村居, 地址, 房间数, 核定人数, 用途, 管理模式, 房东姓名, 房东身份证号, 房东电话."""
    return await _run_import(request, reg, who, dry_run, skip_bad, filename, mapping, imports_places.import_houses)


@router.post("/imports/employers", response_model=ImportResult)
async def import_employers(
    request: Request, reg: Reg, who: Caller, dry_run: bool = False, skip_bad: bool = False,
    filename: Annotated[str, Query(max_length=200)] = "",
    mapping: Annotated[str | None, Query(max_length=10_000)] = None,
) -> ImportResult:
    """An employer list: 统一社会信用代码, 单位名称, 地址, 所在区划, 联系人, 联系电话, 责任书签订日期."""
    return await _run_import(request, reg, who, dry_run, skip_bad, filename, mapping,
                               imports_places.import_employers)


@router.get("/exports/persons", response_class=StreamingResponse, responses={
    200: {"description": "the file", "content": {media: {} for media in exports.FORMATS.values()}}})
def export_persons(reg: Reg, who: Caller, query: Annotated[PersonExportFilters, Query()]) -> StreamingResponse:
    format, reveal = query.format, query.reveal
    who.require("export")
    if reveal:
        who.require("reveal")
    stream = exports.export(reg, who, query, format, reveal)
    ext = {"csv-gb18030": "csv"}.get(format, format)
    return StreamingResponse(stream, media_type=exports.FORMATS[format],
                             headers={"Content-Disposition": f'attachment; filename="persons.{ext}"'})
