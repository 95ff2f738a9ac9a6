from __future__ import annotations

import flowpop
from tests import tree


def test_register_and_find_by_pinyin(client: flowpop.Client, make_person) -> None:
    p = make_person(name="张三丰")
    found = [x.id for x in client.persons.list(q="zsf")]
    assert found == [p.id]
    assert client.persons.get(p.id).stays[0].residence_code == tree.VILLAGE_A1
