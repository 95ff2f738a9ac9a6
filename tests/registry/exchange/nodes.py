"""Two (or more) registries, each a real `flowpop serve` process on loopback with its own registry (a SQLite file,
or a database of its own on PostgreSQL when FLOWPOP_TEST_DATABASE_URL is set) and its own settings file (its own
area), keys created and peers registered both ways by the administrator's commands."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

import flowpop
from flowpop.registry.store.db import normalize_url
from flowpop.types import DivisionIn, Message
from flowpop_cli.main import cli
from tests import tree
from tests.conftest import _free_port, person_fields, registry_copy

T = TypeVar("T")


def until(check: Callable[[], T], what: str, seconds: float = 60) -> T:
    """Poll ``check`` until it answers something true (the other process works at its own pace)."""
    deadline = time.monotonic() + seconds
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting: {what}")
        time.sleep(0.1)


@dataclass
class Node:
    name: str
    db: str
    home: str
    folder: Path
    port: int = field(default_factory=_free_port)
    admin_token: str = ""
    public_key: str = ""
    proc: subprocess.Popen[bytes] | None = None
    clients: list[flowpop.Client] = field(default_factory=list)
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def settings(self) -> Path:
        return self.folder / "settings.toml"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWPOP_")}
        env.update(FLOWPOP_SETTINGS=str(self.settings), FLOWPOP_EXCHANGE_INTERVAL="0.2", FLOWPOP_LANG="en")
        return env

    def cli(self, *args: str, code: int | None = 0) -> str:
        """A `flowpop` command on this registry's file (embedded), as its administrator types it; its exit code
        must be ``code`` (None: any)."""
        result = CliRunner().invoke(cli, ["--db", self.db, *args], env=self.env(), catch_exceptions=False)
        assert code is None or result.exit_code == code, result.output
        return result.output

    def client(self, token: str | None = None) -> flowpop.Client:
        c = flowpop.Client(url=self.url, token=token or self.admin_token, max_retries=0)
        self.clients.append(c)
        return c

    def token_for(self, role: str, jurisdiction: str | None) -> str:
        with flowpop.Client(db=self.db) as c:
            name = f"{self.name}_{role[:8]}_{jurisdiction or 'all'}"
            c.users.create(username=name, role=role, jurisdiction_code=jurisdiction)
            return c.tokens.create(username=name, name="test").token

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "flowpop", "serve", "--db", self.db, "--port", str(self.port)],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "serve.log").open("ab"),
        )

        def up() -> bool:
            try:
                return httpx.get(self.url + "/healthz", timeout=1).status_code == 200
            except httpx.HTTPError:
                assert self.proc is not None and self.proc.poll() is None, (
                    self.folder / "serve.log"
                ).read_text()
                return False

        until(up, f"{self.name} serving")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=20)
        self.proc = None

    def execute(self, statement: str, **params: Any) -> None:
        engine = create_engine(normalize_url(self.db), poolclass=NullPool)
        try:
            with engine.begin() as conn:
                conn.execute(text(statement), params)
        finally:
            engine.dispose()

    def sql(self, query: str, **params: Any) -> list[Any]:
        engine = create_engine(normalize_url(self.db), poolclass=NullPool)
        try:
            with engine.connect() as conn:
                return list(conn.execute(text(query), params).all())
        finally:
            engine.dispose()


@contextlib.contextmanager
def registries(template_db: str, tmp_path: Path, homes: dict[str, str]) -> Iterator[dict[str, Node]]:
    """One node per name → own-area prefix; keys created, each registers the others as peers; servers running."""
    with contextlib.ExitStack() as stack:
        nodes: dict[str, Node] = {}
        for name, home in homes.items():
            folder = tmp_path / name
            folder.mkdir()
            db = stack.enter_context(registry_copy(template_db, folder, prefix=f"x{name.lower()}_"))
            node = Node(name, db, home, folder)
            node.settings.write_text(f"[exchange]\nhome = ['{home}']\n", encoding="utf-8")
            node.admin_token = node.token_for("admin", None)
            node.cli("exchange", "key")
            node.public_key = json.loads(node.cli("exchange", "key", "--show", "--format", "json"))[
                "public_key"
            ]
            nodes[name] = node
        for node in nodes.values():
            for other in nodes.values():
                if other is not node:
                    node.cli(
                        "exchange",
                        "peer",
                        "add",
                        other.name,
                        "--url",
                        other.url,
                        "--key",
                        other.public_key,
                        "--serves",
                        other.home,
                    )
        for node in nodes.values():
            stack.callback(node.stop)
            stack.callback(lambda n=node: [c.close() for c in n.clients])
            node.start()
        yield nodes


COUNTY_FURONG = "430102000000"
TOWNSHIP_E = "430102001000"
VILLAGE_E1 = "430102001001"
NATIONAL = [  # as the national county list has them (the suite's tree has no Hunan)
    DivisionIn(code="430000000000", name="湖南省", level="province"),
    DivisionIn(code="430100000000", name="长沙市", level="city", parent_code="430000000000"),
    DivisionIn(code=COUNTY_FURONG, name="芙蓉区", level="county", parent_code="430100000000", valid_from=1996),
]
TOWNSHIPS = [  # B's own township and village
    DivisionIn(code=TOWNSHIP_E, name="测试街道戊", level="township", is_demo=True),
    DivisionIn(code=VILLAGE_E1, name="戊一社区", level="village", is_demo=True),
]


@contextlib.contextmanager
def hunan(template_db: str, tmp_path: Path) -> Iterator[tuple[Node, Node]]:
    """A holds 三明 (3504), B holds 长沙市芙蓉区 (430102): B's administrator loads its own township and village and
    the national rows of its county, which A loads too (outside A's own area the county is all A needs)."""
    with registries(template_db, tmp_path, {"A": "3504", "B": "430102"}) as nodes:
        a, b = nodes["A"], nodes["B"]
        a.client().divisions.import_rows(NATIONAL)
        b.client().divisions.import_rows(NATIONAL + TOWNSHIPS)
        yield a, b


def ask(a: Node, b: Node, b_township: str = tree.TOWNSHIP_D
        ) -> tuple[flowpop.Client, flowpop.Client, Message, Message]:
    """A's township operator sends a 协查 (在住?) to B's township; waits for it in B. Returns A's and B's operators,
    the request as sent and as B's inbox shows it."""
    a_op = a.client(a.token_for("township_operator", tree.TOWNSHIP_A))
    b_op = b.client(b.token_for("township_operator", b_township))
    sent = a_op.inbox.send(kind="assist_request", addressee_code=b_township, items={"在住": None},
                           subject={"name": "李四", "id_number": person_fields()["id_number"]})
    got = until(lambda: [m for m in b_op.inbox.list(kind="assist_request") if m.uid == sent.uid], "the 协查 in B")[0]
    return a_op, b_op, sent, got
