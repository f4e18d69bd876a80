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
@opt.expression_options
def command(objective, at, hessian, latex, as_json, vars_, param, dim):
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
    g = symbolic_gradient(problem, point, hessian=hessian)
    if as_json:
        click.echo(grad_json(g))
    elif latex:
        click.echo(grad_latex(g))
    else:
        out, _ = consoles()
        print_grad(out, objective, g)
