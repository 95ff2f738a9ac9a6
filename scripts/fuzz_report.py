"""The API fuzzed as the suite does (tests/registry/api/test_fuzz.py), on a bigger budget, with the figures printed.

    python scripts/fuzz_report.py [--examples 100] [--scenarios 1000] [--steps 10] [--minutes M] [--random]

Seeds a small registry, serves it as `flowpop serve` does (a token on every request) and runs
schemathesis's coverage, fuzzing and stateful phases over it. Prints the operations, the cases per
phase, the responses by status, the checks run, and every 5xx and failed check with its request.
With --minutes the engine repeats fuzzing and stateful until the time is up. Exit code 1 when any
response was a 5xx or any check failed. Progress (the server's tracebacks) goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import fields
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.registry.api.test_fuzz import Budget, fuzz  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--examples", type=int, default=100, help="fuzzing phase: cases per operation")
    p.add_argument("--scenarios", type=int, default=1000, help="stateful phase: scenarios")
    p.add_argument("--steps", type=int, default=10, help="stateful phase: calls per scenario at most")
    p.add_argument("--minutes", type=float, help="repeat fuzzing and stateful until this much time has passed")
    p.add_argument("--random", action="store_true", help="a new random run (default: seeded, repeatable)")
    p.add_argument("--workdir", help="where the registry file goes (default: a new temporary folder)")
    p.add_argument("--json", action="store_true", help="print the figures as one JSON object")
    args = p.parse_args(argv)
    budget = Budget(examples=args.examples, scenarios=args.scenarios, steps=args.steps, minutes=args.minutes,
                    seed=None if args.random else Budget().seed)
    figures = fuzz(budget, workdir=args.workdir)
    if args.json:
        data = {f.name: getattr(figures, f.name) for f in fields(figures)}  # asdict() would garble the Counters
        data["tested"] = sorted(figures.tested)
        data["server_error_count"] = sum(n for code, n in figures.statuses.items() if code >= 500)
        print(json.dumps(data, ensure_ascii=False, indent=1))
    else:
        print("\n".join(figures.lines()))
        if figures.server_errors:
            print("\n5xx by operation:")
            for label, n in Counter(line.split(": ", 1)[0] for line in figures.server_errors).most_common():
                print(f"  {n:5d}  {label}")
        for title, lines in (("5xx", figures.server_errors), ("failed checks", figures.failures),
                             ("engine errors", figures.errors)):
            if lines:  # each distinct line once, with how often it came
                print(f"\n{title}:")
                print("\n".join(f"  {n}× {_short(line)}" if n > 1 else f"  {_short(line)}"
                                 for line, n in Counter(lines).items()))
    return 1 if figures.server_errors or figures.failures or figures.errors else 0


def _short(line: str, keep: int = 600) -> str:
    """A fuzzed request line can be hundreds of kilobytes: its head and tail say enough."""
    return line if len(line) <= keep else f"{line[:keep // 2]} …({len(line) - keep} characters)… {line[-keep // 2:]}"


if __name__ == "__main__":
    sys.exit(main())
