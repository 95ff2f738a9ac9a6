"""README.md's tour is a test: every `flowpop …` line of its shell blocks and its SDK block run, in the
README's order, against a fresh demo registry built as `./run demo` builds it (`flowpop demo`, its
default size and seed), and each must exit 0 or the code the line's comment states ("exit 4").

The examples are read from README.md on every run, never copied here, and the test writes no file
the README does not: what a command reads was written by an earlier line. The one stand-in is the
README's own: `bulk apply ID` takes the ID that `bulk preview` printed ("ID: the one preview
printed"). A failure names the README line.

Not run as written (SKIPPED below, each with its reason): `./run demo` / `./run test`, and
`flowpop serve`, which runs until stopped: it is started in the background with the README's options
on the demo registry (for its placeholder `postgresql://...`) and a free port, asked for an answer,
and stopped. `flowpop console` is prose, not a shell line (it needs a terminal; tests/tui/ drive it).
The tour is about the embedded registry and `flowpop backup`/`restore` are SQLite-only, so the tour
skips on PostgreSQL; serve's startup error runs on both.
"""

from __future__ import annotations

import contextlib
import re
import shlex
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

import flowpop
from flowpop_cli.main import cli
from tests.conftest import PG_URL

README = Path(__file__).resolve().parents[1] / "README.md"

# Shell lines that cannot run inside a test, and why.
SKIPPED = {
    "./run demo": "builds a 20,000-person registry with pip and opens the console (the tour builds the same demo with `flowpop demo`)",
    "./run test": "runs this suite inside itself",
}


@dataclass(frozen=True)
class Example:
    line: int  # README.md line number
    text: str  # the command as the README writes it
    argv: list[str]  # after `flowpop`
    stdout_to: str | None = None  # `> FILE`
    exit_code: int = 0  # "exit N" in the line's comment

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


def shell_lines() -> Iterator[tuple[int, str]]:
    """Every line of every ```sh block, continuation lines joined, with its README line number."""
    lines = README.read_text(encoding="utf-8").splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() != "```sh":
            i += 1
            continue
        i += 1
        while lines[i].strip() != "```":
            line, text = i + 1, lines[i]
            while text.rstrip().endswith("\\"):
                i += 1
                text = text.rstrip()[:-1].rstrip() + " " + lines[i].strip()
            i += 1
            if text.strip():
                yield line, text
        i += 1


def shell_commands(line: int, code: str, exit_code: int = 0) -> Iterator[Example]:
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
    assert exit_code == 0 or len(texts) == 1, f"README.md:{line}: an exit code stated for a line of several commands"
    for text, tokens in zip(texts, segments, strict=True):
        assert tokens[0] == "flowpop", f"README.md:{line}: not a flowpop command: {text}"
        stdout_to = None
        if ">" in tokens:
            at = tokens.index(">")
            tokens, stdout_to = tokens[:at], tokens[at + 1]
        yield Example(line, text, tokens[1:], stdout_to, exit_code)


def cli_examples() -> list[Example]:
    """Every `flowpop` command of the README's shell blocks, in order. A comment's "then a, b" names
    further commands of the same line (`inbox show 6, inbox reply 6 …`); they run after it. Any other
    line must be in SKIPPED."""
    found: list[Example] = []
    for line, text in shell_lines():
        code, _, comment = text.partition(" #")
        code = code.strip()
        if not code.startswith("flowpop"):
            assert any(code.startswith(skipped) for skipped in SKIPPED), f"README.md:{line}: not run by the tour: {code}"
            continue
        stated = re.search(r"\bexit (\d)\b", comment)
        found.extend(shell_commands(line, code, int(stated.group(1)) if stated else 0))
        if then := re.search(r"\bthen (.+)$", comment):
            for more in then.group(1).split(", "):
                found.extend(shell_commands(line, "flowpop " + more))
    return found


def invoke(argv: list[str], **kwargs: object) -> Result:
    return CliRunner().invoke(cli, argv, prog_name="flowpop", **kwargs)  # type: ignore[arg-type]


def failed(example: Example, argv: list[str], result: Result, why: str) -> str:
    return (f"{example.where()}\n  ran: flowpop {shlex.join(argv)}\n  {why}\n"
            f"--- stdout\n{result.stdout}--- stderr\n{result.stderr}{result.exception or ''}")


@pytest.fixture
def clean_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No profile, token, URL or config file of the machine's user; an empty working directory."""
    for name in ("FLOWPOP_URL", "FLOWPOP_TOKEN", "FLOWPOP_PROFILE", "FLOWPOP_LANG", "FLOWPOP_CONFIG", "FLOWPOP_DB"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))  # no config.toml there
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    return work


