"""`gradcli root EXPR`: roots of one equation or a system, fixed points, every root in a bracket."""

from __future__ import annotations

import click

from gradcli.cli import options as opt


@click.command("root")
@click.argument("equations", metavar="'F1; F2; ...'|FILE.yaml")
@opt.expression_options
@click.option("--bracket", metavar="A:B", help="One equation: an interval where f changes sign (bracketing "
                                                 "methods; with --all, the interval searched).")
@click.option("--x0", metavar="X0", help="Start: one number per unknown (2, or 2,0.5, or x=2,y=0.5).")
@click.option("--x1", type=float, default=None, help="secant: the second start (default: SciPy's, next to x0).")
@click.option("-m", "--method", "method", metavar="NAME[,NAME...]|all",
              help="One equation: brentq (default with --bracket), brenth, ridder, bisect, toms748, newton "
                   "(default with --x0 only), halley, secant. Systems: hybr (default; alias fsolve), lm, broyden1, "
                   "broyden2, anderson, linearmixing, diagbroyden, excitingmixing, krylov (alias newton_krylov), "
                   "df-sane. --fixed-point: del2 (default), iteration.")
@click.option("--fixed-point", "fixed", is_flag=True, help="Solve x = g(x) for the given g (SciPy's fixed_point).")
@click.option("--all", "every", is_flag=True, help="One equation: every root in --bracket, in order (exact for "
                                                   "polynomials; says when the list may be incomplete).")
@click.option("--tol", type=click.FloatRange(min=0, min_open=True), default=1e-10, show_default=True,
              help="A root needs ‖F‖∞ ≤ TOL·max(1, ‖F(x0)‖∞) (one equation: or a sign change within a few ulps).")
@click.option("--maxiter", type=click.IntRange(min=1), default=None, help="Iteration limit (SciPy's default if unset).")
@click.option("--timeout", type=click.FloatRange(min=0.1), default=5.0, show_default=True,
              help="--all: seconds for SymPy's exact roots of a polynomial (a child process, killed at the limit).")
@click.option("--plot", "plot", metavar="FILE.png", help="One equation: draw f, the roots, and the points each method "
                                                        "evaluated (needs matplotlib).")
@click.option("--force", is_flag=True, help="Overwrite the --plot file if it exists.")
@click.option("--json", "as_json", is_flag=True, help="Print the runs (or, with --all, the roots) as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Every verdict's reason, the derivatives given, SciPy's counts.")
@click.pass_context
def command(ctx, equations, vars_, param, dim, bracket, x0, x1, method, fixed, every, tol, maxiter, timeout,
            plot, force, as_json, verbose):
    """Solve F(x) = 0: one equation, or a system written 'F1; F2; ...' (each expression = 0).

    Exact derivatives (f′, f″, the Jacobian) come from SymPy; every evaluation is counted by gradcli, beside
    SciPy's own counts, and every result gets gradcli's verdict: root, singular root, local minimum of ‖F‖
    (not a root), or not converged. Exit code 0 when a verified root was found, 1 when not, 2 for bad input.

    \b
    Examples:
      gradcli root "x**3 - 2*x - 5" --bracket 2:3
      gradcli root "x**3 - 2*x - 5" --bracket 2:3 --x0 2 --method all
      gradcli root "x**2 + y**2 - 4; x*y - 1" --x0 2,0.5 --method hybr,lm,broyden1
      gradcli root --fixed-point "cos(x)" --x0 1
      gradcli root "sin(x)" --bracket 1:20 --all
      gradcli root "x**3 - 2*x - 5" --bracket 2:3 --x0 2 --method all --plot roots.png
      gradcli root system.yaml --method all      # a problem file with equations: (docs/problem-format.md)
    """
    from gradcli.errors import GradcliError
    from gradcli.problem.core import _vector
    from gradcli.report import root as report
    from gradcli.report.tables import consoles
    from gradcli.roots import equations as eq
    from gradcli.roots import run as runner

    from gradcli.problem.kinds import is_problem_file

    if is_problem_file(equations):
        if vars_ or param or dim or fixed:
            raise GradcliError("--vars/--param/--dim/--fixed-point: a problem file names its variables and "
                               "parameters itself (variables:, parameters:)")
        from gradcli.roots.problem_file import load_file
        rp = load_file(equations)
        eqs = rp.eqs
        span = _bracket(bracket) if bracket is not None else rp.bracket
        start = rp.x0 if x0 is None else _vector(opt.point(x0, "--x0"), eqs.variables, "--x0")
    else:
        eqs = eq.build(equations, variables=opt.variables(vars_), params=opt.params(param), dim=dim,
                       fixed_point=fixed)
        span = _bracket(bracket) if bracket is not None else None
        start = None if x0 is None else _vector(opt.point(x0, "--x0"), eqs.variables, "--x0")
    out, _ = consoles()
    if plot is not None:
        from gradcli.report.root_plot import check_plot
        check_plot(eqs, plot, force)
    if every:
        if not eqs.scalar or fixed or span is None or method is not None:
            raise GradcliError("--all finds every root of one equation in one unknown inside --bracket A:B; "
                               "it takes no --method, --x0 or --fixed-point")
        from gradcli.roots.allroots import find_all
        from gradcli.roots.scalar import check_bracket_range
        from gradcli.roots.verdict import tolerance

        check_bracket_range(*span)
        found = find_all(eqs, *span, tolerance(eqs, None, tol, span), timeout)
        if plot is not None:
            from gradcli.report.root_plot import plot_equation
            plot_equation(eqs, plot, force, bracket=span, roots=[r.x for r in found.roots])
        if as_json:
            click.echo(report.all_json(eqs, found, span))
        else:
            report.print_all(out, eqs, found, span)
        ctx.exit(0 if found.roots else 1)
    if span is None and start is None:
        raise GradcliError("give --bracket A:B (one equation, where f changes sign) or a start --x0 "
                           + ("2" if eqs.n == 1 else ",".join(["1"] * eqs.n)))
    specs = runner.resolve(method, eqs, span, start)
    runner.check(specs, eqs, span, start)
    tol_abs, runs = runner.run(specs, eqs, span, start, tol, maxiter, x1)
    if plot is not None:
        from gradcli.report.root_plot import plot_equation
        plot_equation(eqs, plot, force, bracket=span, runs=runs)
    if as_json:
        click.echo(report.runs_json(eqs, runs, tol_abs))
    else:
        report.print_runs(out, eqs, runs, tol_abs, verbose)
    ctx.exit(0 if any(r.verified for r in runs) else 1)


def _bracket(text: str) -> tuple[float, float]:
    from gradcli.errors import GradcliError

    lo, colon, hi = text.partition(":")
    if not colon:
        raise GradcliError(f"--bracket '{text}': write A:B, e.g. --bracket 2:3")
    a, b = opt.numbers(lo, "--bracket")[0], opt.numbers(hi, "--bracket")[0]
    return a, b
