"""`--progress`: a Rich progress bar with the current cost, drawn on stderr while a method runs.

Solvers never print. The bar is an evaluation observer (gradcli/compiled/observers.py) that redraws
every EVERY evaluations, starts drawing only once a run has lasted DELAY seconds (short runs stay
silent) and only on a terminal unless asked.
"""

from __future__ import annotations

import math
import time

from gradcli.compiled.observers import Observer

DELAY = 1.0
EVERY = 64      # evaluations between redraws (a redraw costs µs; a step of a data problem ~100 µs)


class ProgressObserver(Observer):
    def __init__(self, total: int | None, label: str, force: bool = False):
        from rich.console import Console

        self.console = Console(stderr=True, highlight=False, markup=False, emoji=False)
        self.enabled = force or self.console.is_terminal
        self.total, self.label = total, label
        self.started = time.monotonic()
        self.bar = None
        self.task = None
        self.calls = 0
        self.last_f = math.nan

    def evaluated(self, objective, x, f) -> None:
        self.last_f = f

    def before(self, objective) -> None:
        self.calls += 1
        if self.calls % EVERY == 0:
            self.draw(objective.counts, self.last_f)

    def draw(self, counts, f: float) -> None:
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


def factory(maxiter: int | None, mode: bool | None):
    """A function of a method's spec giving its progress observer, or None when there is no terminal
    to draw on and the bar was not asked for."""
    from rich.console import Console

    if not (mode or Console(stderr=True).is_terminal):
        return None

    def make(spec):
        total = (maxiter or 10_000) if spec.family == "gd" else None
        return ProgressObserver(total, spec.label, force=bool(mode))
    return make
