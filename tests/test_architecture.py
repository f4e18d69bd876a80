"""The shape of the house (issue: one Objective protocol, one orchestrator, no import cycles) and the
defects that came from the old shape, each pinned by a test that failed before."""

from __future__ import annotations

import json
import pathlib
import sys

import numpy as np
import pytest
import yaml

import gradcli
from gradcli.compiled.observers import BestSeen, History, Observer
from gradcli.compiled.protocol import Objective
from gradcli.problem.core import build_problem
from gradcli.result import Result, Status, VerdictKind
from gradcli.run.solve import run, select, solve_one

ROOT = pathlib.Path(__file__).resolve().parents[1]
LOGREG = {"name": "lr", "data": {"X": {"random": "normal", "shape": [200, 30], "seed": 0},
                                 "y": {"random": "integers", "low": 0, "high": 2, "shape": [200], "seed": 1}},
          "variables": {"w": 30}, "objective": "mean(softplus(X@w) - y*(X@w)) + 0.01*sum(w**2)", "x0": {"w": 0.0}}


def test_no_import_cycles_small_modules_few_top_level_files():
    sys.path.insert(0, str(ROOT.parent / "shared" / "acceptance" / "lib"))
    try:
        from imports import analyse
    except ImportError:
        pytest.skip("the team's import analyser is not beside the project")
    cycles, lines, top = analyse(ROOT / "gradcli")
    assert cycles == []
    assert max(lines.values()) <= 450
    assert len(top) <= 8


def test_both_objectives_keep_the_protocol(tmp_path):
    scalar = build_problem("(x-1)**2 + y**2", x0=[0, 0]).compile()
    (tmp_path / "lr.yaml").write_text(yaml.safe_dump(LOGREG))
    from gradcli.problem.file import load_problem
    array = load_problem(tmp_path / "lr.yaml").compile()
    for obj in (scalar, array):
        assert isinstance(obj, Objective)
        x = np.zeros(obj.n)
        f, g = obj.value_and_grad(x)
        assert f == pytest.approx(obj.fun_uncounted(x)) and np.allclose(g, obj.grad_uncounted(x))
    assert scalar.capabilities.exact_hessian and array.capabilities.exact_hessian      # issue 21: forward-over-reverse
    assert array.capabilities.hessian_method == "exact (forward-over-reverse)"
    assert array.capabilities.fused_value_and_grad and array.capabilities.training


def test_observers_see_every_path_and_cost_nothing_when_absent():
    obj = build_problem("(x-1)**2 + y**2", x0=[0, 0]).compile()
    plain_fun = obj.fun
    seen = []

    class Spy(Observer):
        def before(self, objective):
            seen.append("before")

        def evaluated(self, objective, x, f):
            seen.append(f)

    with obj.observed(Spy()):
        obj.fun(np.array([0.0, 0.0]))
        obj.value_and_grad(np.array([1.0, 0.0]))
        obj.grad(np.array([1.0, 0.0]))
    assert seen == ["before", 1.0, "before", 0.0, "before"]
    assert obj.fun == plain_fun                   # restored: the hot path is untouched again
    with obj.observed(None, None):                # nothing attached: nothing wrapped
        assert obj.fun == plain_fun
    best, hist = BestSeen(), History()
    with obj.observed(best, hist):
        for v in (3.0, 2.0, 5.0, 1.0):
            obj.fun(np.array([v, 0.0]))
    assert best.best_f == 0.0 and list(best.best_x) == [1.0, 0.0]      # f(1, 0) = 0
    assert [p[1] for p in hist.points] == [4.0, 1.0, 0.0]


def test_api_is_shaped_like_scipy():
    r = gradcli.minimize("x**2-4*x+8", [1.3], method="fmin")
    assert isinstance(r, Result) and isinstance(r.x, np.ndarray)
    assert (r.nit, r.nfev) == (16, 32) and r.x[0] == pytest.approx(2.00001953, abs=1e-8)
    assert r.verdict.kind is VerdictKind.MINIMUM and r.verified
    assert "verdict='minimum'" in repr(r) and "nfev=32" in repr(r)
    a = gradcli.minimize("100*(y-x**2)**2+(1-x)**2", [-1.2, 1], method="auto")
    assert isinstance(a, Result) and a.fun < 1e-10 and a.extra["auto_reason"].startswith("auto → trust-exact")
    several = gradcli.minimize("x**2-4*x+8", [1.3], method="bfgs,cg")
    assert isinstance(several, list) and len(several) == 2


