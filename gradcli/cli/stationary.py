"""`gradcli stationary EXPR`: every stationary point, exactly where SymPy can, each classified."""

from __future__ import annotations

import click

from gradcli.cli import options as opt


@click.command("stationary")
@click.argument("objective", metavar="EXPR|FILE.yaml")
@opt.expression_options
@click.option("--timeout", type=opt.SOLVE_SECONDS, default=5.0, show_default=True,
              help="Seconds for the exact solve (SymPy runs in a child process that is killed at the limit).")
@click.option("--bounds", "bounds", multiple=True, metavar="X=LO:HI",
              help="Box for the numerical fallback's grid of starts (repeatable; default [-10, 10] per variable).")
@click.option("--json", "as_json", is_flag=True, help="Print {points, bounded_below, global_minimum, ...} as JSON.")
@click.pass_context
def command(ctx, objective, vars_, param, dim, timeout, bounds, as_json):
    """Solve ∇f = 0 for EXPR and classify each real stationary point (minimum, saddle point, maximum, ...).

    Polynomial and rational objectives in a few variables are solved exactly with SymPy within --timeout,
    and every exact answer is cross-checked by a numerical search for roots of ∇f from a grid of starts
    inside --bounds (default [-10, 10] per variable): a point SymPy missed makes the answer fall back to
    both lists, marked "may be incomplete", as is every answer from the numerical search alone. Says whether f is bounded below (true, false, or unknown when it cannot be decided),
    and the global minimum among the stationary points when it is. Exit code 0 when points were found,
    1 when none, 2 for bad input.

    \b
    Examples:
      gradcli stationary "x**3 - 3*x + y**2"
      gradcli stationary "(x-1)**2 + (y-2)**2" --json
      gradcli stationary "sin(x) + cos(y)" --bounds x=-4:4 --bounds y=-4:4
    """
    import json

    from rich.table import Table
    from rich.text import Text

    from gradcli.report.tables import consoles, num
    from gradcli.checks.stationary import find_stationary

    problem = opt.load_problem(objective, vars_=vars_, param=param, bounds=bounds, need_x0=False, dim=dim)
    if not problem.symbolic:
        from gradcli.errors import GradcliError
        raise GradcliError("stationary solves ∇f = 0 symbolically, for scalar problems; an array (data) problem "
                           "has no symbolic form to solve: use minimize")
    found = find_stationary(problem, timeout=timeout)
    if as_json:
        click.echo(json.dumps(found.as_dict(), indent=2))
        ctx.exit(0 if found.points or found.families else 1)
    out, _ = consoles()
    table = Table(title=Text(f"stationary points of {problem.objective}"), header_style="bold")
    for name in ("exact", "x", "f", "kind", "smallest eigenvalue"):
        table.add_column(name, overflow="fold")
    best = found.global_minimum
    for p in found.points:
        exact = "(" + ", ".join(p.exact) + ")" if p.source == "exact" else "(numerical)"
        table.add_row(Text(exact), Text("(" + ", ".join(num(v, 10) for v in p.x) + ")"),
                      num(p.f, 10), Text(p.kind + ("  (global minimum)" if p is best else "")),
                      num(p.min_eig, 6), style="bold green" if p is best else None)
    from gradcli.report.narrow import fitted
    out.print(fitted(out, table))
    out.print(Text(found.message, style=None if not found.exact else "dim"))
    for fam in found.families:
        out.print(Text(f"a whole family of stationary points: {fam}"))
    word = {True: "bounded below", False: "unbounded below", None: "bounded below: unknown"}[found.bounded_below]
    out.print(Text(f"f is {word}: {found.bounded_reason}" if found.bounded_below is not None
                   else f"f {word} ({found.bounded_reason})"))
    if best is not None:
        out.print(Text(f"global minimum: f = {num(best.f, 12)} at ({', '.join(best.exact)})"
                       + ("" if found.coercive else " (if the infimum is attained: f is not known to be coercive)")))
    elif found.points and not found.exact:
        low = min(found.points, key=lambda p: p.f)
        out.print(Text(f"lowest stationary point found: f = {num(low.f, 12)}; not known to be the global minimum, "
                       "the list may be incomplete"))
    ctx.exit(0 if found.points or found.families else 1)
