"""The store: SQLAlchemy tables. Schema changes go through Alembic (migrations/).

Every table that a shard key would need carries a division code (``scope_code``
or the residence/household codes), so the registry can be distributed by
division on Citus without reshaping (see README, "Past one machine").
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.engine import Connection
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flowpop.registry.store import id_sql
from flowpop.registry.store.distribution import shard_county
from flowpop.rules.names import name_keys

# SQLite only autoincrements INTEGER PRIMARY KEY; PostgreSQL gets BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def _subject_keys(context: Any) -> tuple[str | None, str | None]:
    name = context.get_current_parameters().get("subject_name")
    pinyin, initials = name_keys(name) if name else ("", "")
    return pinyin or None, initials or None


def subject_pinyin(context: Any) -> str | None:
    """A message's subject_pinyin as it is inserted (every way one is written: sent, received, imported, the demo)."""
    return _subject_keys(context)[0]


def subject_initials(context: Any) -> str | None:
    return _subject_keys(context)[1]


def _county_from(column: str) -> Any:
    """The ``county`` of a row decided by one of its codes (a message's addressee, a house's division, a
    declaration's house, an inspection item's village), filled on every insert that goes through SQLAlchemy."""

    def default(context: Any) -> str:
        if context is None:  # store.bulk_insert fills defaults without a row: such a path gives county itself
            raise ValueError(f"county: give it with the rows (shard_county({column}))")
        return shard_county(context.get_current_parameters().get(column))

    return default


def partial_index(name: str, *columns: str, where: Callable[[str], str]) -> Index:
    """An index of the rows meeting a condition, ``where(dialect name)`` its SQL text, as the migrations create it.

    The condition is handed to the index as it is created (``Index.create``, ``create_all``), for that database's
    dialect only: naming it at once (``sqlite_where=``, ``postgresql_where=``) makes SQLAlchemy import both dialects
    with these tables, ~0.1 s of a one-command process's start (issue #16), while only a CREATE INDEX reads it."""
    index = Index(name, *columns)

    def condition(target: Index, connection: Connection, **kw: Any) -> None:
        dialect = connection.dialect.name
        target.dialect_options[dialect]["where"] = text(where(dialect))

    event.listen(index, "before_create", condition)
    return index


def County() -> Any:  # noqa: N802
    """The distribution column (issue #17, store/distribution.py): written on insert, never updated."""
    return mapped_column(CStr(6))