@pytest.fixture
def demo(clean_env: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh demo registry as `./run demo` builds it (`flowpop --db demo.db demo --replace`), FLOWPOP_DB
    pointing at it as the tour says (`export FLOWPOP_DB=$PWD/demo.db`)."""
    if PG_URL:
        pytest.skip("the README's tour is the embedded SQLite registry (backup/restore are SQLite-only)")
    db = clean_env.parent / "demo.db"
    built = invoke(["--db", str(db), "demo", "--replace"])
    assert built.exit_code == 0, built.output + str(built.exception or "")
    monkeypatch.setenv("FLOWPOP_DB", str(db))
    return str(db)


# ------------------------------------------------------------------------------ flowpop serve


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def flowpop_process(argv: list[str]) -> list[str]:
    return [sys.executable, "-c", "import sys; from flowpop_cli.main import cli; sys.exit(cli(prog_name='flowpop'))",
            *argv]


def run_serve(example: Example, db: str) -> None:
    """`flowpop serve` with the README's options, on `db` for its placeholder URL and a free port:
    started in the background, asked for an answer, stopped."""
    argv = list(example.argv)
    assert argv[argv.index("--db") + 1] == "postgresql://...", example.where()
    argv[argv.index("--db") + 1] = db
    port = free_port()
    argv[argv.index("--port") + 1] = str(port)
    server = subprocess.Popen(flowpop_process(argv), stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"{example.where()}: serve ended:\n{server.stdout.read().decode()}"  # type: ignore[union-attr]
            with contextlib.suppress(httpx.TransportError):
                answer = httpx.get(f"http://127.0.0.1:{port}/v1/me", timeout=5)
                break
            assert time.monotonic() < deadline, f"{example.where()}: serve did not answer within 60 s"
            time.sleep(0.2)
        assert answer.status_code == 401, f"{example.where()}: /v1/me without a token answered {answer.status_code}"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_serve_with_no_database_is_one_clear_line(clean_env: Path) -> None:
    """The README's `serve --db postgresql://...` with no server there: one line naming the registry, exit 1."""
    for url in ("postgresql://...", "postgresql://flowpop:secret@127.0.0.1:1/flowpop"):
        result = invoke(["serve", "--db", url, "--port", str(free_port())])
        assert result.exit_code == 1, result.output + str(result.exception or "")
        assert result.stderr.strip().count("\n") == 0 and "Traceback" not in result.stderr, result.stderr
        assert result.stderr.startswith("错误：无法打开登记库 postgresql://"), result.stderr
        assert "secret" not in result.stderr, result.stderr
    english = invoke(["--lang", "en", "serve", "--db", "postgresql://u@127.0.0.1:1/x"])
    assert english.stderr.startswith("Error: cannot open the registry postgresql://u@127.0.0.1:1/x: "), english.stderr


# ------------------------------------------------------------------------------------ tests


def test_the_tour_finds_its_examples() -> None:
    examples = cli_examples()
    commands = [" ".join(e.argv[:2]) for e in examples]
    assert len(examples) >= 30 and commands[0] == "me" and commands[-1] == "restore registry.bak"
    assert "inbox reply" in commands  # from a comment's "then …"
    assert "serve --db" in commands
    add = next(e for e in examples if e.argv[:2] == ["persons", "add"])
    assert "--arrived" in add.argv and "--reason" in add.argv  # joined across the backslash
    assert [e.exit_code for e in examples if e.argv[:2] == ["inbox", "import"]] == [4]  # "exit 4" in its comment


def run_command_line(example: Example, db: str, changeset: str | None) -> str | None:
    """One README command; answers the changeset a `bulk preview` printed (the README's ID)."""
    if example.argv[0] == "serve":
        run_serve(example, db)
        return changeset
    argv = list(example.argv)
    if argv[:1] == ["bulk"] and "ID" in argv:
        assert changeset, f"{example.where()}: no `bulk preview` printed an ID before"
        argv[argv.index("ID")] = changeset
    result = invoke(argv)
    expected = example.exit_code
    assert result.exit_code == expected, failed(example, argv, result, f"exit code {result.exit_code}, README expects {expected}")
    assert "Traceback" not in result.stderr, failed(example, argv, result, "a traceback")
    if example.stdout_to:
        Path(example.stdout_to).write_text(result.stdout, encoding="utf-8")
        assert result.stdout, failed(example, argv, result, f"nothing written to {example.stdout_to}")
    for written in [argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "-o"]:
        assert Path(written).stat().st_size > 0, failed(example, argv, result, f"{written} not written")
    match argv:
        case ["import", name, *_]:  # "bad rows go to people.xlsx.errors.csv"
            assert Path(f"{name}.errors.csv").exists(), failed(example, argv, result, "no errors file")
        case ["backup", name]:
            assert Path(name).stat().st_size > 0, failed(example, argv, result, f"{name} not written")
        case ["bulk", "preview", *_]:
            printed = re.search(r"flowpop bulk apply (\w+)", result.stderr)
            assert printed, failed(example, argv, result, "the preview printed no ID")
            return printed.group(1)
    return changeset


def run_sdk_block(db: str) -> str:
    first, lines = fenced("### SDK", "python")
    code = "\n".join(lines)
    assert "\n# client = flowpop.Client(url=" in code  # the server alternative stays a comment
    person = int(re.search(r"persons\.get\((\d+)\)", code).group(1))  # type: ignore[union-attr]
    with flowpop.Client(db=db) as c:
        before = c.persons.get(person)
    namespace: dict[str, object] = {"__name__": "readme_sdk"}
    try:
        exec(compile(code, f"README.md (SDK block from line {first})", "exec"), namespace)
    finally:
        client = namespace.get("client")
        if isinstance(client, flowpop.Client):
            client.close()
    with flowpop.Client(db=db) as c:
        after = c.persons.get(person)
    # neither except branch ran: the update was written
    assert (after.phone, after.version) == ("13800000000", before.version + 1), (before, after)
    return code


def test_the_tour_runs_in_order(demo: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Every command of the shell blocks, then the SDK block, on one fresh demo registry."""
    changeset: str | None = None
    for example in cli_examples():
        changeset = run_command_line(example, demo, changeset)
    run_sdk_block(demo)
    capsys.readouterr()


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


def test_skipped_lines_are_there() -> None:
    """Each SKIPPED entry names a README line, so the allow-list cannot outlive it."""
    texts = [text for _, text in shell_lines()]
    for skipped in SKIPPED:
        assert any(text.startswith(skipped) for text in texts), skipped
