"""The inbox views take the contract's filter model (MessageFilters) as the route receives it, not a copy of its
fields of their own, so a filter added to the contract reaches the list without a second declaration."""

from __future__ import annotations

import typing

from flowpop.registry.inbox import views
from flowpop.types import MessageFilters


def test_the_views_take_message_filters() -> None:
    for function in (views.list_messages, views.lookups, views.needs_writing):
        assert typing.get_type_hints(function)["query"] is MessageFilters, function.__name__
    assert not hasattr(views, "InboxQuery")
