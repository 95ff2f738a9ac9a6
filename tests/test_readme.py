"""README.md's tour, run as the README writes it against a small demo registry.

The examples are read from README.md on every run, never copied here: each command line of the
"### Command line" block goes through Click's runner in the README's order, and the "### SDK"
block is executed as it stands. Example values that must name something real (person 42, inbox
item 7, a changeset ID, a campaign, a house code, the files the commands read) are swapped for
values of the demo registry; the command and its options stay the README's. A failure names the
README line.

Not run: "## Two commands" (`./run demo` builds a 20,000-person registry and opens the console;
`./run test` would run this suite inside itself). The tour is about the embedded registry and its
`flowpop backup`/`restore` are SQLite-only, so the tests that need a registry skip on PostgreSQL.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import json
import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import create_engine

import flowpop
from flowpop.demo.build import build
from flowpop.rules import idnumber
from flowpop_cli.main import cli
from tests.conftest import PG_URL

README = Path(__file__).resolve().parents[1] / "README.md"
DEMO_SIZE = 400  # person 42 exists; the demo's build takes a few seconds
DEMO_SEED = 7


@dataclass(frozen=True)
class Example:
    line: int  # README.md line number
    text: str  # the command as the README writes it
    argv: list[str]  # after `flowpop`
    stdout_to: str | None = None  # `> FILE`

    def where(self) -> str:
        return f"README.md:{self.line}: {self.text}"


def fenced(heading: str, lang: str) -> tuple[int, list[str]]:
    """The first ```lang block under a heading: the README line number of its first line, its lines."""
    lines = README.read_text(encoding="utf-8").splitlines()
    start = lines.index(heading)
    opening = next(i for i in range(start + 1, len(lines)) if lines[i].strip() == f"```{lang}")
    assert not any(line.startswith("#") for line in lines[start + 1:opening]), f"no ```{lang} block under {heading}"
    end = next(i for i in range(opening + 1, len(lines)) if lines[i].strip() == "```")
    return opening + 2, lines[opening + 1:end]


def shell_commands(line: int, code: str) -> Iterator[Example]:
    """`flowpop …` commands of one shell line, split on `;`, with `> FILE` noted."""
    lexer = shlex.shlex(code, posix=True, punctuation_chars=";>")
    lexer.whitespace_split = True
    segments: list[list[str]] = [[]]
    for token in lexer:
        if token == ";":
            segments.append([])
        else:
            segments[-1].append(token)
    texts = [part.strip() for part in code.split(";")]
    assert len(texts) == len(segments), code
    for text, tokens in zip(texts, segments, strict=True):
        assert tokens[0] == "flowpop", f"README.md:{line}: not a flowpop command: {text}"
        stdout_to = None
        if ">" in tokens:
            at = tokens.index(">")
            tokens, stdout_to = tokens[:at], tokens[at + 1]
        yield Example(line, text, tokens[1:], stdout_to)


def cli_examples() -> list[Example]:
    """Every command of the tour's command-line block, in order. A comment's "then a, b" names
    further commands of the same line (`inbox show 7, inbox reply 7 …`); they run after it."""
    first, lines = fenced("### Command line", "sh")
    found: list[Example] = []
    i = 0
    while i < len(lines):
        line, text = first + i, lines[i]
        while text.rstrip().endswith("\\"):
            i += 1
            text = text.rstrip()[:-1].rstrip() + " " + lines[i].strip()
        i += 1
        if not text.startswith("flowpop"):
            continue
        code, _, comment = text.partition(" #")
        found.extend(shell_commands(line, code.strip()))
        if then := re.search(r"\bthen (.+)$", comment):
            for more in then.group(1).split(", "):
                found.extend(shell_commands(line, "flowpop " + more))
    return found


# ------------------------------------------------------------------------------ the registry


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> str:
    if PG_URL:
        pytest.skip("the README's tour is the embedded SQLite registry (backup/restore are SQLite-only)")
    path = tmp_path_factory.mktemp("readme") / "demo.db"
    build(str(path), DEMO_SIZE, seed=DEMO_SEED)
    engine = create_engine(f"sqlite:///{path}")
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return str(path)


