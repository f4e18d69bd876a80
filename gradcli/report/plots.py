"""compare's figures (matplotlib, an optional extra): performance and data profiles, runtime ECDFs and
convergence curves. They draw what gradcli.study.profiles computed; they compute nothing.

One Palette styles every figure of a study, so a method keeps its colour and marker in all of them;
legends sit outside the axes; budget curves stop at the largest budget any run used (past it nothing was
measured); PNG, PDF or SVG by the file's suffix.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from gradcli.errors import GradcliError
from gradcli.report.output import check_writable
from gradcli.report.style import Palette, legend_outside, plot_format, pyplot, save

def check_ready(convergence_dir: str | Path | None, keys, force: bool, files=()) -> None:
    """Fail before a study runs, not after: matplotlib missing, a plot file of no known format, or a
    convergence file that exists (``keys`` are the (problem, start) pairs the study will plot)."""
    for f in files:
        plot_format(f)
    pyplot()
    if convergence_dir is None:
        return
    folder = Path(convergence_dir)
    if folder.exists() and not folder.is_dir():
        raise GradcliError(f"{folder}: not a directory; give a folder for --plot-convergence")
    if folder.is_dir():
        for key in sorted(keys):
            check_writable(convergence_path(folder, *key), force)


def convergence_path(folder: Path, problem: str, start: int) -> Path:
    return folder / f"{problem}-{start}.png"


def largest_budget(records: list[dict], extra: int) -> float | None:
    """The largest f + ∇f evaluations any run with a history used, per (n + extra): where measured curves end."""
    used = [(r.get("nfev", 0) + r.get("njev", 0)) / max(r.get("n", 1) + extra, 1)
            for r in records if r.get("history")]
    return max(used) if used else None


def _title(ax, text: str) -> None:
    ax.set_title(textwrap.fill(text, 64), fontsize=10)


def _share(xs, series: dict, *, xlabel: str, ylabel: str, title: str, guidance: str, path, force: bool,
           palette: Palette | None, log_base: float = 10, end: float | None = None):
    """The shape every study plot shares: one step curve per method of a share in [0, 1] against a
    log-scaled budget or ratio, each ending where measurement ended, a legend beside the axes, and one
    line that says how to read it. Returns the Figure (closed once written when ``path`` is given)."""
    plt = pyplot()
    palette = palette or Palette(series)
    fig, ax = plt.subplots(figsize=(7.5, 4.6))
    xs = list(xs)
    for method, ys in series.items():
        px, py = xs, list(ys)
        if end is not None and xs and end < xs[-1]:       # nothing was measured past the largest budget used
            k = sum(x <= end for x in xs)
            px, py = xs[:k] + [end], py[:k] + [py[k - 1] if k else 0.0]
        colour, marker = palette.style(method)
        ax.step(px, py, where="post", linewidth=1.8, color=colour)
        ax.plot(px[-1:], py[-1:], marker=marker, color=colour, ms=7, lw=1.8, label=method)   # the end; the legend
    ax.set_xscale("log", base=log_base)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    _title(ax, title)
    ax.grid(True, alpha=0.3, which="both")
    legend_outside(ax, title="method")
    fig.text(0.01, -0.04, textwrap.fill(guidance, 110), fontsize=8, va="top")
    if path is not None:
        try:
            save(fig, path, force)
        finally:
            plt.close(fig)
    return fig


def profile_png(profile, path, force: bool = False, palette: Palette | None = None):
    return _share(profile.taus, {m: profile.rho[m] for m in profile.methods}, log_base=2,
                  xlabel=f"τ  (within τ × the best {profile.cost} on each problem)",
                  ylabel="share of problems solved",
                  title=f"Performance profile (Dolan & Moré 2002), {profile.problems} problems",
                  guidance="Read: higher is better; the value at τ = 1 is the share on which a method was the "
                           "cheapest, the right end is the share it solved at all.", path=path, force=force,
                  palette=palette)


def data_profile_png(profile, path, force: bool = False, palette: Palette | None = None,
                     end: float | None = None):
    """Moré & Wild data profile: share of problems solved against budget in simplex gradients."""
    return _share(profile.budgets, {m: profile.d[m] for m in profile.methods},
                  xlabel="budget α  (f + ∇f evaluations / (n + 1), i.e. simplex gradients)",
                  ylabel="share of problems solved",
                  title=f"Data profile (Moré & Wild 2009), τ = {profile.tau:g}, {profile.problems} problems",
                  guidance=f"Read: the share of problems on which a method got within {1 - profile.tau:.4g} of the "
                           "best possible decrease f(x0) − f_L, for each budget; higher and further left is better. "
                           "Curves end at the largest budget any run used.",
                  path=path, force=force, palette=palette, end=end)


def ecdf_png(ecdf, path, force: bool = False, palette: Palette | None = None, end: float | None = None):
    """COCO-style runtime ECDF over the targets f − f* ∈ ecdf.targets."""
    lo, hi = min(ecdf.targets), max(ecdf.targets)
    return _share(ecdf.budgets, {m: ecdf.share[m] for m in ecdf.methods},
                  xlabel="budget  (f + ∇f evaluations / n)",
                  ylabel="share of (problem, target) pairs reached",
                  title=f"Runtime ECDF (COCO style), targets f − f* ∈ [{lo:g}, {hi:g}], {ecdf.instances} problems",
                  guidance=f"Read: for each budget, the share of all {len(ecdf.targets)} targets on all problems a "
                           "method had reached; higher and further left is better, the right end is what it ever "
                           "reached. Curves end at the largest budget any run used.",
                  path=path, force=force, palette=palette, end=end)


def convergence_figure(problem: str, start: int, rs: list[dict], palette: Palette):
    """Best f (− f* when known) against f + ∇f evaluations, one line per method, each ending at its last
    evaluation."""
    plt = pyplot()
    f_star = rs[0].get("f_star")
    fig, ax = plt.subplots(figsize=(7, 4.2))
    for r in rs:
        xs = [h[0] for h in r["history"]]
        ys = [h[1] - f_star if f_star is not None else h[1] for h in r["history"]]
        if f_star is not None:
            ys = [max(y, 1e-16) for y in ys]
        colour, marker = palette.style(r["method"])
        ax.step(xs, ys, where="post", color=colour, linewidth=1.6)
        ax.plot(xs[-1:], ys[-1:], marker=marker, color=colour, ms=7, lw=1.6, label=r["method"])
    if f_star is not None:
        ax.set_yscale("log")
    ax.set_xlabel("f + ∇f evaluations")
    ax.set_ylabel("best f − f*" if f_star is not None else "best f")
    _title(ax, f"{problem} (start {start})")
    ax.grid(True, alpha=0.3)
    legend_outside(ax, title="method")
    return fig


def convergence_pngs(records: list[dict], folder, force: bool = False, palette: Palette | None = None) -> list[Path]:
    """One PNG per problem and start: best f found against f+∇f evaluations, one line per method."""
    plt = pyplot()
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise GradcliError(f"{folder}: not a directory")
    folder.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        if r.get("history"):
            groups.setdefault((r["problem"], r["start"]), []).append(r)
    palette = palette or Palette(dict.fromkeys(r["method"] for r in records))
    written = []
    for (problem, start), rs in sorted(groups.items()):
        fig = convergence_figure(problem, start, rs, palette)
        path = convergence_path(folder, problem, start)
        try:
            save(fig, path, force)
        finally:
            plt.close(fig)
        written.append(path)
    return written
