"""Evaluation counters: what the solver asked for, counted where the functions are (no SymPy here,
so array problems can use it without importing the symbolic machinery)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(slots=True)
class Counts:
    """Calls the solver made. The tool's own evaluations (report, verdict, trace) are not in here."""

    nfev: int = 0
    njev: int = 0
    nhev: int = 0

    def reset(self) -> None:
        self.nfev = self.njev = self.nhev = 0

    def snapshot(self) -> tuple[int, int, int]:
        return self.nfev, self.njev, self.nhev
