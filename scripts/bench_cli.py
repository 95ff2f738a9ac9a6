"""How fast the `flowpop` command starts (issue #16, item 4), run on demand, not in the tests:

    python scripts/bench_cli.py [--db demo.db] [--runs 10]

Median of --runs runs (after one untimed run that writes the .pyc files), each a fresh subprocess, of
- `python -c pass`: the interpreter's floor, which no command can beat;
- the same one-row query as plain SQL through Python's sqlite3 (`SELECT * FROM persons LIMIT 1`): the baseline
  the query is compared with (SQLite registries only);
- `flowpop --help` (target ≤ 0.2 s);
- `flowpop --db DB persons list --limit 1`: a one-row embedded query (target ≤ 0.6 s).
Without --db a small demo registry (2,000 people) is built in a temporary folder first.
Prints, for each, the median wall time, the median CPU time (user + system of the process; on a busy machine the
wall time waits for a core, the CPU time much less so), the ratio to the floor and to the plain query, and whether
each target (wall time) is met; --json for one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"help": 0.2, "query": 0.6}
# the baseline: the same one row as plain SQL, Python's sqlite3 on the same file
PLAIN_QUERY = "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT * FROM persons LIMIT 1').fetchall())"


def flowpop_command() -> list[str]:
    """The installed `flowpop` next to this interpreter, else `python -m flowpop`."""
    script = Path(sys.executable).with_name("flowpop")
    return [str(script)] if script.exists() else [sys.executable, "-m", "flowpop"]


def median_seconds(argv: list[str], runs: int, cwd: str) -> tuple[float, float]:
    """Median wall time and median CPU time (the child's user + system) of ``runs`` runs."""
    # one untimed run first, with bytecode caching allowed even where PYTHONDONTWRITEBYTECODE is set (as in
    # development shells): an installed flowpop has its .pyc files, and compiling ~100 modules from source on
    # every run would add a tenth of a second or more that users never pay
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    times: list[float] = []
    cpu: list[float] = []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return statistics.median(times), statistics.median(cpu)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--db", help="a registry file to query (default: a fresh 2,000-person demo)")
    p.add_argument("--runs", type=int, default=10)
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    args = p.parse_args()

    flowpop = flowpop_command()
    workdir = tempfile.mkdtemp(prefix="flowpop-bench-cli-")
    env_db = os.environ.pop("FLOWPOP_DB", None)  # the command line names the registry
    try:
        db = args.db and str(Path(args.db).resolve())
        if not db:
            db = str(Path(workdir) / "demo.db")
            subprocess.run([*flowpop, "--db", db, "demo", "--size", "2000"], check=True,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        cases = {
            "floor": [sys.executable, "-c", "pass"],
            "sql": [sys.executable, "-c", PLAIN_QUERY, db],
            "help": [*flowpop, "--help"],
            "query": [*flowpop, "--db", db, "persons", "list", "--limit", "1"],
        }
        if args.db and "://" in args.db:  # a server database: no plain sqlite3 baseline
            del cases["sql"]
        measured = {name: median_seconds(argv, args.runs, workdir) for name, argv in cases.items()}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if env_db is not None:
            os.environ["FLOWPOP_DB"] = env_db

    medians = {name: wall for name, (wall, _cpu) in measured.items()}
    cpus = {name: cpu for name, (_wall, cpu) in measured.items()}
    floor = medians["floor"]
    result = {
        "runs": args.runs,
        "python": sys.version.split()[0],
        "median_s": {k: round(v, 3) for k, v in medians.items()},
        "median_cpu_s": {k: round(v, 3) for k, v in cpus.items()},
        "ratio_to_floor": {k: round(v / floor, 1) for k, v in medians.items() if k != "floor"},
        "target_s": TARGETS,
        "met": {k: medians[k] <= limit for k, limit in TARGETS.items()},
    }
    if "sql" in medians:
        result["query_ratio_to_sql"] = {"wall": round(medians["query"] / medians["sql"], 1),
                                        "cpu": round(cpus["query"] / max(cpus["sql"], 1e-3), 1)}
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
    else:
        print(f"median of {args.runs} runs (python {result['python']})")
        print(f"  {'':<44} {'wall':>8} {'cpu':>8} {'×floor':>7}")
        print(f"  {'python -c pass':<44} {floor:6.3f} s {cpus['floor']:6.3f} s {1.0:6.1f}×")
        if "sql" in medians:
            print(f"  {'python sqlite3: SELECT * … LIMIT 1':<44} {medians['sql']:6.3f} s {cpus['sql']:6.3f} s"
                  f" {medians['sql'] / floor:6.1f}×")
        labels = {"help": "flowpop --help", "query": "flowpop --db DB persons list --limit 1"}
        for name, label in labels.items():
            verdict = "ok" if result["met"][name] else "over"
            print(f"  {label:<44} {medians[name]:6.3f} s {cpus[name]:6.3f} s {medians[name] / floor:6.1f}×"
                  f"   target ≤ {TARGETS[name]} s: {verdict}")
        if "sql" in medians:
            ratio = result["query_ratio_to_sql"]
            print(f"  the query against plain sqlite3: {ratio['wall']}× wall, {ratio['cpu']}× cpu")
    return 0 if all(result["met"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
