"""Files carry the signed envelopes (issue 13): `flowpop inbox import` of JSON Lines takes, from other registries,
the same signed envelopes as POST /v1/exchange/envelopes. Once this registry has peers, an unsigned line is
refused, as is a line signed by an unknown key or by a peer for a place it does not serve, each with its line's
reason and code, and nothing of a refused line is written. A replay window: an envelope signed longer ago than
[exchange] replay_window_days is refused when it brings a message not received yet; one already received is a
no-op, as always."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

import flowpop
from flowpop.errors import PermissionDeniedError
from flowpop.registry.inbox import envelopes, trust
from flowpop.registry.store import tables as t
from tests import tree
from tests.registry.exchange.test_trust import a_key, b, identity, record  # noqa: F401  # fixtures


def line(envelope: dict[str, Any]) -> str:
    return json.dumps(envelope, ensure_ascii=False) + "\n"


def uids(client: flowpop.Client) -> set[str]:
    return {m.uid for m in client.inbox.list(status="all")}


def test_a_file_takes_signed_lines_and_refuses_the_others_line_by_line(
    b: flowpop.Client, a_key: t.ExchangeIdentity  # noqa: F811
) -> None:
    good, plain, stranger, wrong, half = record(), record(), record(), record(sender="430702001000"), record()
    plain_line = {k: v for k, v in plain.items()}
    batch = "".join([
        line(envelopes.seal(a_key, tree.TOWNSHIP_A, records=[good])),
        line(plain_line),  # a plain record, unsigned
        line(envelopes.seal(identity(), tree.TOWNSHIP_A, records=[stranger])),  # a key not registered here
        line(envelopes.seal(a_key, tree.TOWNSHIP_A, records=[wrong])),  # A for a sender in 湖南: not A's
        line(envelopes.seal(a_key, tree.TOWNSHIP_A, records=[half, {**record(), "kind": "no such kind"}])),
    ])
    result = b.exchange.import_batch(batch)
    assert result.inserted == 1
    codes = {r["line"]: r.get("code") for r in result.rejected}
    assert codes == {2: "unsigned_envelope", 3: "unknown_key", 4: "wrong_division", 5: "malformed_envelope"}
    assert all(r["message"] and r["message_en"] for r in result.rejected)
    assert "unsigned" in result.rejected[0]["message_en"] and result.rejected[0]["uid"] == plain["uid"]
    here = uids(b)
    assert good["uid"] in here and not {plain["uid"], stranger["uid"], wrong["uid"], half["uid"]} & here
    # the same file again: the good line is a no-op, the others refused again
    again = b.exchange.import_batch(batch)
    assert (again.inserted, again.skipped, len(again.rejected)) == (0, 1, 4)


def test_without_peers_plain_records_are_still_taken(client: flowpop.Client) -> None:
    """A registry with no peer exchanges files without keys: its plain records are taken as before."""
    rec = {**record(sender=tree.TOWNSHIP_D, addressee=tree.TOWNSHIP_A)}
    assert client.exchange.import_batch(line(rec)).inserted == 1


def old(ident: t.ExchangeIdentity, rec: dict[str, Any], days: int) -> dict[str, Any]:
    """An envelope as A signed it ``days`` ago."""
    envelope = envelopes.seal(ident, tree.TOWNSHIP_A, records=[rec])
    signed_at = dt.datetime.now(dt.UTC).replace(tzinfo=None) - dt.timedelta(days=days)
    body = {k: v for k, v in envelope.items() if k != "signature"}
    return trust.sign(ident, {**body, "created_at": signed_at.isoformat() + "Z"})


def test_an_old_envelope_with_a_new_message_is_refused_as_a_replay(
    b: flowpop.Client, a_key: t.ExchangeIdentity, monkeypatch: pytest.MonkeyPatch, tmp_path: Path  # noqa: F811
) -> None:
    fresh, late = record(), record()
    assert b.exchange.send_envelope(envelopes.seal(a_key, tree.TOWNSHIP_A, records=[fresh])).inserted == 1
    # signed 40 days ago, beyond the default window of 30: what is here already is a no-op, what is new refused
    assert b.exchange.send_envelope(old(a_key, fresh, 40)).skipped == 1
    with pytest.raises(PermissionDeniedError) as refused:
        b.exchange.send_envelope(old(a_key, late, 40))
    assert refused.value.code == "stale_envelope" and "replay window" in str(refused.value.body)
    in_file = b.exchange.import_batch(line(old(a_key, late, 40)))
    assert in_file.inserted == 0 and in_file.rejected[0]["code"] == "stale_envelope"
    assert late["uid"] not in uids(b)
    # within the window, and with a window set wider, it is taken
    assert b.exchange.send_envelope(old(a_key, late, 29)).inserted == 1
    wider = tmp_path / "wider.toml"
    wider.write_text("[exchange]\nhome = ['3601']\nreplay_window_days = 60\n", encoding="utf-8")
    monkeypatch.setenv("FLOWPOP_SETTINGS", str(wider))
    later = record()
    assert b.exchange.import_batch(line(old(a_key, later, 40))).inserted == 1
