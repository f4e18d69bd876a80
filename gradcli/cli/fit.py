"""`gradcli fit`: fit a model to data columns, with standard errors, intervals and a verdict."""

from __future__ import annotations

import click

from gradcli.cli import options as opt

LOSSES = ("linear", "soft_l1", "huber", "cauchy", "arctan")


@click.command("fit")
@click.argument("model", metavar="MODEL|FILE.yaml")
@click.option("--data", "data", default=None, metavar="FILE",
              help="The data: .csv, whitespace .dat/.txt with a header line, .npy (named fields) or .npz (one array "
                   "per column). Model symbols that name columns are predictors; the others are parameters.")
@click.option("--y", "y", default=None, metavar="COLUMN|EXPR",
              help="The response: a column (default y) or an expression of columns, e.g. --y 'log(y)'.")
@click.option("--p0", default=None, metavar="B1=V,B2=V",
              help="Start: by name (--p0 b1=500,b2=1e-4) or in parameter order. Required for a nonlinear model.")
@click.option("--method", "-m", default="auto", show_default=True, metavar="NAME[,NAME...]|auto|all",
              help="trf, dogbox (SciPy least_squares), lm (MINPACK), all with the exact Jacobian; lstsq, bvls, "
                   "nnls (linear models, exact); bfgs, l-bfgs-b, cg, tnc, slsqp, nelder-mead, powell (minimize "
                   "over the RSS); aliases curve_fit, leastsq (lm), least_squares (trf). auto: lstsq for a linear model, else lm "
                   "(trf with bounds or --loss).")
@click.option("--sigma", default=None, metavar="COLUMN|VALUE",
              help="Uncertainty of each y (a column or one number): residuals become (f − y)/σ.")
@click.option("--absolute-sigma", is_flag=True,
              help="σ is absolute: the covariance is (JᵀJ)⁻¹, not rescaled by RSS/dof (as curve_fit's option).")
@click.option("--loss", type=click.Choice(LOSSES), default="linear", show_default=True,
              help="Robust loss ρ of SciPy's least_squares (trf, dogbox).")
@click.option("--f-scale", "f_scale", type=click.FloatRange(min=0, min_open=True), default=1.0, show_default=True,
              help="Soft margin between inlier and outlier residuals, for --loss.")
@click.option("--bounds", "bounds", multiple=True, metavar="P=LO:HI",
              help="Bounds on a parameter (repeatable); leave a side empty for none: --bounds b1=0:.")
@click.option("--constraint", "constraints", multiple=True, metavar="'G <= H'",
              help="A constraint on the parameters with <=, >= or == (repeatable), e.g. --constraint 'b1 + b2 <= 10'. "
                   "Honoured by slsqp, trust-constr, cobyla, cobyqa (minimize over the RSS); other methods refuse it.")
@click.option("--xtol", type=click.FloatRange(min=0), default=None, help="Default 1e-15 (see docs/fit.md).")
@click.option("--ftol", type=click.FloatRange(min=0), default=None, help="Default 1e-15.")
@click.option("--gtol", type=click.FloatRange(min=0), default=None, help="Default 1e-15.")
@click.option("--max-nfev", "max_nfev", type=click.IntRange(min=1), default=None,
              help="Residual evaluations allowed (default: SciPy's, 100·p for trf and dogbox).")
@click.option("--plot", "plot", default=None, metavar="FILE.png|.pdf|.svg",
              help="Draw the data, the fitted curve with its 95% confidence band (one predictor) and the residuals "
                   "of the best fit; never over an existing file unless --force.")
