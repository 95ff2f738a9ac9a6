"""Trust between registries (issue 13 item 3): POST /v1/exchange/envelopes on a real socket takes no user token;
the envelope's Ed25519 signature, by the key of a registered peer serving the division it claims, is what lets
it in. Forged, unsigned, unknown-key and wrong-division envelopes are refused with a clear problem and logged;
a malformed one is refused whole (nothing half-applied); the same envelope twice changes nothing. The JSON Lines
files carry the same signed envelopes (`inbox export` / `inbox import`)."""

from __future__ import annotations

import copy
import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

import flowpop
from flowpop.registry.inbox import envelopes
from flowpop.registry.store import tables as t
from tests import tree
from tests.conftest import person_fields, registry_copy


def settings(monkeypatch: pytest.MonkeyPatch, folder: Path, home: str) -> None:
    path = folder / f"settings-{home}.toml"
    path.write_text(f"[exchange]\nhome = ['{home}']\n", encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(path))


def identity() -> t.ExchangeIdentity:
    """Another registry's key pair, as its exchange_identity row holds it (never stored here)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    raw = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    import base64

    return t.ExchangeIdentity(
        id=1,
        registry_id=str(uuid.uuid4()),
        private_key=pem.decode(),
        public_key=base64.b64encode(raw).decode(),
    )


def record(
    uid: str | None = None, sender: str = tree.TOWNSHIP_A, addressee: str = tree.TOWNSHIP_D
) -> dict[str, Any]:
    return {
        "format": "flowpop.message/1",
        "uid": uid or str(uuid.uuid4()),
        "kind": "notification",
        "topic": "inflow",
        "thread_uid": None,
        "in_reply_to": None,
        "sender_code": sender,
        "addressee_code": addressee,
        "subject": {"name": "王秀英", "id_number": person_fields()["id_number"]},
        "items": {},
        "text": None,
        "created_at": "2026-12-01T02:00:00",
    }


@pytest.fixture
def b(client: flowpop.Client, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> flowpop.Client:
    """This registry plays B (南昌, 3601); A (三明, 3504) is registered as its peer."""
    settings(monkeypatch, tmp_path, "3601")
    return client


@pytest.fixture
def a_key(b: flowpop.Client) -> t.ExchangeIdentity:
    ident = identity()
    b.exchange.add_peer("A", url="http://127.0.0.1:9", key=ident.public_key, serves=["3504"])
    return ident


def post(server: str, envelope: Any) -> httpx.Response:
    body = envelope if isinstance(envelope, bytes) else json.dumps(envelope, ensure_ascii=False).encode()
    return httpx.post(
        server + "/v1/exchange/envelopes", content=body, headers={"Content-Type": "application/json"}
    )


def count(client: flowpop.Client, uid: str) -> int:
    return sum(1 for m in client.inbox.list(status="all") if m.uid == uid)


def test_a_signed_envelope_is_received_once_without_a_token(
    server: str, b: flowpop.Client, a_key: t.ExchangeIdentity
) -> None:
    rec = record()
    envelope = envelopes.seal(a_key, tree.TOWNSHIP_A, records=[rec])
    first = post(server, envelope)
    assert first.status_code == 200 and first.json() == {
        "inserted": 1,
        "skipped": 0,
        "states": 0,
        "forwarded": 0,
    }
    again = post(server, envelope)  # the same envelope twice (a retry after a lost answer)
    assert again.status_code == 200 and again.json() == {
        "inserted": 0,
        "skipped": 1,
        "states": 0,
        "forwarded": 0,
    }
    assert count(b, rec["uid"]) == 1


@pytest.mark.parametrize(
    ("spoil", "status", "code"),
    [
        (lambda e, k: {x: v for x, v in e.items() if x != "signature"}, 401, "unsigned_envelope"),
        (
            lambda e, k: {**e, "records": [{**e["records"][0], "text": "改过"}]},
            403,
            "bad_signature",
        ),  # forged
        (lambda e, k: envelopes.seal(identity(), tree.TOWNSHIP_A, records=e["records"]), 403, "unknown_key"),
        # A's own key, claiming a sender in 湖南 (4307): A serves 3504 only
        (
            lambda e, k: envelopes.seal(k, "430702000000", records=[record(sender="430702001000")]),
            403,
            "wrong_division",
        ),
        (
            lambda e, k: envelopes.seal(k, tree.TOWNSHIP_A, records=[record(sender="430702001000")]),
            403,
            "wrong_division",
        ),
    ],
)
def test_forged_unsigned_and_wrong_division_envelopes_are_refused_and_logged(
    server: str, b: flowpop.Client, a_key: t.ExchangeIdentity, spoil: Any, status: int, code: str
) -> None:
    envelope = spoil(envelopes.seal(a_key, tree.TOWNSHIP_A, records=[record()]), a_key)
    answer = post(server, envelope)
    assert answer.status_code == status and answer.json()["code"] == code, answer.text
    assert answer.json()["message"] and answer.json()["message_en"]
    assert not [m for m in b.inbox.list(status="all") if m.uid in {r["uid"] for r in envelope["records"]}]
    logged = b.audit.access_log(action="exchange_refused")
    assert logged and code in (logged[0].detail or "")


def test_a_malformed_envelope_is_refused_whole(
    server: str, b: flowpop.Client, a_key: t.ExchangeIdentity
) -> None:
    assert post(server, b"{not json").json()["code"] == "malformed_envelope"
    assert post(server, {"format": "something/1"}).status_code == 422
    good, bad = record(), {**record(), "kind": "no such kind"}
    answer = post(server, envelopes.seal(a_key, tree.TOWNSHIP_A, records=[good, bad]))
    assert (
        answer.status_code == 422
        and answer.json()["code"] == "malformed_envelope"
        and "records.1" in answer.text
    )
    assert count(b, good["uid"]) == 0  # nothing half-applied
    elsewhere = record(addressee=tree.VILLAGE_A1)  # addressed to a place B does not hold
    assert (
        post(server, envelopes.seal(a_key, tree.TOWNSHIP_A, records=[elsewhere])).json()["code"]
        == "not_served_here"
    )


@pytest.fixture
def a_registry(template_db: str, tmp_path: Path) -> Iterator[str]:
    folder = tmp_path / "a"
    folder.mkdir()
    with registry_copy(template_db, folder, prefix="ta_") as url:
        yield url


def test_batch_files_carry_the_same_signed_envelopes(
    a_registry: str, client: flowpop.Client, as_user: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings(monkeypatch, tmp_path, "3504")
    with flowpop.Client(db=a_registry) as a:
        a_ident = a.exchange.create_key()
        a.users.create(username="op_a", role="township_operator", jurisdiction_code=tree.TOWNSHIP_A)
        with flowpop.Client(db=a_registry, token=a.tokens.create(username="op_a", name="t").token) as op:
            op.persons.create(
                **person_fields(
                    household_code=tree.TOWNSHIP_A,
                    stay={"residence_code": tree.VILLAGE_D1, "reason": "work", "arrived_on": "2026-03-01"},
                )
            )
        batch = a.exchange.export()
        assert a.exchange.import_batch(batch).rejected  # its own envelopes: no peer of its own
    (line,) = batch.splitlines()
    envelope = json.loads(line)
    assert (
        envelope["format"] == "flowpop.envelope/1"
        and envelope["signature"]
        and envelope["key"] == a_ident.public_key
    )
    settings(monkeypatch, tmp_path, "3601")  # now B
    unknown = client.exchange.import_batch(batch)
    assert unknown.inserted == 0 and "not registered" in unknown.rejected[0]["message_en"]
    client.exchange.add_peer("A", url="http://127.0.0.1:9", key=a_ident.public_key, serves=["3504"])
    forged = copy.deepcopy(envelope)
    forged["records"][0]["subject"]["name"] = "张三"
    refused = client.exchange.import_batch(json.dumps(forged, ensure_ascii=False) + "\n")
    assert (
        refused.inserted == 0
        and refused.rejected[0]["line"] == 1
        and "signature" in refused.rejected[0]["message_en"]
    )
    assert client.exchange.import_batch(batch).inserted == 1
    assert client.exchange.import_batch(batch).skipped == 1
