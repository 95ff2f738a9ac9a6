"""The keyword parameters of the SDK's create, update and action methods, as TypedDicts for ``**fields:
Unpack[...]``: a type checker refuses a misspelt field, and at run time :func:`checked` refuses it against the
contract model itself (its fields, ``extra="forbid"``), naming the parameter. tests/sdk/test_typed.py keeps
each TypedDict's keys (and which are required) equal to its model's fields. (No postponed annotations here: TypedDict
reads Required[...] at run time only from evaluated ones.)"""


import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any, Required, TypedDict, get_type_hints

from pydantic import BaseModel

from flowpop.types import (
    Category,
    Direction,
    DivisionIn,
    Education,
    HouseMode,
    HouseUse,
    HukouType,
    InboxBox,
    InboxStatus,
    Level,
    MaritalStatus,
    MessageKind,
    NotFoundOutcome,
    NotificationTopic,
    PersonFilters,
    PersonSort,
    PersonStatus,
    Reason,
    Role,
    Selection,
    ServiceKind,
    Sex,
)

Date = dt.date | str  # a date, or one written YYYY-MM-DD


# ---------------------------------------------------------------- list filters (the filter models in types.py)


class PersonWhere(TypedDict, total=False):
    """PersonFilters less q (the lists take q as their first argument)."""

    id_number: str | None
    name: str | None
    division: str | None
    status: PersonStatus | None
    category: Category | None
    key_target: bool | None
    floating: bool | None
    arrived_from: Date | None
    arrived_to: Date | None
    direction: Direction | None
    expected_return_before: Date | None


class PersonListParams(PersonWhere, total=False):
    """PersonListFilters less q and cursor (the pager moves the cursor)."""

    sort: PersonSort
    limit: int
    with_total: bool
    reveal: bool


class MessageListParams(TypedDict, total=False):
    """MessageFilters less cursor."""

    box: InboxBox | str
    status: InboxStatus | None
    kind: MessageKind | None
    overdue: bool | None
    q: str | None
    division: str | None
    limit: int


class HouseListParams(TypedDict, total=False):
    q: str | None
    division: str | None
    use: HouseUse | None
    vacant: bool | None
    over_capacity: bool | None
    limit: int
    after: str | None


class LateDeclarationParams(TypedDict, total=False):
    division: str | None
    limit: int


class EmployerListParams(TypedDict, total=False):
    q: str | None
    needs_agreement: bool
    limit: int


class CampaignItemParams(TypedDict, total=False):
    village: str | None
    grid: str | None
    pending: bool | None
    assignee: str | None
    after: int | None
    limit: int


class DivisionListParams(TypedDict, total=False):
    parent: str | None
    level: Level | None
    q: str | None
    include_retired: bool
    limit: int


# ---------------------------------------------------------------- what creates, updates and actions carry


class StayParams(TypedDict, total=False):
    """StayFields: the stay registered with a person, or by itself (StayCreate adds person_id)."""

    household_code: str | None
    household_address: str | None
    residence_code: Required[str]
    residence_address: str | None
    grid_code: str | None
    house_code: str | None
    room: str | None
    reason: Required[Reason]
    left_home_on: Date | None
    arrived_on: Required[Date]
    expected_return_on: Date | None
    occupation: str | None
    employer: str | None
    employer_code: str | None
    over_capacity_ok: bool
    permit_number: str | None
    permit_issued_on: Date | None
    permit_expires_on: Date | None


class StayCreateParams(StayParams, total=False):
    person_id: Required[int]


class StayUpdateParams(TypedDict, total=False):
    """StayUpdate without version (a keyword of its own)."""

    change_reason: str | None
    household_code: str | None
    household_address: str | None
    residence_code: str | None
    residence_address: str | None
    grid_code: str | None
    house_code: str | None
    room: str | None
    reason: Reason | None
    left_home_on: Date | None
    arrived_on: Date | None
    expected_return_on: Date | None
    occupation: str | None
    employer: str | None
    employer_code: str | None
    over_capacity_ok: bool
    permit_number: str | None
    permit_issued_on: Date | None
    permit_expires_on: Date | None


class PersonCreateParams(TypedDict, total=False):
    id_number: Required[str]
    name: Required[str]
    sex: Sex | None
    birth_date: Date | None
    ethnicity: str | None
    education: Education | None
    hukou_type: HukouType | None
    marital_status: MaritalStatus | None
    phone: str | None
    household_code: Required[str]
    household_address: str | None
    household_house_code: str | None
    household_room: str | None
    note: str | None
    stay: StayParams | None


