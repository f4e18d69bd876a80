"""`gradcli grad`: the symbolic gradient (and Hessian) of an expression, optionally evaluated at a point."""

from __future__ import annotations

import click

from gradcli.cli import options as opt


@click.command("grad")
@click.argument("objective", metavar="EXPR")
@click.option("--at", "at", metavar="POINT", help="Also evaluate at this point: x=1,y=2,z=2 by name, or 1,2,2 "
              "in variable order.")
@click.option("--hessian", is_flag=True, help="Add the Hessian matrix (upper triangle; it is symmetric).")
@click.option("--latex", is_flag=True, help="Print LaTeX instead of tables.")
@click.option("--json", "as_json", is_flag=True, help='Print {"variables", "gradient", "values", "hessian", '
              '"hessian_values"} for scripts (values is null without --at; non-finite numbers are null).')
@click.option("--plot", "plot", metavar="FILE", help="Two variables: draw f's contours with the gradient field as "
              "arrows to FILE (.png, .pdf or .svg). Needs matplotlib.")
@click.option("--field", is_flag=True, help="With --plot: draw −∇f (E = −∇U of a potential U) instead of ∇f.")
@click.option("--plot-range", "plot_range", metavar="LO:HI", default="-2:2", show_default=True,
              help="With --plot: the window on both axes (around the --at point when given).")
@click.option("--force", is_flag=True, help="Let --plot overwrite an existing file.")
@opt.expression_options
def command(objective, at, hessian, latex, as_json, vars_, param, dim, plot, field, plot_range, force):
    """Print the gradient of EXPR, one simplified component per variable.

    Simplification is tried only on small components and within a few seconds in total; larger ones are
    shown as differentiated. Values come from the same compiled derivatives `minimize` uses.

    \b
    Examples:
      gradcli grad "100*(y-x**2)**2+(1-x)**2"
      gradcli grad "1/sqrt(x**2+y**2+z**2)" --at x=1,y=2,z=2
      gradcli grad "x**3*y + exp(x*y)" --hessian --at 1,0
      gradcli grad "(x-a)**2 + b*y**2" --param a=1 --param b=3 --latex
      gradcli grad "x*y*z" --vars z,y,x --at 1,2,3 --json
      gradcli grad "1/sqrt(x**2+y**2)" --plot field.png --field
    """
    from gradcli.symbolic.gradient import symbolic_gradient
    from gradcli.problem.core import build_problem
    from gradcli.report.tables import consoles
    from gradcli.report.grad import grad_json, grad_latex, print_grad

    opt.not_a_path(objective)
    given = opt.params(param)
    opt.check_params_used(given, [objective])
    problem = build_problem(objective, variables=opt.variables(vars_), params=given, dim=dim)
    point = opt.point(at, "--at") if at is not None else None
    span = _span(plot, field, plot_range, force, problem)
    g = symbolic_gradient(problem, point, hessian=hessian)
    if as_json:
        click.echo(grad_json(g))
    elif latex:
        click.echo(grad_latex(g))
    else:
        out, _ = consoles()
        print_grad(out, objective, g)
    if plot is not None:
        from gradcli.report.field_plot import plot_field
        centre = g.point if g.point is not None else [0.0, 0.0]
        window = [(c + span[0], c + span[1]) for c in centre]
        plot_field(plot, problem, problem.compile(), *window, negative=field, point=g.point, force=force)


def _span(plot, field, plot_range, force, problem):
    """--plot's LO:HI, checked before any work (two variables, a file we may write, LO < HI)."""
    import math

    from gradcli.errors import GradcliError
    if plot is None:
        if field:
            raise GradcliError("--field chooses what --plot draws; add --plot FILE")
        return None
    if problem.n != 2:
        raise GradcliError(f"--plot draws a field over two variables; this expression has {problem.n} "
                           f"({', '.join(problem.variables)})")
    from gradcli.report.style import check_plot
    check_plot(plot, force)
    lo_text, colon, hi_text = plot_range.partition(":")
    if not colon:
        raise GradcliError(f"--plot-range '{plot_range}': write LO:HI, e.g. --plot-range -2:2")
    lo = opt.number(lo_text, "--plot-range", "--plot-range -2:2")
    hi = opt.number(hi_text, "--plot-range", "--plot-range -2:2")
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        raise GradcliError(f"--plot-range '{plot_range}': LO must be below HI, both finite, e.g. -2:2")
    return lo, hi