@pytest.fixture
def demo(demo_template: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh copy of the demo registry, FLOWPOP_DB pointing at it, the working directory empty."""
    db = tmp_path / "demo.db"
    db.write_bytes(Path(demo_template).read_bytes())
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for name in ("FLOWPOP_URL", "FLOWPOP_TOKEN", "FLOWPOP_PROFILE", "FLOWPOP_LANG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("FLOWPOP_CONFIG", str(tmp_path / "no-config.toml"))
    monkeypatch.setenv("FLOWPOP_DB", str(db))
    return str(db)


@contextlib.contextmanager
def registry(db: str) -> Iterator[flowpop.Client]:
    with flowpop.Client(db=db, max_retries=0) as c:
        yield c


def usable_person(c: flowpop.Client, wanted: int) -> int:
    """`wanted` if it can be edited and deregistered (registered, with an open stay), else the first such one."""
    def usable(p: flowpop.types.Person) -> bool:
        return p.status == "active" and p.current_stay_id is not None

    with contextlib.suppress(flowpop.NotFoundError):
        if usable(c.persons.get(wanted)):
            return wanted
    return next(p.id for p in c.persons.list(status="active", limit=100) if usable(p))


def usable_request(c: flowpop.Client, wanted: int) -> int:
    """`wanted` if it is an open request (one that can be answered), else the first open request."""
    with contextlib.suppress(flowpop.NotFoundError):
        m = c.inbox.get(wanted)
        if m.kind == "assist_request" and m.status in ("new", "read", "matched", "verifying"):
            return wanted
    return next(m.id for m in c.inbox.list(kind="assist_request", status="open"))


def usable_house(c: flowpop.Client, wanted: str) -> str:
    with contextlib.suppress(flowpop.NotFoundError):
        return c.houses.get(wanted).house.code
    return c.houses.list(limit=1)[0].code


def real(example: Example, db: str) -> list[str]:
    """The example's arguments with its example values made real; files it reads written first."""
    argv = list(example.argv)
    with registry(db) as c:
        match argv:
            case ["persons", "show" | "edit" | "deregister", person, *_]:
                argv[2] = str(usable_person(c, int(person)))
            case ["inbox", "show" | "reply", message, *_]:
                argv[2] = str(usable_request(c, int(message)))
            case ["houses", "show", code]:
                argv[2] = usable_house(c, code)
            case ["bulk", "apply" | "revert", "ID"]:  # the changeset the preview just planned
                argv[2] = c.changesets.list(limit=1)[0].id
            case ["inspect", "progress", _]:  # the campaign just created
                argv[2] = str(max(campaign.id for campaign in c.inspections.list()))
            case ["inbox", "import", name]:
                write_incoming_batch(Path(name))
            case ["import", name, *_]:
                write_legacy_csv(Path(name))
    return argv


def write_incoming_batch(path: Path) -> None:
    """A batch from a place outside the registry: the tour's own export, sent back the other way."""
    exported = [json.loads(line) for line in Path("out.jsonl").read_text(encoding="utf-8").splitlines()]
    assert exported, "the tour's `inbox export -o out.jsonl` exported nothing to send back"
    m = exported[0]
    m["sender_code"], m["addressee_code"] = m["addressee_code"], m["sender_code"]
    m["uid"] = m["thread_uid"] = "ext-" + m["uid"]
    path.write_text(json.dumps(m, ensure_ascii=False) + "\n", encoding="utf-8")


def write_legacy_csv(path: Path) -> None:
    """A GB18030 file from an older system: one good row, one with a wrong check character."""
    good = idnumber.make("360102", dt.date(1988, 4, 9), 358)
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["姓名", "身份证号", "性别", "户籍地", "现居住地", "流入日期", "流动原因"])
    writer.writerow(["林秀兰", good, "女", "360102", "350404001001", "2024.3.5", "务工"])
    writer.writerow(["坏号码", bad, "女", "360102", "350404001001", "2024年3月5日", "经商"])
    path.write_bytes(out.getvalue().encode("gb18030"))


def invoke(argv: list[str], **kwargs: object) -> Result:
    return CliRunner().invoke(cli, argv, prog_name="flowpop", **kwargs)  # type: ignore[arg-type]


