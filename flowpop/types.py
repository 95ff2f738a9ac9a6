"""The contract: models the registry API accepts and returns, and the SDK's models too.

The OpenAPI document is generated from these; the SDK parses responses into them.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable
from typing import Annotated, Any, Generic, Literal, TypeVar
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

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

def _iso_day(value: object) -> object:
    """Dates arrive as ISO strings (YYYY-MM-DD) or dates — never as numbers read as Unix times."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and len(value) == 10:
        return value
    raise PydanticCustomError("date_format", "date must be written as YYYY-MM-DD")


Day = Annotated[dt.date, BeforeValidator(_iso_day)]


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


# The store keeps naive UTC; what leaves says so (RFC 3339 with an offset).
Timestamp = Annotated[dt.datetime, AfterValidator(_utc)]


def _beijing(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=ZoneInfo("Asia/Shanghai")) if value.tzinfo is None else value


# A wall time of the offices (a period's bound): Beijing time, said with its offset (+08:00).
BeijingTime = Annotated[dt.datetime, AfterValidator(_beijing)]


def _pad_code(code: str) -> str:
    return code.ljust(12, "0") if len(code) == 6 else code


# A division code: 6 digits (county, padded to 12), 12 (statistical code) or 15 (grid)
Code = Annotated[
    str, StringConstraints(strip_whitespace=True, pattern=r"^\d{6}(\d{6}(\d{3})?)?$"), AfterValidator(_pad_code)
]
Short = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
Address = Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)]


def _one_line(text: str) -> str:
    # a name is one cell of every list and file it goes into: a tab or line break in it would add a column or row
    if any(c in text for c in "\t\r\n"):
        raise PydanticCustomError("line_break", TEXT_FAULTS["line_break"][1])
    return text


Name = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64), AfterValidator(_one_line)]
Why = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Phone = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]
IdNumberIn = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
HouseCodeIn = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]
# What is shown of a birth date without a reveal: beside a masked number (region and last character) a birth
# date leaves a handful of candidates, and an age betrays the birthday the day it goes up
BirthYear = Annotated[int, Field(description="year of birth; without a reveal the birth date and the age are null "
                                             "and this is all that is shown of them")]


# C0 controls but tab, line feed and carriage return, and DEL: no text a person types holds them, and XLSX cannot
_CONTROL = re.compile("[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


def text_fault(text: str) -> str | None:
    """What makes text unstorable: NUL (PostgreSQL text cannot hold it) or a lone surrogate (no UTF-8 for it,
    so neither the store nor an answer could carry it)."""
    if "\x00" in text:
        return "nul_character"
    if _CONTROL.search(text):
        return "control_character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "unicode_surrogate"
    return None


# What text may not hold, in Chinese and English: declared once, used by the contract and the problem documents
TEXT_FAULTS: dict[str, tuple[str, str]] = {
    "nul_character": ("不能包含空字符（NUL）", "must not contain NUL characters"),
    "control_character": ("不能包含控制字符（制表符和换行除外）", "must not contain control characters (tab and line breaks are fine)"),
    "unicode_surrogate": ("不能包含孤立代理字符（无效的 Unicode）", "must not contain lone surrogates (invalid Unicode)"),
    "line_break": ("只能是一行：不能包含制表符或换行", "must be one line: no tabs or line breaks"),
}


def _check_text(value: Any) -> None:
    """Every string in a value (nested lists and mappings too, keys included); models check their own."""
    if isinstance(value, str):
        fault = text_fault(value)
        if fault:
            raise PydanticCustomError(fault, TEXT_FAULTS[fault][1])
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key)
            _check_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            if isinstance(item, str | dict | list | tuple):
                _check_text(item)


# The contract's models are made when flowpop.types is imported, and building each one's validator and serializer
# is most of that import's cost (issue #16 item 4): each is built when it is first used instead (defer_build), so a
# one-command process pays for the models it uses. The inputs' adapters stay eager (see the end of this module).
class Base(BaseModel):
    """A model that is neither a request's input (:class:`Model`) nor a record as it leaves (:class:`Out`)."""

    model_config = ConfigDict(defer_build=True)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)

    @field_validator("*", mode="after")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        # refused on every store, naming the field, before anything is written
        _check_text(value)
        return value


# Free-form JSON (message items, reply facts, corrections): bounded, and only what JSON and the store carry
FREE_DEPTH = 4
FREE_ENTRIES = 500
FREE_TEXT = 2000
FREE_KEY = 100
_FREE_PROBLEMS = {
    "depth": ("嵌套过深（最多 {n} 层）", "is nested too deeply (at most {n} levels)"),
    "entries": ("条目过多（最多 {n} 个）", "has too many entries (at most {n})"),
    "text": ("文本过长（最多 {n} 个字符）", "text is too long (at most {n} characters)"),
    "key": ("键名过长（最多 {n} 个字符）", "key is too long (at most {n} characters)"),
    **TEXT_FAULTS,
    "number": ("数值须为有限数且不超过 2^53", "numbers must be finite and within 2^53"),
    "type": ("只能是文本、数字、是/否、空值、列表或对象", "must be text, a number, true/false, null, a list or an object"),
}


def _free_problem(path: str, kind: str, n: int = 0) -> PydanticCustomError:
    zh, en = _FREE_PROBLEMS[kind]
    return PydanticCustomError("free_json", "{path}: {problem}",
                               {"path": path, "problem": en.format(n=n), "problem_zh": zh.format(n=n)})