def CStr(length: int) -> String:  # noqa: N802
    """Byte-order collation on PostgreSQL, so prefix ranges over codes and pinyin use the index as on SQLite."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}
    if TYPE_CHECKING:
        # every model here maps one Table (SQLAlchemy types __table__ as any FromClause)
        __table__: ClassVar[Table]


class Division(Base):
    __tablename__ = "divisions"
    code: Mapped[str] = mapped_column(CStr(15), primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    level: Mapped[str] = mapped_column(String(10))
    parent_code: Mapped[str | None] = mapped_column(CStr(15), index=True)
    full_name: Mapped[str] = mapped_column(String(300), default="")
    valid_from: Mapped[int | None] = mapped_column(Integer)
    valid_to: Mapped[int | None] = mapped_column(Integer)
    successor_code: Mapped[str | None] = mapped_column(CStr(15))
    is_demo: Mapped[bool] = mapped_column(Boolean, default=False)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(32))
    # None: nationwide (the local administrator of an embedded registry)
    jurisdiction_code: Mapped[str | None] = mapped_column(CStr(15))
    disabled: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Token(Base):
    __tablename__ = "tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    # sha256 of the secret; the secret itself is shown once and never stored
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    expires_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Person(Base):
    __tablename__ = "persons"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    county: Mapped[str] = County()
    id_number: Mapped[str] = mapped_column(CStr(18), index=True)
    # reversed ID number: "search by its last digits" becomes an indexed prefix search
    id_rev: Mapped[str] = mapped_column(CStr(18), index=True)
    name: Mapped[str] = mapped_column(CStr(64), index=True)
    name_pinyin: Mapped[str] = mapped_column(CStr(200), index=True)
    name_initials: Mapped[str] = mapped_column(CStr(64), index=True)
    sex: Mapped[str] = mapped_column(String(1))
    birth_date: Mapped[dt.date] = mapped_column(Date)
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    education: Mapped[str | None] = mapped_column(String(20))
    hukou_type: Mapped[str | None] = mapped_column(String(20))
    marital_status: Mapped[str | None] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(20), index=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    household_code: Mapped[str] = mapped_column(CStr(15), index=True)
    household_address: Mapped[str | None] = mapped_column(String(200))
    # where the hukou is registered, when it is a house this registry knows (户籍在此)
    household_house_code: Mapped[str | None] = mapped_column(CStr(18))
    household_room: Mapped[str | None] = mapped_column(String(20))
    # denormalised from the current stay, for scoped search and sorting
    residence_code: Mapped[str | None] = mapped_column(CStr(15), index=True)
    arrived_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    current_stay_id: Mapped[int | None] = mapped_column(BigId)
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    note: Mapped[str | None] = mapped_column(Text)
    warnings: Mapped[list[Any]] = mapped_column(JSON, default=list)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    created_by: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_persons_res_status", "residence_code", "status"),
        Index("ix_persons_hh_status", "household_code", "status"),
        Index("ix_persons_county_status", "county", "status"),
        # most persons have none: a partial index keeps the planner's statistics true (migration 0008)
        partial_index("ix_persons_household_house_code", "household_house_code",
                      where=lambda dialect: "household_house_code IS NOT NULL"),
        # the persons whose ID number fails its check, kept by the store: the quality check reads them (migration 0018)
        partial_index(id_sql.CHECK_FAILED_INDEX, "id", where=id_sql.checksum_failed_sql),
    )


class IdNumber(Base):
    """The ID-number index (migration 0015, kernel/id_numbers.py): each record's number as stored → (county,
    person), distributed by the number so that a look-up by number is one shard; written with the person."""

    __tablename__ = "id_numbers"
    id_number: Mapped[str] = mapped_column(CStr(18), primary_key=True)
    person_id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    county: Mapped[str] = mapped_column(CStr(6))

    __table_args__ = {"sqlite_with_rowid": False}  # the rows in the key's B-tree: a look-up reads one (0015)


class Stay(Base):
    __tablename__ = "stays"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    county: Mapped[str] = County()
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    household_code: Mapped[str] = mapped_column(CStr(15), index=True)
    household_address: Mapped[str | None] = mapped_column(String(200))
    residence_code: Mapped[str] = mapped_column(CStr(15), index=True)
    residence_address: Mapped[str | None] = mapped_column(String(200))
    grid_code: Mapped[str | None] = mapped_column(CStr(15))
    house_code: Mapped[str | None] = mapped_column(CStr(32), index=True)
    room: Mapped[str | None] = mapped_column(String(20))
    # the landlord's declaration is due by then (3 working days after arrival)
    declare_due_on: Mapped[dt.date | None] = mapped_column(Date)
    employer_code: Mapped[str | None] = mapped_column(CStr(18), index=True)
    reason: Mapped[str] = mapped_column(String(16))
    left_home_on: Mapped[dt.date | None] = mapped_column(Date)
    arrived_on: Mapped[dt.date] = mapped_column(Date, index=True)
    expected_return_on: Mapped[dt.date | None] = mapped_column(Date)
    returned_on: Mapped[dt.date | None] = mapped_column(Date)
    occupation: Mapped[str | None] = mapped_column(String(50))
    employer: Mapped[str | None] = mapped_column(String(100))
    # open | closed | deregistered | archived
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    end_reason: Mapped[str | None] = mapped_column(String(200))
    # when the end was recorded (for the "not deregistered within 7 days" rate)
    ended_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # residence permit (居住证/暂住证)
    permit_number: Mapped[str | None] = mapped_column(String(40))
    permit_issued_on: Mapped[dt.date | None] = mapped_column(Date)
    permit_expires_on: Mapped[dt.date | None] = mapped_column(Date)
    # each side's registration of a cross-county stay (migration 0010): the residence side's inflow
    # registration, the household side's outflow registration; both held = co-managed (共管), one = 漏管
    inflow_registered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    outflow_registered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))


class HistoryEntry(Base):
    """Append-only: who changed what, when and why. Never updated or deleted."""

    __tablename__ = "history"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    county: Mapped[str] = County()
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[int] = mapped_column(BigId)
    person_id: Mapped[int | None] = mapped_column(BigId, index=True)
    action: Mapped[str] = mapped_column(String(20))
    user_id: Mapped[int | None] = mapped_column(BigId)
    username: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(500))
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    changeset_id: Mapped[str | None] = mapped_column(String(40), index=True)
    scope_code: Mapped[str | None] = mapped_column(CStr(15))

    __table_args__ = (Index("ix_history_entity", "entity", "entity_id"),)


class AccessLog(Base):
    """Reveals of masked data and exports (个人信息保护法)."""

    __tablename__ = "access_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(BigId)
    username: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(20))
    entity: Mapped[str] = mapped_column(String(16))
    entity_ids: Mapped[list[Any]] = mapped_column(JSON, default=list)
    detail: Mapped[str | None] = mapped_column(String(500))


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    user_key: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int] = mapped_column(Integer)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("user_key", "key", name="uq_idempotency_user_key"),)


class Message(Base):
    """The exchange between places (信息交换): requests, notifications, transfers, not-found, disputes."""

    __tablename__ = "messages"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    county: Mapped[str] = mapped_column(CStr(6), default=_county_from("addressee_code"))
    # stable across registries: batch files carry it, importing twice changes nothing
    uid: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    topic: Mapped[str | None] = mapped_column(String(30))
    thread_uid: Mapped[str] = mapped_column(String(40), index=True)
    in_reply_to: Mapped[str | None] = mapped_column(String(40))
    sender_code: Mapped[str] = mapped_column(CStr(15), index=True)
    addressee_code: Mapped[str] = mapped_column(CStr(15))
    # the person as the sender knows them
    subject: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    subject_id_number: Mapped[str | None] = mapped_column(CStr(18), index=True)
    subject_name: Mapped[str | None] = mapped_column(CStr(64))
    # the inbox's filter finds the subject by pinyin or initials, as person search finds a person (rules.names)
    subject_pinyin: Mapped[str | None] = mapped_column(CStr(200), default=subject_pinyin)
    subject_initials: Mapped[str | None] = mapped_column(CStr(64), default=subject_initials)
    subject_birth_date: Mapped[dt.date | None] = mapped_column(Date)
    items: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    text: Mapped[str | None] = mapped_column(Text)
    stay_id: Mapped[int | None] = mapped_column(BigId)
    sender_person_id: Mapped[int | None] = mapped_column(BigId)
    status: Mapped[str] = mapped_column(String(16), default="new")
    outcome: Mapped[str | None] = mapped_column(String(20))
    matched_person_id: Mapped[int | None] = mapped_column(BigId, index=True)
    match_score: Mapped[int | None] = mapped_column(Integer)
    candidates: Mapped[list[Any]] = mapped_column(JSON, default=list)
    assignee: Mapped[str | None] = mapped_column(String(64))
    event_on: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    due_on: Mapped[dt.date | None] = mapped_column(Date)
    read_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    answered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    # outside this registry: waiting in the outbox / came from a batch file
    external: Mapped[bool] = mapped_column(Boolean, default=False)
    exported_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    imported: Mapped[bool] = mapped_column(Boolean, default=False)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_messages_inbox", "addressee_code", "status", "due_on"),
        Index("ix_messages_outbox", "external", "exported_at"),
        # "was this stay announced and acknowledged" (co-management rate, reconciliation)
        Index("ix_messages_stay", "stay_id", "topic"),
    )


class ServiceRecord(Base):
    """Services for key targets (孕环情检查, 一孩生育服务登记, 计划生育手术): sensitive personal data."""

    __tablename__ = "services"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    county: Mapped[str] = County()
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    stay_id: Mapped[int | None] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(20))
    provided_on: Mapped[dt.date] = mapped_column(Date)
    provider_code: Mapped[str] = mapped_column(CStr(15), index=True)
    detail: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))


class House(Base):
    """A dwelling (房屋), managed through its landlord (以房管人)."""

    __tablename__ = "houses"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    county: Mapped[str] = mapped_column(CStr(6), default=_county_from("division_code"))
    code: Mapped[str] = mapped_column(CStr(18), unique=True)
    legacy_code: Mapped[str | None] = mapped_column(CStr(40))
    division_code: Mapped[str] = mapped_column(CStr(15), index=True)
    grid_code: Mapped[str | None] = mapped_column(CStr(15))
    address: Mapped[str] = mapped_column(String(200))
    rooms: Mapped[int] = mapped_column(Integer, default=1)
    capacity: Mapped[int | None] = mapped_column(Integer)
    use: Mapped[str] = mapped_column(String(16))
    mode: Mapped[str] = mapped_column(String(16))
    landlord_name: Mapped[str | None] = mapped_column(CStr(64), index=True)
    landlord_id_number: Mapped[str | None] = mapped_column(CStr(18))
    landlord_phone: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))


class Declaration(Base):
    """A landlord's declaration of a tenant (租住登记申报), due within 3 working days of arrival."""

    __tablename__ = "declarations"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    county: Mapped[str] = mapped_column(CStr(6), default=_county_from("house_code"))
    house_code: Mapped[str] = mapped_column(CStr(18), index=True)
    stay_id: Mapped[int] = mapped_column(BigId, unique=True)
    declared_on: Mapped[dt.date] = mapped_column(Date)
    declared_by: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str | None] = mapped_column(String(64))


