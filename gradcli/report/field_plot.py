"""`grad --plot`: f's contours over two variables with the gradient field as arrows.

Arrows show direction only (all one length, so a field that spans decades stays readable); their colour
gives log10 ‖∇f‖. ``--field`` draws −∇f, the field E = −∇U of a potential U (and the way descent moves).
Values come from the compiled f and ∇f `minimize` uses (uncounted); non-finite points are left blank.
"""

from __future__ import annotations

import math

import numpy as np

from gradcli.report.style import fit_title, pyplot, save

GRID = 200      # contour grid per axis
ARROWS = 21     # arrows per axis


def _values(fn, xs, ys, shape=()) -> np.ndarray:
    out = np.full((len(ys), len(xs)) + shape, np.nan)
    with np.errstate(all="ignore"):
        for i, y in enumerate(ys):
            for j, x in enumerate(xs):
                try:
                    out[i, j] = fn(np.array([x, y]))
                except (ArithmeticError, ValueError):
                    pass
    out[~np.isfinite(out)] = np.nan
    return out


def field_figure(problem, objective, xr: tuple[float, float], yr: tuple[float, float], negative: bool = False,
                 point=None):
    """The Figure: filled contours of f (levels between f's 2nd and 98th percentiles on the window, so a
    singularity does not flatten the picture) and unit arrows of ±∇f coloured by log10 ‖∇f‖."""
    plt = pyplot()
    xs, ys = np.linspace(*xr, GRID), np.linspace(*yr, GRID)
    z = _values(objective.fun_uncounted, xs, ys)
    fig, ax = plt.subplots(figsize=(8.5, 6.8))
    finite = z[np.isfinite(z)]
    if finite.size:
        lo, hi = np.percentile(finite, [2, 98])
        if not hi > lo:
            lo, hi = float(finite.min()), float(finite.max()) + 1e-12
        levels = np.linspace(lo, hi, 25)
        cs = ax.contourf(xs, ys, z, levels=levels, cmap="Greys_r", extend="both", alpha=0.85)
        ax.contour(xs, ys, z, levels=levels[::2], colors="black", linewidths=0.4, alpha=0.5)
        fig.colorbar(cs, ax=ax, shrink=0.85, format="%.4g", pad=0.02).set_label("f")
    ax_, ay_ = np.linspace(*xr, ARROWS), np.linspace(*yr, ARROWS)
    g = _values(objective.grad_uncounted, ax_, ay_, (2,))
    sign = -1.0 if negative else 1.0
    norm = np.hypot(g[..., 0], g[..., 1])
    with np.errstate(all="ignore"):
        u, v = sign * g[..., 0] / norm, sign * g[..., 1] / norm
        colour = np.log10(norm)
    ok = np.isfinite(u) & np.isfinite(v) & np.isfinite(colour) & (norm > 0)
    gx, gy = np.meshgrid(ax_, ay_)
    if ok.any():
        q = ax.quiver(gx[ok], gy[ok], u[ok], v[ok], colour[ok], cmap="plasma", angles="xy", pivot="mid",
                      scale=ARROWS * 1.1, width=0.004)
        fig.colorbar(q, ax=ax, shrink=0.85, pad=0.08).set_label("log10 ‖∇f‖ (arrow colour)")
    if point is not None:
        ax.plot(*point, marker="o", ms=8, color="#D55E00", mec="white", zorder=5)
    ax.set_xlim(*xr)
    ax.set_ylim(*yr)
    ax.set_aspect("equal" if _similar(xr, yr) else "auto")
    ax.set_xlabel(problem.variables[0])
    ax.set_ylabel(problem.variables[1])
    what = "−∇f (E = −∇U)" if negative else "∇f"
    ax.set_title(fit_title(f"f = {problem.objective}", 60) + f"\narrows: direction of {what}", fontsize=10)
    return fig


def _similar(a, b) -> bool:
    wa, wb = a[1] - a[0], b[1] - b[0]
    return math.isfinite(wa / wb) and 0.33 < wa / wb < 3


def plot_field(path, problem, objective, xr, yr, negative: bool = False, point=None, force: bool = False):
    plt = pyplot()
    fig = field_figure(problem, objective, xr, yr, negative, point)
    try:
        return save(fig, path, force)
    finally:
        plt.close(fig)
