"""compare: records, solved judgement, profiles, output files, same numbers whatever --jobs."""

import json
import math
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.cli import cli
from gradcli.study.compare import plan, solved
from gradcli.study.engines import run_study
from gradcli.study.profiles import performance_profile, summarize

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
SMALL = [PROBLEMS / f"{n}.yaml" for n in ("rosenbrock", "beale", "booth", "freudenstein_roth", "hs071")]
TIMING = {"time", "setup_time"}


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_solved_rule():
    assert solved(1e-7, 0.0, 1e-6) and not solved(2e-6, 0.0, 1e-6)
    assert solved(100.00005, 100.0, 1e-6)          # tol is relative once |f*| > 1
    assert not solved(-5.0, 0.0, 1e-6, maxcv=1e-3)  # below f* but infeasible: not a solution
    assert solved(math.nan, None, 1e-6) is None and not solved(math.nan, 1.0, 1e-6)


def test_study_records_and_judgement():
    tasks, skipped = plan(SMALL, "bfgs,nelder-mead")
    recs, interrupted = run_study(tasks)
    assert not interrupted and len(recs) == len(tasks)
    # BFGS cannot honour hs071's bounds and constraints: skipped with the reason, not run
    assert ("hs071", "bfgs", "cannot honour bounds") in skipped
    by = {(r["problem"], r["method"], r["start"]): r for r in recs}
    assert by[("rosenbrock", "BFGS", 0)]["solved"] is True
    # Freudenstein-Roth from the standard start: BFGS stops at the local minimum 48.98 (MGH 1981)
    assert by[("freudenstein_roth", "BFGS", 0)]["fun"] == pytest.approx(48.9842, abs=1e-3)
    assert by[("freudenstein_roth", "BFGS", 0)]["solved"] is False
    for r in recs:
        assert {"problem", "start", "f_star", "solved", "nfev", "njev", "method", "x", "fun"} <= set(r)


def test_same_records_whatever_jobs():
    tasks, _ = plan(SMALL[:3], "bfgs,l-bfgs-b")
    one, _ = run_study(tasks, jobs=1)
    two, _ = run_study(tasks, jobs=2)
    strip = lambda rs: [{k: v for k, v in r.items() if k not in TIMING} for r in rs]
    assert strip(one) == strip(two)


def test_performance_profile_by_hand():
    recs = [
        {"problem": "a", "start": 0, "method": "A", "nfev": 10, "njev": 0, "solved": True, "time": 1},
        {"problem": "a", "start": 0, "method": "B", "nfev": 20, "njev": 0, "solved": True, "time": 1},
        {"problem": "b", "start": 0, "method": "A", "nfev": 30, "njev": 0, "solved": False, "time": 1},
        {"problem": "b", "start": 0, "method": "B", "nfev": 15, "njev": 0, "solved": True, "time": 1},
    ]
    p = performance_profile(recs, "nfev", taus=[1.0, 2.0])
    assert p.rho["A"] == [0.5, 0.5] and p.rho["B"] == [0.5, 1.0] and p.problems == 2
    s = {m.method: m for m in summarize(recs)}
    assert s["B"].solved == 2 and s["B"].median_evals == 17.5 and summarize(recs)[0].method == "B"


def test_compare_cli_writes_files_and_never_overwrites(tmp_path):
    out, csv, png = tmp_path / "o.json", tmp_path / "o.csv", tmp_path / "p.png"
    r = run("compare", *SMALL[:2], "--methods", "bfgs,cg", "--json", out, "--csv", csv, "--plot", png)
    assert r.exit_code == 0, r.stderr
    recs = json.loads(out.read_text())
    assert len(recs) == 4 and csv.read_text().startswith("method,")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "per method" in r.stdout and "performance profile" in r.stdout
    r = run("compare", SMALL[0], "--methods", "bfgs", "--json", out)
    assert r.exit_code == 2 and "--force" in r.stderr
    assert json.loads(out.read_text()) == recs          # untouched


def test_timeout_is_a_recorded_failure():
    tasks, _ = plan([PROBLEMS / "watson.yaml"], "nelder-mead", timeout=1e-4, maxiter=10**6)
    [rec], _ = run_study(tasks)
    assert rec["status"] == "time limit reached" and rec["solved"] is False


def test_compile_cache_is_per_thread():
    # a tcp:// Dask worker may run two tasks at once in threads: they must not share one counted objective
    import threading

    from gradcli.study.compare import _compiled, worker_state
    tasks, _ = plan(SMALL[:1], "bfgs")
    mine = _compiled(tasks[0])
    assert _compiled(tasks[0]) is mine
    before = worker_state()
    other = []
    thread = threading.Thread(target=lambda: other.append(_compiled(tasks[0])))
    thread.start()
    thread.join()
    assert other[0][1] is not mine[1]
    after = worker_state()        # counted over every thread, whichever thread asks
    assert after["cached"] == before["cached"] + 1 and after["compiles"] == before["compiles"] + 1


def test_convergence_plots_and_refusal_before_the_study(tmp_path, monkeypatch):
    folder = tmp_path / "curves"
    r = run("compare", SMALL[0], SMALL[3], "--methods", "bfgs,gd", "--plot-convergence", folder, "-q")
    assert r.exit_code == 0, r.stderr
    pngs = sorted(p.name for p in folder.iterdir())
    assert pngs == ["freudenstein_roth-0.png", "freudenstein_roth-1.png", "rosenbrock-0.png"]
    assert all((folder / p).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" for p in pngs)
    # a second run would overwrite them: refused before any run starts, not after the study
    import gradcli.study.engines as study

    def must_not_run(*a, **k):
        raise AssertionError("the study ran")
    monkeypatch.setattr(study, "run_study", must_not_run)
    r = run("compare", SMALL[0], "--methods", "bfgs", "--plot-convergence", folder)
    assert r.exit_code == 2 and "rosenbrock-0.png: file exists" in r.stderr and "--force" in r.stderr
    (tmp_path / "file").write_text("x")
    r = run("compare", SMALL[0], "--methods", "bfgs", "--plot-convergence", tmp_path / "file")
    assert r.exit_code == 2 and "not a directory" in r.stderr


def test_results_file_serves_plots_asked_for_later(tmp_path):
    # the file keeps each run's history, and the run key leaves it out: adding plots to a finished study
    # draws them from the file, with no run repeated and no line added
    results, out = tmp_path / "r.jsonl", tmp_path / "o.json"
    r = run("compare", SMALL[0], SMALL[1], "-m", "bfgs,nelder-mead", "--results", results, "--json", out, "-q")
    assert r.exit_code == 0, r.stderr
    lines = results.read_text().splitlines()              # one line per run
    assert len(lines) == 4 and all(json.loads(x)["history"] for x in lines)
    plain = tmp_path / "plain.json"
    r = run("compare", SMALL[0], SMALL[1], "-m", "bfgs,nelder-mead", "--json", plain, "-q")
    drop = lambda recs: [{k: v for k, v in rec.items() if k not in ("time", "setup_time")} for rec in recs]  # noqa: E731
    assert drop(json.loads(out.read_text())) == drop(json.loads(plain.read_text()))      # as without --results
    curves = tmp_path / "curves"
    r = run("compare", SMALL[0], SMALL[1], "-m", "bfgs,nelder-mead", "--results", results, "--plot-convergence",
            curves, "-q")
    assert r.exit_code == 0, r.stderr
    assert "4 of 4 runs already done" in r.stderr and results.read_text().splitlines() == lines
    assert sorted(p.name for p in curves.iterdir()) == ["beale-0.png", "rosenbrock-0.png"]