class Employer(Base):
    """An employer (用人单位), known by its unified social credit code."""

    __tablename__ = "employers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    uscc: Mapped[str] = mapped_column(CStr(18), unique=True)
    name: Mapped[str] = mapped_column(String(100), index=True)
    address: Mapped[str | None] = mapped_column(String(200))
    division_code: Mapped[str] = mapped_column(CStr(15), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(64))
    contact_phone: Mapped[str | None] = mapped_column(String(20))
    agreement_signed_on: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="active")
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Changeset(Base):
    """A bulk change: planned (previewable), applied in one transaction or resumable chunks, revertible."""

    __tablename__ = "changesets"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    operation: Mapped[str] = mapped_column(String(20))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    selection: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16), default="planned")
    total: Mapped[int] = mapped_column(Integer, default=0)
    failing: Mapped[int] = mapped_column(Integer, default=0)
    applied: Mapped[int] = mapped_column(Integer, default=0)
    chunk_size: Mapped[int | None] = mapped_column(Integer)
    scope_code: Mapped[str | None] = mapped_column(CStr(15))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    applied_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    reverted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ChangesetItem(Base):
    """One record's planned change: what it was, what it becomes, and whether that happened."""

    __tablename__ = "changeset_items"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    county: Mapped[str] = County()
    changeset_id: Mapped[str] = mapped_column(String(40))
    person_id: Mapped[int] = mapped_column(BigId)
    stay_id: Mapped[int | None] = mapped_column(BigId)
    # pending | applied | failed | reverted | unchanged
    state: Mapped[str] = mapped_column(String(12), default="pending")
    before: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    after: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    person_version: Mapped[int] = mapped_column(Integer)
    stay_version: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    __table_args__ = (Index("ix_changeset_items_state", "changeset_id", "state", "id"),)


