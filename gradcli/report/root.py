"""`gradcli root` for people (a Rich table, one block per method on a narrow terminal) and for programs
(JSON). Nothing here computes: every number comes from gradcli.roots."""

from __future__ import annotations

import json

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from gradcli.report.narrow import fitted
from gradcli.report.tables import num, vector

NOTE = "evaluations counted by gradcli; residual and verdict from gradcli's own evaluation at the result"


def _time(t: float) -> str:
    return f"{t * 1000:.1f} ms" if t < 1 else f"{t:.2f} s"


def _cells(eqs, runs) -> list[dict]:
    best = next((i for i, r in enumerate(runs) if r.verified), None)
    rows = []
    for i, r in enumerate(runs):
        x = (repr(r.x[0]) if len(r.x) == 1 else vector(r.x, 10)) if r.x else "-"
        rows.append({"method": r.method, "x": x,
                     "res": num(r.fun[0], 3) if eqs.scalar and r.fun else num(r.residual, 3),
                     "iter": "-" if r.nit is None else str(r.nit), "f": str(r.nfev), "d1": str(r.njev),
                     "d2": str(r.nhev), "time": _time(r.time), "status": "converged" if r.success else "failed",
                     "verdict": r.verdict + ("  ≠ counts" if r.count_mismatch else ""),
                     "style": None if r.verified and i != best else ("bold green" if i == best else "red")})
    return rows


def _columns(eqs) -> list[tuple[str, str, str]]:
    if eqs.fixed_point:
        return [("method", "method", "left"), ("x", "x", "left"), ("res", "‖g(x)−x‖∞", "right"),
                ("f", "g", "right")]
    if eqs.scalar:
        return [("method", "method", "left"), ("x", "root", "left"), ("res", "f(root)", "right"),
                ("iter", "iter", "right"), ("f", "f", "right"), ("d1", "f′", "right"), ("d2", "f″", "right")]
    return [("method", "method", "left"), ("x", "x", "left"), ("res", "‖F‖∞", "right"), ("iter", "iter", "right"),
            ("f", "F", "right"), ("d1", "J", "right")]


TAIL = [("time", "time", "right"), ("status", "SciPy", "left"), ("verdict", "verdict", "left")]


def runs_table(eqs, runs, title: str) -> Table:
    table = Table(title=Text(title), header_style="bold")
    columns = _columns(eqs) + TAIL
    for key, name, just in columns:
        table.add_column(name, justify=just, overflow="fold", no_wrap=key in ("method", "x"))
    for c in _cells(eqs, runs):
        table.add_row(*(Text(c[k]) for k, _, _ in columns), style=c["style"])
    return table


def runs_blocks(eqs, runs, title: str) -> Group:
    """The same fields, one short block per method: what an 80-column terminal gets."""
    names = {k: n for k, n, _ in _columns(eqs)}
    lines = [Text(title, style="bold")]
    for c in _cells(eqs, runs):
        counts = " · ".join(f"{names[k]} {c[k]}" for k in ("f", "d1", "d2") if k in names)
        it = f"{c['iter']} iterations · " if "iter" in names else ""
        lines += [Text(f"{c['method']}: {c['verdict']} (SciPy: {c['status']})", style=c["style"] or "bold"),
                  Text(f"  {names['x']} = {c['x']}   {names['res']} = {c['res']}"),
                  Text(f"  {it}{counts} · {c['time']}")]
    return Group(*lines)


def title_of(eqs) -> str:
    what = "fixed point of x = g(x)" if eqs.fixed_point else ("root of" if eqs.scalar else "root of the system")
    shown = "; ".join(eqs.texts)
    return f"{what} {shown if len(shown) <= 60 else shown[:57] + '…'}"


def print_runs(console: Console, eqs, runs, tol: float, verbose: bool = False) -> None:
    title = title_of(eqs)
    table = runs_table(eqs, runs, title)
    natural = console.measure(table, options=console.options.update(max_width=10_000)).maximum
    console.print(runs_blocks(eqs, runs, title) if console.width < natural else table)
    need = ("|f| ≤ " if eqs.scalar else "‖F‖∞ ≤ ") + f"{tol:.2g}" + (" or a sign change" if eqs.scalar else "")
    console.print(Text(f"{NOTE}; a root needs {need}", style="dim"))
    for r in runs:
        if not r.verified or verbose:
            console.print(Text(f"{r.method}: {r.verdict}: {r.verdict_reason}", style=None if r.verified else "yellow"))
        if not r.success and r.message:
            console.print(Text(f"{r.method}: SciPy: {r.message}", style="dim"))
        if r.success and not r.verified:
            console.print(Text(f"{r.method}: SciPy reports success, but the point is not a verified root", style="red"))
        for key, (ours, theirs) in r.count_mismatch.items():
            console.print(Text(f"{r.method}: counts MISMATCH: SciPy reports {key} = {theirs}, gradcli counted "
                               f"{ours}", style="yellow"))
        if verbose:
            told = ", ".join(f"{k} {v}" for k, v in r.scipy_counts.items()) or "none"
            console.print(Text(f"  derivatives given: {r.jacobian}; SciPy's counts: {told}; "
                               f"ours: {r.nfev}, {r.njev}, {r.nhev}"))


def runs_json(eqs, runs, tol: float) -> str:
    return json.dumps({"equations": eqs.texts, "variables": list(eqs.variables), "fixed_point": eqs.fixed_point,
                       "tol": tol, "runs": [r.as_dict() for r in runs]}, indent=2)


def print_all(console: Console, eqs, found, bracket) -> None:
    a, b = bracket
    table = Table(title=Text(f"roots of {eqs.texts[0]} in [{a:g}, {b:g}]"), header_style="bold")
    exact = any(r.exact for r in found.roots)
    for name in ("#", "x", "f(x)", "verdict") + (("exact",) if exact else ()):
        table.add_column(name, justify="right" if name in ("#", "f(x)") else "left", overflow="fold")
    for i, r in enumerate(found.roots, 1):
        table.add_row(str(i), repr(r.x), num(r.f, 3), r.verdict, *((Text(r.exact or ""),) if exact else ()))
    console.print(fitted(console, table))
    count = len(found.roots)
    console.print(Text(f"{count} root{'s' if count != 1 else ''}; "
                       + ("complete" if found.complete else "MAY BE INCOMPLETE") + f": {found.message}",
                       style=None if found.complete else "yellow"))


def all_json(eqs, found, bracket) -> str:
    d = {"equation": eqs.texts[0], "variable": eqs.variables[0], "bracket": list(bracket)} | found.as_dict()
    return json.dumps(d, indent=2)
