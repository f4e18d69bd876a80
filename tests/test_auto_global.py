"""--method auto's global phase on a finite box: a Sobol multistart of local runs, then differential evolution
when the runs found several basins, polished and judged. Values are the published ones (Jamil & Yang 2013,
SciPy's go_benchmark_functions), read from benchmarks/global2d/."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.cli import cli
from gradcli.problem.file import load_problem
from gradcli.result import VerdictKind
from gradcli.run.solve import solve_one

SET = Path(__file__).resolve().parents[1] / "benchmarks" / "global2d"


def auto(name, **kw):
    p = load_problem(SET / f"{name}.yaml")
    return p, solve_one(p, "auto", seed=0, **kw)


def methods(r):
    return [s["method"] for s in r.extra["auto_steps"]]


def test_the_published_set_checks_and_is_large_enough():
    r = CliRunner().invoke(cli, ["problems", "check", str(SET)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert len(list(SET.glob("*.yaml"))) >= 23


@pytest.mark.parametrize("name", ["holder_table", "shubert", "cross_in_tray"])
def test_several_basins_bring_in_differential_evolution_and_reach_f_star(name):
    p, r = auto(name)
    f_star = p.solution.f
    assert r.fun - f_star <= 1e-6 * max(1.0, abs(f_star))           # the published global minimum
    assert "differential_evolution" in methods(r) and "different minima" in r.extra["auto_reason"]
    assert r.nfev == sum(s["nfev"] for s in r.extra["auto_steps"])


def test_ackley_the_minimum_at_a_cone_tip_wins_and_says_its_derivatives_do_not_exist():
    p, r = auto("ackley")       # f* = 0 at (0, 0), where ∇f has a 0/0: no verdict can exist there
    assert r.fun == pytest.approx(0.0, abs=1e-8) and abs(r.x).max() < 1e-6
    assert r.verdict.kind is VerdictKind.NOT_FINITE          # said, not dressed up as a verified minimum
    verified = [s for s in r.extra["auto_steps"] if s["verdict"] == "minimum"]
    assert verified and min(s["fun"] for s in verified) > 1.0  # the local runs' verified minima are all higher


def test_one_basin_no_global_method():
    p, r = auto("booth")        # a convex quadratic: every local run ends at (1, 3)
    assert r.fun == pytest.approx(0.0, abs=1e-10) and r.verified
    assert "differential_evolution" not in methods(r) and "1 distinct" in r.extra["auto_reason"]


def test_every_verified_run_a_different_minimum_uses_the_exploring_strategy():
    _, r = auto("eggholder")
    assert "rand1bin" in r.extra["auto_reason"]


def test_maxfev_caps_the_global_method_too():
    r = CliRunner().invoke(cli, ["minimize", str(SET / "rastrigin.yaml"), "--x0", "3.5,-2.5", "-m", "auto",
                                 "--maxfev", "400", "--json"], catch_exceptions=False)
    [rec] = json.loads(r.stdout)
    assert rec["nfev"] <= 400 and sum(s["nfev"] for s in rec["auto_steps"]) == rec["nfev"]
