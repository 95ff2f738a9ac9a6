"""/v1/houses, /v1/declarations and /v1/employers (以房管人)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from flowpop.registry.api.deps import Caller, Reg
from flowpop.registry.people import rosters
from flowpop.registry.places import employers, houses
from flowpop.types import (
    Declaration,
    DeclarationCreate,
    Employer,
    EmployerCreate,
    EmployerFilters,
    EmployerUpdate,
    House,
    HouseCreate,
    HouseFilters,
    HouseResidents,
    HouseUpdate,
    LateDeclaration,
    LateDeclarationFilters,
    Person,
)

router = APIRouter(prefix="/v1")


@router.get("/houses", response_model=list[House], tags=["houses"])
def list_houses(reg: Reg, who: Caller, filters: Annotated[HouseFilters, Query()]) -> list[House]:
    with reg.reading() as session:
        return houses.list_houses(reg, session, who, **filters.model_dump())


@router.post("/houses", response_model=House, status_code=201, tags=["houses"])
def create_house(body: HouseCreate, reg: Reg, who: Caller) -> House:
    with reg.writing() as session:
        return houses.create(reg, session, who, body)


@router.get("/houses/{code}", response_model=HouseResidents, tags=["houses"])
def house_residents(code: str, reg: Reg, who: Caller) -> HouseResidents:
    with reg.reading() as session:
        return houses.residents(reg, session, who, code)


@router.patch("/houses/{code}", response_model=House, tags=["houses"])
def update_house(code: str, body: HouseUpdate, reg: Reg, who: Caller) -> House:
    with reg.writing() as session:
        return houses.update_house(reg, session, who, code, body)


@router.post("/houses/{code}/declarations", response_model=Declaration, status_code=201, tags=["houses"])
def declare_tenant(code: str, body: DeclarationCreate, reg: Reg, who: Caller) -> Declaration:
    with reg.writing() as session:
        return houses.declare(reg, session, who, code, body)


@router.get("/houses/{code}/notice", response_class=PlainTextResponse, tags=["houses"])
def landlord_notice(code: str, reg: Reg, who: Caller) -> PlainTextResponse:
    with reg.reading() as session:
        return PlainTextResponse(houses.notice(reg, session, who, code))


@router.get("/declarations/late", response_model=list[LateDeclaration], tags=["houses"])
def late_declarations(reg: Reg, who: Caller, filters: Annotated[LateDeclarationFilters, Query()]) -> list[LateDeclaration]:
    with reg.reading() as session:
        return houses.late_declarations(reg, session, who, **filters.model_dump())


@router.get("/employers", response_model=list[Employer], tags=["employers"])
def list_employers(reg: Reg, who: Caller, filters: Annotated[EmployerFilters, Query()]) -> list[Employer]:
    with reg.reading() as session:
        return employers.list_employers(reg, session, who, **filters.model_dump())


@router.post("/employers", response_model=Employer, status_code=201, tags=["employers"])
def create_employer(body: EmployerCreate, reg: Reg, who: Caller) -> Employer:
    with reg.writing() as session:
        return employers.create(reg, session, who, body)


@router.get("/employers/{code}", response_model=Employer, tags=["employers"])
def get_employer(code: str, reg: Reg, who: Caller) -> Employer:
    with reg.reading() as session:
        row = employers.load(session, who, code)
        return employers.present(reg, row, employers.workers(session, who, [row.uscc]).get(row.uscc, (0, 0)))


@router.patch("/employers/{code}", response_model=Employer, tags=["employers"])
def update_employer(code: str, body: EmployerUpdate, reg: Reg, who: Caller) -> Employer:
    with reg.writing() as session:
        return employers.update_employer(reg, session, who, code, body)


@router.get("/employers/{code}/roster", response_model=list[Person], tags=["employers"])
def employer_roster(code: str, reg: Reg, who: Caller) -> list[Person]:
    with reg.reading() as session:
        return rosters.employer_roster(reg, session, who, code)