def _free_json(value: dict[str, Any]) -> dict[str, Any]:
    """Checked whole before anything is written: one value that cannot be stored or sent back would
    otherwise break every later read of the record (an inbox that answers 500 to a whole township)."""
    seen = 0

    def walk(item: Any, path: str, depth: int) -> None:
        nonlocal seen
        seen += 1
        if seen > FREE_ENTRIES:
            raise _free_problem(path, "entries", FREE_ENTRIES)
        if isinstance(item, str):
            fault = text_fault(item)
            if fault:
                raise _free_problem(path, fault)
            if len(item) > FREE_TEXT:
                raise _free_problem(path, "text", FREE_TEXT)
        elif item is None or isinstance(item, bool):
            return
        elif isinstance(item, int):
            if abs(item) > 2**53:
                raise _free_problem(path, "number")
        elif isinstance(item, float):
            if not math.isfinite(item) or abs(item) > 2**53:
                raise _free_problem(path, "number")
        elif isinstance(item, dict | list):
            if depth >= FREE_DEPTH:
                raise _free_problem(path, "depth", FREE_DEPTH)
            pairs: Iterable[tuple[Any, Any]] = item.items() if isinstance(item, dict) else enumerate(item)
            for key, sub in pairs:
                if isinstance(item, list):
                    where = f"{path}[{key}]"
                else:  # the path goes back in the answer: only what an answer can carry
                    fault = text_fault(key)
                    shown = key[:FREE_KEY].encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")
                    where = f"{path}.{shown}" if path else shown
                    if fault or len(key) > FREE_KEY:
                        raise _free_problem(where, fault or "key", FREE_KEY)
                walk(sub, where, depth + 1)
        else:
            raise _free_problem(path, "type")

    walk(value, "", 0)
    return value


FreeJson = Annotated[dict[str, Any], AfterValidator(_free_json)]


class Out(BaseModel):
    model_config = ConfigDict(extra="ignore", from_attributes=True, defer_build=True)


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
    left_home_on: Day | None = None
    arrived_on: Day
    expected_return_on: Day | None = None
    occupation: Short | None = None
    employer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    employer_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = Field(
        None, description="the employer's unified social credit code")
    over_capacity_ok: StrictBool = Field(False, description="register even though the house is full (a warning was shown)")
    permit_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = Field(
        None, description="居住证/暂住证 number")
    permit_issued_on: Day | None = None
    permit_expires_on: Day | None = None


class StayCreate(StayFields):
    person_id: StrictInt


class StayUpdate(Model):
    version: StrictInt = Field(description="the version you read; a stale one is refused")
    change_reason: Why | None = None
    household_code: Code | None = None
    household_address: Address | None = None
    residence_code: Code | None = None
    residence_address: Address | None = None
    grid_code: Code | None = None
    house_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=32)] | None = None
    room: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    reason: Reason | None = None
    left_home_on: Day | None = None
    arrived_on: Day | None = None
    expected_return_on: Day | None = None
    occupation: Short | None = None
    employer: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None
    employer_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    over_capacity_ok: StrictBool = False
    permit_number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = Field(
        None, description="居住证/暂住证 number")
    permit_issued_on: Day | None = None
    permit_expires_on: Day | None = None


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
    left_home_on: Day | None = None
    arrived_on: Day
    expected_return_on: Day | None = None
    returned_on: Day | None = None
    occupation: str | None = None
    employer: str | None = None
    employer_code: str | None = None
    declare_due_on: Day | None = None
    permit_number: str | None = None
    permit_issued_on: Day | None = None
    permit_expires_on: Day | None = None
    status: StayStatus
    end_reason: str | None = None
    inflow_registered_at: Timestamp | None = Field(None, description="when the residence side registered it (流入登记)")
    outflow_registered_at: Timestamp | None = Field(None, description="when the household side registered it (流出登记)")
    direction: Direction | None = Field(None, description="as seen from the caller's jurisdiction")
    version: int
    created_at: Timestamp
    updated_at: Timestamp


# ---------------------------------------------------------------- persons


class PersonCreate(Model):
    id_number: IdNumberIn = Field(description="18 characters; 15-digit legacy numbers are upgraded")
    name: Name
    sex: Sex | None = Field(None, description="derived from the ID number; a different value is refused")
    birth_date: Day | None = Field(None, description="derived from the ID number")
    ethnicity: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    education: Education | None = None
    hukou_type: HukouType | None = None
    marital_status: MaritalStatus | None = None
    phone: Phone | None = None
    household_code: Code = Field(description="户籍地区划代码")
    household_address: Address | None = None
    household_house_code: HouseCodeIn | None = Field(None, description="the house the hukou is registered at")
    household_room: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None
    stay: StayFields | None = Field(None, description="register the current stay in the same step")


class PersonUpdate(Model):
    version: StrictInt = Field(description="the version you read; a stale one is refused")
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
    household_house_code: HouseCodeIn | None = None
    household_room: Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)] | None = None
    note: Annotated[str, StringConstraints(max_length=1000)] | None = None


class StatusChange(Model):
    version: StrictInt
    reason: Why
    date: Day | None = Field(None, description="注销日期 (deregister); defaults to today")


class Person(Out):
    id: int
    id_number: str = Field(description="masked unless revealed: region and last character, 350402***********X")
    id_revealed: bool = False
    name: str
    name_pinyin: str
    sex: Sex
    birth_date: Day | None = Field(None, description="only when revealed (see birth_year)")
    birth_year: BirthYear
    age: int | None = Field(None, description="whole years today; only when revealed (see birth_year)")
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
    household_house_code: str | None = None
    household_room: str | None = None
    residence_code: str | None = None
    residence_name: str | None = None
    arrived_on: Day | None = None
    current_stay_id: int | None = None
    direction: Direction | None = None
    status: PersonStatus
    note: str | None = None
    warnings: list[Notice] = []
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class PersonDetail(Person):
    stays: list[Stay] = []


class Page(Base, Generic[T]):
    data: list[T]
    next_cursor: str | None = None
    has_more: bool = False
    total: int | None = None


class HistoryEntry(Out):
    id: int
    at: Timestamp
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
    valid_from: StrictInt | None = Field(None, ge=1949, le=2100)
    valid_to: StrictInt | None = Field(None, ge=1949, le=2100)
    successor_code: Code | None = None
    is_demo: StrictBool = False


