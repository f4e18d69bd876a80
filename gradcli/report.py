"""Everything that writes results for people: Rich tables and traces. Nothing here computes."""

from __future__ import annotations

import json
import math

from rich.console import Console
from rich.table import Table
from rich.text import Text


def consoles() -> tuple[Console, Console]:
    """Results to stdout, errors to stderr; no markup, so x[0]**2 or [bold] in user text prints as is."""
    out = Console(highlight=False)
    if not out.is_terminal:   # piped: no colour codes, and room for the table instead of 80 columns
        out = Console(highlight=False, width=max(out.width, 132))
    return out, Console(stderr=True, highlight=False)


def num(v, digits: int = 8) -> str:
    if v is None:
        return "-"
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    return f"{v:.{digits}g}"


def vector(x: list[float], digits: int = 8, limit: int = 4) -> str:
    if len(x) == 1:
        return num(x[0], digits)
    if len(x) <= limit:
        return "(" + ", ".join(num(v, digits) for v in x) + ")"
    norm = math.sqrt(sum(v * v for v in x)) if all(math.isfinite(v) for v in x) else math.nan
    return "(" + ", ".join(num(v, 4) for v in x[:3]) + f", … {len(x)} values; ‖x‖={num(norm, 4)})"


def best_index(results) -> int | None:
    ok = [(r.fun, i) for i, r in enumerate(results) if r.success and math.isfinite(r.fun)]
    return min(ok)[1] if ok else None


def results_table(results, title: str | None = None) -> Table:
    table = Table(title=title, header_style="bold")
    for name, just in (("method", "left"), ("x*", "left"), ("f(x*)", "right"), ("‖∇f‖∞", "right"),
                       ("iter", "right"), ("f", "right"), ("∇f", "right"), ("∇²f", "right"),
                       ("time", "right"), ("status", "left")):
        table.add_column(name, justify=just, overflow="fold", no_wrap=name in ("method", "f(x*)"))
    best = best_index(results)
    for i, r in enumerate(results):
        style = "bold green" if i == best else ("red" if not r.success else None)
        status = r.status.value + (" (best)" if i == best else "")
        table.add_row(Text(r.method), Text(vector(r.x, 7)), num(r.fun, 8), num(r.grad_norm, 2),
                      "-" if r.nit is None else str(r.nit), str(r.nfev), str(r.njev), str(r.nhev),
                      f"{r.time * 1000:.1f} ms" if r.time < 1 else f"{r.time:.2f} s", Text(status), style=style)
    return table


def trace_table(result) -> Table:
    table = Table(title=f"{result.method}: iterations", header_style="bold")
    rows = result.trace or []
    with_alpha = any(row.alpha is not None for row in rows)   # our gd family records its step rule's α
    for name in ("iter", "f", "‖∇f‖∞", "step ‖Δx‖∞") + (("α",) if with_alpha else ()) + ("f evals", "∇f evals"):
        table.add_column(name, justify="right")
    for row in rows:
        alpha = (num(row.alpha, 3),) if with_alpha else ()
        table.add_row(str(row.iteration), num(row.f, 12), num(row.grad_norm, 3), num(row.step, 3), *alpha,
                      str(row.nfev), str(row.njev))
    return table


def print_results(console: Console, problem, results, skipped, trace: bool = False) -> None:
    label = problem.name if problem.name != "expression" else problem.objective
    title = f"minimize {label}  ({problem.n} variable{'s' if problem.n != 1 else ''}: " \
            f"{', '.join(problem.variables[:6])}{', …' if problem.n > 6 else ''})"
    if trace:
        for r in results:
            if r.trace:
                console.print(trace_table(r))
    console.print(results_table(results, Text(title)))
    console.print(Text("f, ∇f, ∇²f: evaluations counted by gradcli; ‖∇f‖∞ at x* from the exact gradient", style="dim"))
    for r in results:
        if not r.success:
            console.print(Text(f"{r.method}: {r.status.value}: {' '.join(r.message.split())}", style="red"))
    for spec, why in skipped:
        console.print(Text(f"skipped {spec.name}: {why}", style="dim"))


def results_json(results, with_trace: bool = False) -> str:
    return json.dumps([r.as_dict(with_trace) for r in results], indent=2)
