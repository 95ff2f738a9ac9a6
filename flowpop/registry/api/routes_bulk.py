"""/v1/changesets: bulk changes with preview, apply and revert."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.concurrency import run_in_threadpool

from flowpop.registry.api.deps import Caller, Reg
from flowpop.registry.bulk import changesets
from flowpop.types import ApplyOptions, Changeset, ChangesetCreate, ChangesetFilters, ChangesetPreview

router = APIRouter(prefix="/v1", tags=["bulk"])


@router.post("/changesets", response_model=ChangesetPreview, status_code=201)
def plan_changeset(body: ChangesetCreate, reg: Reg, who: Caller) -> ChangesetPreview:
    """Plan a bulk change and preview it: counts, sample before/after rows, the rows that would fail and why."""
    with reg.writing() as session:
        return changesets.plan(reg, session, who, body)


@router.get("/changesets", response_model=list[Changeset])
def list_changesets(reg: Reg, who: Caller, filters: Annotated[ChangesetFilters, Query()]) -> list[Changeset]:
    with reg.reading() as session:
        return changesets.list_changesets(reg, session, who, filters.limit)


@router.get("/changesets/{cs_id}", response_model=ChangesetPreview)
def get_changeset(cs_id: str, reg: Reg, who: Caller) -> ChangesetPreview:
    with reg.reading() as session:
        return changesets.get(reg, session, who, cs_id)


@router.post("/changesets/{cs_id}/apply", response_model=Changeset)
async def apply_changeset(cs_id: str, reg: Reg, who: Caller, body: ApplyOptions | None = None) -> Changeset:
    return await run_in_threadpool(changesets.apply, reg, who, cs_id, body or ApplyOptions())


@router.post("/changesets/{cs_id}/revert", response_model=Changeset)
async def revert_changeset(cs_id: str, reg: Reg, who: Caller) -> Changeset:
    return await run_in_threadpool(changesets.revert, reg, who, cs_id)
