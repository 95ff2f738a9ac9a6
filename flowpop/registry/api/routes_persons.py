"""/v1/persons and /v1/stays."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse

from flowpop.registry.api import idempotency
from flowpop.registry.api.deps import Caller, Reg
from flowpop.registry.api.idempotency import IdemKey
from flowpop.registry.kernel import history
from flowpop.registry.people import access, persons, stays
from flowpop.registry.people.search import needs_writing, search_persons
from flowpop.types import (
    HistoryEntry,
    Page,
    Person,
    PersonCreate,
    PersonDetail,
    PersonListFilters,
    PersonUpdate,
    StatusChange,
    Stay,
    StayCreate,
    StayUpdate,
)

router = APIRouter(prefix="/v1")


@router.get("/persons", response_model=Page[Person], tags=["persons"])
def list_persons(reg: Reg, who: Caller, query: Annotated[PersonListFilters, Query()]) -> Page[Person]:
    with (reg.writing() if needs_writing(who, query) else reg.reading()) as session:
        return search_persons(reg, session, who, query)


@router.post("/persons", response_model=PersonDetail, status_code=201, tags=["persons"])
def create_person(body: PersonCreate, reg: Reg, who: Caller, key: IdemKey = None) -> PersonDetail | JSONResponse:
    return idempotency.run(reg, who, key, "/v1/persons", body, lambda s: persons.create(reg, s, who, body))


@router.get("/persons/{person_id}", response_model=PersonDetail, tags=["persons"])
def get_person(person_id: int, reg: Reg, who: Caller, reveal: bool = False) -> PersonDetail:
    with (reg.writing() if reveal else reg.reading()) as session:
        return persons.get(reg, session, who, person_id, reveal=reveal)


@router.patch("/persons/{person_id}", response_model=PersonDetail, tags=["persons"])
def update_person(person_id: int, body: PersonUpdate, reg: Reg, who: Caller) -> PersonDetail:
    with reg.writing() as session:
        return persons.update_person(reg, session, who, person_id, body)


@router.post("/persons/{person_id}/deregister", response_model=PersonDetail, tags=["persons"])
def deregister_person(person_id: int, body: StatusChange, reg: Reg, who: Caller) -> PersonDetail:
    with reg.writing() as session:
        return persons.change_status(reg, session, who, person_id, "deregister", body)


@router.post("/persons/{person_id}/archive", response_model=PersonDetail, tags=["persons"])
def archive_person(person_id: int, body: StatusChange, reg: Reg, who: Caller) -> PersonDetail:
    with reg.writing() as session:
        return persons.change_status(reg, session, who, person_id, "archive", body)


@router.post("/persons/{person_id}/restore", response_model=PersonDetail, tags=["persons"])
def restore_person(person_id: int, body: StatusChange, reg: Reg, who: Caller) -> PersonDetail:
    with reg.writing() as session:
        return persons.change_status(reg, session, who, person_id, "restore", body)


@router.get("/persons/{person_id}/history", response_model=list[HistoryEntry], tags=["persons"])
def person_history(person_id: int, reg: Reg, who: Caller, reveal: bool = False) -> list[HistoryEntry]:
    with (reg.writing() if reveal else reg.reading()) as session:
        access.load_person(session, who, person_id)
        entries = [HistoryEntry.model_validate(h) for h in history.for_person(session, person_id)]
        if reveal:
            who.require("reveal")
            history.log_access(session, who, "reveal", "history", [person_id])
            return entries
        return [e.model_copy(update={"changes": history.masked(e.changes)}) for e in entries]


@router.get("/stays", response_model=list[Stay], tags=["stays"])
def list_stays(person_id: int, reg: Reg, who: Caller) -> list[Stay]:
    with reg.reading() as session:
        return persons.get(reg, session, who, person_id, reveal=False).stays


@router.post("/stays", response_model=Stay, status_code=201, tags=["stays"])
def create_stay(body: StayCreate, reg: Reg, who: Caller, key: IdemKey = None) -> Stay | JSONResponse:
    return idempotency.run(reg, who, key, "/v1/stays", body, lambda s: stays.create(reg, s, who, body))


@router.get("/stays/{stay_id}", response_model=Stay, tags=["stays"])
def get_stay(stay_id: int, reg: Reg, who: Caller) -> Stay:
    with reg.reading() as session:
        return stays.get(reg, session, who, stay_id)


@router.patch("/stays/{stay_id}", response_model=Stay, tags=["stays"])
def update_stay(stay_id: int, body: StayUpdate, reg: Reg, who: Caller) -> Stay:
    with reg.writing() as session:
        return stays.update_stay(reg, session, who, stay_id, body)


@router.post("/stays/{stay_id}/close", response_model=Stay, tags=["stays"])
def close_stay(stay_id: int, body: StatusChange, reg: Reg, who: Caller) -> Stay:
    with reg.writing() as session:
        return stays.close(reg, session, who, stay_id, body.version, body.reason, body.date)
