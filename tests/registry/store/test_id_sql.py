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