class DivisionImport(Model):
    rows: list[DivisionIn] = Field(max_length=100_000)


class DivisionImportResult(Base):
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
    created_at: Timestamp


class Me(User):
    permissions: list[str]
    embedded: bool = False
    own_area: list[str] = Field(default_factory=list, description="division prefixes this registry holds down to "
                                "villages; messages for places outside leave through the exchange")


class TokenCreate(Model):
    username: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] = ""
    expires_days: StrictInt | None = Field(None, ge=1, le=3650)


class Token(Out):
    id: int
    user_id: int
    username: str | None = None
    name: str
    prefix: str
    created_at: Timestamp
    expires_at: Timestamp | None = None
    revoked_at: Timestamp | None = None
    last_used_at: Timestamp | None = None


class TokenCreated(Token):
    token: str = Field(description="the secret, shown once; only its hash is kept")


class AccessLogEntry(Out):
    id: int
    at: Timestamp
    username: str
    action: str
    entity: str
    entity_ids: list[Any]
    detail: str | None = None


# ---------------------------------------------------------------- errors


class FieldError(Base):
    field: str
    code: str
    message: str
    message_en: str


class Problem(Base):
    """application/problem+json (RFC 9457) with a stable code and Chinese/English messages."""

    type: str = "about:blank"
    title: str
    status: int
    code: str
    message: str
    message_en: str
    errors: list[FieldError] = []
    current_version: int | None = None
    records: list[dict[str, Any]] | None = Field(None, description="the records a bulk operation was refused for")


# ---------------------------------------------------------------- inbox (信息交换)

MessageKind = Literal["assist_request", "assist_reply", "notification", "transfer", "not_found", "dispute"]
MessageStatus = Literal["new", "read", "matched", "verifying", "answered", "closed", "returned", "forwarded", "escalated"]
NotificationTopic = Literal["stay_registered", "stay_ended", "deregistered", "certificate_verified", "service_provided"]


class Subject(Model):
    """The person as the sender knows them."""

    id_number: IdNumberIn | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    sex: Sex | None = None
    birth_date: Day | None = None
    household_code: Code | None = None
    household_address: Address | None = None
    residence_code: Code | None = None
    residence_address: Address | None = None
    phone: Phone | None = None


class MessageCreate(Model):
    kind: Literal["assist_request", "not_found", "dispute", "notification"]
    topic: NotificationTopic | None = None
    addressee_code: Code
    sender_code: Code | None = Field(None, description="defaults to the caller's jurisdiction")
    person_id: StrictInt | None = Field(None, description="a local record to describe the subject from")
    subject: Subject | None = None
    items: FreeJson = Field(default_factory=dict, description="requested items or reported facts: text, numbers, "
                            "true/false, null, lists and objects (4 levels, 500 entries, 2000 characters a text)")
    text: Annotated[str, StringConstraints(max_length=2000)] | None = None


class CandidateDifference(Base):
    field: str
    message: str | None = Field(None, description="what the message says")
    local: str | None = Field(None, description="what the local record says")


class Candidate(Base):
    person_id: int
    name: str
    id_number: str = Field(description="masked")
    birth_date: Day | None = Field(None, description="never shown in the inbox (see birth_year)")
    birth_year: BirthYear
    age: int | None = Field(None, description="never shown in the inbox (see birth_year)")
    residence_name: str | None = None
    score: int
    reason: str
    differences: list[CandidateDifference] = Field(
        default_factory=list, description="where this local record differs from the message's subject (ID numbers "
        "masked, birth dates as years); a differing ID number is never matched automatically")


MessageActionName = Literal["read", "match", "verify", "reply", "resolve", "accept", "refuse", "forward", "return",
                            "escalate", "close", "acknowledge"]
# what the household side found when answering a 查无此人 (POST /v1/inbox/{id}/resolve)
NotFoundOutcome = Literal["returned", "moved", "present"]


class Message(Out):
    id: int
    uid: str
    kind: MessageKind
    topic: str | None = None
    thread_uid: str
    in_reply_to: str | None = None
    sender_code: str
    sender_name: str | None = None
    addressee_code: str
    addressee_name: str | None = None
    box: Literal["in", "out", "both", "other"] | None = Field(None, description="as seen from the caller")
    subject: dict[str, Any]
    items: dict[str, Any]
    text: str | None = None
    stay_id: int | None = None
    status: MessageStatus
    outcome: str | None = None
    matched_person_id: int | None = None
    match_score: int | None = None
    candidates: list[Candidate] = []
    assignee: str | None = None
    event_on: Day | None = None
    created_at: Timestamp
    due_on: Day | None = None
    due_provisional: bool = Field(False, description="the due date runs into a year whose holidays are not known yet "
                                  "(counted Monday–Friday); recomputed when the year's notice is loaded")
    overdue: bool = False
    sent_late: bool = Field(False, description="sent after its send deadline: a service's 通报 more than 5 working days "
                            "after the service, a key target's 协查 more than 5 after her registration (settings)")
    working_days_left: int | None = None
    accountable_code: str | None = Field(None, description="who answers for an overdue item")
    accountable_side: Literal["residence", "household", "county"] | None = None
    external: bool = False
    exported_at: Timestamp | None = None
    version: int
    allowed_actions: list[MessageActionName] = Field(
        default_factory=list,
        description="what the caller may do with it now, as the registry decides (kind, status, addressee, write "
                    "right): steps (POST /v1/inbox/{id}/{action}; register goes with match) and acknowledge "
                    "(POST /v1/inbox/ack); empty for a read-only caller or a message addressed elsewhere")


class MessageDetail(Message):
    thread: list[Message] = []


class MessageAction(Model):
    version: StrictInt
    reason: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class MatchAction(MessageAction):
    person_id: StrictInt


