"""The demo's transfers (移交) are real ones: a stay in another township of the home county, sent from that
township to ours, moving to one of our villages when accepted — not a stay "moving" to where it already is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

import flowpop
from flowpop.demo.build import build
from flowpop.registry.kernel.divisions import township_of


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[flowpop.Client]:
    db = str(Path(tmp_path_factory.mktemp("demo_transfers")) / "demo.db")
    build(db, 1500, seed=5)
    with flowpop.Client(db=db, max_retries=0) as c:
        yield c


def test_a_demo_transfer_moves_a_stay_to_another_township_of_the_county(demo: flowpop.Client) -> None:
    transfers = list(demo.inbox.list(box="all", status="all", kind="transfer", limit=100))
    assert transfers
    for m in transfers:
        origin, target = m.items["from_residence_code"], m.items["to_residence_code"]
        assert township_of(origin) != township_of(target) and origin[:6] == target[:6]
        assert (m.sender_code, m.addressee_code) == (township_of(origin), township_of(target))
        assert demo.divisions.get(target).level == "village"
        assert demo.stays.get(m.stay_id or 0).residence_code == origin  # nothing moved before acceptance
    open_one = next(m for m in transfers if "accept" in m.allowed_actions)
    demo.inbox.act(open_one.id, "accept", version=open_one.version)
    moved = demo.stays.get(open_one.stay_id or 0)
    assert moved.residence_code == open_one.items["to_residence_code"]
