"""`minimize --plot`: how each method got there.

Two variables: f's filled contours over a window holding every iterate, each method's path (start and
end marked), bounds and the infeasible side of constraints. Any number of variables: f − f_best against
evaluations and ‖∇f‖∞ against iterations, one line per method. Everything drawn comes from the solvers'
own iterates (the trace, recorded with uncounted evaluations) or from uncounted evaluations of f and the
constraints on the plotting grid: the counts in the legend are the run's, unchanged by the picture.
"""

from __future__ import annotations

import math

import numpy as np

from gradcli.report.style import Palette, fit_title, legend_outside, pyplot, save

GRID = 200          # points per axis of the contour grid (40 000 uncounted evaluations of f)
LEVELS = 24


def _rows(r):
    return [row for row in (r.trace or []) if row.x is not None and np.all(np.isfinite(row.x))]


def _path(r) -> np.ndarray:
    """The iterates, and the returned point when the method's last iterate is not it (e.g. keep-best)."""
    pts = [row.x for row in _rows(r)]
    if np.all(np.isfinite(r.x)) and (not pts or not np.array_equal(pts[-1], r.x)):
        pts.append(r.x)
    return np.array(pts, dtype=float).reshape(-1, len(r.x))


def f_best(results) -> float:
    """The lowest f any method evaluated on its path or returned: the reference of f − f_best."""
    vals = [r.fun for r in results] + [row.f for r in results for row in r.trace or []]
    vals = [v for v in vals if v is not None and math.isfinite(v)]
    return min(vals) if vals else math.nan


def window(paths, pad: float = 0.08) -> tuple[tuple[float, float], tuple[float, float]]:
    """The smallest box holding every iterate of every method, padded; never of zero width."""
    pts = np.vstack([p for p in paths if len(p)])
    out = []
    for k in range(2):
        lo, hi = float(pts[:, k].min()), float(pts[:, k].max())
        span = hi - lo
        margin = pad * span if span > 0 else 0.5 * max(1.0, abs(lo))
        out.append((lo - margin, hi + margin))
    return out[0], out[1]


def _grid(fn, xs, ys) -> np.ndarray:
    z = np.empty((len(ys), len(xs)))
    with np.errstate(all="ignore"):
        for i, y in enumerate(ys):
            for j, x in enumerate(xs):
                try:
                    z[i, j] = fn(np.array([x, y]))
                except (ArithmeticError, ValueError):
                    z[i, j] = np.nan
    z[~np.isfinite(z)] = np.nan
    return z


def log_levels(z: np.ndarray, floor: float, count: int = LEVELS) -> np.ndarray:
    """Levels log-spaced above the lowest f (``floor``), so a narrow valley shows as many bands."""
    top = float(np.nanmax(z)) if np.any(np.isfinite(z)) else floor + 1.0
    spread = max(top - floor, 1e-300)
    first = max(spread * 1e-7, 1e-12 * max(1.0, abs(floor)))
    return floor + np.concatenate([[0.0], np.geomspace(first, spread, count)])


def _label(r) -> str:
    evals = f"{r.nfev} f" + (f", {r.njev} ∇f" if r.njev else "") + (f", {r.nhev} ∇²f" if r.nhev else "")
    return f"{r.method} ({evals})"


def _contour_panel(ax, problem, objective, results, palette: Palette) -> None:
    from matplotlib.colors import BoundaryNorm

    paths = [_path(r) for r in results]
    starts = [np.asarray(s, dtype=float) for s in problem.starts[:1]]
    (x0, x1), (y0, y1) = window(paths + [np.array(starts).reshape(-1, 2)])
    xs, ys = np.linspace(x0, x1, GRID), np.linspace(y0, y1, GRID)
    z = _grid(objective.fun_uncounted, xs, ys)
    floor = min(float(np.nanmin(z)) if np.any(np.isfinite(z)) else math.inf, f_best(results))
    levels = log_levels(z, floor)
    cmap = pyplot().get_cmap("viridis")
    cs = ax.contourf(xs, ys, z, levels=levels, cmap=cmap, norm=BoundaryNorm(levels, cmap.N), extend="max")
    ax.contour(xs, ys, z, levels=levels[::3], colors="white", linewidths=0.4, alpha=0.6)
    bar = ax.figure.colorbar(cs, ax=ax, shrink=0.9, format="%.4g", ticks=levels[::3])
    bar.set_label("f  (levels log-spaced above the lowest f)")
    _feasibility(ax, problem, objective, xs, ys)
    for r, p in zip(results, paths):
        if not len(p):
            continue
        colour, marker = palette.style(r.method)
        ax.plot(p[:, 0], p[:, 1], "-", color=colour, lw=1.4, marker=".", ms=3, label=_label(r), zorder=3)
        ax.plot(p[0, 0], p[0, 1], marker="o", ms=9, mfc="none", mec=colour, mew=1.8, zorder=4)
        ax.plot(p[-1, 0], p[-1, 1], marker=marker, ms=9, color=colour, mec="white", mew=0.8, zorder=5)
    ax.set_xlim(x0, x1)
    ax.set_ylim(y0, y1)
    ax.set_xlabel(problem.variables[0])
    ax.set_ylabel(problem.variables[1])
    ax.set_title("paths: ○ start, filled marker the returned point", fontsize=9)