class ForwardAction(MessageAction):
    to_code: Code


class ReplyAction(MessageAction):
    facts: FreeJson = Field(default_factory=dict, description="the verified facts (bounded like a message's items)")
    text: Annotated[str, StringConstraints(max_length=2000)] | None = None
    update_person: PersonUpdate | None = Field(None, description="change the matched local record in the same step")


class RegisterFromMessage(MessageAction):
    person: PersonCreate


class NotFoundAnswer(MessageAction):
    """The household side's answer to a 查无此人: returned (the outflow record ends on ``date``), moved (it ends
    and a new one is registered at ``residence_code`` from ``date``) or present (kept: the household side holds
    that the person lives where registered)."""

    outcome: NotFoundOutcome
    date: Day | None = Field(None, description="returned: the day the person came home; moved: the day they were "
                             "at the new place (default today)")
    residence_code: Code | None = Field(None, description="moved: the new residence")
    residence_address: Address | None = None
    text: Annotated[str, StringConstraints(max_length=2000)] | None = None


class BulkAck(Model):
    ids: list[StrictInt] = Field(min_length=1, max_length=50_000)


class Skipped(Base):
    """A record a bulk operation left alone, and why (the same rule and words as a refusal of that one record)."""

    id: int
    code: str
    message: str
    message_en: str


class BulkResult(Base):
    done: int
    skipped: list[Skipped] = []


class InboxSummary(Base):
    new: int
    open: int
    overdue: int
    due_today: int
    by_kind: dict[str, int]
    outbox_unsent: int


class NotFoundCounts(Base):
    """查无此人 messages of one side: how each one ended."""

    raised: int = Field(description="查无此人 messages")
    open: int
    overdue: int
    answered: dict[str, int] = Field(description="answered, by outcome: returned, moved, present")
    closed_with_subject: int = Field(description="closed because their stay or person was ended; no one's lateness")
    closed_otherwise: int


class NotFoundLoop(Base):
    """The 查无此人 loop in the caller's area: as the residence side (raised here) and as the household side
    (addressed here)."""

    raised_here: NotFoundCounts
    addressed_here: NotFoundCounts


class InboxFigures(Base):
    division_code: str
    division_name: str | None = None
    received: int
    acknowledged: int
    requests: int
    answered: int
    answered_on_time: int
    overdue: int
    received_rate: float | None = None
    answered_rate: float | None = None
    on_time_rate: float | None = None


class TransferCreate(Model):
    version: StrictInt
    to_residence_code: Code
    residence_address: Address | None = None
    reason: Why


class ExchangeImportResult(Base):
    inserted: int
    skipped: int
    rejected: list[dict[str, Any]] = []


# ---------------------------------------------------------------- online exchange between registries (inbox.trust, .envelopes)


class ExchangeIdentity(Out):
    """This registry's signing key: give its public key and fingerprint to the administrators of its peers."""

    registry_id: str
    public_key: str = Field(description="Ed25519 public key, base64 of its 32 bytes")
    fingerprint: str = Field(description="SHA256: and the base64 of the public key's SHA-256, to compare by phone")
    own_area: list[str]
    created_at: Timestamp


class ExchangePeerCreate(Model):
    name: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[A-Za-z0-9_.-]{1,64}$")]
    url: Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^https?://[^\s]{1,480}$")]
    key: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
    serves: list[Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{2,12}$")]] = Field(
        min_length=1, max_length=1000, description="division code prefixes the peer serves (a relay serves many)")


class ExchangePeer(Out):
    name: str
    url: str
    public_key: str
    fingerprint: str
    serves: list[str]
    created_at: Timestamp


class EnvelopeResult(Out):
    """What a signed envelope did here: messages inserted, already here (by uid), state changes applied, or
    passed on (a relay)."""

    inserted: int
    skipped: int
    states: int
    forwarded: int = Field(0, description="passed on by a relay to the registry serving the destination")


class ExchangeSyncResult(Out):
    """One delivery round: envelopes delivered, refused by the other side (kept, not retried), failed (retried
    later with back-off), still pending (not yet due, or no peer serves them: unrouted)."""

    delivered: int
    refused: int
    failed: int
    pending: int
    unrouted: int = Field(0, description="pending for places no peer serves yet (flowpop exchange peer add)")
    errors: list[str] = []


# ---------------------------------------------------------------- services for key targets

ServiceKind = Literal["checkup", "first_child", "surgery"]


class ServiceCreate(Model):
    kind: ServiceKind = Field(description="checkup 孕环情检查 | first_child 一孩生育服务登记 | surgery 计划生育手术")
    provided_on: Day
    provider_code: Code | None = Field(None, description="defaults to the residence township")
    detail: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class ServiceRecord(Out):
    id: int
    person_id: int
    stay_id: int | None = None
    kind: ServiceKind
    provided_on: Day
    provider_code: str
    detail: str | None = None
    created_at: Timestamp
    created_by: str | None = None
    notice_late: bool | None = Field(None, description="its 通报 to the household side went out more than "
                                     "notification_send working days after the service (recorded late); None "
                                     "when no 通报 is due (the household is in the provider's county)")


# ---------------------------------------------------------------- houses and employers (以房管人)

HouseUse = Literal["rented", "own", "dormitory", "site"]
HouseMode = Literal["hotel_style", "property", "company", "scattered", "compound"]
UsccIn = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=40)]


class HouseCreate(Model):
    code: HouseCodeIn | None = Field(None, description="18 characters; generated when left out")
    legacy_code: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    division_code: Code = Field(description="the village (村/居)")
    grid_code: Code | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    rooms: StrictInt = Field(1, ge=1, le=5000)
    capacity: StrictInt | None = Field(None, ge=1, le=20000)
    use: HouseUse
    mode: HouseMode
    landlord_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    landlord_id_number: IdNumberIn | None = None
    landlord_phone: Phone | None = None


