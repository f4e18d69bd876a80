"""`gradcli root --plot FILE` for one equation: f over the bracket (or the span of the iterates), the roots
marked, and every point each method evaluated f at, in order. Draws what the runs recorded; computes
nothing but f on the plotting grid."""

from __future__ import annotations

import numpy as np

from gradcli.errors import GradcliError
from gradcli.report.plots import _pyplot, _save

GRID = 2001


def check_plot(eqs, path, force: bool) -> None:
    """Before any run: one equation only, matplotlib present, the file not there already (or --force)."""
    from gradcli.report.output import check_writable

    if not eqs.scalar:
        raise GradcliError(f"--plot draws one equation in one unknown; this has {eqs.m} equations in {eqs.n} "
                           "unknowns")
    _pyplot()
    check_writable(path, force)


def _span(bracket, points: list[float]) -> tuple[float, float]:
    if bracket is not None:
        return bracket
    finite = [p for p in points if np.isfinite(p)]
    if not finite:
        return -1.0, 1.0
    lo, hi = min(finite), max(finite)
    pad = 0.1 * (hi - lo) if hi > lo else max(1.0, abs(lo)) * 0.1
    return lo - pad, hi + pad


def plot_equation(eqs, path, force: bool, *, bracket=None, runs=(), roots=()) -> None:
    """``runs``: RootRun records (their iterates are drawn); ``roots``: x values to mark (--all)."""
    plt = _pyplot()
    marked = list(roots) + [r.x[0] for r in runs if r.verified and r.x]
    a, b = _span(bracket, [p for r in runs for p in r.iterates] + marked)
    t = np.linspace(a, b, GRID)
    fig, ax = plt.subplots(figsize=(7, 4.5))
    ax.plot(t, eqs.numpy_function()(t), color="black", linewidth=1.4, label=f"f = {eqs.texts[0][:40]}")
    ax.axhline(0.0, color="grey", linewidth=0.8)
    for r in runs:
        xs = np.array([p for p in r.iterates if a <= p <= b])
        if xs.size:
            ax.plot(xs, eqs.numpy_function()(xs), marker="o", markersize=3, linewidth=0.6, alpha=0.7,
                    label=f"{r.method} ({len(r.iterates)} f)")
    if marked:
        ax.plot(marked, np.zeros(len(marked)), linestyle="none", marker="x", markersize=9, color="red",
                label="roots (verified)")
    ax.set_xlim(a, b)
    ax.set_xlabel(eqs.variables[0])
    ax.set_ylabel("f")
    ax.set_title(f"roots of {eqs.texts[0][:60]}")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)
    _save(fig, path, force)
    plt.close(fig)
