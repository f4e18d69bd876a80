"""`--progress`: a Rich progress bar with the current cost, drawn on stderr while a method runs.

Solvers never print. The counted objective of an array problem calls ``objective.observer(counts, f)``
every OBSERVE_EVERY evaluations; this module supplies the observer, which starts drawing only once a
run has lasted DELAY seconds (short runs stay silent) and only on a terminal unless asked.
"""

from __future__ import annotations

import time

DELAY = 1.0


class ProgressObserver:
    def __init__(self, total: int | None, label: str, force: bool = False):
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False, markup=False, emoji=False)
        self.enabled = force or self.console.is_terminal
        self.total, self.label = total, label
        self.started = time.monotonic()
        self.bar = None
        self.task = None

    def __call__(self, counts, f: float) -> None:
        if not self.enabled:
            return
        if self.bar is None:
            if time.monotonic() - self.started < DELAY:
                return
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self.bar = Progress(TextColumn("{task.description}"), BarColumn(), TextColumn("{task.fields[info]}"),
                                TimeElapsedColumn(), console=self.console,
                                transient=self.console.is_terminal)   # on a pipe: the final state, once
            self.bar.start()
            self.task = self.bar.add_task(self.label, total=self.total, info="")
        done = counts.njev or counts.nfev
        self.bar.update(self.task, completed=min(done, self.total) if self.total else done,
                        info=f"f = {f:.8g}  ({counts.nfev} f, {counts.njev} ∇f)")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
            self.bar = None


def attach(objective, total: int | None, label: str, mode: bool | None):
    """An observer on ``objective`` when it can report (array problems) and ``mode`` allows; None otherwise."""
    if mode is False or not hasattr(objective, "observer"):
        return None
    observer = ProgressObserver(total, label, force=bool(mode))
    if not observer.enabled:
        return None
    objective.observer = observer
    return observer