def test_api_bounds_in_scipy_forms_and_options():
    from scipy.optimize import Bounds
    for b in ([(1, 5), (None, None)], Bounds([1, -np.inf], [5, np.inf]), {"x": (1, 5)}):
        r = gradcli.minimize("x**2 + y**2", [3, 3], method="l-bfgs-b", bounds=b)
        assert r.x[0] == pytest.approx(1.0) and abs(r.x[1]) < 1e-6, b
    r = gradcli.minimize("100*(y-x**2)**2+(1-x)**2", [-1.2, 1], method="bfgs", options={"maxiter": 3})
    assert r.nit == 3 and r.status is Status.MAXITER
    with pytest.raises(gradcli.errors.GradcliError, match="1 \\(lo, hi\\) pair for 2 variables"):
        gradcli.minimize("x**2 + y**2", [3, 3], method="l-bfgs-b", bounds=[(0, 1)])
    with pytest.raises(gradcli.errors.GradcliError, match="--lr is an option of"):
        gradcli.minimize("x**2", [1], method="bfgs", options={"lr": 0.1})


def test_one_selection_rule_for_minimize_and_compare():
    p = build_problem("x**2 + y**2", x0=[1, 1], bounds={"x": (0, 1)})
    strict = select("l-bfgs-b,auto,L-BFGS-B", p)          # auto is a method of its own; duplicates run once
    assert [s.name for s in strict.specs] == ["l-bfgs-b", "auto"]
    lenient = select("bfgs,l-bfgs-b", p, strict=False)     # compare: a method that cannot run is skipped
    assert [s.name for s in lenient.specs] == ["l-bfgs-b"] and lenient.skipped[0][0].name == "bfgs"
    with pytest.raises(gradcli.errors.GradcliError):
        select("bfgs", p)                                    # minimize: the user asked for it: an error


def test_a_method_that_raises_is_a_result_with_its_counts(monkeypatch):
    """The one guard: the gd adapter had none, so its exceptions escaped (and compare recorded 0 evaluations)."""
    from gradcli.solvers import gd

    real = gd.descend

    def boom(objective, *a, **k):
        objective.fun(np.array([0.5]))
        raise RuntimeError("kaput")
    monkeypatch.setattr(gd, "descend", boom)
    p = build_problem("x**2", x0=[1.0])
    r = solve_one(p, "gd")
    assert r.status is Status.ERROR and "kaput" in r.message and r.method == "gd" and r.nfev == 1
    assert r.verdict.kind is VerdictKind.NO_RESULT
    monkeypatch.setattr(gd, "descend", real)


def test_gd_time_limit_is_a_time_limit_with_counts_and_the_best_point():
    p = build_problem("(x-3)**2 + y**2", x0=[0, 0])
    r = solve_one(p, "gd", options={"step": "fixed", "lr": 1e-9, "gtol": 1e-300}, maxiter=10**9, timeout=0.2)
    assert r.status is Status.TIMEOUT and r.nfev > 100 and r.njev > 100
    assert r.fun < 9.0 and r.x[0] > 0          # the best point it evaluated, not x0
    assert 0.15 < r.time < 2.0


def _study(tmp_path, *args):
    from click.testing import CliRunner
    from gradcli.cli import cli
    (tmp_path / "p").mkdir(exist_ok=True)
    (tmp_path / "p" / "lr.yaml").write_text(yaml.safe_dump(LOGREG))
    out = tmp_path / "out.json"
    r = CliRunner().invoke(cli, ["compare", str(tmp_path / "p"), "--json", str(out), "-q", *args])
    assert r.exit_code in (0, 1), r.output
    return json.loads(out.read_text())


def test_compare_history_of_fixed_step_methods_on_array_problems(tmp_path):
    """compare's old monitor did not see value_and_grad: momentum recorded one history point."""
    [rec] = _study(tmp_path, "--methods", "momentum", "--maxiter", "3000", "--history")
    assert len(rec["history"]) > 10 and rec["history"][-1][1] <= rec["history"][0][1]