class PersonUpdateParams(TypedDict, total=False):
    """PersonUpdate without version (a keyword of its own); a field given as None is cleared."""

    change_reason: str | None
    id_number: str | None
    name: str | None
    ethnicity: str | None
    education: Education | None
    hukou_type: HukouType | None
    marital_status: MaritalStatus | None
    phone: str | None
    household_code: str | None
    household_address: str | None
    household_house_code: str | None
    household_room: str | None
    note: str | None


class UserCreateParams(TypedDict, total=False):
    username: Required[str]
    display_name: str
    role: Required[Role]
    jurisdiction_code: str | None


class TokenCreateParams(TypedDict, total=False):
    username: Required[str]
    name: str
    expires_days: int | None


class SubjectParams(TypedDict, total=False):
    id_number: str | None
    name: str | None
    sex: Sex | None
    birth_date: Date | None
    household_code: str | None
    household_address: str | None
    residence_code: str | None
    residence_address: str | None
    phone: str | None


class MessageCreateParams(TypedDict, total=False):
    kind: Required[str]
    topic: NotificationTopic | None
    addressee_code: Required[str]
    sender_code: str | None
    person_id: int | None
    subject: SubjectParams | None
    items: dict[str, Any]
    text: str | None


class MessageActionParams(TypedDict, total=False):
    """What an inbox action may carry besides version, the union of the action models (MatchAction: person_id;
    ForwardAction: to_code; ReplyAction: facts, text, update_person; RegisterFromMessage: person; NotFoundAnswer:
    outcome, date, residence_code, residence_address); the registry checks each action's own model."""

    reason: str | None
    person_id: int
    to_code: str
    facts: dict[str, Any]
    text: str | None
    update_person: dict[str, Any] | None
    person: PersonCreateParams | dict[str, Any]
    outcome: NotFoundOutcome
    date: Date | None
    residence_code: str | None
    residence_address: str | None


class ServiceParams(TypedDict, total=False):
    kind: Required[ServiceKind]
    provided_on: Required[Date]
    provider_code: str | None
    detail: str | None


class CertificateParams(TypedDict, total=False):
    number: str | None
    issued_by_code: str | None
    issued_on: Date | None
    expires_on: Date | None
    verified_on: Date | None


class HouseCreateParams(TypedDict, total=False):
    code: str | None
    legacy_code: str | None
    division_code: Required[str]
    grid_code: str | None
    address: Required[str]
    rooms: int
    capacity: int | None
    use: Required[HouseUse]
    mode: Required[HouseMode]
    landlord_name: str | None
    landlord_id_number: str | None
    landlord_phone: str | None


class HouseUpdateParams(TypedDict, total=False):
    """HouseUpdate without version."""

    change_reason: str | None
    grid_code: str | None
    address: str | None
    rooms: int | None
    capacity: int | None
    use: HouseUse | None
    mode: HouseMode | None
    landlord_name: str | None
    landlord_id_number: str | None
    landlord_phone: str | None


class DeclarationParams(TypedDict, total=False):
    stay_id: Required[int]
    declared_on: Required[Date]
    declared_by: str | None


class EmployerCreateParams(TypedDict, total=False):
    uscc: Required[str]
    name: Required[str]
    address: str | None
    division_code: Required[str]
    contact_name: str | None
    contact_phone: str | None
    agreement_signed_on: Date | None


class EmployerUpdateParams(TypedDict, total=False):
    """EmployerUpdate without version."""

    change_reason: str | None
    name: str | None
    address: str | None
    contact_name: str | None
    contact_phone: str | None
    agreement_signed_on: Date | None


class CampaignCreateParams(TypedDict, total=False):
    quarter: Required[str]
    jurisdiction_code: Required[str]
    name: str | None


class OutcomeParams(TypedDict, total=False):
    """OutcomeRecord without version and outcome (keywords of their own)."""

    changes: dict[str, Any]
    date: Date | None
    note: str | None


class DivisionParams(TypedDict, total=False):
    """DivisionIn: one row of divisions.import_rows."""

    code: Required[str]
    name: Required[str]
    level: Level | None
    parent_code: str | None
    valid_from: int | None
    valid_to: int | None
    successor_code: str | None
    is_demo: bool


# ---------------------------------------------------------------- bulk changes (ChangesetCreate)


class PersonFilterParams(PersonWhere, total=False):
    """PersonFilters: which persons a bulk change selects by search."""

    q: str | None


