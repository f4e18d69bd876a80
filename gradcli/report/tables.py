"""Everything that writes results for people: Rich tables and traces. Nothing here computes."""

from __future__ import annotations

import json
import math
import os

from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from gradcli.result import VerdictKind


PIPED_WIDTH = 132


def consoles() -> tuple[Console, Console]:
    """Results to stdout, errors to stderr; no markup, so x[0]**2 or [bold] in user text prints as is.

    A stream that cannot encode our symbols (PYTHONIOENCODING=ascii, a latin-1 terminal) gets ASCII: Rich
    draws ASCII boxes for a non-UTF encoding, and ``_AsciiFile`` spells ‖∇f‖∞, ≤, … in ASCII."""
    import sys

    out = Console(highlight=False, markup=False, emoji=False, file=_writable(sys.stdout))
    if not out.is_terminal and not os.environ.get("COLUMNS", "").strip().isdigit():
        # piped without COLUMNS: room for the table instead of 80 columns; COLUMNS, when set, is honoured
        out = Console(highlight=False, markup=False, emoji=False, width=PIPED_WIDTH, file=out.file)
    return out, Console(highlight=False, markup=False, emoji=False, file=_writable(sys.stderr))


_ASCII = str.maketrans({"‖": "|", "∇": "grad ", "∞": "inf", "≤": "<=", "≥": ">=", "…": "...", "−": "-", "·": "*",
                        "⋅": "*", "×": "x", "²": "^2", "³": "^3", "τ": "tau", "Δ": "d", "ε": "eps", "β": "beta",
                        "—": "-", "–": "-", "→": "->", "√": "sqrt", "∂": "d", "≈": "~", "±": "+/-", "∈": "in",
                        "≠": "!="})


def _writable(stream):
    try:
        "‖∇f‖∞ ≤ … ─┃".encode(getattr(stream, "encoding", None) or "utf-8")
        return stream
    except (UnicodeEncodeError, LookupError):
        return _AsciiFile(stream)


class _AsciiFile:
    """A text stream's stand-in that never raises UnicodeEncodeError: known symbols spelled out, others '?'."""

    def __init__(self, stream):
        self.stream = stream
        self.encoding = "ascii"

    def write(self, text: str) -> int:
        return self.stream.write(text.translate(_ASCII).encode("ascii", "replace").decode("ascii"))

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()


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


def verified(r) -> bool:
    return r.verified


def best_index(results) -> int | None:
    """The lowest f among verified minima (when verdicts were computed), else among successes."""
    checked = any(r.verdict is not None for r in results)
    ok = [(r.fun if r.sense == "min" else -r.fun, i) for i, r in enumerate(results)
          if (verified(r) if checked else r.success) and math.isfinite(r.fun)]
    return min(ok)[1] if ok else None


def _cells(results) -> list[dict]:
    """Each result's printed fields and style, shared by the table and the narrow layout."""
    checked = any(r.verdict is not None for r in results)
    best = best_index(results)
    rows = []
    for i, r in enumerate(results):
        bad = not r.success or (checked and not verified(r))
        rows.append({
            "method": r.method, "x*": vector(r.x, 7), "f(x*)": num(r.fun, 8), "‖∇f‖∞": num(_stationarity(r), 2),
            "iter": "-" if r.nit is None else str(r.nit), "f": str(r.nfev), "∇f": str(r.njev), "∇²f": str(r.nhev),
            "time": f"{r.time * 1000:.1f} ms" if r.time < 1 else f"{r.time:.2f} s",
            "status": r.status.value + (" (best)" if i == best else ""),
            "verdict": (r.verdict.kind.value if r.verdict is not None else "-") if checked else None,
            "style": "bold green" if i == best else ("red" if bad else None)})
    return rows


def _stationarity(r):
    """‖∇f‖∞ for an unconstrained run; with bounds or constraints the KKT residual ‖∇f − Jᵀλ‖∞ over the
    active ones (the projected gradient with bounds only), from the verdict: the raw ‖∇f‖ of a
    constrained minimum is not small and says nothing."""
    if r.maxcv is not None and r.verdict is not None and r.verdict.stationarity is not None:
        return r.verdict.stationarity
    return r.grad_norm


COLUMNS = (("method", "left"), ("x*", "left"), ("f(x*)", "right"), ("‖∇f‖∞", "right"), ("iter", "right"),
           ("f", "right"), ("∇f", "right"), ("∇²f", "right"), ("time", "right"), ("status", "left"))


def results_table(results, title: str | None = None) -> Table:
    table = Table(title=Text(title) if title else None, header_style="bold")   # Text: "x[i]" is not markup
    cells = _cells(results)
    checked = any(c["verdict"] is not None for c in cells)
    columns = COLUMNS + ((("verdict", "left"),) if checked else ())
    for name, just in columns:
        table.add_column(name, justify=just, overflow="fold", no_wrap=name in ("method", "f(x*)"))
    for c in cells:
        table.add_row(*(Text(c[name]) for name, _ in columns), style=c["style"])
    return table