class HouseUpdate(Model):
    version: StrictInt
    change_reason: Why | None = None
    grid_code: Code | None = None
    address: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] | None = None
    rooms: StrictInt | None = Field(None, ge=1, le=5000)
    capacity: StrictInt | None = Field(None, ge=1, le=20000)
    use: HouseUse | None = None
    mode: HouseMode | None = None
    landlord_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    landlord_id_number: IdNumberIn | None = None
    landlord_phone: Phone | None = None


class House(Out):
    id: int
    code: str
    legacy_code: str | None = None
    division_code: str
    division_name: str | None = None
    grid_code: str | None = None
    address: str
    rooms: int
    capacity: int | None = None
    occupants: int = 0
    over_capacity: bool = False
    use: HouseUse
    mode: HouseMode
    landlord_name: str | None = None
    landlord_id_number: str | None = Field(None, description="masked")
    landlord_phone: str | None = None
    status: str
    version: int
    created_at: Timestamp
    updated_at: Timestamp


class Occupant(Base):
    person_id: int
    name: str
    id_number: str
    sex: Sex
    birth_year: BirthYear
    age: int | None = Field(None, description="never shown in a roster (see birth_year)")
    stay_id: int | None = None
    arrived_on: Day | None = None
    registered_here: bool = Field(description="hukou registered at this house (户籍在此)")
    where_now: str | None = Field(None, description="for household members living elsewhere")
    declared_on: Day | None = None


class Room(Base):
    room: str
    living: list[Occupant] = Field(description="everyone living in the room now")
    household_members: list[Occupant] = Field(description="registered here, wherever they live now")


class HouseResidents(Base):
    house: House
    rooms: list[Room]


class DeclarationCreate(Model):
    stay_id: StrictInt
    declared_on: Day
    declared_by: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None


class Declaration(Out):
    id: int
    house_code: str
    stay_id: int
    declared_on: Day
    declared_by: str | None = None
    created_at: Timestamp


class LateDeclaration(Base):
    house_code: str
    address: str
    landlord_name: str | None = None
    landlord_phone: str | None = None
    stay_id: int
    person_id: int
    name: str
    arrived_on: Day
    due_on: Day
    declared_on: Day | None = None
    state: Literal["late", "missing"]
    penalty_yuan: int


class EmployerCreate(Model):
    uscc: UsccIn = Field(description="统一社会信用代码, 18 characters with a check character")
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    address: Address | None = None
    division_code: Code
    contact_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    contact_phone: Phone | None = None
    agreement_signed_on: Day | None = None


class EmployerUpdate(Model):
    version: StrictInt
    change_reason: Why | None = None
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)] | None = None
    address: Address | None = None
    contact_name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)] | None = None
    contact_phone: Phone | None = None
    agreement_signed_on: Day | None = None


class Employer(Out):
    id: int
    uscc: str
    name: str
    address: str | None = None
    division_code: str
    division_name: str | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    agreement_signed_on: Day | None = None
    floating_workers: int = 0
    needs_agreement: bool = False
    status: str
    version: int
    created_at: Timestamp
    updated_at: Timestamp


# ---------------------------------------------------------------- bulk changes (changesets)

ChangeOperation = Literal["set", "deregister", "archive", "restore", "move", "merge", "upgrade_id15"]
# the person fields a bulk "set" may change (front ends offer these; the registry refuses others)
BULK_SETTABLE = ("marital_status", "education", "hukou_type", "ethnicity", "phone", "household_address", "note",
                 "household_code")


# ---- List filters -------------------------------------------------------------------------------------------
# One model per list: the API takes it as the list's query parameters (an unknown one is refused, 422, naming it),
# the SDK's list methods take its fields as keyword parameters, the CLI's options are built from its fields and
# the bulk selection is PersonFilters itself. Paging: the keyset-paged lists (answered as a Page with next_cursor:
# persons, inbox) share `Paging` (limit, cursor); the other lists keep their own `limit` (their bounds differ) and
# whatever they page by (`after`, `before`).

_FLAGS = {"true": True, "false": False, "1": True, "0": False}


def _flag(value: object) -> object:
    """A yes/no: true or false as JSON, or as a query string writes it ("true"/"false", "1"/"0"); nothing else."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in _FLAGS:
        return _FLAGS[value.lower()]
    raise PydanticCustomError("bool_parsing", "must be true or false")


Flag = Annotated[bool, BeforeValidator(_flag)]
# a division code as the place filters of the inbox, houses, inspections and reports take it: 12 digits, or a grid's 15
PlaceCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{12}(\d{3})?$")]
Period = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\d{4}(Q[1-4]|-\d{2})$")]
PersonSort = Literal["id", "-id", "name", "-name", "arrived_on", "-arrived_on", "updated_at", "-updated_at"]
ExportFormat = Literal["csv", "csv-gb18030", "xlsx", "jsonl"]
InboxBox = Literal["in", "out", "all"]
InboxStatus = Literal["open", "all", "new", "read", "matched", "verifying", "answered", "closed", "returned",
                      "forwarded", "escalated"]


# text filters, by their longest
Text18 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=18)]
Text20 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=20)]
Text40 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)]
Text50 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)]
Text64 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]
Text100 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)]
Text500 = Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)]


class Paging(Model):
    """How a keyset-paged list goes on: how many per page, and the `next_cursor` of the page before."""

    limit: int = Field(50, ge=1, le=500)
    cursor: Text500 | None = Field(None, description="the next_cursor of the page before")


class PersonFilters(Model):
    """Which persons: the filters of search (GET /v1/persons), of exports and of a bulk change's selection."""

    q: Text64 | None = Field(None, description="ID number (its last digits only with the reveal right; a whole "
                                "number looked up without it is written to the access log), name, pinyin or initials")
    id_number: Text40 | None = Field(None, description="as q: a whole number without the reveal right is access-logged")
    name: Text64 | None = None
    division: Code | None = None
    status: PersonStatus | None = None
    category: Category | None = None
    key_target: Flag | None = None
    floating: Flag | None = Field(None, description="counts as floating population today (docs/rules.md A1-A3): "
                                  "active, another county but not another district of the same city, 30+ days away")
    arrived_from: Day | None = None
    arrived_to: Day | None = None
    direction: Direction | None = None
    expected_return_before: Day | None = Field(None, description="open stays past their expected return")


