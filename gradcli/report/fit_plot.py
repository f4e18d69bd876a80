"""`fit --plot`: the data, the fitted curve with its 95% confidence band (one predictor), and the residuals.

Draws what the fit computed (curve and band come from gradcli.fit); written atomically, never over an
existing file without --force. PNG, PDF or SVG by the file's suffix.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from gradcli.errors import GradcliError
from gradcli.report.output import check_writable, write_atomic

FORMATS = {".png": "png", ".pdf": "pdf", ".svg": "svg"}
GRID = 400


def check_plot(path: str, force: bool) -> str:
    """Before any work: a known format, matplotlib present, and a place to write that loses nothing."""
    fmt = FORMATS.get(Path(path).suffix.lower())
    if fmt is None:
        raise GradcliError(f"--plot {path}: the file name must end in .png, .pdf or .svg")
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        raise GradcliError("--plot needs matplotlib: pip install 'gradcli[plot]'") from None
    check_writable(path, force)
    return fmt


def plot_fit(path: str, model, result, force: bool) -> None:
    import io

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from gradcli.fit.stats import band

    fmt = check_plot(path, force)
    x = result.run.x
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7, 6), sharex=len(model.predictors) == 1,
                                      gridspec_kw={"height_ratios": [3, 1]})
    r = -model.residuals(x)                 # shown as y − f, the usual sign
    if len(model.predictors) == 1:
        col = model.table.columns[model.predictors[0]]
        grid = np.linspace(col.min(), col.max(), GRID)
        f, J = model.curve(x, grid)
        half = band(J, result.stats.covariance, result.stats.t_value)
        top.plot(col, model.y, "o", ms=4, label="data")
        top.plot(grid, f, "-", lw=1.6, label=f"fit ({result.run.label})")
        if np.all(np.isfinite(half)):
            top.fill_between(grid, f - half, f + half, alpha=0.25, label="95% confidence band")
        bottom.plot(col, r, "o", ms=3)
        bottom.set_xlabel(model.predictors[0])
    else:        # several predictors: fitted against observed, and residuals by row
        fitted = model.values(x)
        top.plot(fitted, model.y, "o", ms=4, label="data")
        lo, hi = float(np.min(fitted)), float(np.max(fitted))
        top.plot([lo, hi], [lo, hi], "-", lw=1, label="y = fitted")
        top.set_xlabel("fitted")
        bottom.plot(np.arange(1, model.n + 1), r, "o", ms=3)
        bottom.set_xlabel("row")
    bottom.axhline(0.0, color="grey", lw=0.8)
    top.set_ylabel(model.y_text)
    bottom.set_ylabel("y − f" + (" (÷ σ)" if model.weights is not None else ""))
    top.set_title(f"{model.text[:70]}   RSS {result.stats.rss:.6g}   {result.verdict.kind}", fontsize=9)
    top.legend(fontsize=8)
    for ax in (top, bottom):
        ax.grid(True, alpha=0.3)
    buf = io.BytesIO()
    fig.savefig(buf, format=fmt, dpi=120, bbox_inches="tight")
    plt.close(fig)
    write_atomic(path, buf.getvalue(), force=force)
