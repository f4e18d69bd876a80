"""`gradcli compare`: many problems x many methods -> one study report."""

from __future__ import annotations

import click

from gradcli.cli import options as opt


@click.command("compare")
@click.argument("paths", nargs=-1, required=True, metavar="FILE|DIR...")
@click.option("--methods", "-m", default="all", show_default=True, metavar="NAME[,NAME...]|all",
              help="Methods to run on every problem ('all': every method applicable to each problem).")
@click.option("--tol", type=opt.NONNEGATIVE, default=1e-6, show_default=True,
              help="Solved means f - f* <= tol * max(1, |f*|) (a file's solution.tol wins).")
@click.option("--method-tol", type=opt.POSITIVE, default=None, help="Passed to each method like minimize's --tol.")
@click.option("--maxiter", type=opt.ITERATIONS, default=None, help="Iteration limit per run.")
@click.option("--seed", type=opt.SEED, default=None, help="Study seed (default: each problem file's seed:, else 0; "
              "--seed wins); each run's seed derives from it and the run's key, so results do not depend on --jobs.")
@click.option("--jobs", "-j", type=opt.WORKERS, default=1, show_default=True,
              help="Run in this many worker processes.")
@click.option("--scheduler", metavar="local:N|tcp://HOST:PORT", default=None, callback=opt.scheduler_address,
              help="Run on Dask: a LocalCluster of N worker processes, or a running scheduler (workers need "
                   "gradcli installed). Needs pip install 'gradcli[distributed]'.")
@click.option("--results", "results_file", metavar="FILE.jsonl", default=None, callback=opt.given,
              help="Append each finished run to FILE as one JSON line, on disk at once; running the same command "
                   "again skips the runs already there and finishes the rest.")
@click.option("--starts", type=click.IntRange(0, opt.limits.MAX_STARTS), default=0, show_default=True,
              help="K more starting points per problem: scrambled Sobol inside finite bounds, else x0 + "
                   "0.1·max(1,|x0|)·z (z standard normal); seeded by the study seed and the problem file's hash.")
@click.option("--timeout", type=opt.Finite(min=0, min_open=True, max=opt.limits.MAX_SECONDS), default=None,
              help="Seconds per run; an overrunning run is recorded as 'time limit reached' and the rest go on.")
@click.option("--cost", type=click.Choice(["evals", "nfev", "njev", "time"]), default="evals", show_default=True,
              help="Cost in the performance profile (evals = f evaluations + gradient evaluations).")
@click.option("--json", "json_file", metavar="FILE", callback=opt.given, help="Write every run's record as JSON.")
@click.option("--csv", "csv_file", metavar="FILE", callback=opt.given, help="Write every run's record as CSV.")
@click.option("--plot", "plots", metavar="[KIND:]FILE", multiple=True, callback=opt.given,
              help="Write a figure, PNG, PDF or SVG by FILE's suffix (needs matplotlib); KIND is profile (the default), data (data profile) or ecdf "
                   "(runtime ECDF). Repeatable: --plot p.png --plot data:d.png --plot ecdf:e.png")
@click.option("--history", is_flag=True, help="Record each run's convergence history and print data profiles and "
              "runtime ECDFs (implied by --plot data:/ecdf: and --plot-convergence).")
@click.option("--tau", type=opt.Finite(min=0, max=1, min_open=True, max_open=True), default=1e-3,
              show_default=True, help="Data profile tolerance: solved when f(x0) − f ≥ (1 − τ)(f(x0) − f_L).")
@click.option("--plot-convergence", "conv_dir", metavar="DIR", callback=opt.given,
              help="Write best-f-versus-evaluations PNGs per problem.")