class SelectionParams(TypedDict, total=False):
    """Selection: the same filters as search, or record ids, or ID numbers."""

    filters: PersonFilterParams | None
    ids: list[int] | None
    id_numbers: list[str] | None


class SetValues(TypedDict, total=False):
    """A "set": the person fields a bulk change may set (BULK_SETTABLE, as PersonUpdate types them)."""

    marital_status: MaritalStatus | None
    education: Education | None
    hukou_type: HukouType | None
    ethnicity: str | None
    phone: str | None
    household_address: str | None
    note: str | None
    household_code: str | None


class StatusValues(TypedDict, total=False):
    """A "deregister", "archive" or "restore": the date (StatusChange's). A deregister needs it (the day the
    people left); archive and restore take today when not given."""

    date: Date | None


class MoveValues(TypedDict, total=False):
    """A "move": where to (StayUpdate's fields of a stay's place)."""

    residence_code: str | None
    grid_code: str | None
    house_code: str | None
    room: str | None
    over_capacity_ok: bool


class MergeParams(TypedDict, total=False):
    """A "merge": MergeValues."""

    keep: int | None
    groups: list[list[int]] | None
    archive_open_stays: bool


class ChangesetValues(SetValues, StatusValues, MoveValues, MergeParams, total=False):
    """What a bulk change's values may carry, the union of the operations' (as MessageActionParams is of the
    inbox actions); :func:`checked_plan` holds each operation to its own."""


# what plan's values may be: one operation's, or (built at run time) any of them
PlanValues = SetValues | StatusValues | MoveValues | MergeParams | ChangesetValues
# each operation's values; "upgrade_id15" takes none
OPERATION_VALUES: dict[str, type] = {"set": SetValues, "deregister": StatusValues, "archive": StatusValues,
                                     "restore": StatusValues, "move": MoveValues, "merge": MergeParams}


class UnknownKey(TypeError):
    """A key a contract model does not know, in a mapping given to the SDK (a selection's filters, a bulk
    change's values, a division row); ``key`` names it, ``where`` says in what."""

    def __init__(self, method: str, where: str, key: str, known: Sequence[str] | set[str]) -> None:
        super().__init__(f"{method}() got an unexpected key {key!r} in {where}; expected one of: {', '.join(sorted(known))}")
        self.key, self.where = key, where


def _refuse(where: str, what: str, name: str, known: Sequence[str] | set[str]) -> TypeError:
    return UnknownKey(where, what, name, known)


def _keys(data: Any, where: str, what: str, known: set[str]) -> None:
    """``data`` (a mapping; a contract model checked itself when made) holds only ``known`` keys."""
    if isinstance(data, BaseModel) or data is None:
        return
    if not isinstance(data, Mapping):
        raise TypeError(f"{where}() expects {what} as a mapping or a contract model, not {type(data).__name__}")
    unknown = sorted(set(data) - known)
    if unknown:
        raise _refuse(where, what, str(unknown[0]), known)


def checked_plan(where: str, operation: str, selection: Any, values: Any) -> None:
    """A bulk change's selection (Selection, its filters PersonFilters) and values (the operation's own) refused
    before any request when they hold a key the registry does not know, naming it."""
    _keys(selection, where, "selection", set(Selection.model_fields))
    if isinstance(selection, Mapping):
        _keys(selection.get("filters"), where, "selection['filters']", set(PersonFilters.model_fields))
    shape = OPERATION_VALUES.get(operation)
    if shape is not None:
        _keys(values, where, f"the values of {operation!r}", set(get_type_hints(shape)))
    elif operation == "upgrade_id15" and isinstance(values, Mapping) and values:
        raise _refuse(where, "the values of 'upgrade_id15' (it takes none)", str(sorted(values)[0]), set())


def checked_rows(where: str, rows: Any) -> None:
    """Each division row holds only DivisionIn's fields; a misspelt one is refused naming it and its row."""
    known = set(DivisionIn.model_fields)
    for number, row in enumerate(rows):
        _keys(row, where, f"row {number}", known)


def checked(where: str, fields: dict[str, Any], *models: type[BaseModel], besides: tuple[str, ...] = ()) -> dict[str, Any]:
    """``fields`` when each is a field of one of ``models`` (less ``besides``, which the method takes as its own
    keywords); otherwise a TypeError naming the parameter, as Python names a misspelt keyword."""
    known = {name for model in models for name in model.model_fields} - set(besides)
    unknown = sorted(set(fields) - known)
    if unknown:
        raise TypeError(f"{where}() got an unexpected keyword argument {unknown[0]!r}; "
                        f"expected one of: {', '.join(sorted(known))}")
    return fields
