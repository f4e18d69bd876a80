"""`gradcli root --plot FILE` for one equation: f over the bracket (or the span of the iterates), the roots
marked, and every point each method evaluated f at, in order, in the style every gradcli figure shares
(gradcli/report/style.py): one colour and marker per method from the shared palette, the legend outside
the axes naming each method with the evaluations we counted, the format by suffix, atomic saving.
Draws what the runs recorded; computes nothing but f on the plotting grid."""

from __future__ import annotations

import numpy as np

from gradcli.errors import GradcliError
from gradcli.report.style import Palette, check_plot as _check, fit_title, legend_outside, pyplot, save

GRID = 2001


def check_plot(eqs, path, force: bool) -> None:
    """Before any run: one equation only, a known format, matplotlib present, the file not there already
    (or --force)."""
    if not eqs.scalar:
        raise GradcliError(f"--plot draws one equation in one unknown; this has {eqs.m} equations in {eqs.n} "
                           "unknowns")
    _check(path, force)


def _span(bracket, points: list[float]) -> tuple[float, float]:
    if bracket is not None:
        return bracket
    finite = [p for p in points if np.isfinite(p)]
    if not finite:
        return -1.0, 1.0
    lo, hi = min(finite), max(finite)
    pad = 0.1 * (hi - lo) if hi > lo else max(1.0, abs(lo)) * 0.1
    return lo - pad, hi + pad


def _label(r) -> str:
    evals = f"{r.nfev} f" + (f", {r.njev} f′" if r.njev else "") + (f", {r.nhev} f″" if r.nhev else "")
    return f"{r.method} ({evals})"


def equation_figure(eqs, *, bracket=None, runs=(), roots=()):
    """``runs``: RootRun records (their iterates are drawn); ``roots``: x values to mark (--all)."""
    plt = pyplot()
    f = eqs.numpy_function()
    marked = list(roots) + [r.x[0] for r in runs if r.verified and r.x]
    a, b = _span(bracket, [p for r in runs for p in r.iterates] + marked)
    t = np.linspace(a, b, GRID)
    palette = Palette(r.method for r in runs)
    fig, ax = plt.subplots(figsize=(9, 4.8))
    ax.plot(t, f(t), color="black", linewidth=1.4, label=fit_title(f"f = {eqs.texts[0]}", 40))
    ax.axhline(0.0, color="grey", linewidth=0.8)
    for r in runs:
        xs = np.array([p for p in r.iterates if a <= p <= b])
        if xs.size:
            colour, marker = palette.style(r.method)
            ax.plot(xs, f(xs), color=colour, marker=marker, markersize=4, linewidth=0.7, alpha=0.85,
                    label=_label(r))
    if marked:
        ax.plot(marked, np.zeros(len(marked)), linestyle="none", marker="x", markersize=9, color="red",
                mew=2, label=f"roots (verified, {len(marked)})" if not runs else "roots (verified)")
    ax.set_xlim(a, b)
    ax.set_xlabel(eqs.variables[0])
    ax.set_ylabel("f")
    ax.set_title(fit_title(f"roots of {eqs.texts[0]}", 70), fontsize=10)
    ax.grid(True, alpha=0.3)
    fig.subplots_adjust(right=0.68)
    legend_outside(fig, *ax.get_legend_handles_labels(), title="method (evaluations)", anchor=(0.69, 0.5))
    return fig


def plot_equation(eqs, path, force: bool, *, bracket=None, runs=(), roots=()) -> None:
    """Write the figure to ``path`` (format by suffix), atomically."""
    plt = pyplot()
    fig = equation_figure(eqs, bracket=bracket, runs=runs, roots=roots)
    try:
        save(fig, path, force)
    finally:
        plt.close(fig)
