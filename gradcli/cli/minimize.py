"""`gradcli minimize`: parse, compile once, run the chosen methods, report."""

from __future__ import annotations

import click

from gradcli.cli import options as opt


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
@click.option("--tol", type=opt.POSITIVE, default=None, help="Tolerance, passed the way scipy.optimize.minimize(tol=...) "
              "passes it (each method's own meaning).")
@click.option("--maxiter", type=opt.ITERATIONS, default=None,
              help="Iteration limit per method (default: SciPy's own; 10000 for the gd family).")
@click.option("--seed", type=opt.SEED, default=None, help="Seed for randomized methods (global methods).")
@opt.gd_options
@click.option("--trace", is_flag=True, help="Print a per-iteration table (iteration, f, ‖∇f‖∞, step, evaluations; "
              "x for up to 4 variables); with --json, trace rows with x.")
@click.option("--trace-every", "trace_every", type=opt.ITERATIONS, default=None, metavar="K",
              help="Keep every K-th trace row (the first and last always) in --trace output.")
@click.option("--plot", "plot", metavar="FILE", help="Draw how each method got there to FILE (.png, .pdf or .svg): "
              "paths over f's contours for 2 variables, f − f_best and ‖∇f‖∞ for any number. Needs matplotlib.")
@click.option("--format", "fmt", type=click.Choice(["table", "scipy"]), default="table", show_default=True,
              help="scipy: each method's report as SciPy's legacy fmin_* functions print it with disp=True.")
@click.option("--gradient", type=click.Choice(["exact", "fd"]), default="exact", show_default=True,
              help="fd: gradient methods use SciPy's own finite differences (jac=None) instead of our exact ∇f.")
@click.option("--verify/--no-verify", default=True, show_default=True,
              help="Check every result from the exact derivatives: minimum, saddle point, maximum, not stationary, "
                   "infeasible. With --no-verify the exit code follows the solvers' own success.")
@click.option("--keep-best", is_flag=True, help="Return the best point a method evaluated when it is better than "
              "the point the method returned.")
@click.option("--verbose", "-v", is_flag=True, help="Per method: stopping measures against their tolerances, "
              "evaluations measured vs reported by the solver, Hessian eigenvalues, multipliers.")
@click.option("--exact", is_flag=True, help="Also solve ∇f = 0 exactly (SymPy, within --exact-timeout) and print "
              "each method's distance to the nearest exact minimiser.")
@click.option("--exact-timeout", type=opt.SOLVE_SECONDS, default=5.0, show_default=True,
              help="Seconds allowed for the exact solve of --exact.")
@click.option("--starts", type=opt.STARTS, default=None,
              help="Multistart: N starting points, a scrambled Sobol sequence inside --bounds when all are finite, else "
                   "--x0 and N-1 points drawn around it; "
                   "the best verified minimum is kept, every start is listed in --json. --seed sets the sequence.")
@opt.data_options
@click.option("--save-x", "save_x", metavar="FILE", help="Write the best x* to FILE: .npy, .json (by variable name) "
              "or .csv; atomically, never over an existing file unless --force.")
@click.option("--force", is_flag=True, help="Let --save-x and --plot overwrite an existing file.")
@click.option("--progress/--no-progress", default=None, help="A progress bar with the current cost on stderr "
              "(array problems; default: on a terminal, for runs longer than a second).")
