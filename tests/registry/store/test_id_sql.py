"""The ID-number rules written as SQL (`flowpop.registry.store.id_sql`, used by the quality checks) agree with
python-stdnum's check character and with `rules.idnumber` on generated numbers, in the test store."""

from __future__ import annotations

import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import create_engine, literal, select

from flowpop.registry.store import id_sql
from flowpop.registry.store.db import normalize_url
from flowpop.rules import idnumber
from tests.conftest import person_fields

DIGITS = st.text(alphabet="0123456789", min_size=17, max_size=17)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first17=st.lists(DIGITS, min_size=5, max_size=5), odd=st.text(alphabet="0123456789X-汉 ", min_size=18,
                                                                       max_size=18))
def test_check_character_and_sex_agree_with_python(db_url, first17, odd) -> None:
    engine = create_engine(normalize_url(db_url))
    dialect = engine.dialect.name
    try:
        with engine.connect() as conn:
            for body in first17:
                number = body + idnumber.check_char(body)
                wrong = body + ("0" if number[-1] != "0" else "1")
                got = conn.execute(select(id_sql.check_char(literal(number), dialect),
                                          id_sql.checksum_ok(literal(number), dialect),
                                          id_sql.checksum_ok(literal(wrong), dialect),
                                          id_sql.sex_of(literal(number), dialect))).one()
                assert tuple(got) == (number[-1], True, False, "M" if int(number[16]) % 2 else "F")
            # any other text: a wrong check character, never an error
            assert conn.execute(select(id_sql.checksum_ok(literal(odd), dialect))).scalar() in (True, False, 0, 1)
    finally:
        engine.dispose()


def test_birth_digits_match_the_number(db_url) -> None:
    engine = create_engine(normalize_url(db_url))
    born = dt.date(1984, 2, 29)
    number = idnumber.make("360102", born, 12)
    try:
        with engine.connect() as conn:
            got = conn.execute(select(id_sql.birth_digits(literal(born)))).scalar()
    finally:
        engine.dispose()
    assert got == number[6:14] == "19840229"


def test_failed_ids_come_from_the_index_the_store_keeps(client, db_url) -> None:
    """The persons whose number fails its check, as the quality check reads them (``checksum_failed_ids``, from the
    partial index of migration 0018), are those the check character refuses — whatever wrote the number (here a
    plain UPDATE, as an old import or a hand repair would): the store keeps the index. The migration's copy of the
    condition is the text the query states (else the index is never used); SQLite reads the index."""
    from importlib import import_module

    from sqlalchemy import text

    people = [client.persons.create(**person_fields()).id for _ in range(6)]
    body = "36010219900506123"
    good = body + idnumber.check_char(body)
    wrong = body + ("0" if good[-1] != "0" else "1")
    numbers = [good, wrong, "360102900506123", body, wrong[:17] + "x",
               idnumber.make("350402", dt.date(1985, 1, 2), 7)]
    engine = create_engine(normalize_url(db_url))
    dialect = engine.dialect.name
    try:
        with engine.begin() as conn:
            for pid, number in zip(people, numbers, strict=True):
                conn.execute(text("UPDATE persons SET id_number = :n WHERE id = :id"), {"n": number, "id": pid})
            failed = set(conn.execute(id_sql.checksum_failed_ids(dialect)).scalars())
            if dialect == "sqlite":
                plan = " ".join(str(r) for r in conn.execute(text("EXPLAIN QUERY PLAN " + str(
                    id_sql.checksum_failed_ids(dialect)))).all())
                assert id_sql.CHECK_FAILED_INDEX in plan
    finally:
        engine.dispose()

    def fails(n: str) -> bool:
        return len(n) != 15 and (len(n) != 18 or n[17] != idnumber.check_char(n[:17]))

    assert failed & set(people) == {pid for pid, n in zip(people, numbers, strict=True) if fails(n)}
    assert len(failed & set(people)) == 3  # the wrong check character, 17 characters, a lower-case x
    migration = import_module("flowpop.registry.store.migrations.versions.0018_id_check_failed_index")
    assert all(migration.failed(d) == id_sql.checksum_failed_sql(d) for d in ("sqlite", "postgresql"))
