"""Tables for studies (compare) and problem libraries. Nothing here computes."""

from __future__ import annotations

import csv
import io
import json

from rich import box
from rich.table import Table
from rich.text import Text

from gradcli.report.tables import num


def runs_table(records: list[dict], width: int = 132) -> Table:
    """One row per run. "solved" is f − f* against the file's f*; "verdict" is what our derivatives say
    the returned point is (a minimum, a saddle point, ...): different facts, so both are shown.
    Below 120 columns the evaluation counts share a column (f/∇f), start shows only when there are several
    and each run's time is left to the files (the title says so)."""
    wide = width >= 120
    starts = wide or any(r["start"] != 0 for r in records)
    t = Table(title="runs" if wide else "runs (each run's time: --json / --csv; per method: the summary)",
              header_style="bold", **({} if wide else {"box": box.SIMPLE_HEAD, "pad_edge": False,
                                                       "collapse_padding": True}))
    cols = [("problem", "left"), ("start", "right"), ("method", "left"), ("solved", "left"), ("verdict", "left"),
            ("f", "right"), ("f − f*", "right")]
    cols += [("f evals", "right"), ("∇f evals", "right"), ("time", "right")] if wide else [("f/∇f", "right")]
    cols += [("status", "left")]
    for col, just in cols:
        if col != "start" or starts:       # numbers never wrap; words fold, but keep "minimum" whole
            t.add_column(col, justify=just, overflow="fold", no_wrap=just == "right" or col == "solved",
                         min_width=9 if col in ("verdict", "status") else None)
    for r in records:
        solved = {True: "yes", False: "NO", None: "?"}[r.get("solved")]
        gap = None if r.get("f_star") is None or r["fun"] is None else r["fun"] - r["f_star"]
        evals = [str(r["nfev"]), str(r["njev"]), f"{r['time']:.3f} s"] if wide else [f"{r['nfev']}/{r['njev']}"]
        t.add_row(Text(r["problem"]), *([str(r["start"])] if starts else []), Text(r["method"]), solved,
                  Text(str(r.get("verdict") or "-")), num(r["fun"], 8 if wide else 5), num(gap, 2), *evals,
                  Text(r["status"]),
                  style=None if r.get("solved") is not False else "red")
    return t


def skipped_lines(skipped) -> list[str]:
    """Which method could not run which problem and why, each method spelled as the tables spell it."""
    from gradcli.study.profiles import skips

    return [f"skipped {s.method} on {s.problem}: {s.why} (counted as not solved in the summary and profiles)"
            for s in skips(skipped)]


def summary_table(summaries) -> Table:
    t = Table(title="per method (best first; every method judged on the same problems)", header_style="bold")
    skipped = any(s.skipped for s in summaries)
    cols = [("method", "left"), ("solved", "right"), ("share", "right"), ("median f+∇f evals (solved)", "right"),
            ("total time", "right")] + ([("could not run", "right")] if skipped else [])
    for col, just in cols:
        t.add_column(col, justify=just)
    for s in summaries:
        t.add_row(Text(s.method), f"{s.solved}/{s.judged}", f"{s.solved / s.judged:.0%}" if s.judged else "-",
                  num(s.median_evals, 6), f"{s.total_time:.2f} s",
                  *([f"{s.skipped} problem{'s' if s.skipped != 1 else ''}" if s.skipped else "-"] if skipped else []))
    return t


def _count(problems: int, instances: int) -> str:
    """'2 problems', or '2 problems (6 problem–start pairs)' when there are several starts."""
    text = f"{problems} problem{'s' if problems != 1 else ''}"
    return text if instances in (0, problems) else f"{text} ({instances} problem–start pairs)"


def profile_table(profile) -> Table:
    t = Table(title=f"performance profile, cost = {profile.cost}, {_count(profile.problems, profile.instances)} "
                    "(share solved within τ × the best cost; higher is better)", header_style="bold")
    t.add_column("method")
    taus = profile.table_taus()
    for tau in taus:
        t.add_column(f"τ={tau:.3g}", justify="right")
    for m in profile.methods:
        t.add_row(Text(m), *[f"{profile.at(m, tau):.2f}" for tau in taus])
    return t


def _spark(budgets, values, decades: int) -> str:
    """The curve at a glance: one block character per ⅕ decade of budget, height = share in [0, 1]."""
    blocks = " ▁▂▃▄▅▆▇█"
    out = []
    for k in range(5 * decades + 1):
        b = 10 ** (k / 5)
        v = max((v for x, v in zip(budgets, values) if x <= b * (1 + 1e-9)), default=0.0)
        out.append(blocks[min(8, round(v * 8))])
    return "".join(out)


def _columns(budgets, shown):
    return [i for i, b in enumerate(budgets) if b in shown]


def _curve_table(title: str, methods, budgets, values: dict, marks, letter: str, decades: int) -> Table:
    """Shares against budget, one row per method: the values at readable budgets plus a sparkline."""
    t = Table(title=title, header_style="bold")
    t.add_column("method")
    cols = _columns(budgets, marks)
    for i in cols:
        t.add_column(f"{letter}={budgets[i]:g}", justify="right")
    t.add_column(f"{letter}: {marks[0]:g} … {marks[-1]:g}")
    for m in methods:
        t.add_row(Text(m), *[f"{values[m][i]:.2f}" for i in cols], _spark(budgets, values[m], decades))
    return t


def data_profile_table(profile) -> Table:
    return _curve_table(f"data profile (Moré & Wild 2009), τ = {profile.tau:g}, "
                        f"{_count(profile.problems, profile.instances)}: share "
                        "solved within α simplex gradients (α (n+1) f+∇f evals); higher is better",
                        profile.methods, profile.budgets, profile.d, (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000), "α", 3)


def ecdf_table(ecdf) -> Table:
    return _curve_table(f"runtime ECDF (COCO style), {_count(ecdf.problems, ecdf.instances)} x {len(ecdf.targets)} "
                        "targets "
                        f"f − f* ≤ {max(ecdf.targets):g} … {min(ecdf.targets):g}: share reached within b·n f+∇f "
                        "evals; higher is better", ecdf.methods, ecdf.budgets, ecdf.share, (1, 10, 100, 1000, 10000),
                        "b", 4)


def problems_table(rows: list[dict]) -> Table:
    t = Table(header_style="bold")
    for col, just in (("name", "left"), ("kind", "left"), ("n", "right"), ("tags", "left"), ("f*", "right"),
                      ("file", "left")):
        t.add_column(col, justify=just, no_wrap=col == "kind")
    for r in rows:
        t.add_row(Text(r["name"]), Text(r["shown"]), str(r["n"]), Text(", ".join(r["tags"])), num(r["f_star"], 10),
                  Text(r["file"]))
    return t


def check_table(rows: list[dict]) -> Table:
    t = Table(header_style="bold")
    for col in ("file", "result", "detail"):
        t.add_column(col)
    for r in rows:
        t.add_row(Text(r["file"]), "ok" if r["ok"] else "FAIL", Text(r["detail"]),
                  style=None if r["ok"] else "red")
    return t


def records_json(records: list[dict]) -> str:
    return json.dumps(records, indent=1)


def records_csv(records: list[dict]) -> str:
    keys: list[str] = []
    for r in records:
        keys += [k for k in r if k not in keys and k not in ("history", "trace")]
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=keys, extrasaction="ignore")
    w.writeheader()
    for r in records:
        w.writerow({k: json.dumps(v) if isinstance(v, (list, dict)) else v for k, v in r.items()})
    return buf.getvalue()
