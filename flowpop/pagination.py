"""Lists you can simply iterate: pages are fetched lazily as iteration reaches them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Iterator
from typing import Any, Generic, TypeVar

from flowpop.types import Page

T = TypeVar("T")


class SyncPager(Generic[T]):
    """``for p in client.persons.list(...)`` walks every page; ``.first_page()`` gives one."""

    def __init__(self, fetch: Callable[[str | None], Page[T]]) -> None:
        self._fetch = fetch
        self._first: Page[T] | None = None

    def first_page(self) -> Page[T]:
        if self._first is None:
            self._first = self._fetch(None)
        return self._first

    def iter_pages(self) -> Iterator[Page[T]]:
        page = self.first_page()
        while True:
            yield page
            if not page.has_more or not page.next_cursor:
                return
            page = self._fetch(page.next_cursor)

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.data

    def page(self, cursor: str | None) -> Page[T]:
        return self._fetch(cursor)


class AsyncPager(Generic[T]):
    """``async for p in client.persons.list(...)``; ``await ….first_page()`` for one page."""

    def __init__(self, fetch: Callable[[str | None], Awaitable[Page[T]]]) -> None:
        self._fetch = fetch
        self._first: Page[T] | None = None

    async def first_page(self) -> Page[T]:
        if self._first is None:
            self._first = await self._fetch(None)
        return self._first

    async def iter_pages(self) -> AsyncIterator[Page[T]]:
        page = await self.first_page()
        while True:
            yield page
            if not page.has_more or not page.next_cursor:
                return
            page = await self._fetch(page.next_cursor)

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.data:
                yield item

    async def page(self, cursor: str | None) -> Page[T]:
        return await self._fetch(cursor)

    def __await__(self) -> Generator[Any, None, Page[T]]:
        return self.first_page().__await__()
