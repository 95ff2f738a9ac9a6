"""The residence side cannot answer its own 查无此人 (only the household side, its addressee, can): refused with
403 and a problem whose title says Forbidden (it said Bad Request beside status 403), and nothing changes."""

from __future__ import annotations

import httpx

import flowpop
from tests import tree
from tests.conftest import person_fields


def test_the_sender_resolving_its_own_not_found_is_forbidden(server: str, client: flowpop.Client) -> None:
    client.users.create(username="nf_res", role="township_operator", jurisdiction_code=tree.TOWNSHIP_A)
    secret = client.tokens.create(username="nf_res", name="t").token
    with flowpop.Client(url=server, token=secret, max_retries=0) as a:
        p = a.persons.create(**person_fields(household_code=tree.VILLAGE_D1))
        sent = a.inbox.send(kind="not_found", addressee_code=tree.TOWNSHIP_D, person_id=p.id, text="查无此人")
    reply = httpx.post(
        f"{server}/v1/inbox/{sent.id}/resolve",
        json={"version": sent.version, "outcome": "returned"},
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert reply.status_code == 403, reply.text
    assert reply.json()["code"] == "not_addressee"
    assert reply.json()["title"] == "Forbidden"
    assert client.inbox.get(sent.id).status == "new"
    assert client.persons.get(p.id).stays[0].status == "open"
