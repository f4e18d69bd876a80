"""`fit --plot`: the data, each method's fitted curve (the best fit's with its 95% confidence band), and
the best fit's residuals, in the style every gradcli figure shares (gradcli/report/style.py).

One predictor: y against it. Several: observed y against the fitted values, residuals by row. Draws what
the fit computed (curves and band from gradcli.fit, evaluated on the plotting grid only); a method keeps
its colour and marker from the shared palette; the legend sits outside the axes and names each method
with the evaluations we counted. Written atomically, never over an existing file without --force.
"""

from __future__ import annotations

import numpy as np

from gradcli.report.style import Palette, check_plot as _check, fit_title, legend_outside, pyplot, save

GRID = 400
DATA_COLOUR = "#555555"


def check_plot(path, force: bool) -> str:
    """Before any work: a known format, matplotlib present, and a place to write that loses nothing."""
    return _check(path, force)


def _label(result) -> str:
    r = result.run
    evals = "exact solve" if r.exact else f"{r.nfev} r, {r.njev} J"
    return f"{r.label} ({evals}), RSS {result.stats.rss:.6g}"


def _drawable(result) -> bool:
    return bool(np.all(np.isfinite(result.run.x)))


def fit_figure(model, results, best: int | None = None):
    """The Figure of one fit: ``results`` are FitResults (one per method), ``best`` the index whose band and
    residuals are drawn (None: the first drawable result)."""
    from gradcli.fit.stats import band

    plt = pyplot()
    shown = [r for r in results if _drawable(r)]
    main = results[best] if best is not None else (shown[0] if shown else results[0])
    palette = Palette(r.run.label for r in results)
    one = len(model.predictors) == 1
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(8.5, 6.2), sharex=one, gridspec_kw={"height_ratios": [3, 1]})
    r_main = -model.residuals(main.run.x)            # shown as y − f, the usual sign
    if one:
        col = model.table.columns[model.predictors[0]]
        grid = np.linspace(float(col.min()), float(col.max()), GRID)
        top.plot(col, model.y, "o", ms=4, color=DATA_COLOUR, mfc="none", label=f"data ({model.n} rows)")
        for res in shown:
            colour, marker = palette.style(res.run.label)
            f, J = model.curve(res.run.x, grid)
            top.plot(grid, f, "-", lw=1.6, color=colour, marker=marker, markevery=[0, GRID - 1], ms=6,
                     label=_label(res))
            if res is main:
                half = band(J, res.stats.covariance, res.stats.t_value, res.stats.held)
                if np.all(np.isfinite(half)):
                    top.fill_between(grid, f - half, f + half, color=colour, alpha=0.22,
                                     label=f"95% confidence band ({res.run.label})")
        bottom.set_xlabel(model.predictors[0])
        top.set_xlabel("")
        xs = col
    else:        # several predictors: observed against fitted, one set of points per method
        for res in shown:
            colour, marker = palette.style(res.run.label)
            top.plot(model.values(res.run.x), model.y, linestyle="none", marker=marker, ms=4, color=colour,
                     label=_label(res))
        fitted = model.values(main.run.x)
        lo, hi = float(np.min(fitted)), float(np.max(fitted))
        top.plot([lo, hi], [lo, hi], "-", lw=1, color=DATA_COLOUR, label="y = fitted")
        top.set_xlabel("fitted")
        bottom.set_xlabel("row")
        xs = np.arange(1, model.n + 1)
    colour, marker = palette.style(main.run.label)
    bottom.plot(xs, r_main, linestyle="none", marker=marker, ms=3, color=colour,
                label=f"residuals ({main.run.label})")
    bottom.axhline(0.0, color="grey", lw=0.8)
    top.set_ylabel(model.y_text)
    bottom.set_ylabel("y − f" + (" (÷ σ)" if model.weights is not None else ""))
    top.set_title(fit_title(f"{model.text}   best: {main.run.label}, {main.verdict.kind}", 80), fontsize=9)
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
    handles, labels = [], []
    for ax in (top, bottom):
        for h, lab in zip(*ax.get_legend_handles_labels()):
            handles.append(h)
            labels.append(lab)
    fig.subplots_adjust(right=0.62, hspace=0.12 if one else 0.3)
    legend_outside(fig, handles, labels, title="method (evaluations)", anchor=(0.63, 0.5))
    return fig


def plot_fit(path, model, results, best: int | None, force: bool) -> None:
    """Write the fit's figure to ``path`` (format by suffix), atomically."""
    plt = pyplot()
    fig = fit_figure(model, results, best)
    try:
        save(fig, path, force)
    finally:
        plt.close(fig)
