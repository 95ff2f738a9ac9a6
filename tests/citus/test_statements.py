"""The statement checker (tests/citus/statements.py) on example statements, written as SQLAlchemy sends them to
PostgreSQL: what Citus can run on one node per county passes, each way of joining distributed tables across
shards is flagged."""

from __future__ import annotations

import pytest

from flowpop.registry.store.distribution import LAYOUT, Placement
from tests.citus.statements import check, normalize

GOOD = [
    pytest.param("SELECT persons.id, persons.name FROM persons WHERE persons.id = %(id_1)s::BIGINT", id="one table"),
    pytest.param("SELECT p.id FROM persons AS p JOIN stays AS s ON s.person_id = p.id AND s.county = p.county",
                 id="join on county"),
    pytest.param("SELECT p.id FROM persons p, stays s WHERE s.person_id = p.id AND p.county = s.county "
                 "AND p.status = %(status_1)s", id="comma join, county in WHERE"),
    pytest.param("SELECT p.id FROM persons p LEFT OUTER JOIN stays s ON s.county = p.county "
                 "AND s.id = p.current_stay_id", id="left join on county"),
    pytest.param("SELECT 1 FROM persons p JOIN stays s USING (county)", id="join USING county"),
    pytest.param("SELECT p.id FROM persons p JOIN stays s ON s.person_id = p.id AND s.county = p.county "
                 "JOIN history h ON h.county = s.county AND h.person_id = p.id", id="three tables, county chained"),
    pytest.param("SELECT p.id FROM persons p JOIN stays s ON s.person_id = p.id "
                 "WHERE p.county = %(county_1)s AND s.county = %(county_1)s", id="both on one county (one shard)"),
    pytest.param("SELECT p.id FROM persons p JOIN divisions d ON d.code = p.residence_code "
                 "JOIN users u ON u.username = p.created_by", id="with reference tables"),
    pytest.param("SELECT p.id FROM persons p WHERE EXISTS (SELECT 1 FROM stays s "
                 "WHERE s.person_id = p.id AND s.county = p.county AND s.status = %(status_1)s)",
                 id="EXISTS correlated on county"),
    pytest.param("SELECT p.id FROM persons p WHERE NOT EXISTS (SELECT 1 FROM divisions d "
                 "WHERE d.code = p.residence_code)", id="correlation with a reference table"),
    pytest.param("SELECT p.id FROM persons p WHERE p.id IN (SELECT s.person_id FROM stays s "
                 "WHERE s.status = %(status_1)s)", id="uncorrelated IN (planned first)"),
    pytest.param("SELECT persons.id, (SELECT count(*) FROM stays WHERE stays.person_id = persons.id "
                 "AND stays.county = persons.county) AS n FROM persons", id="scalar subquery on county"),
    pytest.param("WITH recent AS (SELECT h.person_id, h.county FROM history h WHERE h.at > %(at_1)s) "
                 "SELECT p.id FROM persons p JOIN recent ON recent.person_id = p.id", id="CTE joined (planned first)"),
    pytest.param("UPDATE persons SET name = %(name)s FROM stays WHERE stays.person_id = persons.id "
                 "AND stays.county = persons.county", id="UPDATE FROM on county"),
    pytest.param("INSERT INTO history (county, entity, entity_id) VALUES (%(county__0)s, %(entity__0)s, "
                 "%(entity_id__0)s), (%(county__1)s, %(entity__1)s, %(entity_id__1)s)", id="insert writes county"),
    pytest.param("INSERT INTO users (username, role) VALUES (%(username)s, %(role)s) RETURNING users.id",
                 id="insert into a reference table"),
    pytest.param("CREATE TABLE x (id int)", id="not a query"),
    pytest.param("SELECT stays.id FROM stays WHERE stays.id %% %(id_1)s::BIGINT = %(param_1)s::BIGINT",
                 id="a modulo as pyformat writes it"),
    # the ID-number index is distributed by id_number: its county is a copy, written and updated like any column
    pytest.param("UPDATE id_numbers SET county=%(county)s::VARCHAR WHERE id_numbers.id_number = %(id_number_1)s",
                 id="id_numbers: its county is no distribution column"),
    pytest.param("INSERT INTO id_numbers (id_number, person_id) VALUES (%(id_number)s, %(person_id)s)",
                 id="id_numbers: an insert names its id_number"),
]