def failed(example: Example, argv: list[str], result: Result, why: str) -> str:
    return (f"{example.where()}\n  ran: flowpop {shlex.join(argv)}\n  {why}\n"
            f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}{result.exception or ''}")


# ------------------------------------------------------------------------------------ tests


def test_the_tour_finds_its_examples() -> None:
    examples = cli_examples()
    commands = [" ".join(e.argv[:2]) for e in examples]
    assert len(examples) >= 30 and commands[0] == "me" and commands[-1] == "restore registry.bak"
    assert "inbox reply" in commands  # from a comment's "then …"
    add = next(e for e in examples if e.argv[:2] == ["persons", "add"])
    assert "--arrived" in add.argv and "--reason" in add.argv  # joined across the backslash


def check_serve(example: Example) -> None:
    """`flowpop serve` blocks: its help answers and its command parses the README's options."""
    options = example.argv[1:]
    shown = invoke(["serve", "--help"])
    assert shown.exit_code == 0, failed(example, ["serve", "--help"], shown, "serve --help failed")
    for option in (o for o in options if o.startswith("--")):
        assert option in shown.stdout, f"{example.where()}: `flowpop serve --help` does not list {option}"
    serve = cli.commands["serve"]
    with serve.make_context("serve", list(options)) as ctx:
        assert ctx.params["port"] == int(options[options.index("--port") + 1])


def test_command_line_block_runs(demo: str) -> None:
    for example in cli_examples():
        if example.argv[0] == "serve":
            check_serve(example)
            continue
        argv = real(example, demo)
        result = invoke(argv)
        assert result.exit_code == 0, failed(example, argv, result, f"exit code {result.exit_code}, README expects 0")
        assert "Traceback" not in result.stderr, failed(example, argv, result, "a traceback")
        if example.stdout_to:
            Path(example.stdout_to).write_text(result.stdout, encoding="utf-8")
        for written in [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "-o"]:
            assert Path(written).stat().st_size > 0, failed(example, argv, result, f"{written} not written")
        match argv:
            case ["import", name, *_]:  # "bad rows go to old.csv.errors.csv"
                assert Path(f"{name}.errors.csv").exists(), failed(example, argv, result, "no errors file")
            case ["backup", name]:
                assert Path(name).stat().st_size > 0, failed(example, argv, result, f"{name} not written")


def test_shell_completion_as_the_readme_shows() -> None:
    text = README.read_text(encoding="utf-8")
    var, value = re.search(r'eval "\$\((_FLOWPOP_COMPLETE)=(\w+) flowpop\)"', text).groups()  # type: ignore[union-attr]
    result = invoke([], env={var: value})
    assert result.exit_code == 0, result.output
    assert "complete " in result.stdout and f"{var}=" in result.stdout  # a bash completion function


def test_console_is_a_command() -> None:
    """`flowpop console` needs a terminal (tests/tui/ drive it through Textual's pilot)."""
    assert "`flowpop console` opens" in README.read_text(encoding="utf-8")
    assert invoke(["console", "--help"]).exit_code == 0


def test_sdk_block_runs(demo: str, capsys: pytest.CaptureFixture[str]) -> None:
    first, lines = fenced("### SDK", "python")
    code = "\n".join(lines)
    assert "\n# client = flowpop.Client(url=" in code  # the server alternative stays a comment
    with registry(demo) as c:
        person = usable_person(c, 42)
        before = c.persons.get(person)
    assert "persons.get(42)" in code
    code = code.replace("persons.get(42)", f"persons.get({person})")
    namespace: dict[str, object] = {"__name__": "readme_sdk"}
    try:
        exec(compile(code, f"README.md (SDK block from line {first})", "exec"), namespace)
    finally:
        client = namespace.get("client")
        if isinstance(client, flowpop.Client):
            client.close()
    printed = capsys.readouterr().out  # may be empty: 400 people need not hold a key target "zs…" flowing in
    with registry(demo) as c:
        after = c.persons.get(person)
    # neither except branch ran: the update was written
    assert (after.phone, after.version) == ("13800000000", before.version + 1), printed
