"""Array problems (issue 9): data, sized variables, array expressions, reverse-mode gradient, stability."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from gradcli.arrays.problem import build_array_problem
from gradcli.cli import cli
from gradcli.errors import GradcliError
from gradcli.problem.file import load_problem
from gradcli.run.solve import compile_problem, solve_one

LITERAL = "mean(-y*log(p_1) - (1-y)*log(1-p_1)) + 0.01*sum(w**2)"
DEFINE = {"z": "X@w + b", "p_1": "1/(1+exp(-z))"}
ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def tutorial(folder: Path, n: int = 50, m: int = 20, seed: int = 0) -> tuple[Path, dict]:
    """The tutorial's problem on an n×m copy of its data, written as .npy files beside a problem file."""
    r = np.random.RandomState(seed)
    X, y, w0 = r.randn(n, m), r.randint(0, 2, n).astype(float), r.randn(m)
    np.save(folder / "X.npy", X)
    np.save(folder / "y.npy", y)
    doc = {"name": "logreg", "source": "test", "data": {"X": "X.npy", "y": "y.npy"}, "variables": {"w": m, "b": 1},
           "define": DEFINE, "objective": LITERAL, "x0": {"w": w0.tolist(), "b": 0.0}}
    path = folder / "logreg.yaml"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    return path, {"X": X, "y": y, "w0": w0}


def hand_loop(X, y, w, b, steps, lr=0.1):
    for _ in range(steps):
        z = X @ w + b
        r = (1 / (1 + np.exp(-z)) - y) / len(y)
        w, b = w - lr * (X.T @ r + 0.02 * w), b - lr * r.sum()
    z = X @ w + b
    return np.mean(np.logaddexp(0, z) - y * z) + 0.01 * w @ w, w, b


def test_gd_equals_hand_written_loop(tmp_path):
    path, d = tutorial(tmp_path)
    r = run("minimize", path, "--method", "gd", "--step", "fixed", "--lr", "0.1", "--maxiter", "2000", "--json")
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output)
    rec = rec[0] if isinstance(rec, list) else rec
    f, w, b = hand_loop(d["X"], d["y"], d["w0"], 0.0, 2000)
    assert abs(rec["fun"] - f) <= 1e-10 * abs(f)
    assert np.allclose(rec["x"][:-1], w, rtol=1e-9, atol=1e-12) and abs(rec["x"][-1] - b) < 1e-9
    # the solver's calls, no more: training mode evaluates f at the start and every 100 steps, ∇f every step
    assert rec["nit"] == 2000 and rec["nfev"] == 21 and rec["njev"] == 2001
    assert rec["status"] == "requested steps done" and rec["x_named"]["w"]["shape"] == [20]


def test_training_mode_reports_divergence_at_the_last_finite_check(tmp_path):
    # a learning rate far too large for 0.01*sum(w**2) + data term: the steps blow up; training mode
    # tests f every 100 steps and returns the last iterate where it was finite, status diverged, exit 1
    path, _ = tutorial(tmp_path)
    r = run("minimize", path, "--method", "gd", "--step", "fixed", "--lr", "500", "--maxiter", "2000", "--json")
    assert r.exit_code == 1
    rec = json.loads(r.output)
    rec = rec[0] if isinstance(rec, list) else rec
    assert rec["status"] == "diverged" and rec["nit"] % 100 == 0 and rec["nit"] < 2000
    assert all(np.isfinite(v) for v in rec["x"])


def test_literal_formula_equals_softplus_form_and_is_stable(tmp_path):
    path, d = tutorial(tmp_path)
    literal = compile_problem(load_problem(path))
    stable = compile_problem(build_array_problem(
        "mean(softplus(X@w + b) - y*(X@w + b)) + 0.01*sum(w**2)", {"w": 20, "b": 1},
        data={"X": "X.npy", "y": "y.npy"}, base=tmp_path, x0=0.0))
    x0 = np.r_[d["w0"], 0.0]
    assert literal.fun(x0) == pytest.approx(stable.fun(x0), rel=1e-12)
    assert np.allclose(literal.grad(x0), stable.grad(x0), rtol=1e-12, atol=1e-15)
    assert "log(" not in literal.source.replace("logaddexp", "")   # log(p) and log(1-p) were rewritten away
    # |z| = 800: 1 - p rounds to 0 and a naive log(1 - p) is -inf
    X = d["X"]
    x = np.r_[800 * X[0] / (X[0] @ X[0]), 0.0]
    f, g = literal.fun(x), literal.grad(x)
    assert np.isfinite(f) and np.all(np.isfinite(g)) and abs(X[0] @ x[:-1] - 800) < 1e-9
    z = X @ x[:-1]
    want = np.mean(np.logaddexp(0, z) - d["y"] * z) + 0.01 * x[:-1] @ x[:-1]
    assert f == pytest.approx(want, rel=1e-12)


