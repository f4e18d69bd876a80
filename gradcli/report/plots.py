"""PNG plots (matplotlib, an optional extra). Plots draw what profiles computed; they compute nothing."""

from __future__ import annotations

from pathlib import Path

from gradcli.errors import GradcliError
from gradcli.report.output import check_writable, write_atomic


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        raise GradcliError("plots need matplotlib: pip install 'gradcli[plot]'") from None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def check_ready(convergence_dir: str | Path | None, keys, force: bool) -> None:
    """Fail before a study runs, not after: matplotlib missing, or a convergence file that exists
    (``keys`` are the (problem, start) pairs the study will plot)."""
    _pyplot()
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


def _save(fig, path, force: bool) -> None:
    import io
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=120, bbox_inches="tight")
    write_atomic(path, buf.getvalue(), force=force)


def _share_png(xs, series: dict, *, xlabel: str, ylabel: str, title: str, guidance: str, path, force: bool,
               log_base: float = 10) -> None:
    """The shape every study plot shares: one step curve per method of a share in [0, 1] against a
    log-scaled budget or ratio, a legend, and one line that says how to read it."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    for method, ys in series.items():
        ax.step(xs, ys, where="post", label=method, linewidth=1.8)
    ax.set_xscale("log", base=log_base)
    ax.set_ylim(-0.02, 1.02)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, alpha=0.3, which="both")
    ax.legend(loc="lower right", fontsize=9)
    fig.text(0.01, -0.02, guidance, fontsize=8)
    _save(fig, path, force)
    plt.close(fig)


def profile_png(profile, path: str | Path, force: bool = False) -> None:
    _share_png(profile.taus, {m: profile.rho[m] for m in profile.methods}, log_base=2,
               xlabel=f"τ  (within τ × the best {profile.cost} on each problem)",
               ylabel="share of problems solved",
               title=f"Performance profile (Dolan & Moré 2002), {profile.problems} problems",
               guidance="Read: higher is better; the value at τ = 1 is the share on which a method was the "
                        "cheapest, the right end is the share it solved at all.", path=path, force=force)


def convergence_pngs(records: list[dict], folder: str | Path, force: bool = False) -> list[Path]:
    """One PNG per problem and start: best f found against f+∇f evaluations, one line per method."""
    plt = _pyplot()
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise GradcliError(f"{folder}: not a directory")
    folder.mkdir(parents=True, exist_ok=True)
    groups: dict[tuple, list[dict]] = {}
    for r in records:
        if r.get("history"):
            groups.setdefault((r["problem"], r["start"]), []).append(r)
    written = []
    for (problem, start), rs in sorted(groups.items()):
        f_star = rs[0].get("f_star")
        fig, ax = plt.subplots(figsize=(6.5, 4))
        for r in rs:
            xs = [h[0] for h in r["history"]]
            ys = [h[1] - f_star if f_star is not None else h[1] for h in r["history"]]
            if f_star is not None:
                ys = [max(y, 1e-16) for y in ys]
            ax.step(xs, ys, where="post", label=r["method"])
        if f_star is not None:
            ax.set_yscale("log")
        ax.set_xlabel("f + ∇f evaluations")
        ax.set_ylabel("best f − f*" if f_star is not None else "best f")
        ax.set_title(f"{problem} (start {start})")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
        path = convergence_path(folder, problem, start)
        _save(fig, path, force)
        plt.close(fig)
        written.append(path)
    return written


def data_profile_png(profile, path: str | Path, force: bool = False) -> None:
    """Moré & Wild data profile: share of problems solved against budget in simplex gradients."""
    _share_png(profile.budgets, {m: profile.d[m] for m in profile.methods},
               xlabel="budget α  (f + ∇f evaluations / (n + 1), i.e. simplex gradients)",
               ylabel="share of problems solved",
               title=f"Data profile (Moré & Wild 2009), τ = {profile.tau:g}, {profile.problems} problems",
               guidance=f"Read: the share of problems on which a method got within {1 - profile.tau:.4g} of the "
                        "best possible decrease f(x0) − f_L, for each budget; higher and further left is better.",
               path=path, force=force)


def ecdf_png(ecdf, path: str | Path, force: bool = False) -> None:
    """COCO-style runtime ECDF over the targets f − f* ∈ ecdf.targets."""
    lo, hi = min(ecdf.targets), max(ecdf.targets)
    _share_png(ecdf.budgets, {m: ecdf.share[m] for m in ecdf.methods},
               xlabel="budget  (f + ∇f evaluations / n)",
               ylabel="share of (problem, target) pairs reached",
               title=f"Runtime ECDF (COCO style), targets f − f* ∈ [{lo:g}, {hi:g}], {ecdf.instances} problems",
               guidance=f"Read: for each budget, the share of all {len(ecdf.targets)} targets on all problems a "
                        "method had reached; higher and further left is better, the right end is what it ever "
                        "reached.", path=path, force=force)