class PersonListFilters(PersonFilters, Paging):
    """GET /v1/persons: the person filters, an order, a page."""

    sort: PersonSort = "-id"
    with_total: Flag = False
    reveal: Flag = False


class PersonExportFilters(PersonFilters):
    """GET /v1/exports/persons: the person filters, a file format, whether ID numbers leave whole."""

    format: ExportFormat = "csv"
    reveal: Flag = False


class MessageFilters(Paging):
    """GET /v1/inbox."""

    box: InboxBox = "in"
    status: InboxStatus | None = Field(None, description="a status, or open (the default) / all")
    kind: MessageKind | None = None
    overdue: Flag | None = None
    q: Text64 | None = None
    division: PlaceCode | None = None


class HouseFilters(Model):
    """GET /v1/houses."""

    q: Text100 | None = None
    division: PlaceCode | None = None
    use: HouseUse | None = None
    vacant: Flag | None = None
    over_capacity: Flag | None = None
    limit: int = Field(50, ge=1, le=1000)
    after: Text18 | None = Field(None, description="page by house code: houses after this one")


class LateDeclarationFilters(Model):
    """GET /v1/declarations/late."""

    division: PlaceCode | None = None
    limit: int = Field(10_000, ge=1, le=100_000)


class EmployerFilters(Model):
    """GET /v1/employers."""

    q: Text100 | None = None
    needs_agreement: Flag = False
    limit: int = Field(100, ge=1, le=1000)


class CampaignItemFilters(Model):
    """GET /v1/campaigns/{id}/items."""

    village: PlaceCode | None = None
    grid: PlaceCode | None = None
    pending: Flag | None = None
    assignee: Text64 | None = None
    after: int | None = Field(None, ge=0, description="page by id: items after this one")
    limit: int = Field(100, ge=1, le=5000)


class AccessLogFilters(Model):
    """GET /v1/access-log."""

    action: Text20 | None = Field(None, description="reveal, export, lookup, …")
    username: Text64 | None = None
    before: int | None = Field(None, ge=1, description="entries older than this id (paging back)")
    limit: int = Field(100, ge=1, le=1000)


class DivisionFilters(Model):
    """GET /v1/divisions."""

    parent: Code | None = None
    level: Level | None = None
    q: Text50 | None = None
    include_retired: Flag = False
    limit: int = Field(500, ge=1, le=5000)


class QualityPersonFilters(Model):
    """GET /v1/quality/{key}/persons."""

    division: PlaceCode | None = None
    limit: int = Field(500, ge=1, le=5000)


class RateRecordFilters(Model):
    """GET /v1/rates/{key}/records."""

    period: Period = Field(description="2026Q4 or 2026-11")
    division: PlaceCode | None = None
    limit: int = Field(500, ge=1, le=5000)


class ComanagementRow(Base):
    """One county (both of its sides) or one pair of counties (household → residence): each side's registrations
    of the open cross-county stays between the counties of the registry (seed 000's 市内跨县 measure)."""

    key: str = Field(description="a county's 6 digits, or household-residence for a pair (350404-350405)")
    household_code: str | None = Field(None, description="a pair's household county (12 digits)")
    residence_code: str | None = Field(None, description="a pair's residence county (12 digits)")
    county_code: str | None = Field(None, description="a county row's county (12 digits)")
    name: str | None = None
    inflows_registered: int = Field(description="stays the residence side registered (流入登记)")
    outflows_registered: int = Field(description="stays the household side registered (流出登记)")
    gap: int = Field(description="outflows registered − inflows registered (seed 000: 62,690 − 53,943 = 8,747)")
    both: int = Field(description="registered by both sides: co-managed (共管); a county row: where it lives here")
    missing_inflow: int = Field(description="registered by the household side only: the residence side's to do")
    missing_outflow: int = Field(description="registered by the residence side only: the household side's to do")
    unmanaged: int = Field(description="漏管: registered by one side only (missing inflow + missing outflow)")
    co_management: float | None = Field(None, description="共管率: both ÷ (both + unmanaged)")


class ComanagementReport(Base):
    by: Literal["county", "pair"]
    division_code: str | None = Field(None, description="both sides of every stay counted lie in it (a city: 市内跨县)")
    division_name: str | None = None
    as_of: Day
    rows: list[ComanagementRow]
    total: ComanagementRow
    unmanaged_target: int = Field(description="漏管 at most (seed 000: 500), the setting targets.unmanaged_max")
    meets_target: bool


ComanagementList = Literal["both", "inflow", "outflow", "missing_inflow", "missing_outflow", "unmanaged"]


class ComanagementFilters(Model):
    """GET /v1/comanagement."""

    by: Literal["county", "pair"] = "county"
    division: PlaceCode | None = Field(None, description="only stays with both sides in it (a city: 市内跨县)")


class ComanagementRecordFilters(Model):
    """GET /v1/comanagement/records: the stays behind a number."""

    kind: ComanagementList = Field(description="both | inflow | outflow | missing_inflow | missing_outflow | unmanaged")
    county: PlaceCode | None = Field(None, description="the county whose side it is: where they live for inflow "
                                     "and missing_inflow, the household county for outflow and missing_outflow, "
                                     "either for both and unmanaged")
    household: PlaceCode | None = Field(None, description="a pair: the household county")
    residence: PlaceCode | None = Field(None, description="a pair: the residence county")
    division: PlaceCode | None = None
    limit: int = Field(500, ge=1, le=5000)