BAD = [
    pytest.param("SELECT p.id FROM persons AS p JOIN stays AS s ON s.person_id = p.id",
                 [("join", ("persons", "stays"))], id="join on id only"),
    pytest.param("SELECT persons.id FROM persons, stays WHERE stays.person_id = persons.id",
                 [("join", ("persons", "stays"))], id="comma join"),
    pytest.param("SELECT p.id FROM persons p LEFT OUTER JOIN stays s ON s.id = p.current_stay_id",
                 [("join", ("persons", "stays"))], id="left join"),
    pytest.param("SELECT p.id FROM persons p JOIN stays s ON s.person_id = p.id OR s.county = p.county",
                 [("join", ("persons", "stays"))], id="county equality inside an OR"),
    pytest.param("SELECT p.id FROM persons p JOIN stays s ON s.person_id = p.id AND s.county = p.county "
                 "JOIN messages m ON m.matched_person_id = p.id",
                 [("join", ("messages", "persons"))], id="third table not on county"),
    pytest.param("SELECT p.id FROM persons p JOIN stays s ON s.person_id = p.id "
                 "WHERE p.county = %(county_1)s AND s.county = %(county_2)s",
                 [("join", ("persons", "stays"))], id="two different counties"),
    pytest.param("SELECT p.id FROM persons p WHERE EXISTS (SELECT 1 FROM stays s WHERE s.person_id = p.id)",
                 [("correlation", ("persons", "stays"))], id="EXISTS correlation"),
    pytest.param("SELECT p.id FROM persons p WHERE p.status = %(s)s AND p.id IN (SELECT h.person_id FROM history h "
                 "WHERE h.entity_id = p.id)", [("correlation", ("history", "persons"))], id="correlated IN"),
    pytest.param("SELECT persons.id, (SELECT max(stays.arrived_on) FROM stays WHERE stays.person_id = persons.id) "
                 "FROM persons", [("correlation", ("persons", "stays"))], id="scalar subquery"),
    pytest.param("WITH x AS (SELECT p.id FROM persons p JOIN history h ON h.person_id = p.id) "
                 "SELECT x.id FROM x", [("join", ("history", "persons"))], id="join inside a CTE"),
    pytest.param("SELECT q.id FROM (SELECT s.id FROM stays s JOIN messages m ON m.stay_id = s.id) AS q",
                 [("join", ("messages", "stays"))], id="join inside a derived table"),
    pytest.param("SELECT p.id FROM persons p WHERE p.id IN (SELECT s.person_id FROM stays s WHERE EXISTS "
                 "(SELECT 1 FROM services v WHERE v.person_id = s.person_id))",
                 [("correlation", ("services", "stays"))], id="nested correlation"),
    pytest.param("UPDATE persons SET name = %(name)s FROM stays WHERE stays.person_id = persons.id",
                 [("join", ("persons", "stays"))], id="UPDATE FROM"),
    pytest.param("DELETE FROM stays USING persons WHERE persons.id = stays.person_id",
                 [("join", ("persons", "stays"))], id="DELETE USING"),
    pytest.param("UPDATE stays SET status = %(status)s WHERE EXISTS (SELECT 1 FROM persons "
                 "WHERE persons.current_stay_id = stays.id)", [("correlation", ("persons", "stays"))],
                 id="UPDATE with a correlated EXISTS"),
    pytest.param("UPDATE persons SET county = %(county)s WHERE persons.id = %(id_1)s",
                 [("county_update", ("persons",))], id="moving a row by its county"),
    pytest.param("INSERT INTO history (entity, entity_id) VALUES (%(entity__0)s, %(entity_id__0)s)",
                 [("insert_without_county", ("history",))], id="insert without county"),
    pytest.param("INSERT INTO stays (person_id, county) SELECT p.id, p.county FROM persons p JOIN stays s "
                 "ON s.person_id = p.id", [("join", ("persons", "stays"))], id="INSERT … SELECT with a bad join"),
    pytest.param("SELECT a.id FROM persons a JOIN persons b ON b.id_number = a.id_number AND b.id < a.id",
                 [("join", ("persons",))], id="self-join across counties"),
    pytest.param("SELECT p.id FROM persons p JOIN id_numbers i ON i.person_id = p.id AND i.county = p.county",
                 [("join", ("id_numbers", "persons"))], id="id_numbers joined on its county copy"),
    pytest.param("UPDATE id_numbers SET id_number = %(n)s WHERE id_numbers.person_id = %(p)s",
                 [("county_update", ("id_numbers",))], id="id_numbers: moving a row by its distribution column"),
]


