"""compare at scale: same records on every engine, resumable --results, generated starts, profiles.

The Dask tests start real clusters on 127.0.0.1 and run the real CLI in subprocesses; they are skipped
when dask is not installed. Worker processes import the checkout through PYTHONPATH.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from gradcli.study.compare import plan
from gradcli.study.profiles import data_profile, runtime_ecdf
from gradcli.study.results_file import ResultsFile

ROOT = Path(__file__).resolve().parents[1]
SMALL = [str(ROOT / "problems" / f"{p}.yaml") for p in ("rosenbrock", "beale", "branin", "booth")]
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
TIMING = {"time", "setup_time"}


def gradcli(*args, timeout=180, **kw):
    return subprocess.run([sys.executable, "-m", "gradcli", *args], capture_output=True, text=True, cwd=ROOT,
                          env=ENV, timeout=timeout, **kw)


def strip(records):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in records]


def lines(path):
    """The records of a results file: one per line, each with the format marker."""
    recs = [json.loads(x) for x in Path(path).read_text().splitlines()]
    assert all(r.get("gradcli_results") == 1 for r in recs)
    return recs


# ---- no Dask needed ------------------------------------------------------------------------------

def test_starts_are_reproducible_and_inside_bounds():
    a, _ = plan(SMALL, "nelder-mead", seed=3, starts=4)
    b, _ = plan(SMALL, "nelder-mead", seed=3, starts=4)
    c, _ = plan(SMALL, "nelder-mead", seed=4, starts=4)
    assert [t.x0 for t in a] == [t.x0 for t in b] and [t.x0 for t in a] != [t.x0 for t in c]
    branin = [t for t in a if t.problem == "branin" and t.x0 is not None]
    assert len(branin) == 4
    assert all(-5 <= x[0] <= 10 and 0 <= x[1] <= 15 for x in (t.x0 for t in branin))   # Sobol in the box
    assert len({t.key for t in a}) == len(a)                                           # keys are unique


def test_jobs_1_and_2_give_identical_records(tmp_path):
    args = ["compare", *SMALL, "-m", "bfgs,nelder-mead", "--starts", "2", "--seed", "0", "-q"]
    r1 = gradcli(*args, "--jobs", "1", "--json", str(tmp_path / "a.json"))
    r2 = gradcli(*args, "--jobs", "2", "--json", str(tmp_path / "b.json"))
    assert r1.returncode == 0 and r2.returncode == 0, r1.stderr + r2.stderr
    a, b = json.loads((tmp_path / "a.json").read_text()), json.loads((tmp_path / "b.json").read_text())
    assert len(a) == 4 * 3 * 2 - 3 and strip(a) == strip(b)     # BFGS skips branin's bounds (3 starts)
    assert not any({"pid", "host", "worker"} & set(r) for r in a)


def _rec(key: str, fun: float) -> str:
    rec = {"run_key": key, "method": "BFGS", "problem": "p", "start": 0, "seed": 1, "x": [1.0], "fun": fun,
           "grad_norm": 0.0, "nit": 1, "nfev": 2, "njev": 2, "nhev": 0, "time": 0.1, "success": True,
           "status": "converged", "message": "", "f_star": None, "solved": None}
    return json.dumps(rec)


def test_torn_last_line_is_cut_and_bad_middle_line_is_run_again(tmp_path, capfd):
    f = tmp_path / "r.jsonl"
    head = '{"gradcli": "results", "version": 1}\n'
    f.write_text(head + _rec("a", 1) + "\n" + _rec("b", 2) + '\n{"run_key": "c", "fu')
    with ResultsFile(f) as store:
        assert set(store.done) == {"a", "b"} and store.torn
    assert f.read_text() == head + _rec("a", 1) + "\n" + _rec("b", 2) + "\n"
    f.write_text(head + _rec("a", 1) + "\nnot json\n" + _rec("b", 2) + "\n")
    with ResultsFile(f) as store:
        assert set(store.done) == {"a", "b"}
    assert "1 line not valid results records (line 3: not JSON)" in capfd.readouterr().err


def test_failing_run_is_a_record_not_a_crash(tmp_path):
    from gradcli.study.compare import run_task_safe
    task, = [t for t in plan([SMALL[0]], "bfgs")[0]]
    from dataclasses import replace
    bad = replace(task, text=task.text.replace("objective: ", "objective: )("), sha256="x" * 64)
    rec = run_task_safe(bad)
    assert rec["status"] == "error" and rec["solved"] is False and rec["message"]


def test_killed_client_resumes_without_duplicates_or_gaps(tmp_path):
    """SIGKILL the client mid-study (a torn line is possible), re-run: every run exactly once."""
    out = tmp_path / "r.jsonl"
    args = ["compare", *SMALL, "-m", "bfgs,nelder-mead", "--starts", "12", "--jobs", "2", "--results", str(out), "-q"]
    proc = subprocess.Popen([sys.executable, "-m", "gradcli", *args], cwd=ROOT, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    _wait_for_lines(out, 5, proc)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    first = len(out.read_text().splitlines())         # one line per run
    done = gradcli(*args)
    assert done.returncode == 0, done.stderr
    _assert_complete(out, args)
    assert first < len(lines(out)), "the first run was not interrupted; make the study longer"


def test_plain_plot_is_still_the_performance_profile_and_kinds_work(tmp_path):
    pytest.importorskip("matplotlib")
    r = gradcli("compare", SMALL[0], SMALL[1], "-m", "bfgs,nelder-mead", "-q", "--plot", str(tmp_path / "p.png"),
                "--plot", f"data:{tmp_path / 'd.png'}", "--plot", f"ecdf:{tmp_path / 'e.png'}")
    assert r.returncode == 0, r.stderr
    assert all((tmp_path / f).stat().st_size > 1000 for f in ("p.png", "d.png", "e.png"))
    assert "data profile" in r.stdout and "runtime ECDF" in r.stdout


def test_data_profile_and_ecdf_by_hand():
    """Two methods on one problem (n = 1): A reaches every target at 4 evals, B never gets below 0.5."""
    base = {"problem": "p", "start": 0, "n": 1, "f_star": 0.0, "f0": 10.0}
    recs = [dict(base, method="A", fun=0.0, history=[[1, 10.0], [4, 0.0]]),
            dict(base, method="B", fun=0.5, history=[[1, 10.0], [2, 0.5]])]
    dp = data_profile(recs, tau=1e-3, budgets=[1, 2, 3])
    # f_L = 0: A passes 10 - f >= 0.999 * 10 at 4 evals = 2 simplex gradients; B needs f <= 0.01: never
    assert dp.d == {"A": [0.0, 1.0, 1.0], "B": [0.0, 0.0, 0.0]}
    ec = runtime_ecdf(recs, targets=[1.0, 0.1], budgets=[2, 4])
    assert ec.share == {"A": [0.0, 1.0], "B": [0.5, 0.5]}


def test_help_does_not_import_dask():
    code = ("import sys; from gradcli.cli import cli\ntry:\n    cli.main(['compare', '--help'])\nexcept SystemExit:\n"
            "    pass\nprint(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('dask', 'distributed', 'numpy', 'scipy', 'sympy', 'rich')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=ENV, cwd=ROOT)
    assert out.stdout.strip().endswith("[]"), out.stdout[-300:]


# ---- Dask -------------------------------------------------------------------------------------------

def test_local_cluster_equals_jobs_1(tmp_path):
    pytest.importorskip("distributed")
    args = ["compare", *SMALL[1:3], "-m", "bfgs,l-bfgs-b,nelder-mead", "--starts", "2", "--seed", "0", "-q"]
    r1 = gradcli(*args, "--scheduler", "local:2", "--json", str(tmp_path / "a.json"))
    r2 = gradcli(*args, "--jobs", "1", "--json", str(tmp_path / "b.json"))
    assert r1.returncode == 0 and r2.returncode == 0, r1.stderr[-2000:] + r2.stderr[-2000:]
    a, b = json.loads((tmp_path / "a.json").read_text()), json.loads((tmp_path / "b.json").read_text())
    assert len(a) == 15 and strip(a) == strip(b)    # beale 3 methods x 3 starts, branin 2 x 3


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two workers (no nanny: a killed worker stays dead) on 127.0.0.1."""
    pytest.importorskip("distributed")
    sched_file = tmp_path / "scheduler.json"
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                               "--port", "0", "--no-dashboard", "--scheduler-file", str(sched_file)],
                              env=ENV, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]
    deadline = time.time() + 60
    while not sched_file.exists() and time.time() < deadline:
        time.sleep(0.1)
    address = json.loads(sched_file.read_text())["address"]
    workers = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker", address, "--nthreads", "1",
                                 "--no-nanny", "--no-dashboard"], env=ENV, cwd=tmp_path,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for _ in range(2)]
    procs += workers
    from distributed import Client
    with Client(address, timeout=60) as c:
        c.wait_for_workers(2, timeout=60)
    yield address, workers
    for p in procs:
        p.kill()
        p.wait()