@click.option("--json", "as_json", is_flag=True, help="Print machine-readable records on stdout instead of tables.")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; the exit code tells (0: a method succeeded).")
@click.option("--sense", type=click.Choice(["min", "max"]), default="min", hidden=True)
@click.pass_context
def command(ctx, objective, x0, method, vars_, param, dim, bounds, constraints, tol, maxiter, seed, trace,
            trace_every, plot, fmt, gradient, verify, keep_best, verbose, exact, exact_timeout, starts, data, var, save_x, force, progress, as_json, quiet,
            sense, **method_options):
    """Minimize EXPR (or the problem in FILE.yaml) from X0 with one, several or all methods.

    EXPR uses + - * / ** (or ^), parentheses, numbers, variables and the functions exp log ln sqrt sin cos
    tan asin acos atan atan2 sinh cosh tanh abs sign min max erf, constants pi and E. The gradient and
    Hessian are derived symbolically and compiled once; the evaluation counts printed are the calls our own
    counters saw. Every result gets a verdict from the exact derivatives (minimum, minimum (degenerate),
    saddle point, maximum, not stationary, infeasible). --method auto picks one method from the problem's
    structure and says why. Exit code: 0 when at least one method reached a verified minimum (with
    --no-verify: when one succeeded), 1 when none did, 2 for bad input.

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
      gradcli minimize "x**2 - y**2" --x0 1,0 --method bfgs          # verdict: saddle point, exit 1
      gradcli minimize problems/hs071.yaml --method slsqp --verbose  # multipliers, KKT residual
      gradcli minimize "100*(y-x**2)**2+(1-x)**2" --x0 -1.2,1 --method auto
      gradcli minimize "x**4 - 3*x**2 + y**2" --bounds x=-3:3 --bounds y=-3:3 --starts 8 --seed 1 -m l-bfgs-b
    """
    from gradcli.report.tables import consoles, print_results, results_json
    from gradcli.run.solve import run as run_methods

    if save_x is not None:                    # --save-x "" is a mistake to report, not an option to ignore
        from gradcli.report.output import check_writable
        from gradcli.report.save_x import check_format
        check_format(save_x)
        check_writable(save_x, force)         # before any work: a lost answer is worse than an early error
    _check_see(plot, force, fmt, as_json, trace, trace_every)
    problem = opt.load_problem(objective, x0=x0, vars_=vars_, param=param, bounds=bounds, constraints=constraints,
                               need_x0=starts is None, dim=dim, data=data, var=var)
    if sense == "max":
        from gradcli.run.maximize import negated
        from gradcli.errors import GradcliError
        if exact:
            raise GradcliError("--exact is for minimize; use `gradcli stationary` to list every stationary point")
        if plot is not None or fmt == "scipy":
            raise GradcliError(f"{'--plot' if plot is not None else '--format scipy'} draws and reports "
                               "minimizations only (for now); run `gradcli minimize` on the negated objective")
        shown, problem = problem, negated(problem)
    else:
        shown = problem
    if exact and not problem.symbolic:
        from gradcli.errors import GradcliError
        raise GradcliError("--exact solves ∇f = 0 symbolically, for scalar problems only (this is an array problem)")
    if gradient == "fd":
        from gradcli.run.solve import select
        from gradcli.solvers.scipy_local import check_fd
        check_fd(select(method, problem).specs)
    compiled = problem.compile()
    mode = progress if progress is not None else (False if quiet or as_json else None)
    watch = None
    if mode is not False:
        from gradcli.cli.progress import factory
        watch = factory(maxiter, mode)
    done = run_methods(problem, method, objective=compiled, options=method_options, starts=starts, seed=seed,
                       progress=watch, tol=tol, maxiter=maxiter, trace=trace or verbose or plot is not None,
                       verify=verify, keep_best=keep_best, gradient=gradient)
    results, skipped, notes = done.results, done.skipped, list(done.notes)
    if sense == "max":
        from gradcli.run.maximize import mirror
        results = [mirror(r) for r in results]      # a file's solution.f is its minimum: not judged here
        notes = [f"for −f (each method minimized −f): {n}" if n.startswith("auto") else n for n in notes]
    if verbose:
        notes.append(compiled.backend_summary())
    if exact:
        notes.extend(_exact_errors(problem, compiled, results, exact_timeout))
    if plot is not None:
        _plot(plot, shown, compiled, results, force)
    if not trace:
        for r in results:   # the trace was recorded for the stopping measures or the plot only
            r.trace = None
    elif trace_every:
        from gradcli.report.tables import thin
        for r in results:
            r.trace = thin(r.trace, trace_every)
    out, _ = consoles()
    saved = None
    if save_x is not None and results:
        from gradcli.report.tables import best_index
        from gradcli.report.save_x import write_x
        best = best_index(results)
        saved = write_x(save_x, problem, results[best if best is not None else 0], force)
    if as_json:
        click.echo(results_json(results, with_trace=trace))
    elif fmt == "scipy" and not quiet:
        from gradcli.report.scipy_format import scipy_report, side_lines
        click.echo("\n".join(scipy_report(results)))
        _, err = consoles()
        for line in side_lines(results, skipped, notes, verbose):   # on stderr: stdout is SciPy's text
            err.print(line)
    elif not quiet:
        print_results(out, shown, results, skipped, trace=trace, verbose=verbose, notes=notes)
        if not problem.symbolic:
            from gradcli.report.save_x import summary_lines
            for line in summary_lines(problem, results):
                out.print(line)
        if saved:
            out.print(f"x* ({saved[1]}) written to {saved[0]}")
    ok = any(r.verified for r in results) if verify else any(r.success for r in results)
    ctx.exit(130 if done.interrupted else (0 if ok else 1))      # 130: stopped by Ctrl-C (SIGINT), as shells say


def _check_see(plot, force, fmt, as_json, trace, trace_every) -> None:
    """--plot, --format and --trace-every: refused before any work when they cannot be honoured."""
    from gradcli.errors import GradcliError
    if fmt == "scipy" and as_json:
        raise GradcliError("--format scipy and --json both choose the output; keep one")
    if fmt == "scipy" and trace:
        raise GradcliError("--trace prints gradcli's tables, --format scipy SciPy's text; for the iterates with "
                           "SciPy's report, run --trace --json separately")
    if trace_every is not None and not trace:
        raise GradcliError("--trace-every K thins the trace; add --trace")
    if plot is not None:
        from gradcli.report.style import check_plot
        check_plot(plot, force)


def _plot(path, problem, compiled, results, force) -> None:
    from gradcli.report.run_plot import plot_run
    from gradcli.report.tables import consoles
    label = problem.name if problem.name != "expression" else problem.objective
    missing = plot_run(path, problem, compiled, results, force, title=label)
    _, err = consoles()
    for m in missing:
        err.print(f"--plot: {m} recorded no iterates (it stopped with an error) and is not drawn")


def _exact_errors(problem, compiled, results, timeout: float) -> list[str]:
    """Each result's distance to the nearest exact minimiser (``extra['exact_error']``); notes for the report."""
    import numpy as np

    from gradcli.checks.stationary import find_stationary

    found = find_stationary(problem, objective=compiled, timeout=timeout, numeric_fallback=False)
    if not found.exact:
        return [f"--exact: could not solve ∇f = 0 exactly ({found.message})"]
    minima = [p for p in found.points if str(p.kind).startswith("minimum")]
    if not minima:
        return ["--exact: ∇f = 0 has no real minimiser"]
    for r in results:
        x = np.asarray(r.x, dtype=float)
        if not np.all(np.isfinite(x)):
            continue
        dist = [float(np.max(np.abs(x - np.asarray(p.x)))) for p in minima]
        k = int(np.argmin(dist))
        r.extra["exact_error"], r.extra["exact_minimizer"] = dist[k], minima[k].x
        r.extra["exact_minimizer_text"] = minima[k].exact
    return [f"--exact: {len(minima)} exact minimiser{'s' if len(minima) != 1 else ''} of ∇f = 0"]