class Certificate(Base):
    """婚育证明: issued by the household side, shown at and verified by the residence side."""

    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    county: Mapped[str] = County()
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    number: Mapped[str | None] = mapped_column(String(40))
    issued_by_code: Mapped[str | None] = mapped_column(CStr(15))
    issued_on: Mapped[dt.date | None] = mapped_column(Date)
    expires_on: Mapped[dt.date | None] = mapped_column(Date)
    verified_on: Mapped[dt.date | None] = mapped_column(Date)
    verified_by_code: Mapped[str | None] = mapped_column(CStr(15))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class Reminder(Base):
    """A reminder notice (催办通知书) with a deadline, e.g. for a missing certificate."""

    __tablename__ = "reminders"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    county: Mapped[str] = County()
    person_id: Mapped[int] = mapped_column(BigId, index=True)
    kind: Mapped[str] = mapped_column(String(20))
    issued_on: Mapped[dt.date] = mapped_column(Date)
    deadline: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text)
    resolved_on: Mapped[dt.date | None] = mapped_column(Date)
    issued_by: Mapped[str | None] = mapped_column(String(64))


class Campaign(Base):
    """A quarterly inspection (季度清查) of a jurisdiction: the list in scope is fixed when it starts."""

    __tablename__ = "campaigns"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    quarter: Mapped[str] = mapped_column(String(6))
    jurisdiction_code: Mapped[str] = mapped_column(CStr(15), index=True)
    name: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="open")
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    closed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class CampaignAssignment(Base):
    __tablename__ = "campaign_assignments"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    campaign_id: Mapped[int] = mapped_column(BigId, index=True)
    division_code: Mapped[str] = mapped_column(CStr(15))
    username: Mapped[str] = mapped_column(String(64))


