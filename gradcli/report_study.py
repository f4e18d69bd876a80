"""Tables for studies (compare) and problem libraries. Nothing here computes."""

from __future__ import annotations

import csv
import io
import json

from rich.table import Table
from rich.text import Text

from .report import num


def runs_table(records: list[dict]) -> Table:
    t = Table(title="runs", header_style="bold")
    for col, just in (("problem", "left"), ("start", "right"), ("method", "left"), ("solved", "left"),
                      ("f", "right"), ("f − f*", "right"), ("f evals", "right"), ("∇f evals", "right"),
                      ("time", "right"), ("status", "left")):
        t.add_column(col, justify=just)
    for r in records:
        solved = {True: "yes", False: "NO", None: "?"}[r.get("solved")]
        gap = None if r.get("f_star") is None or r["fun"] is None else r["fun"] - r["f_star"]
        t.add_row(Text(r["problem"]), str(r["start"]), Text(r["method"]), solved, num(r["fun"], 8), num(gap, 2),
                  str(r["nfev"]), str(r["njev"]), f"{r['time']:.3f} s", Text(r["status"]),
                  style=None if r.get("solved") is not False else "red")
    return t


def summary_table(summaries) -> Table:
    t = Table(title="per method (best first)", header_style="bold")
    for col, just in (("method", "left"), ("solved", "right"), ("share", "right"), ("median f+∇f evals (solved)", "right"),
                      ("total time", "right")):
        t.add_column(col, justify=just)
    for s in summaries:
        t.add_row(Text(s.method), f"{s.solved}/{s.judged}", f"{s.solved / s.judged:.0%}" if s.judged else "-",
                  num(s.median_evals, 6), f"{s.total_time:.2f} s")
    return t


def profile_table(profile) -> Table:
    t = Table(title=f"performance profile, cost = {profile.cost}, {profile.problems} problems "
                    "(share solved within τ × the best cost; higher is better)", header_style="bold")
    t.add_column("method")
    for tau in profile.taus:
        t.add_column(f"τ={tau:.3g}", justify="right")
    for m in profile.methods:
        t.add_row(Text(m), *[f"{v:.2f}" for v in profile.rho[m]])
    return t


def problems_table(rows: list[dict]) -> Table:
    t = Table(header_style="bold")
    for col, just in (("name", "left"), ("n", "right"), ("tags", "left"), ("f*", "right"), ("file", "left")):
        t.add_column(col, justify=just)
    for r in rows:
        t.add_row(Text(r["name"]), str(r["n"]), Text(", ".join(r["tags"])), num(r["f_star"], 10), Text(r["file"]))
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