@click.option("--force", is_flag=True, help="Let --plot overwrite an existing file.")
@click.option("--json", "as_json", is_flag=True, help="Print a JSON record (several methods: {runs, best}).")
@click.option("--quiet", "-q", is_flag=True, help="Print nothing; the exit code tells.")
@click.pass_context
def command(ctx, model, data, y, p0, method, sigma, absolute_sigma, loss, f_scale, bounds, constraints, xtol, ftol,
            gtol, max_nfev, plot, force, as_json, quiet):
    """Fit MODEL to the columns of FILE by least squares, with the exact Jacobian.

    MODEL may be a problem file instead: a fit file (model: + data:, with y:, p0:, bounds:) or a least-squares
    file (residuals:, fitted on its residuals with the exact Jacobian; see docs/problem-format.md).

    Reports each parameter with its standard error and 95% confidence interval (Student t on n − p degrees of
    freedom), the correlations (|r| > 0.95 flagged), RSS, residual SD, R², AIC/BIC, evaluations counted by us,
    and a verdict checked by our own evaluation: minimum of the RSS (Jᵀr ≈ 0, Hessian positive definite),
    rank-deficient (the parameters that cannot be identified are named), saddle, or not converged. A model
    linear in its parameters is solved exactly. Tolerances default to 1e-15, so well-posed fits reach the
    digits the data support. Exit code: 0 when a method reached a verified minimum, 1 when none did, 2 for
    bad input.

    \b
    Examples:
      gradcli fit "b1*(1 - exp(-b2*x))" --data misra1a.csv --p0 b1=500,b2=1e-4
      gradcli fit "a + b*x" --data line.csv
      gradcli fit "a*exp(-k*t)" --data decay.csv --y counts --sigma err --absolute-sigma --p0 a=100,k=0.1
      gradcli fit "b1*(1 - exp(-b2*x))" --data misra1a.csv --p0 b1=500,b2=1e-4 -m all
      gradcli fit "a*x1 + b*x2**c" --data d.npz --p0 a=1,b=1,c=1 --bounds c=0: --loss soft_l1 --json
      gradcli fit "b1*(1 - exp(-b2*x))" --data misra1a.csv --p0 b1=200,b2=1e-3 --constraint "b1 <= 200" -m slsqp
      gradcli fit problems/bard.yaml -m all
    """
    from gradcli.fit import methods
    from gradcli.fit.data import read_table
    from gradcli.fit.model import build_model
    from gradcli.fit.run import best as best_of, box, fit, start_point
    from gradcli.report.fit import fit_json, print_fit
    from gradcli.report.tables import consoles

    if plot is not None:
        from gradcli.report.fit_plot import check_plot
        check_plot(plot, force)          # before any work: a lost picture is worse than an early error
    from gradcli.problem.kinds import is_problem_file

    given_bounds = opt.bounds(bounds)
    start_given = None if p0 is None else opt.point(p0, "--p0")
    if is_problem_file(model):
        from gradcli.fit.problem_file import load_for_fit
        if data is not None or y is not None:
            from gradcli.errors import GradcliError
            raise GradcliError("--data/--y: the problem file names its data and response (data:, y:)")
        fp = load_for_fit(model, sigma)
        fm = fp.model
        start_given = start_given if start_given is not None else fp.p0
        if start_given is None and not fm.linear:
            from gradcli.errors import GradcliError
            raise GradcliError(f"{model}: p0: missing: a nonlinear model needs a start, e.g. p0: "
                               f"{{{', '.join(f'{n}: 1' for n in fm.params)}}} in the file, or --p0")
        given_bounds = {**fp.bounds, **given_bounds}
        if plot is not None and not fm.predictors:
            from gradcli.errors import GradcliError
            raise GradcliError("--plot draws data and a fitted curve; a residuals: file has neither")
    else:
        if data is None:
            from gradcli.errors import GradcliError
            raise GradcliError("--data FILE is required with a MODEL expression (or give a problem file FILE.yaml)")
        fm = build_model(model, read_table(data), y_text=y, sigma=sigma)
    start, start_note = start_point(fm, start_given)
    lower, upper = box(fm, given_bounds, start, implied=start_note is not None)
    if absolute_sigma and sigma is None:
        from gradcli.errors import GradcliError
        raise GradcliError("--absolute-sigma needs --sigma (the uncertainties it declares absolute)")
    if constraints:
        from gradcli.fit.constraints import parse_constraints
        constraints = parse_constraints(constraints, fm)
    settings = methods.Settings(loss=loss, f_scale=f_scale, lower=lower, upper=upper, max_nfev=max_nfev,
                                constraints=list(constraints),
                                **{k: v for k, v in (("xtol", xtol), ("ftol", ftol), ("gtol", gtol)) if v is not None})
    _check_tolerances(settings)
    runs, skipped, auto_note = methods.plan(method, fm, settings)
    notes = [n for n in (auto_note, start_note if not all(m in methods.EXACT for m, _ in runs) else None) if n]
    if fm.n == fm.p:
        notes.append(f"{fm.n} rows for {fm.p} parameters: no degrees of freedom, so no standard errors")
    results = fit(fm, start, runs, settings, absolute_sigma)
    if any(r.verdict.active_constraints for r in results):
        notes.append("a constraint is active at the solution: standard errors and intervals are those of the "
                     "unconstrained linearisation (JᵀJ) and do not account for it")
    best = best_of(results)
    if plot is not None and results:
        from gradcli.report.fit_plot import plot_fit
        plot_fit(plot, fm, results, best, force)
        notes.append(f"plot written to {plot}")
    if as_json:
        click.echo(fit_json(fm, results, skipped, settings, absolute_sigma, sigma, notes, best))
    elif not quiet:
        out, _ = consoles()
        print_fit(out, fm, results, skipped, settings, sigma, absolute_sigma, notes, best)
    ctx.exit(0 if best is not None else 1)


def _check_tolerances(s) -> None:
    """SciPy refuses all three below machine epsilon with a ValueError; say it as bad input instead."""
    import numpy as np

    from gradcli.errors import GradcliError

    eps = np.finfo(float).eps
    if s.xtol < eps and s.ftol < eps and s.gtol < eps:
        raise GradcliError(f"--xtol/--ftol/--gtol: at least one must be above machine epsilon ({eps:.1e})")