def results_blocks(results, title: str | None = None) -> Group:
    """The same fields as the table, one short block per method: what a narrow terminal gets, where
    eleven columns would be folded into slivers of two or three characters."""
    lines = [Text(title, style="bold")] if title else []
    for c in _cells(results):
        verdict = f" · {c['verdict']}" if c["verdict"] is not None else ""
        lines += [Text(f"{c['method']}: {c['status']}{verdict}", style=c["style"] or "bold"),
                  Text(f"  x* = {c['x*']}"),
                  Text(f"  f(x*) = {c['f(x*)']}   ‖∇f‖∞ = {c['‖∇f‖∞']}"),
                  Text(f"  {c['iter']} iterations · f {c['f']} · ∇f {c['∇f']} · ∇²f {c['∇²f']} · {c['time']}")]
    return Group(*lines)


NARROW = 110    # below this width a table that does not fit is folded past reading; above, a few cells wrap


def fitted_results(console: Console, results, title: str | None = None):
    """The table, unless the console is narrow and the table does not fit it: then the blocks."""
    table = results_table(results, title)
    natural = console.measure(table, options=console.options.update(max_width=10_000)).maximum
    return results_blocks(results, title) if console.width < min(natural, NARROW) else table


TRACE_X_MAX = 4     # --trace shows x for up to this many variables


def thin(rows, every: int):
    """Every ``every``-th trace row, the first and the last always kept (--trace-every)."""
    if not rows or every <= 1:
        return rows
    return [row for i, row in enumerate(rows) if i % every == 0 or i == len(rows) - 1]


def trace_table(result) -> Table:
    table = Table(title=f"{result.method}: iterations", header_style="bold")
    rows = result.trace or []
    with_alpha = any(row.alpha is not None for row in rows)   # our gd family records its step rule's α
    with_x = 0 < len(result.x) <= TRACE_X_MAX and all(row.x is not None for row in rows)
    for name in ("iter", "f", "‖∇f‖∞", "step ‖Δx‖∞") + (("α",) if with_alpha else ()) + ("f evals", "∇f evals"):
        table.add_column(name, justify="right")
    if with_x:
        table.add_column("x", justify="left", no_wrap=True)
    for row in rows:
        alpha = (num(row.alpha, 3),) if with_alpha else ()
        x = (vector(list(row.x), 6),) if with_x else ()
        table.add_row(str(row.iteration), num(row.f, 12), num(row.grad_norm, 3), num(row.step, 3), *alpha,
                      str(row.nfev), str(row.njev), *x)
    return table


def print_results(console: Console, problem, results, skipped, trace: bool = False, verbose: bool = False,
                  notes: list[str] | None = None) -> None:
    label = problem.name if problem.name != "expression" else problem.objective
    verb = "maximize" if results and results[0].sense == "max" else "minimize"
    title = f"{verb} {label}  ({problem.n} variable{'s' if problem.n != 1 else ''}: " \
            f"{', '.join(problem.variables[:6])}{', …' if problem.n > 6 else ''})"
    if trace:
        for r in results:
            if r.trace:
                console.print(trace_table(r))
    for note in notes or []:
        console.print(Text(note))
    console.print(fitted_results(console, results, title))
    console.print(Text("f, ∇f, ∇²f: evaluations counted by gradcli; ‖∇f‖∞ at x* from the exact gradient", style="dim"))
    if any(_stationarity(r) is not r.grad_norm for r in results):
        console.print(Text("‖∇f‖∞ of a run with bounds or constraints: the KKT residual ‖∇f − Jᵀλ‖∞ over the active "
                           "ones (the projected gradient with bounds only), not the raw gradient", style="dim"))
    if best_index(results) is not None:
        maximize = results[0].sense == "max"
        wanted = "a maximum" if maximize else "a minimum"
        among = f"our verdict calls {wanted}" if any(r.verdict is not None for r in results) else "that converged"
        console.print(Text(f"(best): the {'highest' if maximize else 'lowest'} f(x*) among the runs {among}",
                           style="dim"))
    for line in solution_lines(problem, results):
        console.print(Text(line, style="red" if "above" in line or "below" in line else "dim"))
    for r in results:
        if not r.success:
            console.print(Text(f"{r.method}: {r.status.value}: {' '.join(r.message.split())}", style="red"))
        for line in trust_lines(r):
            console.print(Text(line, style="yellow"))
        if verbose:
            for line in verbose_lines(r):
                console.print(Text(line))
    for spec, why in skipped:
        console.print(Text(f"skipped {spec.name}: {why}", style="dim"))


