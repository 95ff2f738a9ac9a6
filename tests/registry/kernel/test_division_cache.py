"""The division cache reads a few divisions by code without loading the tree (issue #16: a one-row query names
its places from two rows, not from a city's 7,000), and answers exactly as the tree does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import update

from flowpop.registry.kernel.divisions import DivisionCache
from flowpop.registry.kernel.registry import Registry
from flowpop.registry.store import tables as t
from tests import tree


@pytest.fixture
def reg(db_url: str) -> Iterator[Registry]:
    registry = Registry(db_url)
    yield registry
    registry.close()


def test_a_few_codes_are_read_alone_and_answer_as_the_tree(reg: Registry) -> None:
    codes = [tree.COUNTY_SHAXIAN, tree.TOWNSHIP_A, tree.COUNTY_SANYUAN, "999999999999", tree.COUNTY_SHAXIAN]
    alone = [reg.divisions.get(code) for code in codes]
    names = [reg.divisions.name(code) for code in codes]
    assert reg.divisions._nodes is None  # the tree was not loaded
    assert alone[-1] is alone[0]  # kept, not read again
    whole = DivisionCache(reg.engine)
    assert alone == [whole.nodes.get(code) for code in codes]
    assert alone[3] is None and names[3] is None
    assert names == [node.full_name if node else None for node in alone]
    assert reg.divisions.check("999999999999", "x") == whole.check("999999999999", "x") != []
    assert reg.divisions.check(tree.TOWNSHIP_A, "x", levels=("village",)) == \
        whole.check(tree.TOWNSHIP_A, "x", levels=("village",)) != []


def test_past_a_few_codes_the_tree_is_loaded(reg: Registry) -> None:
    whole = DivisionCache(reg.engine)
    codes = sorted(whole.nodes)[: DivisionCache.FEW + 1]
    assert [reg.divisions.get(code) for code in codes] == [whole.nodes[code] for code in codes]
    assert reg.divisions._nodes is not None and reg.divisions._few == {}


def test_a_division_read_alone_is_read_again_after_the_recheck_time(reg: Registry,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    before = reg.divisions.name(tree.COUNTY_SHAXIAN)
    assert before is not None
    with reg.engine.begin() as conn:  # as another process renames it
        conn.execute(update(t.Division).where(t.Division.code == tree.COUNTY_SHAXIAN).values(full_name="改名"))
    assert reg.divisions.name(tree.COUNTY_SHAXIAN) == before  # within RECHECK_SECONDS, as the tree
    monkeypatch.setattr(DivisionCache, "RECHECK_SECONDS", 0.0)
    assert reg.divisions.name(tree.COUNTY_SHAXIAN) == "改名"
    with reg.engine.begin() as conn:
        conn.execute(update(t.Division).where(t.Division.code == tree.COUNTY_SHAXIAN).values(full_name=before))
    monkeypatch.setattr(DivisionCache, "RECHECK_SECONDS", 10.0)
    reg.divisions.invalidate()  # as loading divisions here does
    assert reg.divisions.name(tree.COUNTY_SHAXIAN) == before

