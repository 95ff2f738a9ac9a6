"""What a one-row embedded query loads (issue #16 item 4): the routes of its own area and nothing of the others,
no progress bar library, no httpx command line, no pydantic v1; and what its start leaves to the cyclic GC (the
start-up objects frozen, the collector on again: flowpop/_startup.py). Times are measured by scripts/bench_cli.py,
not here; this holds the reasons they are what they are."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable

PROBE = """
import gc, json, sys
from flowpop_cli.main import main
sys.argv = ["flowpop", "--db", sys.argv[1], "persons", "list", "--limit", "1", "--format", "json"]
try:
    main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(json.dumps({"code": code, "modules": sorted(name for name, module in sys.modules.items() if module),
                  "gc_on": gc.isenabled(), "frozen": gc.get_freeze_count()}))
"""


def test_a_one_row_query_loads_its_own_routes_only(db_url: str, make_person: Callable[..., object]) -> None:
    make_person()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FLOWPOP_")}
    done = subprocess.run(
        [sys.executable, "-c", PROBE, db_url], capture_output=True, text=True, env=env, check=True
    )
    *printed, last = done.stdout.strip().splitlines()
    probe = json.loads(last)
    assert probe["code"] in (0, None), done.stderr
    assert len(json.loads("\n".join(printed))) == 1  # the query answered its one person
    modules = set(probe["modules"])
    routes = sorted(m for m in modules if m.startswith("flowpop.registry.api.routes_"))
    assert routes == ["flowpop.registry.api.routes_persons"]
    for package in ("bulk", "county", "files", "inbox"):
        assert not [m for m in modules if m.startswith(f"flowpop.registry.{package}")], package
    assert not [
        m for m in modules if m.split(".")[0] in ("rich", "pygments", "alembic", "openpyxl", "textual")
    ]
    assert "httpx._main" not in modules and "pydantic.v1" not in modules
    # the imports of the contract, the registry and the persons routes ran with the collector paused and handed
    # what they made (well over 100,000 objects) to gc.freeze; the collector is on again for the rest
    assert probe["gc_on"] is True
    assert probe["frozen"] > 100_000
