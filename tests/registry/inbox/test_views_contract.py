"""The inbox views take the contract's filter model (MessageFilters) as the route receives it, not a copy of its
fields of their own, so a filter added to the contract reaches the list without a second declaration."""

from __future__ import annotations

import typing

import pytest

import flowpop
from flowpop import labels
from flowpop.registry.inbox import views
from flowpop.types import MessageFilters
from tests import tree
from tests.conftest import person_fields


def test_the_views_take_message_filters() -> None:
    for function in (views.list_messages, views.lookups, views.needs_writing):
        assert typing.get_type_hints(function)["query"] is MessageFilters, function.__name__
    assert not hasattr(views, "InboxQuery")


@pytest.mark.parametrize("kind", ["assist_request", "not_found"])
def test_the_sheet_names_the_kind_by_the_vocabulary(townships: tuple[flowpop.Client, flowpop.Client],
                                                    kind: str) -> None:
    a, d = townships
    p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
    asked = d.inbox.send(kind=kind, addressee_code=tree.TOWNSHIP_A, person_id=p.id, items={"verify": ["在住"]})
    html = a.inbox.sheet(asked.id)
    assert f"<th>消息类型</th><td>{labels.label('message_kind', kind, 'zh')}</td>" in html
    assert not hasattr(views, "KIND_ZH")
