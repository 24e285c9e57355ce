"""A progress line for work that takes more than a second (a large model, --measure, a fit search).

``with activity("analysing hf:Llama-3-70B"):`` opens it; the work reports its steps with
:func:`step` (a module finished, a run timed). Nothing shows unless the work is still going
after ``delay`` seconds, stderr is a terminal, and the user did not ask for quiet
(``--quiet``); it is transient — gone when the work ends. :func:`step` with no activity open
costs one global read.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["activity", "step"]

_active: _Activity | None = None


class _Activity:
    def __init__(self, what: str, delay: float, console: Any) -> None:
        self.what, self.delay, self.console = what, delay, console
        self.start = time.monotonic()
        self.progress: Any = None
        self.task: Any = None
        self.steps = 0

    def step(self, text: str) -> None:
        self.steps += 1
        if self.progress is None:
            if time.monotonic() - self.start < self.delay:
                return
            from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

            self.progress = Progress(SpinnerColumn(), TextColumn("[bold]{task.fields[what]}"), TextColumn("{task.description}"),
                                     TimeElapsedColumn(), console=self.console, transient=True)
            self.task = self.progress.add_task(text, total=None, what=self.what)
            self.progress.start()
        self.progress.update(self.task, description=f"{text} ({self.steps:,} steps)")

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()


@contextmanager
def activity(what: str, *, quiet: bool = False, delay: float = 1.0, console: Any = None) -> Iterator[None]:
    """Show ``what`` and the latest step on stderr while the block runs longer than ``delay`` seconds."""
    global _active
    if console is None:
        if quiet or not sys.stderr.isatty():
            yield
            return
        from rich.console import Console

        console = Console(stderr=True)
    outer, _active = _active, _Activity(what, delay, console)
    try:
        yield
    finally:
        _active.close()
        _active = outer


def step(text: str) -> None:
    """Report one step of the work in progress (no-op when none is shown)."""
    if _active is not None:
        _active.step(text)
