"""Writing `grad` and `checkgrad` results for people (Rich) and scripts (JSON). Nothing here computes."""

from __future__ import annotations

import json

import sympy as sp
from rich.console import Console
from rich.table import Table
from rich.text import Text

from gradcli.report.narrow import fitted
from gradcli.report.tables import num, vector

DETAIL_FAILED_POINTS = 3  # failing random points shown in full; the summary table names the rest
PRETTY_MAX_OPS = 400    # beyond this a 2-D pretty print is unreadable (and slow): print the one-line form


def _pretty(expr: sp.Expr, width: int) -> str:
    if sp.count_ops(expr) > PRETTY_MAX_OPS:
        return str(expr)
    return sp.pretty(expr, use_unicode=True, num_columns=max(width, 40))


def _value(v) -> str:
    return "nan/inf" if v is None else num(v, 12)


# ---- grad ----------------------------------------------------------------------------------------

def grad_json(g) -> str:
    out = {"variables": list(g.variables), "gradient": [str(e) for e in g.gradient], "values": g.values}
    if g.point is not None:
        out["point"] = g.point
    if g.hessian is not None:
        out["hessian"] = [[str(e) for e in row] for row in g.hessian]
        if g.hessian_values is not None:
            out["hessian_values"] = g.hessian_values
    return json.dumps(out, indent=2)


def grad_latex(g) -> str:
    lines = [rf"\frac{{\partial f}}{{\partial {sp.latex(sp.Symbol(v))}}} = {sp.latex(e)}"
             for v, e in zip(g.variables, g.gradient)]
    if g.values is not None:
        lines.append(r"\nabla f(" + ", ".join(num(v, 12) for v in g.point) + r") = \left("
                     + ", ".join(_value(v) for v in g.values) + r"\right)")
    if g.hessian is not None:
        lines.append(r"\nabla^2 f = " + sp.latex(sp.Matrix(g.hessian)))
        if g.hessian_values is not None:
            rows = [" & ".join(_value(v) for v in row) for row in g.hessian_values]
            lines.append(r"\nabla^2 f(" + ", ".join(num(v, 12) for v in g.point) + r") = \begin{pmatrix}"
                         + r" \\ ".join(rows) + r"\end{pmatrix}")
    return "\n".join(lines)


def print_grad(console: Console, label: str, g) -> None:
    width = max(console.width - 30, 40)
    table = Table(title=Text(f"∇f for f = {label}"), header_style="bold", show_lines=True)
    table.add_column("variable", no_wrap=True)
    table.add_column("∂f/∂variable", no_wrap=True)
    if g.values is not None:
        table.add_column("value at " + vector(g.point, 8, 6), justify="right", no_wrap=True)
    for i, (name, expr) in enumerate(zip(g.variables, g.gradient)):
        row = [Text(name), Text(_pretty(expr, width))]
        if g.values is not None:
            row.append(Text(_value(g.values[i])))
        table.add_row(*row)
    console.print(table)
    if g.hessian is not None:
        h = Table(title=Text("∇²f (upper triangle; symmetric)"), header_style="bold", show_lines=True)
        h.add_column("entry", no_wrap=True)
        h.add_column("∂²f", no_wrap=True)
        if g.hessian_values is not None:
            h.add_column("value", justify="right", no_wrap=True)
        n = len(g.variables)
        for i in range(n):
            for j in range(i, n):
                row = [Text(f"{g.variables[i]},{g.variables[j]}"), Text(_pretty(g.hessian[i][j], width))]
                if g.hessian_values is not None:
                    row.append(Text(_value(g.hessian_values[i][j])))
                h.add_row(*row)
        console.print(h)
    if not g.simplified:
        console.print(Text("some entries are shown as differentiated, not simplified (size or time limit)",
                           style="dim"))


# ---- checkgrad -----------------------------------------------------------------------------------

def checkgrad_json(check) -> str:
    return json.dumps(check.as_dict(), indent=2)


