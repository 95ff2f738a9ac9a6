"""Issue 12, item 4: ``with_raw_response`` is typed as it answers. mypy (its API, on one small snippet, with a
cache in the temp folder) reveals ``client.with_raw_response.persons.get(1)`` as ``APIResponse[PersonDetail]`` and
its ``.parse()`` as ``PersonDetail``; at run time the raw resources offer each call the plain ones do."""

from __future__ import annotations

import inspect
import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest
from mypy import api

import flowpop
from flowpop import types
from flowpop._base import APIResponse

ROOT = Path(__file__).resolve().parents[2]
SNIPPET = '''
import flowpop

def plain(c: flowpop.Client) -> None:
    r = c.with_raw_response.persons.get(1)
    reveal_type(r)
    reveal_type(r.parse())
    reveal_type(c.with_raw_response.inbox.acknowledge([1]).parse())
    reveal_type(c.with_raw_response.me())
    c.with_raw_response.persons.get(1, revael=True)

async def aio(c: flowpop.AsyncClient) -> None:
    r = await c.with_raw_response.persons.get(1)
    reveal_type(r)
    reveal_type(r.parse())
'''


def test_mypy_sees_the_raw_responses_types(tmp_path: Path) -> None:
    snippet = tmp_path / "raw_snippet.py"
    snippet.write_text(SNIPPET, "utf-8")
    cache = Path(tempfile.gettempdir()) / "flowpop-mypy-raw-cache"
    out, err, _status = api.run([str(snippet), "--cache-dir", str(cache), "--follow-imports=silent",
                                 "--config-file", str(ROOT / "pyproject.toml"), "--no-pretty"])
    lines = [line.split(": ", 2)[-1] for line in out.splitlines() if "raw_snippet.py" in line]
    assert lines == [
        'Revealed type is "flowpop._base.APIResponse[flowpop.types.PersonDetail]"',
        'Revealed type is "flowpop.types.PersonDetail"',
        'Revealed type is "flowpop.types.BulkResult"',
        'Revealed type is "flowpop._base.APIResponse[flowpop.types.Me]"',
        'Unexpected keyword argument "revael"; did you mean "reveal"?  [call-arg]',
        'Revealed type is "flowpop._base.APIResponse[flowpop.types.PersonDetail]"',
        'Revealed type is "flowpop.types.PersonDetail"',
    ], out + err


RESOURCES = ("persons", "stays", "divisions", "users", "tokens", "audit", "inbox", "exchange", "houses", "employers",
             "changesets", "inspections", "reports")
NO_RAW = {"persons.list", "inbox.list", "persons.export_to"}  # pagers, and a download written to a file


@pytest.mark.parametrize("resource", RESOURCES)
def test_every_call_has_its_raw_form(resource: str, client: flowpop.Client) -> None:
    plain, raw = getattr(client, resource), getattr(client.with_raw_response, resource)
    for name, _method in inspect.getmembers(plain, inspect.ismethod):
        if name.startswith("_") or f"{resource}.{name}" in NO_RAW:
            continue
        assert callable(getattr(raw, name, None)), f"with_raw_response.{resource}.{name}"


def test_a_raw_response_parses_to_the_plain_answer(client: flowpop.Client,
                                                   make_person: Callable[..., types.PersonDetail]) -> None:
    person = make_person()
    answer = client.with_raw_response.persons.get(person.id)
    assert isinstance(answer, APIResponse) and answer.status_code == 200 and answer.request_id
    parsed = answer.parse()
    assert isinstance(parsed, types.PersonDetail) and parsed.id == person.id
    assert isinstance(client.with_raw_response.me().parse(), types.Me)