def solution_lines(problem, results) -> list[str]:
    """The file's published f* beside each run: a run that ends worse than it is named."""
    if not results or "f_star" not in results[0].extra:
        return []
    f_star = results[0].extra["f_star"]
    out = [f"published f* = {num(f_star, 10)} (solution.f of the problem file); f − f*: "
           + ", ".join(f"{r.method} {num(r.fun - f_star, 2)}" for r in results)]
    for r in results:
        if r.extra.get("short_of_f_star"):
            side = "below" if r.sense == "max" else "above"
            out.append(f"{r.method}: f(x*) = {num(r.fun, 10)} ends {side} the published f* by "
                       f"{num(abs(r.fun - f_star), 3)} (more than the file's tolerance)")
    return out


def trust_lines(r) -> list[str]:
    """What the user must know even without --verbose: a claimed success that is not a verified minimum,
    a better point the solver evaluated but did not return, distance to the exact minimiser, multistart."""
    out = []
    v = r.verdict
    if v is not None and r.success and not r.verified:
        out.append(f"{r.method}: the solver reports success ({r.status.value}), but gradcli's verdict is "
                   f"{v.kind.value}: {v.reason}")
    elif v is not None and not r.verified and v.kind is not VerdictKind.NO_RESULT:
        out.append(f"{r.method}: verdict {v.kind.value}: {v.reason}")
    best = r.best_seen
    if best:
        if r.extra.get("kept_best"):
            out.append(f"{r.method}: returned f = {num(best['returned_fun'])}; kept the best point it evaluated "
                       f"(--keep-best): f = {num(best['fun'])}")
        else:
            out.append(f"{r.method}: returned f = {num(r.fun)}, but it evaluated f = {num(best['fun'])} at "
                       f"{vector(best['x'], 8)}; --keep-best returns that point")
    if "exact_error" in r.extra:
        out.append(f"{r.method}: ‖x* − x_exact‖∞ = {num(r.extra['exact_error'], 3)} from the exact minimiser "
                   f"{vector(r.extra['exact_minimizer'], 10)}")
    if "multistart" in r.extra:
        out.append(f"{r.method}: best of {r.extra['starts_run']} starts ({r.extra['verified_starts']} reached "
                   f"a verified {'maximum' if r.sense == 'max' else 'minimum'}), from x0 = {vector(r.x0 or [], 4)}")
    return out


def verbose_lines(r) -> list[str]:
    """--verbose: why it stopped against what, counts measured vs reported, eigenvalues, multipliers."""
    e = r.as_dict()
    out = [f"{r.method}:"]
    if e.get("verdict"):
        out.append(f"  verdict: {e['verdict']} ({e.get('verdict_reason', '')})")
    for m in e.get("stopping", []):
        if m["value"] is None:
            continue
        if m["kind"] == "limit":
            out.append(f"  {m['measure']:<26} = {m['value']} {'<' if m['held'] else '≥'} {m['tol']}")
        else:
            out.append(f"  {m['measure']:<26} = {m['value']:.1e} {'≤' if m['held'] else '≰'} {m['tol']:.1e}")
    if r.setup_time is not None:
        out.append(f"  setup (derivatives compiled before the run, not in its time): {r.setup_time * 1000:.1f} ms")
    measured = f"f {r.nfev}, ∇f {r.njev}, ∇²f {r.nhev}"
    theirs = e.get("solver_counts")
    if theirs:
        told = ", ".join(f"{k} {v}" for k, v in theirs.items())
        bad = e.get("count_mismatch")
        flag = ("  MISMATCH: " + "; ".join(f"{k} measured {a}, reported {b}" for k, (a, b) in bad.items())) if bad \
            else "  (agree)"
        out.append(f"  evaluations measured: {measured}; solver reported: {told}{flag}")
    else:
        out.append(f"  evaluations measured: {measured} (the solver reports none)")
    if e.get("eigenvalues") is not None:
        out.append("  Hessian eigenvalues" + (" (Lagrangian, tangent space)" if e.get("multipliers") else "")
                   + ": " + ", ".join(num(v, 6) for v in e["eigenvalues"]))
    elif e.get("min_eig") is not None:
        out.append(f"  Hessian eigenvalues: smallest {num(e['min_eig'], 6)}, largest {num(e.get('max_eig'), 6)}")
    if e.get("newton_step") is not None:
        out.append(f"  Newton step ‖H⁻¹∇f‖∞ = {num(e['newton_step'], 3)} (estimated distance to the minimiser)")
    if e.get("multipliers"):
        out.append("  multipliers: " + "; ".join(f"{k}: {num(v, 8)}" for k, v in e["multipliers"].items()))
    if e.get("kkt_residual") is not None:
        out.append(f"  KKT residual ‖∇f − Jᵀλ‖∞/max(1,|f|) = {num(e['kkt_residual'], 3)}")
    if e.get("maxcv") is not None:
        out.append(f"  max constraint violation = {num(e['maxcv'], 3)}")
    return out


def results_json(results, with_trace: bool = False) -> str:
    return json.dumps([r.as_dict(with_trace) for r in results], indent=2)
