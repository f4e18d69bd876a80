"""`gradcli checkgrad`: is this gradient right? Finite differences per component, like scipy's check_grad."""

from __future__ import annotations

import click

from gradcli.cli import options as opt
from gradcli.errors import GradcliError


@click.command("checkgrad")
@click.argument("objective", metavar="EXPR|FILE.yaml")
@click.option("--at", "at", metavar="POINT", help="The point to check at: 1,2 in variable order or x=1,y=2 "
              "(default for a problem file: its first start).")
@click.option("--grad", "grad", metavar="'G1; G2; ...'", help="A hand-written gradient, one expression per "
              "variable in variable order, separated by ';' (default: the file's gradient, else the symbolic one).")
@click.option("--fd", "scheme", type=click.Choice(["central", "forward"]), default="central", show_default=True,
              help="Finite-difference scheme: central (error ~eps^(2/3)) or forward (~sqrt(eps)).")
@click.option("--points", type=click.IntRange(0, opt.limits.MAX_POINTS), default=0, show_default=True,
              help="Also check at N random points: uniform within --bounds for a variable bounded on both "
                   "sides, else the --at coordinate plus a standard normal draw (clipped to a one-sided bound).")
@click.option("--seed", type=opt.SEED, default=None, help="Seed for --points (same seed, same points; default: a "
              "problem file's seed:).")
@click.option("--bounds", "bounds", multiple=True, metavar="X=LO:HI",
              help="Box for --points on one variable (repeatable), as in minimize: x=-5:5.")
@click.option("--rtol", type=opt.NONNEGATIVE, default=1e-5, show_default=True,
              help="Relative tolerance of the verdict (central differences are good to ~1e-10 relative).")
@click.option("--atol", type=opt.NONNEGATIVE, default=1e-6, show_default=True, help="Absolute tolerance of the verdict.")
@click.option("--json", "as_json", is_flag=True, help="Print the full check (every point and component) as JSON.")
@opt.expression_options
@click.pass_context
def command(ctx, objective, at, grad, scheme, points, seed, bounds, rtol, atol, as_json, vars_, param, dim):
    """Compare a gradient with finite differences, component by component.

    Checks a hand-written gradient (--grad, or a problem file's `gradient:`) against finite differences of
    EXPR and against the symbolic gradient, or, without one, the symbolic gradient itself. Steps follow
    Nocedal & Wright §8.1: h_i = eps^(1/3)·max(1,|x_i|) central, sqrt(eps)·max(1,|x_i|) forward. A component
    passes when |g - fd| <= atol + rtol·max(|g|,|fd|) + the rounding noise of fd. Also prints the number
    scipy.optimize.check_grad would return. Exit code: 0 all components agree, 1 some disagree (named),
    2 bad input.

    \b
    Examples:
      gradcli checkgrad "100*(y-x**2)**2+(1-x)**2" --at -1.2,1
      gradcli checkgrad "100*(y-x**2)**2+(1-x)**2" --at -1.2,1 --grad "-400*x*(y-x**2)-2*(1-x); 200*(y-x**2)"
      gradcli checkgrad "x**2*sin(y)" --at 1,1 --grad "2*x*sin(y); x**2*cos(y)" --fd forward
      gradcli checkgrad "exp(x)*y**2" --at 0,1 --points 20 --seed 1 --bounds x=-2:2 --json
      gradcli checkgrad problems/rosenbrock.yaml
    """
    from gradcli.checks.gradcheck import check_gradient, split_gradient
    from gradcli.problem.core import build_problem
    from gradcli.report.tables import consoles
    from gradcli.report.grad import checkgrad_json, print_checkgrad

    if objective.lower().endswith((".yaml", ".yml")):
        if vars_ or param or bounds:
            raise GradcliError("--vars, --param and --bounds come from the problem file; edit the file instead")
        from gradcli.problem.file import load_problem
        problem = load_problem(objective)
        label = problem.name
        seed = problem.seed if seed is None else seed       # the file's seed: for --points; --seed wins
    else:
        opt.not_a_path(objective)
        given = opt.params(param)
        opt.check_params_used(given, [objective] + ([grad] if grad else []))
        problem = build_problem(objective, variables=opt.variables(vars_), params=given, dim=dim,
                                bounds=opt.bounds(bounds))
        label = objective
    if at is not None:
        point = opt.point(at, "--at")
    elif problem.starts:
        point = problem.starts[0]
    else:
        raise GradcliError("--at: give the point to check at, one number per variable ("
                           + ", ".join(problem.variables) + "), e.g. --at " + ",".join(["1"] * problem.n))
    gradient = split_gradient(grad) if grad is not None else problem.gradient
    check = check_gradient(problem, point, gradient=gradient, scheme=scheme, rtol=rtol, atol=atol,
                           points=points, seed=seed)
    if as_json:
        click.echo(checkgrad_json(check))
    else:
        out, _ = consoles()
        print_checkgrad(out, label, check)
    ctx.exit(0 if check.ok else 1)