def _feasibility(ax, problem, objective, xs, ys) -> None:
    """Bounds as dashed lines with the outside shaded; each constraint's infeasible side shaded."""
    shade = {"colors": "none", "hatches": ["////"], "zorder": 2}
    if problem.bounds is not None:
        (lx, hx), (ly, hy) = problem.bounds
        gx, gy = np.meshgrid(xs, ys)
        outside = (gx < lx) | (gx > hx) | (gy < ly) | (gy > hy)
        if outside.any():
            ax.contourf(xs, ys, outside.astype(float), levels=[0.5, 1.5], **shade)
        for v in (lx, hx):
            if math.isfinite(v):
                ax.axvline(v, color="black", ls="--", lw=1)
        for v in (ly, hy):
            if math.isfinite(v):
                ax.axhline(v, color="black", ls="--", lw=1)
    for c in objective.constraints:
        g = _grid(c.fun, xs, ys)
        if c.kind == "ineq" and np.nanmin(g) < 0:
            ax.contourf(xs, ys, g, levels=[np.nanmin(g) - 1, 0.0], **shade)
        if np.nanmin(g) <= 0 <= np.nanmax(g):
            ax.contour(xs, ys, g, levels=[0.0], colors="black", linewidths=1.2)


def _convergence_panels(ax_f, ax_g, results, palette: Palette) -> None:
    best = f_best(results)
    tiny = 1e-16 * max(1.0, abs(best)) if math.isfinite(best) else 1e-16
    for r in results:
        rows = r.trace or []
        if not rows:
            continue
        colour, marker = palette.style(r.method)
        evals = [row.nfev + row.njev for row in rows]
        gap = [max(row.f - best, tiny) if math.isfinite(row.f) else np.nan for row in rows]
        every = max(1, len(rows) // 12)
        style = {"color": colour, "marker": marker, "ms": 4, "markevery": every, "lw": 1.4}
        ax_f.plot(evals, gap, label=_label(r), **style)
        gn = [row.grad_norm if row.grad_norm is not None and row.grad_norm > 0 else np.nan for row in rows]
        ax_g.plot([row.iteration for row in rows], gn, **style)
    ax_f.set_yscale("log")
    ax_f.set_xscale("symlog", linthresh=1, linscale=0.4)     # symlog: the start row has 0 evaluations
    ax_f.set_xlabel("f + ∇f evaluations (log)")
    ax_f.set_ylabel("f − f_best")
    ax_f.set_title(f"f_best = {best:.8g}, the lowest f any method reached", fontsize=9)
    ax_g.set_yscale("log")
    ax_g.set_xscale("symlog", linthresh=1, linscale=0.4)
    ax_g.set_xlabel("iteration (log)")
    ax_g.set_ylabel("‖∇f‖∞")
    for ax in (ax_f, ax_g):
        ax.set_xlim(left=0)
        ax.grid(True, alpha=0.3, which="both")


def run_figure(problem, objective, results, title: str | None = None):
    """The matplotlib Figure of one `minimize` run (results without iterates are left out: see plot_run)."""
    plt = pyplot()
    results = [r for r in results if r.trace]
    palette = Palette(r.method for r in results)
    if problem.n == 2:
        fig = plt.figure(figsize=(13, 6.2))
        grid = fig.add_gridspec(2, 2, width_ratios=(1.35, 1), hspace=0.45, wspace=0.38)
        _contour_panel(fig.add_subplot(grid[:, 0]), problem, objective, results, palette)
        _convergence_panels(fig.add_subplot(grid[0, 1]), fig.add_subplot(grid[1, 1]), results, palette)
    else:
        fig, (ax_f, ax_g) = plt.subplots(1, 2, figsize=(12, 4.8))
        _convergence_panels(ax_f, ax_g, results, palette)
    handles, labels = [], []
    for ax in fig.axes:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in labels:
                handles.append(h)
                labels.append(lab)
    fig.subplots_adjust(right=0.8)
    legend_outside(fig, handles, labels, title="method (evaluations)", anchor=(0.81, 0.5))
    if title:
        fig.suptitle(fit_title(title, 90), fontsize=11)
    return fig


def plot_run(path, problem, objective, results, force: bool = False, title: str | None = None) -> list[str]:
    """Write the run's figure to ``path`` (format by suffix); returns the methods not drawn (no iterates)."""
    plt = pyplot()
    fig = run_figure(problem, objective, results, title)
    try:
        save(fig, path, force)
    finally:
        plt.close(fig)
    return [r.method for r in results if not r.trace]