def test_checkgrad_at_x0_and_random_points(tmp_path):
    path, _ = tutorial(tmp_path)
    r = run("checkgrad", path, "--points", "5", "--seed", "3")
    assert r.exit_code == 0, r.output
    assert "agrees with central differences at 6 points" in r.output


def test_lbfgsb_needs_far_fewer_gradients_than_gd(tmp_path):
    path, _ = tutorial(tmp_path)
    p = load_problem(path)
    obj = compile_problem(p)
    gd = solve_one(p, "gd", objective=obj, options={"step": "fixed", "lr": 0.1}, maxiter=10_000)
    lb = solve_one(p, "l-bfgs-b", objective=obj)
    assert lb.fun <= gd.fun * (1 + 1e-6) and lb.njev < gd.njev / 20
    assert lb.verdict.kind == "minimum" and lb.x_named["w"].shape == (20,)


def test_hessian_methods_get_exact_hessp_and_verdict_is_honest(tmp_path):
    path, _ = tutorial(tmp_path, n=30, m=80)            # n = 81 > DENSE_N: Lanczos path of the verdict
    p = load_problem(path)
    obj = compile_problem(p)
    for method in ("newton-cg", "trust-ncg"):
        r = solve_one(p, method, objective=obj)
        assert r.success and r.nhev > 0 and r.verdict.kind == "minimum", (method, r.message)
        assert r.extra["hessian"] == "exact (forward-over-reverse)"


def test_two_layer_network_gradient_checks():
    """Linear-ReLU-Linear-MSE: matrices, broadcasting of a bias over rows, relu, a second linear map."""
    # data comes from generators here: the entry points are the same as a file's
    problem = build_array_problem(
        "mean((h@W2 + b2 - t)**2) + 1e-3*sum(W1**2)", {"W1": [4, 6], "b1": 6, "W2": 6, "b2": 1},
        data={"X": {"random": "normal", "shape": [25, 4], "seed": 3}, "t": {"random": "uniform", "shape": [25],
                                                                               "seed": 4}},
        define={"h": "relu(X@W1 + b1)"}, x0={"W1": {"random": "normal", "seed": 0}, "b1": 0.1, "W2": 0.5})
    from gradcli.arrays.problem import flat_names
    from gradcli.checks.gradcheck import check_gradient
    assert flat_names(problem.blocks)[:2] == ("W1[0,0]", "W1[0,1]")
    check = check_gradient(problem, problem.x0, points=3, seed=2)
    assert check.ok, check.wrong
    res = solve_one(problem, "l-bfgs-b")
    assert res.success and set(res.x_named) == {"W1", "b1", "W2", "b2"} and res.x_named["W1"].shape == (4, 6)


@pytest.mark.parametrize("objective, message", [
    ("sum(X + w)", "shapes (50, 3) and (4,) do not broadcast"),
    ("sum(X@w)", "(50, 3) @ (4,): inner dimensions 3 and 4 differ"),
    ("X@v", "unknown name 'v'"),
    ("w", "must be a single number"),
    ("sum(w, i, 0, 3)", "in an array problem sum(A) adds up every entry"),
    ("sum(w.T)", "attribute access is not allowed"),
    ("sum(exec(w))", "unknown function 'exec'"),
])
def test_shape_and_syntax_errors_name_both_sides(tmp_path, objective, message):
    np.save(tmp_path / "X.npy", np.ones((50, 3)))
    with pytest.raises(GradcliError) as exc:
        build_array_problem(objective, {"w": 4}, data={"X": "X.npy"}, base=tmp_path, x0=0.0)
    assert message in str(exc.value)


