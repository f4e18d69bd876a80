"""compare over root problems: --timeout stops a root finder at its next evaluation (a time-limit record
with the counts so far, judged at the best point seen), and --history records (evaluations, best ‖F‖∞)
so data profiles and runtime ECDFs include root runs.

Known values: Rosenbrock's function as a square system (Moré, Garbow & Hillstrom 1981, problem 1):
F = (10(x2 − x1²), 1 − x1), x0 = (−1.2, 1), so F(x0) = (−4.4, 2.2) and ‖F(x0)‖∞ = 4.4; root (1, 1).
x³ − 2x − 5 on [2, 3]: f(2) = −1, f(3) = 16, root 2.0945514815423265 (Wallis).
"""

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from gradcli.cli import cli
from gradcli.roots import run as runner
from gradcli.roots import watch as watch_module
from gradcli.roots.equations import build

ROOT = Path(__file__).resolve().parents[1]
SYSTEMS = ROOT / "problems" / "systems"
WALLIS = 2.0945514815423265


@pytest.fixture
def ticking(monkeypatch):
    """time.perf_counter advancing one second per call: a deadline passes after a known number of checks."""
    clock = itertools.count()
    monkeypatch.setattr(watch_module.time, "perf_counter", lambda: float(next(clock)))


def _circle():
    return build("x**2 + y**2 - 4; x*y - 1")


def test_no_deadline_no_history_wraps_nothing():
    eqs = _circle()
    with watch_module.Watch(eqs).attached():
        assert "F" not in eqs.__dict__ and "J" not in eqs.__dict__
    with watch_module.Watch(eqs, 10.0, history=True).attached():
        assert "F" in eqs.__dict__
    assert "F" not in eqs.__dict__ and "J" not in eqs.__dict__            # restored after the run


@pytest.mark.parametrize("method", ["hybr", "broyden1", "lm", "df-sane"])
def test_history_changes_no_count_and_ends_at_the_residual(method):
    eqs = _circle()
    specs = runner.resolve(method, eqs, None, [2.0, 0.5])
    _, [plain] = runner.run(specs, eqs, None, [2.0, 0.5], 1e-10)
    _, [seen] = runner.run(specs, eqs, None, [2.0, 0.5], 1e-10, history=True)
    assert (plain.nfev, plain.njev, plain.x, plain.nit) == (seen.nfev, seen.njev, seen.x, seen.nit)
    assert plain.history is None
    h = seen.history
    assert h[0] == [1, 0.25]                                             # F(2, 0.5) = (0.25, 0)
    assert all(a[0] < b[0] and a[1] > b[1] for a, b in zip(h, h[1:]))    # evaluations grow, best ‖F‖∞ falls
    assert h[-1][0] <= seen.nfev + seen.njev and h[-1][1] <= seen.residual * (1 + 1e-12) + 1e-300


def test_deadline_stops_a_system_method_with_its_counts(ticking):
    eqs = build("10*(x2 - x1**2); 1 - x1")
    specs = runner.resolve("broyden1", eqs, None, [-1.2, 1.0])
    _, [rr] = runner.run(specs, eqs, None, [-1.2, 1.0], 1e-10, timeout=5.5, history=True)
    assert rr.timed_out and not rr.success
    assert rr.message == "time limit reached: stopped after --timeout 5.5 s"
    assert 1 <= rr.nfev <= 6 and rr.njev == 0                             # stopped at the next evaluation
    assert rr.verdict == "not converged"
    best = min(rr.history, key=lambda p: p[1])
    assert rr.residual == pytest.approx(best[1], rel=1e-15)               # judged at the best point it saw
    assert rr.history[0] == [1, pytest.approx(4.4, rel=1e-15)]


def test_deadline_stops_a_bracketing_method(ticking):
    eqs = build("x**3 - 2*x - 5")
    specs = runner.resolve("bisect", eqs, (2.0, 3.0), None)
    _, [rr] = runner.run(specs, eqs, (2.0, 3.0), None, 1e-10, timeout=10.5)
    assert rr.timed_out and rr.nfev < 12 and 2.0 <= rr.x[0] <= 3.0
    assert rr.verdict == "not converged" and "time limit reached" in rr.message


def test_compare_timeout_on_root_problems_is_a_time_limit_record(tmp_path, ticking):
    out = tmp_path / "runs.json"
    r = CliRunner().invoke(cli, ["compare", str(SYSTEMS / "rosenbrock.yaml"), "-m", "hybr,broyden1",
                                 "--timeout", "6.5", "--json", str(out), "--jobs", "1"], terminal_width=132)
    assert r.exit_code in (0, 1), r.output
    recs = {x["method"]: x for x in json.loads(out.read_text())}
    for rec in recs.values():
        assert rec["status"] == "time limit reached" and rec["nfev"] > 0 and not rec["solved"]
        assert rec["message"].startswith("time limit reached")


def test_compare_history_puts_root_runs_in_data_profiles_and_ecdfs(tmp_path):
    from gradcli.study.profiles import data_profile, runtime_ecdf

    out = tmp_path / "runs.json"
    files = [str(SYSTEMS / f) for f in ("rosenbrock.yaml", "powell_singular.yaml", "helical_valley.yaml")]
    r = CliRunner().invoke(cli, ["compare", *files, "-m", "hybr,lm,broyden1", "--history", "--json", str(out)],
                           terminal_width=132)
    assert r.exit_code in (0, 1), r.output
    recs = json.loads(out.read_text())
    rosen = {x["method"]: x for x in recs if x["problem"] == "rosenbrock_system"}
    for rec in rosen.values():
        assert rec["f0"] == pytest.approx(4.4, rel=1e-15)                # ‖F(x0)‖∞ at MGH's start
        assert rec["history"] and rec["history"][-1][1] == pytest.approx(rec["fun"], rel=1e-12, abs=1e-300)
    assert rosen["hybr"]["solved"] and rosen["hybr"]["x"] == pytest.approx([1, 1], abs=1e-10)
    dp = data_profile(recs)
    assert set(dp.methods) == {"hybr", "lm", "broyden1"} and dp.problems == 3
    solved = {m: sum(x["solved"] for x in recs if x["method"] == m) / 3 for m in dp.methods}
    for m in dp.methods:
        assert dp.d[m][-1] <= solved[m] + 1e-12 or solved[m] == 0     # never more than the runs solved
    assert dp.d["hybr"][-1] == pytest.approx(1.0)
    ecdf = runtime_ecdf(recs)
    assert ecdf.instances == 3 and ecdf.share["hybr"][-1] == pytest.approx(1.0)
    text = " ".join(r.output.split())
    assert "data profile" in text and "runtime ECDF" in text


def test_bracketing_start_is_the_better_end():
    from gradcli.study.other_runs import start_residual

    eqs = build("x**3 - 2*x - 5")
    assert start_residual(eqs, "bracketing", None, (2.0, 3.0)) == 1.0          # |f(2)| = 1 < |f(3)| = 16
    assert start_residual(eqs, "from-x0", [3.0], None) == 16.0
    assert math.isclose(WALLIS ** 3 - 2 * WALLIS - 5, 0.0, abs_tol=1e-14)
