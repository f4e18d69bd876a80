"""`gradcli minimize`: parse, compile once, run the chosen methods, report."""

from __future__ import annotations

import click

from . import options as opt


@click.command("minimize")
@click.argument("objective", metavar="EXPR|FILE.yaml")
@click.option("--x0", metavar="X0", help="Start point: one number per variable, comma-separated "
              "(e.g. --x0 -1.2,1), or by name (--x0 x=-1.2,y=1). Required for an expression; overrides a file's.")
@click.option("--method", "-m", default="all", show_default=True, metavar="NAME[,NAME...]|all",
              help="A method or alias (see `gradcli methods`), a comma list, or 'all' (every method that can "
                   "honour the problem as given).")
@opt.expression_options
@click.option("--bounds", "bounds", multiple=True, metavar="X=LO:HI",
              help="Box bound on one variable (repeatable); leave a side empty for none: x=0:.")
@click.option("--constraint", "constraints", multiple=True, metavar="'G <= H'",
              help="A constraint with one of <=, >=, == (repeatable), e.g. --constraint 'x + y <= 1'.")
@click.option("--tol", type=float, default=None, help="Tolerance, passed the way scipy.optimize.minimize(tol=...) "
              "passes it (each method's own meaning).")
@click.option("--maxiter", type=click.IntRange(min=1), default=None,
              help="Iteration limit per method (default: SciPy's own; 10000 for the gd family).")
@click.option("--seed", type=int, default=None, help="Seed for randomized methods (global methods).")
@opt.gd_options
@click.option("--trace", is_flag=True, help="Print a per-iteration table (iteration, f, ‖∇f‖∞, step, evaluations).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable records on stdout instead of tables.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; the exit code tells (0: a method succeeded).")
@click.pass_context
def command(ctx, objective, x0, method, vars_, param, bounds, constraints, tol, maxiter, seed, trace, as_json,
            quiet, **method_options):
    """Minimize EXPR (or the problem in FILE.yaml) from X0 with one, several or all methods.

    EXPR uses + - * / ** (or ^), parentheses, numbers, variables and the functions exp log ln sqrt sin cos
    tan asin acos atan atan2 sinh cosh tanh abs sign min max erf, constants pi and E. The gradient and
    Hessian are derived symbolically and compiled once; the evaluation counts printed are the calls our own
    counters saw. Exit code: 0 when at least one method succeeded, 1 when none did, 2 for bad input.

    \b
    Examples:
      gradcli minimize "x**2-4*x+8" --x0 1.3 --method fmin
      gradcli minimize "100*(y-x**2)**2+(1-x)**2" --x0 -1.2,1 --method all --tol 1e-10
      gradcli minimize "(x-a)**2 + b*(y-x**2)**2" --param a=1 --param b=100 --x0 0,0 -m bfgs,cg
      gradcli minimize "x**2 + y**2" --x0 3,3 --bounds x=1:5 --method l-bfgs-b
      gradcli minimize "x**2 + y**2" --x0 0,0 --constraint "x + y >= 1" --method slsqp --json
      gradcli minimize problems/rosenbrock.yaml --method bfgs
      gradcli minimize "100*(y-x**2)**2+(1-x)**2" --x0 -1.2,1 --method gd --step bb --maxiter 2000
      gradcli minimize "x**2-4*x+8" --x0 1.3 --method momentum,nesterov,adam --lr 0.05 --trace
    """
    from ..report import consoles, print_results, results_json
    from ..solve import check_start, compile_problem, solve

    problem = opt.load_problem(objective, x0=x0, vars_=vars_, param=param, bounds=bounds, constraints=constraints)
    compiled = compile_problem(problem)
    check_start(problem, compiled)       # f(x0) nan or inf: one clear error, not N failed runs
    results, skipped = solve(problem, method, objective=compiled, tol=tol, maxiter=maxiter, seed=seed, trace=trace,
                             options=method_options)
    out, _ = consoles()
    if as_json:
        click.echo(results_json(results, with_trace=trace))
    elif not quiet:
        print_results(out, problem, results, skipped, trace=trace)
    ctx.exit(0 if any(r.success for r in results) else 1)