def test_data_paths_stay_inside_the_problem_folder(tmp_path):
    inner = tmp_path / "inner"
    inner.mkdir()
    np.save(tmp_path / "secret.npy", np.ones(3))
    base = {"name": "p", "variables": {"w": 3}, "objective": "sum((w - y)**2)", "x0": {"w": 0.0}}
    for entry, why in (("../secret.npy", "outside the problem file's folder"),
                       (str(tmp_path / "secret.npy"), "relative to its folder")):
        (inner / "p.yaml").write_text(yaml.safe_dump({**base, "data": {"y": entry}}))
        r = run("minimize", inner / "p.yaml", "-m", "bfgs")
        assert r.exit_code == 2 and why in r.output and "p.yaml:" in r.output
    # the same file named on the command line is the user's choice
    r = run("minimize", inner / "p.yaml", "-m", "bfgs", "--data", f"y={tmp_path / 'secret.npy'}", "--json")
    assert r.exit_code == 0 and json.loads(r.output)[0]["fun"] == pytest.approx(0.0, abs=1e-12)
    # pickled object arrays are refused, never unpickled
    np.save(inner / "obj.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    (inner / "p.yaml").write_text(yaml.safe_dump({**base, "data": {"y": "obj.npy"}}))
    r = run("minimize", inner / "p.yaml", "-m", "bfgs")
    assert r.exit_code == 2 and "array of object is not numeric" in r.output    # refused from the header


def test_npz_csv_generators_and_command_line_arrays(tmp_path):
    np.savez(tmp_path / "d.npz", A=np.eye(3), t=np.arange(3.0))
    (tmp_path / "t.csv").write_text("0\n1\n2\n")
    doc = {"name": "p", "variables": {"w": 3}, "data": {"A": "d.npz:A", "t": "t.csv"},
           "objective": "sum((A@w - t)**2)", "x0": {"w": 1.0}}
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(doc))
    r = run("minimize", tmp_path / "p.yaml", "-m", "l-bfgs-b", "--json")
    assert np.allclose(json.loads(r.output)[0]["x"], [0, 1, 2], atol=1e-6)
    r = run("minimize", "sum((w - t)**2) + mean(w)", "--var", "w=3", "--data", f"t={tmp_path / 't.csv'}", "--x0", "0",
            "-m", "bfgs", "--json")
    assert r.exit_code == 0 and np.allclose(json.loads(r.output)[0]["x"], np.arange(3) - 1 / 6, atol=1e-6)
    gen = {"random": "normal", "shape": [2, 3], "seed": 5}
    from gradcli.arrays.data import generate
    assert np.array_equal(generate(gen, "x"), np.random.RandomState(5).randn(2, 3))


def test_save_x_formats_and_no_overwrite(tmp_path):
    path, _ = tutorial(tmp_path, n=20, m=4)
    for name in ("x.npy", "x.json", "x.csv"):
        r = run("minimize", path, "-m", "l-bfgs-b", "--save-x", tmp_path / name)
        assert r.exit_code == 0, r.output
    assert np.load(tmp_path / "x.npy").shape == (5,)
    assert len(json.loads((tmp_path / "x.json").read_text())["x"]["w"]) == 4
    assert (tmp_path / "x.csv").read_text().splitlines()[1].startswith("w[0],")
    r = run("minimize", path, "-m", "l-bfgs-b", "--save-x", tmp_path / "x.npy")
    assert r.exit_code == 2 and "--force" in r.output
    assert run("minimize", path, "-m", "l-bfgs-b", "--save-x", tmp_path / "x.npy", "--force").exit_code == 0


def test_compare_resolves_data_relative_to_the_file(tmp_path, monkeypatch):
    path, _ = tutorial(tmp_path, n=20, m=4)
    monkeypatch.chdir(ROOT)                          # not the problem's folder
    out = tmp_path / "study.json"
    r = run("compare", path, "--methods", "l-bfgs-b,gd", "--json", out)
    assert r.exit_code in (0, 1), r.output
    text = out.read_text()
    assert "logreg" in text and "L-BFGS-B" in text and '"error"' not in text


