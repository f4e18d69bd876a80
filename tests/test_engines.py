"""compare --jobs N when a run kills its worker process: every run still gets exactly one record.

A run that kills its process is forced by replacing ``compare.run_task`` before the pool starts: with
the fork start method the workers (and the processes that re-run runs one by one) inherit the
replacement, as the killer's record naming its signal shows.
"""

import json
import multiprocessing
import os
import signal
from collections import Counter
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.study import compare
from gradcli.study import engines
from gradcli.cli import cli
from gradcli.study.compare import plan
from gradcli.study.engines import run_study

pytestmark = pytest.mark.skipif(multiprocessing.get_start_method() != "fork",
                                reason="the replaced run_task reaches the workers only through fork")

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
SMALL = [PROBLEMS / f"{n}.yaml" for n in ("rosenbrock", "beale", "booth")]
REAL_RUN_TASK = compare.run_task


def _sigkill():
    os.kill(os.getpid(), signal.SIGKILL)


def _interrupt():
    raise KeyboardInterrupt


def _hang():
    signal.pause()          # until the parent kills this process


FATE = {}                   # (problem, method, start) -> what the run does instead of running


def run_task_or_die(task):
    fate = FATE.get((task.problem, task.method, task.start))
    if fate:
        fate()
    return REAL_RUN_TASK(task)


@pytest.fixture
def fates(monkeypatch):
    monkeypatch.setattr(compare, "run_task", run_task_or_die)
    FATE.clear()
    yield FATE
    FATE.clear()


def strip(record):
    return {k: v for k, v in record.items() if k not in ("time", "setup_time")}


def test_runs_that_kill_their_worker_are_named_and_no_other_run_is_lost(fates):
    tasks, _ = plan(SMALL, "bfgs,nelder-mead", starts=2)
    serial, _ = run_study(tasks, jobs=1)
    fates[("beale", "bfgs", 0)] = _sigkill
    fates[("booth", "nelder-mead", 1)] = lambda: os._exit(3)
    called = []
    records, interrupted = run_study(tasks, jobs=2, on_result=lambda task, rec: called.append(task.key))
    assert not interrupted and len(records) == len(tasks) == 18
    assert Counter(called) == Counter(t.key for t in tasks)          # once per run, none twice
    deaths = {}
    for task, rec, ref in zip(tasks, records, serial):
        if rec["status"] == "error":
            deaths[(task.problem, task.method, task.start)] = rec["message"]
            assert rec["solved"] is False and rec["problem"] == task.problem and rec["start"] == task.start
        else:
            assert strip(rec) == strip(ref), (task.problem, task.method, task.start)
    assert deaths == {("beale", "bfgs", 0): "worker process died (signal 9 SIGKILL)",
                      ("booth", "nelder-mead", 1): "worker process died (exit code 3)"}


def test_cli_names_the_run_in_one_line_and_results_file_has_each_run_once(fates, tmp_path):
    out = tmp_path / "runs.jsonl"
    fates[("rosenbrock", "nelder-mead", 0)] = _sigkill
    r = CliRunner().invoke(cli, ["compare", *map(str, SMALL), "-m", "bfgs,nelder-mead", "--jobs", "2", "-q",
                                 "--results", str(out)])
    assert r.exit_code == 0, r.output
    line = ("run rosenbrock / nelder-mead / start 0 killed its worker process (signal 9 SIGKILL); "
            "recorded as a failure")
    assert r.stderr.splitlines() == [line]
    assert "Traceback" not in r.output and "BrokenProcessPool" not in r.output
    keys = [json.loads(x)["run_key"] for x in out.read_text().splitlines()]
    assert sorted(keys) == sorted(t.key for t in plan(SMALL, "bfgs,nelder-mead")[0])


def test_ctrl_c_while_runs_are_isolated_stops_and_leaves_no_process(fates):
    tasks, _ = plan(SMALL[:1], "bfgs,nelder-mead")
    # Ctrl-C reaches the run's own process (the whole process group gets it): the parent stops
    fates[("rosenbrock", "nelder-mead", 0)] = _interrupt
    with pytest.raises(KeyboardInterrupt):
        list(engines.isolated(tasks, [1, 0]))
    assert multiprocessing.active_children() == []
    # Ctrl-C reaches the parent while a run hangs: the run's process is killed, not left behind
    fates[("rosenbrock", "bfgs", 0)] = _hang
    import threading
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            list(engines.isolated(tasks, [0]))
    finally:
        timer.cancel()
    assert multiprocessing.active_children() == []


def test_worker_death_reads_only_our_message():
    assert engines.worker_death({"message": "worker process died (exit code 3)"}) == "exit code 3"
    assert engines.worker_death({"message": "KilledWorker: ..."}) is None
    assert engines.worker_death({"message": None}) is None
