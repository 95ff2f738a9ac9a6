"""Start-up help for the one-command processes (the CLI, the console) and the embedded registry (issue #16).

A module's first import makes objects that live as long as the process: the contract's models, the tables'
mappings, the routes, the libraries under them (a few hundred thousand objects for the registry). While they are
made, the cyclic garbage collector runs again and again, each pass walking the objects made so far (which it
cannot free) — about a tenth of the start's CPU. :func:`first_import` pauses it for such a block and then hands
what the block made to ``gc.freeze``, so that later passes skip it too; collection goes on as before after it.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def first_import(*modules: str) -> Iterator[None]:
    """Run the block with the cyclic collector paused and freeze what it made, when one of ``modules`` is not
    imported yet (the block will import it); otherwise (a later open, a second app) just run it.

    The cost of freezing: garbage cycles made in the block stay until the process ends — the block runs once
    per module per process, and imports leave little such garbage. Blocks in two threads at once are safe (the
    collector comes back on when the one that turned it off ends)."""
    if all(name in sys.modules for name in modules) or not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()
