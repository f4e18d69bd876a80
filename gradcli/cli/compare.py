"""`gradcli compare`: many problems x many methods -> one study report."""

from __future__ import annotations

import click


@click.command("compare")
@click.argument("paths", nargs=-1, required=True, metavar="FILE|DIR...")
@click.option("--methods", "-m", default="all", show_default=True, metavar="NAME[,NAME...]|all",
              help="Methods to run on every problem ('all': every method applicable to each problem).")
@click.option("--tol", type=float, default=1e-6, show_default=True,
              help="Solved means f - f* <= tol * max(1, |f*|) (a file's solution.tol wins).")
@click.option("--method-tol", type=float, default=None, help="Passed to each method like minimize's --tol.")
@click.option("--maxiter", type=click.IntRange(min=1), default=None, help="Iteration limit per run.")
@click.option("--seed", type=int, default=0, show_default=True, help="Study seed; each run's seed derives from it "
              "and the run's key, so results do not depend on --jobs.")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=1, show_default=True,
              help="Run in this many worker processes.")
@click.option("--timeout", type=click.FloatRange(min=0, min_open=True), default=None,
              help="Seconds per run; an overrunning run is recorded as 'time limit reached' and the rest go on.")
@click.option("--cost", type=click.Choice(["evals", "nfev", "njev", "time"]), default="evals", show_default=True,
              help="Cost in the performance profile (evals = f evaluations + gradient evaluations).")
@click.option("--json", "json_file", metavar="FILE", help="Write every run's record as JSON.")
@click.option("--csv", "csv_file", metavar="FILE", help="Write every run's record as CSV.")
@click.option("--plot", "plot_file", metavar="FILE.png", help="Write the performance profile as a PNG (needs matplotlib).")
@click.option("--plot-convergence", "conv_dir", metavar="DIR", help="Write best-f-versus-evaluations PNGs per problem.")
@click.option("--force", is_flag=True, help="Overwrite output files that exist.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the per-method summary.")
@click.pass_context
def command(ctx, paths, methods, tol, method_tol, maxiter, seed, jobs, timeout, cost, json_file, csv_file, plot_file,
            conv_dir, force, quiet):
    """Run every method on every problem file (and start) and compare them.

    Prints every run, a per-method summary (problems solved, median evaluations on solved problems,
    total time; best first) and a performance profile (Dolan & Moré 2002).

    \b
    Examples:
      gradcli compare problems/
      gradcli compare problems/ --methods bfgs,l-bfgs-b,nelder-mead,gd --json out.json --plot profile.png
      gradcli compare problems/rosenbrock.yaml problems/wood.yaml -m bfgs,cg --jobs 2 --csv runs.csv
    """
    from ..compare import plan, run_study
    from ..output import check_writable, write_atomic
    from ..profiles import performance_profile, summarize
    from ..report import consoles
    from ..report_study import profile_table, records_csv, records_json, runs_table, summary_table

    for f in (json_file, csv_file, plot_file):
        if f:
            check_writable(f, force)
    tasks, skipped = plan(paths, methods, seed=seed, tol=method_tol, maxiter=maxiter, timeout=timeout,
                          solve_tol=tol, history=bool(conv_dir))
    out, err = consoles()
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    with Progress(TextColumn("compare"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True, disable=not err.is_terminal) as bar:
        job = bar.add_task("runs", total=len(tasks))
        records, interrupted = run_study(tasks, jobs, on_result=lambda r: bar.advance(job))
    if not quiet:
        out.print(runs_table(records))
        for problem, method, why in skipped:
            out.print(f"skipped {method} on {problem}: {why}", style="dim", markup=False)
    out.print(summary_table(summarize(records)))
    profile = performance_profile(records, cost)
    out.print(profile_table(profile))
    if json_file:
        write_atomic(json_file, records_json(records), force)
    if csv_file:
        write_atomic(csv_file, records_csv(records), force)
    if plot_file:
        from ..plots import profile_png
        profile_png(profile, plot_file, force)
    if conv_dir:
        from ..plots import convergence_pngs
        convergence_pngs(records, conv_dir, force)
    if interrupted:
        err.print(f"interrupted: {len(records)} of {len(tasks)} runs finished and are reported above", markup=False)
        ctx.exit(130)