class ChangesetFilters(Model):
    """GET /v1/changesets."""

    limit: int = Field(100, ge=1, le=1000)


class Selection(Model):
    """Which persons: the same filters as search, or a list of record ids, or of ID numbers."""

    filters: PersonFilters | None = None
    ids: list[StrictInt] | None = Field(None, max_length=2_000_000)
    id_numbers: list[Annotated[str, StringConstraints(max_length=40)]] | None = Field(None, max_length=2_000_000)


class ChangesetCreate(Model):
    operation: ChangeOperation
    selection: Selection
    values: dict[str, Any] = Field(default_factory=dict, description="set: fields (as PersonUpdate); deregister: date; "
                                   "move: residence_code, grid_code, house_code, room, over_capacity_ok (as StayUpdate, "
                                   "with the same checks); merge: MergeValues")
    reason: Why
    chunk_size: StrictInt | None = Field(None, ge=100, le=1_000_000, description="apply in resumable chunks of this size "
                                         "(by default the registry chooses: chunks for a large change)")


class MergeValues(Model):
    """A merge's values: one group (`keep`, among the selected) or several (`groups`: lists whose first record is kept)."""

    keep: StrictInt | None = Field(None, description="the record the selected ones are merged into")
    groups: list[list[StrictInt]] | None = Field(None, max_length=1_000_000)
    archive_open_stays: StrictBool = Field(False, description="archive the merged records' open stays instead of refusing")


class ChangeSample(Base):
    person_id: int
    name: str
    id_number: str
    before: dict[str, Any]
    after: dict[str, Any]


class ChangeFailure(Base):
    person_id: int
    name: str
    id_number: str
    code: str
    message: str
    message_en: str


class Changeset(Base):
    id: str
    operation: ChangeOperation
    reason: str
    status: Literal["planned", "applying", "applied", "reverted", "failed", "cancelled"]
    total: int
    failing: int
    applied: int
    chunk_size: int | None = None
    params: dict[str, Any] = {}
    created_at: Timestamp
    created_by: str
    applied_at: Timestamp | None = None
    reverted_at: Timestamp | None = None


class ChangesetPreview(Changeset):
    samples: list[ChangeSample] = []
    failures: list[ChangeFailure] = []


class ApplyOptions(Model):
    skip_failing: StrictBool = Field(False, description="apply the rest when some records would fail")
    max_chunks: StrictInt | None = Field(None, ge=1, description="stop after this many chunks (resume later)")


# ---------------------------------------------------------------- import and export


class ImportProblem(Base):
    line: int
    column: str
    value: str
    reason: str
    reason_en: str
    code: str | None = Field(None, description="a stable code where the registry has one (held_elsewhere: the ID "
                                               "number is registered outside your jurisdiction, as create says)")


class ImportResult(Base):
    total: int = Field(description="data rows read")
    inserted: int
    updated: int
    unchanged: int
    duplicates: int = Field(description="exact repeats of an earlier row, ignored")
    rejected: int = Field(description="rows with at least one problem")
    problems: list[ImportProblem]
    warnings: list[ImportProblem] = Field(default_factory=list, description="rows kept with a remark: a residence "
                                          "inside the own area above village level (the quality check lists it)")
    dry_run: bool
    applied: bool = Field(description="false when nothing was written (dry run, or bad rows without skip_bad)")
    batch_id: str | None = Field(None, description="the import's batch: its progress at GET /v1/imports/batches/{id}")


class ImportBatchStatus(Base):
    """A legacy import's progress. It commits a chunk at a time: ``last_line`` is the last line of the file
    whose good rows are all stored (none after it are); an ``interrupted`` import (its process ended) is
    resumed by importing the same file again, the rows already stored being recognised as unchanged."""

    id: str
    kind: str
    filename: str
    status: str = Field(description="running, done, refused (bad rows, nothing written), failed, or interrupted "
                                     "(its process ended: import the same file again to resume)")
    stage: str = Field(description="check: reading and checking rows; import: writing them")
    total: int = Field(description="data rows in the file")
    done: int = Field(description="rows handled so far")
    last_line: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    started_at: Timestamp
    updated_at: Timestamp
    finished_at: Timestamp | None = None


# ---------------------------------------------------------------- certificates, inspections, rates, quality


class CertificateCreate(Model):
    number: Annotated[str, StringConstraints(strip_whitespace=True, max_length=40)] | None = None
    issued_by_code: Code | None = None
    issued_on: Day | None = None
    expires_on: Day | None = None
    verified_on: Day | None = Field(None, description="查验 at the residence side")


class Certificate(Out):
    id: int
    person_id: int
    number: str | None = None
    issued_by_code: str | None = None
    issued_on: Day | None = None
    expires_on: Day | None = None
    verified_on: Day | None = None
    verified_by_code: str | None = None


InspectionOutcome = Literal["present", "corrected", "left", "not_found", "new_found", "certificate_missing"]


class CampaignCreate(Model):
    quarter: Annotated[str, StringConstraints(pattern=r"^20\d{2}Q[1-4]$")] = Field(description="2000Q1 to 2099Q4")
    jurisdiction_code: Code
    name: Annotated[str, StringConstraints(strip_whitespace=True, max_length=100)] | None = None


class Campaign(Base):
    id: int
    quarter: str
    jurisdiction_code: str
    jurisdiction_name: str | None = None
    name: str
    status: Literal["open", "closed"]
    created_at: Timestamp
    created_by: str
    closed_at: Timestamp | None = None
    items: int = 0
    done: int = 0


class Assignment(Model):
    division_code: Code = Field(description="a village or grid")
    username: Annotated[str, StringConstraints(strip_whitespace=True, max_length=64)]