def test_bundled_tutorial_problem_loads_with_its_generators():
    p = load_problem(ROOT / "problems" / "logistic_regression.yaml")
    assert p.data["X"].shape == (400, 784) and set(np.unique(p.data["y"])) == {0.0, 1.0} and p.n == 785
    obj = compile_problem(p)
    assert np.isfinite(obj.fun(np.array(p.x0)))


def test_limits_and_names_in_problem_files(tmp_path):
    base = {"name": "p", "variables": {"w": 3}, "objective": "sum(w**2)", "x0": {"w": 1.0}}
    cases = [({"data": {"X": {"random": "normal", "shape": [100000, 100000]}}}, "MAX_ENTRIES"),
             ({"define": {"a": "b + w", "b": "w"}}, "unknown name 'b'"),           # defines are read in order
             ({"define": {"w": "1"}}, "not a free name"),
             ({"data": {"X": {"random": "gamma", "shape": [2]}}}, "data.X"),
             ({"x0": {"w": [1, 2]}}, "2 values for w of shape (3,)"),
             ({"variables": {"w": 0}}, "variables.w")]
    for extra, message in cases:
        (tmp_path / "p.yaml").write_text(yaml.safe_dump({**base, **extra}))
        r = run("minimize", tmp_path / "p.yaml", "-m", "bfgs")
        assert r.exit_code == 2 and message in r.output and "p.yaml:" in r.output, (extra, r.output)


def test_progress_observer_draws_the_cost(monkeypatch):
    import io

    from rich.console import Console

    from gradcli.cli import progress

    monkeypatch.setattr(progress, "DELAY", 0.0)
    obs = progress.ProgressObserver(100, "gd", force=True)
    obs.console = Console(file=io.StringIO(), width=100)
    from gradcli.symbolic.compile import Counts
    obs.draw(Counts(nfev=3, njev=50), 0.125)
    obs.close()
    assert "f = 0.125" in obs.console.file.getvalue()


def test_array_problems_never_import_sympy(tmp_path):
    """Array problems need neither SymPy nor SymEngine: ~0.3 s of start-up saved on every run."""
    import subprocess
    import sys
    path, _ = tutorial(tmp_path, n=20, m=4)
    code = ("import sys, io, contextlib; from gradcli.cli import cli\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            f"    try: cli.main(['minimize', {str(path)!r}, '-m', 'gd,l-bfgs-b', '--maxiter', '50'])\n"
            "    except SystemExit: pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'symengine'}))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr


def test_warnings_are_off_during_a_run_and_restored(tmp_path):
    # solve_one enters the objective's quiet() once; outside a run every evaluation enters it itself,
    # so a caller's own NumPy error state is never changed, whether the run ends or raises
    path, _ = tutorial(tmp_path, n=10, m=3)
    problem = load_problem(path)
    objective = compile_problem(problem)
    with np.errstate(all="raise"):
        huge = np.full(4, 1e300)
        assert objective.grad(huge).shape == (4,)     # overflows inside: no FloatingPointError
        assert not np.isfinite(objective.fun(huge))
        r = solve_one(problem, "gd", objective=objective, options={"step": "fixed", "lr": 0.1}, maxiter=5)
        assert r.nit == 5 and not objective._quiet
        with pytest.raises(FloatingPointError):
            np.array([1e300]) * 1e300          # the caller's own setting is back
        with pytest.raises(KeyboardInterrupt), objective.quiet():
            raise KeyboardInterrupt
        assert not objective._quiet


def test_bundled_network_example_checks_and_trains():
    # examples/two_layer_network.yaml: matrix variables, relu, two linear maps, from a file
    from gradcli.checks.gradcheck import check_gradient
    problem = load_problem(ROOT / "examples" / "two_layer_network.yaml")
    assert problem.n == 8 * 16 + 16 + 16 + 1
    check = check_gradient(problem, problem.x0, points=2, seed=0)
    assert check.ok, check.wrong
    res = solve_one(problem, "l-bfgs-b")
    f0 = compile_problem(problem).fun_uncounted(problem.x0)
    assert res.fun < 0.05 * f0 and res.x_named["W1"].shape == (8, 16)     # 20.9 -> 0.21
