"""The contract: models the registry API accepts and returns, and the SDK's models too.

The OpenAPI document is generated from these; the SDK parses responses into them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints

T = TypeVar("T")

Sex = Literal["M", "F"]
Role = Literal["village_assistant", "township_operator", "county_admin", "city_viewer", "auditor", "admin"]
Reason = Literal["work", "business", "family", "marriage", "study", "other"]
MaritalStatus = Literal["unmarried", "first_marriage", "remarried", "divorced", "widowed"]
Category = Literal["unmarried_male", "unmarried_female", "married_male", "married_female"]
Education = Literal["none", "primary", "junior", "senior", "college", "bachelor", "postgraduate"]
HukouType = Literal["agricultural", "non_agricultural", "resident"]
PersonStatus = Literal["active", "deregistered", "archived"]
StayStatus = Literal["open", "closed", "deregistered", "archived"]
Direction = Literal["inflow", "outflow", "local", "other"]
Level = Literal["province", "city", "county", "township", "village", "grid"]

def _pad_code(code: str) -> str:
    return code.ljust(12, "0") if len(code) == 6 else code


# A division code: 6 digits (county, padded to 12), 12 (statistical code) or 15 (grid)
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}(\d{6}(\d{3})?)?$"), AfterValidator(_pad_code)
]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]
Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
Why = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]
IdNumberIn = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore", from_attributes=True)


class Notice(Out):
    """A warning attached to a record: kept, shown, not blocking."""

    code: str
    message: str
    message_en: str
    field: str | None = None


# ---------------------------------------------------------------- stays


class StayFields(Model):
    household_code: Code | None = Field(None, description="户籍地区划代码; defaults to the person's")
    household_address: Address | None = None
    residence_code: Code = Field(description="现居住地区划代码, down to village (12 digits)")
    residence_address: Address | None = None
    grid_code: Code | None = None
    house_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    room: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    reason: Reason
    left_home_on: dt.date | None = None
    arrived_on: dt.date
    expected_return_on: dt.date | None = None
    occupation: Short | None = None
    employer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class StayCreate(StayFields):
    person_id: int


class StayUpdate(Model):
    version: int = Field(description="the version you read; a stale one is refused")
    change_reason: Why | None = None
    household_code: Code | None = None
    household_address: Address | None = None
    residence_code: Code | None = None
    residence_address: Address | None = None
    grid_code: Code | None = None
    house_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    room: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    reason: Reason | None = None
    left_home_on: dt.date | None = None
    arrived_on: dt.date | None = None
    expected_return_on: dt.date | None = None
    occupation: Short | None = None
    employer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class Stay(Out):
    id: int
    person_id: int
    household_code: str
    household_name: str | None = None
    household_address: str | None = None
    residence_code: str
    residence_name: str | None = None
    residence_address: str | None = None
    grid_code: str | None = None
    house_code: str | None = None
    room: str | None = None
    reason: Reason
    left_home_on: dt.date | None = None
    arrived_on: dt.date
    expected_return_on: dt.date | None = None
    returned_on: dt.date | None = None
    occupation: str | None = None
    employer: str | None = None
    status: StayStatus
    end_reason: str | None = None
    direction: Direction | None = Field(None, description="as seen from the caller's jurisdiction")
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


# ---------------------------------------------------------------- persons


class PersonCreate(Model):
    id_number: IdNumberIn = Field(description="18 characters; 15-digit legacy numbers are upgraded")
    name: Name
    sex: Sex | None = Field(None, description="derived from the ID number; a different value is refused")
    birth_date: dt.date | None = Field(None, description="derived from the ID number")
    ethnicity: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    education: Education | None = None
    hukou_type: HukouType | None = None
    marital_status: MaritalStatus | None = None
    phone: Phone | None = None
    household_code: Code = Field(description="户籍地区划代码")
    household_address: Address | None = None
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None
    stay: StayFields | None = Field(None, description="register the current stay in the same step")


class PersonUpdate(Model):
    version: int = Field(description="the version you read; a stale one is refused")
    change_reason: Why | None = None
    id_number: IdNumberIn | None = None
    name: Name | None = None
    ethnicity: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    education: Education | None = None
    hukou_type: HukouType | None = None
    marital_status: MaritalStatus | None = None
    phone: Phone | None = None
    household_code: Code | None = None
    household_address: Address | None = None
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None


class StatusChange(Model):
    version: int
    reason: Why
    date: dt.date | None = Field(None, description="注销日期 (deregister); defaults to today")


class Person(Out):
    id: int
    id_number: str = Field(description="masked unless revealed")
    id_revealed: bool = False
    name: str
    name_pinyin: str
    sex: Sex
    birth_date: dt.date
    age: int
    ethnicity: str | None = None
    education: Education | None = None
    hukou_type: HukouType | None = None
    marital_status: MaritalStatus | None = None
    category: Category
    key_target: bool = Field(description="重点服务管理对象: married woman aged 15–49")
    phone: str | None = None
    household_code: str
    household_name: str | None = None
    household_address: str | None = None
    residence_code: str | None = None
    residence_name: str | None = None
    arrived_on: dt.date | None = None
    current_stay_id: int | None = None
    direction: Direction | None = None
    status: PersonStatus
    note: str | None = None
    warnings: list[Notice] = []
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime


class PersonDetail(Person):
    stays: list[Stay] = []


class Page(BaseModel, Generic[T]):
    data: list[T]
    next_cursor: str | None = None
    has_more: bool = False
    total: int | None = None


class HistoryEntry(Out):
    id: int
    at: dt.datetime
    entity: str
    entity_id: int
    person_id: int | None = None
    action: str
    username: str
    reason: str | None = None
    changes: dict[str, Any]
    changeset_id: str | None = None


# ---------------------------------------------------------------- divisions


class DivisionIn(Model):
    code: Code
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    level: Level | None = None
    parent_code: Code | None = None
    valid_from: int | None = Field(None, ge=1949, le=2100)
    valid_to: int | None = Field(None, ge=1949, le=2100)
    successor_code: Code | None = None
    is_demo: bool = False


class DivisionImport(Model):
    rows: list[DivisionIn] = Field(max_length=100_000)


class DivisionImportResult(BaseModel):
    inserted: int
    updated: int


class Division(Out):
    code: str
    name: str
    level: Level
    parent_code: str | None = None
    full_name: str
    valid_from: int | None = None
    valid_to: int | None = None
    successor_code: str | None = None
    is_demo: bool
    retired: bool


# ---------------------------------------------------------------- users and tokens


class UserCreate(Model):
    username: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.-]{2,64}$")]
    display_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    role: Role
    jurisdiction_code: Code | None = None


class User(Out):
    id: int
    username: str
    display_name: str
    role: Role
    jurisdiction_code: str | None = None
    jurisdiction_name: str | None = None
    disabled: bool
    created_at: dt.datetime


class Me(User):
    permissions: list[str]
    embedded: bool = False


class TokenCreate(Model):
    username: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    expires_days: int | None = Field(None, ge=1, le=3650)


class Token(Out):
    id: int
    user_id: int
    username: str | None = None
    name: str
    prefix: str
    created_at: dt.datetime
    expires_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None
    last_used_at: dt.datetime | None = None


class TokenCreated(Token):
    token: str = Field(description="the secret, shown once; only its hash is kept")


class AccessLogEntry(Out):
    id: int
    at: dt.datetime
    username: str
    action: str
    entity: str
    entity_ids: list[Any]
    detail: str | None = None


# ---------------------------------------------------------------- errors


class FieldError(BaseModel):
    field: str
    code: str
    message: str
    message_en: str


class Problem(BaseModel):
    """application/problem+json (RFC 9457) with a stable code and Chinese/English messages."""

    type: str = "about:blank"
    title: str
    status: int
    code: str
    message: str
    message_en: str
    errors: list[FieldError] = []
    current_version: int | None = None