@click.option("--force", is_flag=True, help="Overwrite output files that exist.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the per-method summary.")
@click.pass_context
def command(ctx, paths, methods, tol, method_tol, maxiter, seed, jobs, scheduler, results_file, starts, timeout, cost,
            json_file, csv_file, plots, history, tau, conv_dir, force, quiet):
    """Run every method on every problem file (and start) and compare them.

    Prints every run, a per-method summary (problems solved, median evaluations on solved problems,
    total time; best first) and a performance profile (Dolan & Moré 2002).

    \b
    Examples:
      gradcli compare problems/
      gradcli compare problems/ --methods bfgs,l-bfgs-b,nelder-mead,gd --json out.json --plot profile.png
      gradcli compare problems/rosenbrock.yaml problems/wood.yaml -m bfgs,cg --jobs 2 --csv runs.csv
      gradcli compare problems/ -m bfgs,nelder-mead --starts 5 --scheduler local:2 --results runs.jsonl \\
          --plot data:data.png --plot ecdf:ecdf.png
    """
    from gradcli.study.compare import plan
    from gradcli.study.engines import run_study
    from gradcli.study.engines import worker_death
    from gradcli.report.output import check_writable, write_atomic
    from gradcli.study.profiles import performance_profile, summarize
    from gradcli.report.tables import consoles
    from gradcli.report.study import (profile_table, records_csv, records_json, runs_table, skipped_lines,
                                      summary_table)

    if scheduler and jobs != 1:
        raise click.UsageError("give --jobs or --scheduler, not both (with --scheduler the cluster decides)")
    plot_files = [_plot_kind(p) for p in plots]
    for f in [json_file, csv_file] + [f for _, f in plot_files]:
        if f:
            check_writable(f, force)
    history = history or bool(conv_dir) or any(kind != "profile" for kind, _ in plot_files)
    if scheduler:
        from gradcli.study.distributed import _import_dask, parse_scheduler
        parse_scheduler(scheduler)
        _import_dask()
    # a results file keeps every run's history, so that plots asked for later need no re-run
    tasks, skipped = plan(paths, methods, seed=seed, starts=starts, tol=method_tol, maxiter=maxiter, timeout=timeout,
                          solve_tol=tol, history=history or bool(results_file))
    if plot_files or conv_dir:
        from gradcli.report.plots import check_ready
        check_ready(conv_dir, {(t.problem, t.start) for t in tasks}, force, files=[f for _, f in plot_files])
    out, err = consoles()
    store = None
    if results_file:
        from gradcli.study.results_file import ResultsFile
        store = ResultsFile(results_file)
    try:
        done = store.done if store else {}
        resumed = sum(t.key in done for t in tasks)
        if store and resumed:
            err.print(f"{results_file}: {resumed} of {len(tasks)} runs already done, running the other "
                      f"{len(tasks) - resumed}", soft_wrap=True)

        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
        with Progress(TextColumn("compare"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                      transient=True, disable=not err.is_terminal) as bar:
            job = bar.add_task("runs", total=len(tasks), completed=resumed)

            def finished(task, record):
                if store:
                    store.append(task.key, record)
                bar.advance(job)
                death = worker_death(record)
                if death:
                    err.print(f"run {task.problem} / {task.method} / start {task.start} killed its worker process "
                              f"({death}); recorded as a failure", soft_wrap=True)

            records, interrupted = run_study(tasks, jobs, on_result=finished, scheduler=scheduler, done=done)
    finally:
        if store:
            store.close()
    if not history:                    # recorded for the results file only: reports are as without --results
        records = [{k: v for k, v in r.items() if k not in ("history", "f0")} for r in records]
    from gradcli.report.narrow import fitted
    if not quiet:
        out.print(runs_table(records, out.width))
    for line in skipped_lines(skipped):     # even with --quiet: the summary and profiles count these
        out.print(line, style="dim", soft_wrap=True)
    out.print(fitted(out, summary_table(summarize(records, skipped))))
    profile = performance_profile(records, cost, skipped=skipped)
    out.print(fitted(out, profile_table(profile)))
    dprof = ecdf = None
    if history:
        from gradcli.study.profiles import data_profile, runtime_ecdf
        from gradcli.report.study import data_profile_table, ecdf_table
        dprof, ecdf = data_profile(records, tau, skipped=skipped), runtime_ecdf(records, skipped=skipped)
        out.print(fitted(out, data_profile_table(dprof)))
        out.print(fitted(out, ecdf_table(ecdf)))
    if json_file:
        write_atomic(json_file, records_json(records), force)
    if csv_file:
        write_atomic(csv_file, records_csv(records), force)
    if plot_files or conv_dir:
        _figures(plot_files, conv_dir, records, profile, dprof, ecdf, force)
    if interrupted:
        more = f"; run the same command again to finish the other {len(tasks) - len(records)}" if results_file else ""
        err.print(f"interrupted: {len(records)} of {len(tasks)} runs finished and are reported above{more}",
                  soft_wrap=True)
        ctx.exit(130)


def _figures(plot_files, conv_dir, records, profile, dprof, ecdf, force) -> None:
    """Every figure of the study with one Palette: a method has one colour and marker in all of them."""
    from gradcli.report import plots as fig
    from gradcli.report.style import Palette

    palette = Palette(profile.methods)
    for kind, f in plot_files:
        if kind == "profile":
            fig.profile_png(profile, f, force, palette)
        elif kind == "data":
            fig.data_profile_png(dprof, f, force, palette, end=fig.largest_budget(records, 1))
        else:
            fig.ecdf_png(ecdf, f, force, palette, end=fig.largest_budget(records, 0))
    if conv_dir:
        fig.convergence_pngs(records, conv_dir, force, palette)


PLOT_KINDS = ("profile", "data", "ecdf")


def _plot_kind(value: str) -> tuple[str, str]:
    """'data:d.png' -> ('data', 'd.png'); a plain 'p.png' is the performance profile (as before KINDs)."""
    kind, sep, rest = value.partition(":")
    if sep and kind in PLOT_KINDS:
        return kind, rest
    if sep and kind and "/" not in kind and "." not in kind:
        raise click.BadParameter(f"unknown plot kind '{kind}'; choose one of {', '.join(PLOT_KINDS)}",
                                 param_hint="--plot")
    return "profile", value