def _study_under_way(tmp_path, address):
    """A cluster study started in a real client process, once its first runs are in the results file."""
    out = tmp_path / "r.jsonl"
    args = ["compare", *SMALL, "-m", "bfgs,nelder-mead", "--starts", "15", "--scheduler", address,
            "--results", str(out), "-q"]
    proc = subprocess.Popen([sys.executable, "-m", "gradcli", *args], cwd=ROOT, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _wait_for_lines(out, 3, proc)
    return out, args, proc


def test_killed_worker_runs_are_retried_and_recorded_once(tmp_path, cluster):
    address, workers = cluster
    out, args, proc = _study_under_way(tmp_path, address)
    workers[0].kill()                       # mid-run: its batches go back to the scheduler
    _, err = proc.communicate(timeout=180)
    assert proc.returncode == 0, err[-2000:]
    _assert_complete(out, args)
    assert all(r["status"] != "error" for r in lines(out))


def test_interrupted_client_on_cluster_resumes(tmp_path, cluster):
    address, _ = cluster
    out, args, proc = _study_under_way(tmp_path, address)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode in (0, 130), err[-2000:]
    again = gradcli(*args)
    assert again.returncode == 0, again.stderr[-2000:]
    _assert_complete(out, args)


def _wait_for_lines(path: Path, n: int, proc, timeout: float = 120) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if path.exists() and path.read_text().count("\n") >= n:
            return
        assert proc.poll() is None, "the study ended before it could be interrupted"
        time.sleep(0.02)
    raise AssertionError(f"{path}: fewer than {n} lines after {timeout} s")


def _assert_complete(out: Path, args) -> None:
    """Every planned run is in the file exactly once, and nothing else is."""
    starts = int(args[args.index("--starts") + 1])
    tasks, _ = plan(SMALL, "bfgs,nelder-mead", seed=0, starts=starts)
    keys = [r["run_key"] for r in lines(out)]
    assert len(keys) == len(set(keys)), "duplicate runs in the results file"
    assert set(keys) == {t.key for t in tasks}, "runs missing from the results file"