@pytest.mark.parametrize("sql", GOOD)
def test_good_statements_pass(sql: str) -> None:
    assert check(sql) == []


@pytest.mark.parametrize(("sql", "expected"), BAD)
def test_bad_statements_are_flagged(sql: str, expected: list[tuple[str, tuple[str, ...]]]) -> None:
    assert [(v.kind, v.tables) for v in check(sql)] == expected


def test_the_layout_decides() -> None:
    sql = "SELECT p.id FROM persons p JOIN stays s ON s.person_id = p.id"
    assert check(sql, {**LAYOUT, "stays": Placement("reference", "small after all")}) == []


def test_unqualified_columns_resolve_through_the_table_columns() -> None:
    sql = "SELECT 1 FROM persons p JOIN stays s ON s.person_id = p.id WHERE county = %(c)s AND s.county = %(c)s"
    assert [v.kind for v in check(sql)] == ["join"]  # an unqualified county among two tables proves nothing
    columns = {"persons": {"id", "county"}, "stays": {"person_id"}}
    assert check(sql, columns=columns) == []  # unless only one of them has the column


def test_unparsable_statements_are_reported() -> None:
    assert [v.kind for v in check("SELECT FROM WHERE ((")] == ["unparsed"]


def test_one_text_per_statement_shape() -> None:
    many = ("INSERT INTO history (entity, entity_id) VALUES (%(entity__0)s, %(entity_id__0)s), "
            "(%(entity__1)s, %(entity_id__1)s) RETURNING history.id")
    assert normalize(many) == "INSERT INTO history (entity, entity_id) VALUES (%(entity)s, %(entity_id)s) RETURNING history.id"
    listed = "SELECT persons.id FROM persons WHERE persons.id IN (%(id_1_1)s, %(id_1_2)s, %(id_1_3)s)"
    assert normalize(listed) == "SELECT persons.id FROM persons WHERE persons.id IN (%(id_1_1)s)"
    assert normalize(listed.replace("3)s)", "3)s, %(id_1_4)s)")) == normalize(listed)
    cast = "SELECT stays.id FROM stays WHERE stays.id IN (%(id_1_1)s::BIGINT, %(id_1_2)s::BIGINT) AND stays.x = 1"
    assert normalize(cast) == "SELECT stays.id FROM stays WHERE stays.id IN (%(id_1_1)s::BIGINT) AND stays.x = 1"
    text = "SELECT 1 FROM t WHERE t.at IN (%(a_1)s::TIMESTAMP WITHOUT TIME ZONE, %(a_2)s::TIMESTAMP WITHOUT TIME ZONE)"
    assert normalize(text) == "SELECT 1 FROM t WHERE t.at IN (%(a_1)s::TIMESTAMP WITHOUT TIME ZONE)"
