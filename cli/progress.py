"""Progress of long work, on stderr: a rich bar per stage on a terminal, one line per stage otherwise."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import rich.progress

# rich is imported when a Progress is made, not with this module: commands that only may show progress (and the
# modules that import theirs, such as `persons`' grafted subcommands) start without it (issue #16 item 4)


class Progress:
    """``update(stage, done, total)``; a new stage name starts a new bar."""

    def __init__(self, *, enabled: bool = True) -> None:
        from rich.console import Console

        self.enabled = enabled
        self.console = Console(stderr=True)
        self.live = enabled and self.console.is_terminal
        self._bar: rich.progress.Progress | None = None
        self._tasks: dict[str, Any] = {}
        self._stage: str | None = None
        self._last: tuple[int, int | None] = (0, None)

    def __enter__(self) -> Progress:
        if self.live:
            import rich.progress

            self._bar = rich.progress.Progress(
                rich.progress.TextColumn("{task.description}"),
                rich.progress.BarColumn(),
                rich.progress.MofNCompleteColumn(),
                rich.progress.TimeElapsedColumn(),
                console=self.console,
                transient=False,
            )
            self._bar.start()
        return self

    def update(self, stage: str, done: int, total: int | None = None) -> None:
        if not self.enabled:
            return
        if self._bar is not None:
            if stage not in self._tasks:
                self._tasks[stage] = self._bar.add_task(stage, total=total)
            self._bar.update(self._tasks[stage], completed=done, total=total)
            return
        if stage != self._stage:
            self._finish_line()
            self._stage = stage
        self._last = (done, total)

    def _finish_line(self) -> None:
        if self._stage is not None:
            done, total = self._last
            print(f"{self._stage}: {done}" + (f"/{total}" if total else ""), file=sys.stderr, flush=True)

    def __exit__(self, *_exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
        elif self.enabled:
            self._finish_line()