MAX_ROWS = 20      # components listed per point in the table


def _point_table(check, p) -> Table:
    hand = check.subject == "hand-written"
    title = f"{p.label}: x = {vector(p.x, 8, 6)}, f = {num(p.f, 10)}"
    table = Table(title=Text(title), header_style="bold")
    table.add_column("variable", no_wrap=True)
    table.add_column("hand-written" if hand else "symbolic", justify="right")
    table.add_column(f"{check.scheme} diff.", justify="right")
    table.add_column("abs error", justify="right")
    table.add_column("rel error", justify="right")
    table.add_column("vs FD", no_wrap=True)
    if hand:
        table.add_column("symbolic", justify="right")
        table.add_column("vs symbolic", no_wrap=True)
    shown = p.components
    if len(shown) > MAX_ROWS:   # a 785-weight model: the wrong components and the largest errors, not 785 rows
        worst = sorted(range(len(shown)), key=lambda i: (shown[i].ok, -shown[i].rel_error))[:MAX_ROWS]
        shown = [p.components[i] for i in sorted(worst)]
        table.caption = Text(f"{MAX_ROWS} of {len(p.components)} components: the wrong ones and the largest "
                             "relative errors (--json lists all)")
    for c in shown:
        row = [Text(c.variable), num(c.analytic, 12), num(c.fd, 12), num(c.abs_error, 3), num(c.rel_error, 3),
               Text("ok" if c.ok else "WRONG", style="green" if c.ok else "bold red")]
        if hand:
            row += [num(c.symbolic, 12), Text("equal" if c.symbolic_ok else "differs",
                                              style="green" if c.symbolic_ok else "red")]
        table.add_row(*row)
    return table


def print_checkgrad(console: Console, label: str, check) -> None:
    named, randoms = check.points[0], check.points[1:]
    console.print(fitted(console, _point_table(check, named)))
    for p in [p for p in randoms if not p.ok][:DETAIL_FAILED_POINTS]:
        console.print(fitted(console, _point_table(check, p)))
    if randoms:
        t = Table(title=Text(f"{len(randoms)} random point{'s' if len(randoms) != 1 else ''}"), header_style="bold")
        for name, just in (("point", "left"), ("x", "left"), ("max rel error", "right"),
                           ("check_grad", "right"), ("wrong", "left")):
            t.add_column(name, justify=just)
        for p in randoms:
            worst = max((c.rel_error for c in p.components), default=0.0)
            t.add_row(Text(p.label), Text(vector(p.x, 5, 4)), num(worst, 3), num(p.check_grad, 3),
                      Text(", ".join(p.wrong) or "-", style="bold red" if p.wrong else None))
        console.print(fitted(console, t))
    console.print(Text(
        f"check_grad = {num(named.check_grad, 6)} at the named point: what scipy.optimize.check_grad returns, "
        "the 2-norm of (gradient − forward differences with the absolute step sqrt(eps) ≈ 1.5e-8); "
        "it is not scaled, so judge it against the size of the gradient.", style="dim"))
    console.print(Text(f"verdict: |g − fd| ≤ atol + rtol·max(|g|, |fd|) + rounding noise of fd; "
                       f"rtol {check.rtol:g}, atol {check.atol:g}", style="dim"))
    n = len(check.points)
    where = "the named point" if n == 1 else f"{n} points"
    if check.ok:
        console.print(Text(f"OK: the {check.subject} gradient of {label} agrees with {check.scheme} "
                           f"differences at {where}", style="bold green"))
    else:
        console.print(Text(f"WRONG: the {check.subject} gradient disagrees with {check.scheme} differences in "
                           f"{', '.join(check.wrong)}", style="bold red"))
    if check.symbolic_mismatch:
        how = "beyond rounding" if check.ok else "as well"
        console.print(Text(f"the hand-written gradient differs from the symbolic gradient {how} in "
                           f"{', '.join(check.symbolic_mismatch)}", style="red" if not check.ok else "yellow"))