class CampaignItem(Base):
    """One stay or rented house to check door to door, and what was found."""

    __tablename__ = "campaign_items"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    county: Mapped[str] = mapped_column(CStr(6), default=_county_from("village_code"))
    campaign_id: Mapped[int] = mapped_column(BigId)
    kind: Mapped[str] = mapped_column(String(8))  # stay | house
    person_id: Mapped[int | None] = mapped_column(BigId)
    stay_id: Mapped[int | None] = mapped_column(BigId)
    house_code: Mapped[str | None] = mapped_column(CStr(18))
    village_code: Mapped[str] = mapped_column(CStr(15))
    grid_code: Mapped[str | None] = mapped_column(CStr(15))
    outcome: Mapped[str | None] = mapped_column(String(20))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    recorded_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    recorded_by: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer, default=1)

    __table_args__ = (
        Index("ix_campaign_items_village", "campaign_id", "village_code", "grid_code"),
        Index("ix_campaign_items_stay", "campaign_id", "stay_id"),
    )


class PeriodClose(Base):
    """A closed month's figures, frozen at its cut-off (the 12th, 03:00 Beijing time; county.closing)."""

    __tablename__ = "period_closes"
    period: Mapped[str] = mapped_column(String(10), primary_key=True)
    starts_at: Mapped[dt.datetime] = mapped_column(DateTime)  # UTC, as every timestamp here
    ends_at: Mapped[dt.datetime] = mapped_column(DateTime)
    closed_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    closed_by: Mapped[str] = mapped_column(String(64))
    figures: Mapped[dict[str, Any]] = mapped_column(JSON)  # {rate: {division code: [numerator, denominator]}}
    basis: Mapped[dict[str, Any]] = mapped_column(JSON)  # {rate: [person ids behind its gap]}


class CalendarYear(Base):
    """The State Council's holiday notice for a year the calendar package does not cover (rules.workdays)."""

    __tablename__ = "calendar_years"
    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    holidays: Mapped[list[Any]] = mapped_column(JSON)  # ISO dates
    workdays: Mapped[list[Any]] = mapped_column(JSON)  # weekend days worked instead (调休)
    source: Mapped[str] = mapped_column(String(300))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(64))


class ImportBatch(Base):
    """One legacy import: its progress and counts, committed with each chunk it writes (files.imports)."""

    __tablename__ = "import_batches"
    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # persons
    filename: Mapped[str] = mapped_column(String(200))
    # running | done | refused | failed | interrupted (left running by a process that ended)
    status: Mapped[str] = mapped_column(String(16))
    stage: Mapped[str] = mapped_column(String(16))  # check | import
    total: Mapped[int] = mapped_column(Integer)  # rows in the file (as counted before the import)
    done: Mapped[int] = mapped_column(Integer)  # rows handled so far
    last_line: Mapped[int] = mapped_column(Integer)  # every good row up to this file line is stored, none after it
    inserted: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    unchanged: Mapped[int] = mapped_column(Integer)
    rejected: Mapped[int] = mapped_column(Integer)
    options: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_by: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    finished_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ExchangeIdentity(Base):
    """This registry's Ed25519 key pair for signing exchange envelopes (one row, id 1; registry.exchange)."""

    __tablename__ = "exchange_identity"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    registry_id: Mapped[str] = mapped_column(String(40))
    private_key: Mapped[str] = mapped_column(Text)  # PKCS#8 PEM
    public_key: Mapped[str] = mapped_column(String(64))  # raw 32 bytes, base64
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ExchangePeer(Base):
    """Another registry (or a relay): where it answers, its public key, the division prefixes it serves."""

    __tablename__ = "exchange_peers"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    url: Mapped[str] = mapped_column(String(500))
    public_key: Mapped[str] = mapped_column(String(64), index=True)
    serves: Mapped[list[Any]] = mapped_column(JSON)  # division code prefixes
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class ExchangeOutbox(Base):
    """An envelope's content waiting for delivery to the peer serving ``route_code`` (at least once, back-off)."""

    __tablename__ = "exchange_outbox"
    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    message_uid: Mapped[str] = mapped_column(String(40), index=True)
    what: Mapped[str] = mapped_column(String(10))  # record | state | forward (a relay passing one on)
    route_code: Mapped[str] = mapped_column(CStr(15))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(12))  # pending | delivered
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(String(500))
    peer: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    __table_args__ = (Index("ix_exchange_outbox_pending", "status", "next_attempt_at"),)


class ExchangeMirror(Base):
    """For a message exchanged with a peer (received from it, or sent to it): the version whose state was last
    queued for the other side (or applied from it: what came from there is not sent back)."""

    __tablename__ = "exchange_mirror"
    message_uid: Mapped[str] = mapped_column(String(40), primary_key=True)
    sent_version: Mapped[int] = mapped_column(Integer)