def test_compare_timeout_stops_fixed_step_methods_on_array_problems(tmp_path):
    [rec] = _study(tmp_path, "--methods", "momentum", "--maxiter", "100000000", "--method-tol", "1e-30",
                   "--timeout", "0.5")
    assert rec["status"] == "time limit reached" and rec["njev"] > 0 and rec["time"] < 5


def test_a_crashed_run_keeps_the_method_label_so_profiles_keep_the_problem(tmp_path, monkeypatch):
    from gradcli.study import compare
    from gradcli.study.compare import plan
    from gradcli.study.engines import run_study
    from gradcli.study.profiles import performance_profile

    (tmp_path / "a.yaml").write_text("name: a\nobjective: (x1-1)**2\nx0: [3.0]\nsolution: {f: 0.0}\n")
    tasks, _ = plan([tmp_path / "a.yaml"], "bfgs,l-bfgs-b")
    real = compare.run_task

    def crash_bfgs(task):
        if task.method == "bfgs":
            raise MemoryError("boom")
        return real(task)
    monkeypatch.setattr(compare, "run_task", crash_bfgs)
    records, _ = run_study(tasks)
    assert sorted(r["method"] for r in records) == ["BFGS", "L-BFGS-B"]
    assert records[0]["status"] == "error"
    prof = performance_profile(records)
    assert set(prof.methods) == {"BFGS", "L-BFGS-B"} and prof.problems == 1


def test_starts_without_bounds_begin_at_x0_and_spread_around_it():
    """--starts used to require finite bounds, which BFGS and the trust-region methods refuse."""
    p = build_problem("100*(y-x**2)**2+(1-x)**2", x0=[-1.2, 1])
    done = run(p, "bfgs", starts=4, seed=0)
    [r] = done.results
    starts = [s["x0"] for s in r.extra["multistart"]]
    assert starts[0] == [-1.2, 1.0] and len({tuple(s) for s in starts}) == 4
    assert r.verified and r.fun < 1e-10


def test_written_files_follow_the_umask(tmp_path):
    """mkstemp creates 0600 files whatever the umask: colleagues could not read the figures."""
    import os
    import stat

    from gradcli.report.output import write_atomic
    old = os.umask(0o022)
    try:
        path = write_atomic(tmp_path / "out.json", "{}")
    finally:
        os.umask(old)
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


def test_ctrl_c_inside_a_method_keeps_its_result_and_stops_the_rest():
    """The guard turns Ctrl-C into a Result too (the best point evaluated, the counts), and run() stops."""
    class CtrlC(Observer):
        def before(self, objective):
            if objective.counts.nfev >= 5:
                raise KeyboardInterrupt

    class Bar:
        def __init__(self):
            self.inner = CtrlC()

        def before(self, objective):
            self.inner.before(objective)

        def evaluated(self, objective, x, f):
            pass

        def close(self):
            pass
    p = build_problem("100*(y-x**2)**2+(1-x)**2", x0=[-1.2, 1])
    done = run(p, "nelder-mead,bfgs", progress=lambda spec: Bar())
    [r] = done.results
    assert done.interrupted and r.status is Status.INTERRUPTED and r.nfev == 5
    assert r.fun <= 24.2 and "bfgs did not run" in done.notes[-1]


def test_ctrl_c_while_a_method_is_set_up_keeps_what_finished(monkeypatch):
    p = build_problem("100*(y-x**2)**2+(1-x)**2", x0=[-1.2, 1])
    obj = p.compile()
    real = obj.prepare

    def prepare(grad=True, hess=False):
        if hess:
            raise KeyboardInterrupt
        return real(grad=grad, hess=hess)
    monkeypatch.setattr(obj, "prepare", prepare)
    done = run(p, "bfgs,trust-exact", objective=obj)
    assert done.interrupted and [r.method for r in done.results] == ["BFGS"]
    assert "trust-exact did not run" in done.notes[-1]


def test_auto_refuses_finite_difference_gradients():
    import gradcli.errors
    from click.testing import CliRunner
    from gradcli.cli import cli
    r = CliRunner().invoke(cli, ["minimize", "x**2", "--x0", "1", "-m", "auto", "--gradient", "fd"])
    assert r.exit_code == 2 and "auto cannot run on SciPy's finite differences" in r.output
    assert gradcli.errors.GradcliError