class CampaignItem(Base):
    id: int
    kind: Literal["stay", "house"]
    person_id: int | None = None
    name: str | None = None
    id_number: str | None = None
    stay_id: int | None = None
    house_code: str | None = None
    address: str | None = None
    village_code: str
    grid_code: str | None = None
    assignee: str | None = None
    outcome: InspectionOutcome | None = None
    detail: dict[str, Any] = {}
    recorded_at: Timestamp | None = None
    recorded_by: str | None = None
    version: int


class OutcomeRecord(Model):
    version: StrictInt
    outcome: InspectionOutcome
    changes: FreeJson = Field(default_factory=dict, description="corrected: person and stay fields that were wrong")
    date: Day | None = Field(None, description="left: the departure date")
    note: Annotated[str, StringConstraints(max_length=500)] | None = None


class NewFound(Model):
    """Someone found living here who was not registered: registered now, counted in the campaign."""

    person: PersonCreate


class Progress(Base):
    key: str
    name: str | None = None
    total: int
    done: int
    by_outcome: dict[str, int]


class CampaignProgress(Base):
    campaign: Campaign
    by_village: list[Progress]
    by_assignee: list[Progress]


class Rate(Base):
    key: str
    name: str
    name_en: str
    numerator: int
    denominator: int
    value: float | None
    target: float
    higher_is_better: bool = True
    meets_target: bool | None


class RateRow(Base):
    division_code: str
    division_name: str | None = None
    rates: list[Rate]


class RatesReport(Base):
    period: str
    start: Day
    end: Day
    level: str
    rows: list[RateRow]
    total: RateRow
    frozen_at: Timestamp | None = Field(None, description="a closed month: when its figures were frozen (UTC); "
                                          "they no longer change (county.closing)")


class PeriodClosed(Base):
    """A closed month whose figures are frozen (county.closing)."""

    period: str
    start: BeijingTime = Field(description="Beijing time: the 12th of the month before, 03:00")
    end: BeijingTime = Field(description="Beijing time: the 12th, 03:00 (the cut-off)")
    closed_at: Timestamp = Field(description="when the figures were frozen (UTC)")
    closed_by: str


class HolidayNotice(BaseModel):  # an input (a request's body): built at once, as Model is not
    """The State Council's holiday notice for one year (国务院办公厅关于某年部分节假日安排的通知): the days off
    and the weekend days worked instead (调休)."""

    model_config = ConfigDict(extra="forbid")
    year: int = Field(ge=2000, le=2999)
    holidays: list[dt.date] = Field(default_factory=list, description="days off (放假), weekends included or not")
    workdays: list[dt.date] = Field(default_factory=list, description="weekend days worked (调休上班)")
    source: str = Field("", max_length=300, description="the notice (its title or number)")

    @field_validator("holidays", "workdays", mode="after")
    @classmethod
    def _in_its_year(cls, days: list[dt.date], info: ValidationInfo) -> list[dt.date]:
        # as a notice file is checked (rules.workdays.read_notice): its days lie in its year, none both off and on
        year = info.data.get("year")
        outside = sorted(d for d in days if year is not None and d.year != year)
        if outside:
            raise PydanticCustomError("notice_outside_year", "{day} is not in {year}", {"day": str(outside[0]), "year": year})
        both = sorted(set(days) & set(info.data.get("holidays") or ())) if info.field_name == "workdays" else []
        if both:
            raise PydanticCustomError("notice_day_twice", "{day} is both a holiday and a working day", {"day": str(both[0])})
        return days


class CalendarYearInfo(Base):
    """Where a year's working days come from, and whether deadlines running into it are provisional."""

    year: int
    source: Literal["package", "registry", "settings", "none"] = Field(
        description="package: chinesecalendar; registry: a notice loaded with `flowpop calendar load`; "
                    "settings: the settings file; none: Monday–Friday, provisional")
    provisional: bool
    holidays: list[dt.date] = Field(default_factory=list)
    workdays: list[dt.date] = Field(default_factory=list)
    notice: str | None = None
    loaded_at: Timestamp | None = None
    loaded_by: str | None = None
    recomputed: int | None = Field(None, description="after a load: open deadlines whose due date was recomputed")


class QualityCheck(Base):
    key: str
    name: str
    name_en: str
    count: int
    by_division: dict[str, int] = {}
    fixable: str | None = Field(None, description="the changeset operation that fixes it, when one does")


class QualityShare(Base):
    """Records with at least one error of a county's records (seed 000: 差错32万条, 占11%, 清流18%)."""

    division_code: str
    division_name: str | None = None
    records: int
    errors: int = Field(description="records failing at least one check")
    share: float | None = Field(description="errors ÷ records")


class QualityReport(Base):
    checks: list[QualityCheck]
    persons_checked: int
    seconds: float
    records_with_errors: int = 0
    error_share: float | None = None
    by_county: list[QualityShare] = []


def _eager_inputs() -> None:
    """The inputs' adapters are built at once, as before. FastAPI makes a TypeAdapter per route parameter over
    ``Annotated[Model, Field(alias=name)]`` and silences the warning pydantic gives for that alias only while it
    builds it; an adapter over a deferred model would be built at its first request, outside that silence, and warn
    (UnsupportedFieldAttributeWarning). An adapter defers when its model's config says so at the adapter's making,
    so turning defer_build off here, once every input model is made deferred, keeps their adapters eager while the
    models themselves are still built on first use (the registry builds a route module's inputs before including
    it: flowpop.registry.api.app). A model made later from one of these (a subclass) is built at once."""
    for value in list(globals().values()):
        if isinstance(value, type) and issubclass(value, Model):
            value.model_config["defer_build"] = False


_eager_inputs()


def build_all() -> None:
    """Builds every model of the contract now, for what reads them all (the OpenAPI document): adapters made over
    them then take each one's schema as it is instead of working it out again each."""
    for value in list(globals().values()):
        if isinstance(value, type) and issubclass(value, BaseModel) and value.__module__ == __name__:
            value.model_rebuild()
