"""Array problems, complete (issue 21): exact Hessian-vector products, subscripts and slices, 4-D arrays,
bounds and constraints with their KKT verdict, grayscale images and total-variation denoising.

Reference values are closed forms: the logistic-regression Hessian (1/N)·X̃ᵀ diag(σ(z)σ(−z)) X̃ + 2αI, the
equality-constrained least-squares KKT system, the Euclidean projection onto the simplex (Duchi et al.,
ICML 2008, Fig. 1) and onto a ball; derivatives are checked against central differences.
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.special import expit

from gradcli.arrays.problem import build_array_problem
from gradcli.cli import cli
from gradcli.result import VerdictKind
from gradcli.run.solve import solve_one

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def central(fun, x, h=1e-6):
    e = np.eye(x.size)
    return np.array([(fun(x + h * e[i]) - fun(x - h * e[i])) / (2 * h) for i in range(x.size)])


def logreg(N=50, d=6, alpha=0.01, **kw):
    return build_array_problem("mean(softplus(X@w + b) - y*(X@w + b)) + alpha*sum(w**2)", {"w": d, "b": 1},
                               data={"X": {"random": "normal", "shape": [N, d], "seed": 0},
                                     "y": {"random": "integers", "low": 0, "high": 2, "shape": [N], "seed": 1}},
                               params={"alpha": alpha}, x0={"w": 0.0, "b": 0.0}, **kw)


# ---- exact second derivatives -------------------------------------------------------------------------
def test_hessian_of_logistic_regression_equals_the_closed_form():
    p = logreg()
    obj = p.compile()
    X, y = p.data["X"], p.data["y"]
    x = np.random.default_rng(3).normal(size=obj.n)
    z = X @ x[:-1] + x[-1]
    Xt = np.hstack([X, np.ones((len(y), 1))])
    H_ref = Xt.T @ (Xt * (expit(z) * expit(-z))[:, None]) / len(y)
    H_ref[np.arange(6), np.arange(6)] += 2 * 0.01
    H = obj.hess_uncounted(x)
    assert np.max(np.abs(H - H_ref)) <= 1e-14 * np.max(np.abs(H_ref)) * 100
    v = np.arange(obj.n, dtype=float)
    assert np.allclose(obj.hessp(x, v), H_ref @ v, rtol=1e-13, atol=1e-15)
    assert obj.capabilities.exact_hessian and obj.capabilities.hessian_method == "exact (forward-over-reverse)"


SMOOTH = [
    ("sum(exp(v/3)*sin(v)) + 0.5*sum((v[:,1:,:,:] - v[:,:-1,:,:])**2) + mean(sum(v**2, axis=1))", {"v": [2, 4, 3, 2]}),
    ("sum(tanh(W@u)**2) + sum(sqrt(1 + W[:, 2]**2)) + logsumexp(u) + sum(log1p(exp(W[1:, :-1])))", {"W": [4, 3], "u": 3}),
    ("sum(sigmoid(u[::2])) + sum(u[-2:]**3) + u[0]*u[-1] + sum(erf(u[1:-1])) + mean(u**2 / (1 + u**2))", {"u": 7}),
    ("sum((u[1:, :] - u[:-1, :])**2) + sum((u[:, 1:] - u[:, :-1])**2) + sum(mean(u, axis=-1)**4)", {"u": [5, 4]}),
]


@pytest.mark.parametrize("text,variables", SMOOTH)
def test_gradient_and_hessian_vector_products_against_differences(text, variables):
    p = build_array_problem(text, variables, x0=0.1)
    obj = p.compile()
    rng = np.random.default_rng(7)
    x = 0.5 * rng.normal(size=obj.n)
    g = obj.grad_uncounted(x)
    fd = central(obj.fun_uncounted, x)
    assert np.allclose(g, fd, rtol=1e-6, atol=1e-6 * max(1.0, np.max(np.abs(fd))))
    for _ in range(3):
        q = rng.normal(size=obj.n)
        hv = obj.hessp_uncounted(x, q)
        h = 1e-5
        fd_hv = (obj.grad_uncounted(x + h * q) - obj.grad_uncounted(x - h * q)) / (2 * h)
        assert np.allclose(hv, fd_hv, rtol=1e-5, atol=1e-6 * max(1.0, np.max(np.abs(fd_hv))))
    H = obj.hess_uncounted(x)
    assert np.allclose(H, H.T, atol=1e-12 * max(1.0, np.max(np.abs(H))))


def test_subscripts_pick_the_entries_numpy_picks():
    cases = [("sum(X[:, 2])", lambda X: X[:, 2].sum()), ("sum(X[-1, 1:, :-2, 0])", lambda X: X[-1, 1:, :-2, 0].sum()),
             ("sum(X[0, ::2, 1:4:2, :])", lambda X: X[0, ::2, 1:4:2, :].sum()), ("X[1, 2, 3, 1]", lambda X: X[1, 2, 3, 1]),
             ("sum(sum(X, axis=0)[1])", lambda X: X.sum(axis=0)[1].sum()), ("mean(mean(X, axis=2))", lambda X: X.mean()),
             ("sum(X[:, :, ::-1, :] * Y)", lambda X: (X[:, :, ::-1, :] * X).sum())]
    for text, ref in cases:
        gen = {"random": "normal", "shape": [3, 4, 5, 2], "seed": 0}
        p = build_array_problem(f"{text} + sum(w**2)", {"w": 2}, data={"X": gen, "Y": gen}, x0=0.0)
        assert p.compile().fun_uncounted(np.zeros(2)) == pytest.approx(ref(np.asarray(p.data["X"])), rel=1e-12)


def test_newton_methods_use_exact_products_and_nothing_says_differences():
    p = logreg(N=80, d=30)
    for method in ("newton-cg", "trust-ncg", "trust-krylov"):
        r = solve_one(p, method)
        assert r.verdict.kind is VerdictKind.MINIMUM and r.nhev > 0, (method, r.verdict.reason)
        assert "difference" not in json.dumps(r.as_dict(), default=str).lower()
        assert r.extra["hessian"] == "exact (forward-over-reverse)"


# ---- bounds -------------------------------------------------------------------------------------------
def test_bounds_hold_element_wise_and_the_verdict_checks_kkt():
    # min Σ(w − c)² over w ≥ 0: w* = max(c, 0), and the bound's multiplier is 2·max(−c, 0)
    p = build_array_problem("sum((w - c)**2)", {"w": 6}, x0=1.0, bounds={"w": (0, None)},
                            data={"c": {"random": "normal", "shape": [6], "seed": 5}})
    c = np.array(p.data["c"])
    for method in ("l-bfgs-b", "tnc", "slsqp", "trust-constr", "gd"):
        r = solve_one(p, method, tol=1e-10)
        assert np.allclose(r.x, np.maximum(c, 0), atol=1e-5), method
        assert r.maxcv == 0.0 or r.maxcv <= 1e-8
        if method != "trust-constr":           # an interior-point method stops short of the bound
            assert r.verdict.kind is VerdictKind.MINIMUM, (method, r.verdict.reason)
            for i in np.nonzero(c < 0)[0]:
                assert r.verdict.multipliers[f"w[{i}] >= 0"] == pytest.approx(-2 * c[i], rel=1e-4)
    obj = p.compile()
    wrong = np.maximum(c, 0)
    wrong[np.argmax(c)] = 0.0                       # at the bound where f still decreases inward
    v = p.verify(obj, wrong)
    assert v.kind is VerdictKind.NOT_STATIONARY and "negative" in v.reason


def test_bounds_from_a_file_scalar_or_per_entry_and_the_logistic_regression(tmp_path):
    r = run("minimize", ROOT / "problems" / "logistic_regression.yaml", "--bounds", "w=0:", "-m", "l-bfgs-b", "--json")
    assert r.exit_code == 0, r.output
    rec = json.loads(r.output)
    rec = rec[0] if isinstance(rec, list) else rec.get("runs", [rec])[0]
    x = np.array(rec["x"])
    assert x[:784].min() >= 0 and rec["verdict"] == "minimum" and rec["maxcv"] == 0
    doc = tmp_path / "p.yaml"
    doc.write_text("name: p\nvariables: {w: 3}\nobjective: 'sum((w - 2)**2)'\nbounds: {w: [[0, 0, 0], [1, 3, 1.5]]}\n"
                   "x0: {w: 0.0}\n")
    r = run("minimize", doc, "-m", "l-bfgs-b", "--json")
    rec = json.loads(r.output)
    rec = rec[0] if isinstance(rec, list) else rec.get("runs", [rec])[0]
    assert np.allclose(rec["x"], [1, 2, 1.5]) and rec["verdict"] == "minimum"


# ---- constraints ----------------------------------------------------------------------------------------
def _ls(tmp_path):
    rng = np.random.default_rng(0)
    A = rng.normal(size=(40, 3))
    t = A @ np.array([0.2, 0.3, 0.5]) + 0.01 * rng.normal(size=40)
    np.save(tmp_path / "A.npy", A)
    np.save(tmp_path / "t.npy", t)
    return A, t


def test_sum_to_one_matches_the_kkt_system_and_its_multiplier(tmp_path):
    A, t = _ls(tmp_path)
    K = np.block([[2 * A.T @ A, -np.ones((3, 1))], [np.ones((1, 3)), np.zeros((1, 1))]])
    sol = np.linalg.solve(K, np.r_[2 * A.T @ t, 1.0])      # ∇f = λ∇c, sum(w) = 1
    w_ref, lam = sol[:3], sol[3]
    p = build_array_problem("sum((A@w - t)**2)", {"w": 3}, x0=0.0, constraints=["sum(w) == 1"],
                            data_overrides={"A": str(tmp_path / "A.npy"), "t": str(tmp_path / "t.npy")})
    for method in ("slsqp", "trust-constr"):
        r = solve_one(p, method, tol=1e-12)
        assert abs(r.x.sum() - 1) < 1e-9 and np.allclose(r.x, w_ref, atol=1e-6), method
        assert r.verdict.kind is VerdictKind.MINIMUM, (method, r.verdict.reason)
        assert r.verdict.multipliers["sum(w) == 1"] == pytest.approx(lam, rel=1e-5)


def _simplex_projection(c):
    u = np.sort(c)[::-1]
    css = np.cumsum(u)
    k = np.nonzero(u * np.arange(1, c.size + 1) > css - 1)[0][-1]
    return np.maximum(c - (css[k] - 1) / (k + 1), 0)


def test_vector_and_quadratic_constraints():
    data = {"c": {"random": "normal", "shape": [5], "seed": 11}}
    p = build_array_problem("sum((w - c)**2)", {"w": 5}, x0=0.2, data=data, constraints=["sum(w) == 1", "w >= 0"])
    c = np.array(p.data["c"])
    assert len(p.compile().constraints) == 6                    # one scalar, five entries
    for method in ("slsqp", "trust-constr"):
        r = solve_one(p, method, tol=1e-12)
        assert np.allclose(r.x, _simplex_projection(c), atol=1e-6), method
        assert r.maxcv <= 1e-8
    r = solve_one(p, "slsqp", tol=1e-12)
    assert r.verdict.kind is VerdictKind.MINIMUM, r.verdict.reason
    ball = build_array_problem("sum((w - c)**2)", {"w": 5}, x0=0.0, data=data, constraints=["w @ w <= 0.25"])
    r = solve_one(ball, "slsqp", tol=1e-12)
    assert np.allclose(r.x, 0.5 * c / np.linalg.norm(c), atol=1e-6)
    assert r.verdict.kind is VerdictKind.MINIMUM, r.verdict.reason     # curvature of the Lagrangian, exact
    for method in ("cobyla", "cobyqa"):
        r = solve_one(ball, method)
        assert r.maxcv <= 1e-6 and np.allclose(r.x, 0.5 * c / np.linalg.norm(c), atol=1e-3), method


def test_constraint_jacobian_rows_are_the_derivatives_of_the_entries():
    p = build_array_problem("sum(w**2)", {"w": 3, "M": [2, 3]}, x0=0.5,
                            constraints=["M@w - sin(w[:2]) >= 0.1", "sum(M**2) <= 3"])
    obj = p.compile()
    x = np.random.default_rng(2).normal(size=obj.n)
    for con in obj.constraints:
        assert np.allclose(con.jac(x), central(con.fun, x), atol=1e-7)


# ---- images and total-variation denoising --------------------------------------------------------------
def test_tv_denoising_example_cuts_the_error(tmp_path):
    pytest.importorskip("PIL")
    sys.path.insert(0, str(ROOT / "examples"))
    try:
        from make_tv_images import images, to_png
    finally:
        sys.path.pop(0)
    clean, noisy = images()
    to_png(noisy, tmp_path / "tv_noisy.png")
    shutil.copy(ROOT / "examples" / "tv_denoise.yaml", tmp_path)
    r = run("minimize", tmp_path / "tv_denoise.yaml", "-m", "l-bfgs-b", "--tol", "1e-12", "--save-x",
            tmp_path / "u.npy", "--json")
    assert r.exit_code == 0, r.output
    u = np.load(tmp_path / "u.npy").reshape(48, 48)
    before, after = np.mean((noisy - clean) ** 2), np.mean((u - clean) ** 2)
    assert after <= 0.35 * before, (before, after)
    r = run("minimize", tmp_path / "tv_denoise.yaml", "-m", "l-bfgs-b", "--save-x", tmp_path / "u.png")
    assert r.exit_code in (0, 1) and "written to" in r.output
    from PIL import Image
    img = np.asarray(Image.open(tmp_path / "u.png"))
    assert img.shape == (48, 48) and img.dtype == np.uint8


BAD = [
    (["sum(w[1:9]**2)", "--var", "w=3"], "slice bound 9 is out of range"),
    (["sum(w[3]**2)", "--var", "w=3"], "index 3 is out of range"),
    (["sum(w[0:0]**2)", "--var", "w=3"], "selects nothing"),
    (["sum(W[:, :, 1])", "--var", "W=2x2"], "3 subscripts"),
    (["sum(w**2)", "--var", "w=3", "--constraint", "w[:2] == w"], "do not broadcast"),
    (["sum(w**2)", "--var", "w=3", "--constraint", "sum(w) + 1"], "exactly one of"),
    (["sum(w**2)", "--var", "w=3", "--bounds", "v=0:"], "v is not a variable"),
    (["sum(w**2)", "--var", "w=3", "--bounds", "w=2:1"], "swap them"),
    (["sum(w, axis=1)", "--var", "w=3"], "axis 1 is out of range"),
]


@pytest.mark.parametrize("args,message", BAD)
def test_bad_input_is_one_line_and_exit_2(args, message):
    r = CliRunner().invoke(cli, ["minimize", *args, "--x0", "0"])
    assert r.exit_code == 2 and message in r.output and "Traceback" not in r.output, r.output


def test_bad_bounds_and_images_in_a_file_name_the_line(tmp_path):
    pytest.importorskip("PIL")
    from PIL import Image
    Image.fromarray((np.random.default_rng(0).random((5, 5, 3)) * 255).astype(np.uint8)).save(tmp_path / "rgb.png")
    cases = [("bounds: {w: [[0, 0], null]}\n", "p.yaml:5: bounds.w: lower bound has shape (2,)"),
             ("constraints: ['A@w >= w']\n", "p.yaml:5: constraints[0]"),
             ("", None)]
    for extra, message in cases[:2]:
        (tmp_path / "p.yaml").write_text("name: p\ndata: {A: {random: normal, shape: [4, 3], seed: 0}}\n"
                                         "variables: {w: 3}\nobjective: 'sum((A@w)**2)'\n" + extra + "x0: {w: 0.0}\n")
        r = run("minimize", tmp_path / "p.yaml")
        assert r.exit_code == 2 and message in r.output, r.output
    (tmp_path / "i.yaml").write_text("name: i\ndata: {img: rgb.png}\nvariables: {u: [5, 5]}\n"
                                     "objective: 'sum((u - img)**2)'\nx0: {u: 0.0}\n")
    r = run("minimize", tmp_path / "i.yaml")
    assert r.exit_code == 2 and "i.yaml:2: data.img: 'rgb.png': not a grayscale image" in r.output


def test_png_data_is_read_as_gray_in_0_1_and_huge_headers_are_refused(tmp_path):
    pytest.importorskip("PIL")
    import struct

    from PIL import Image
    pixels = np.array([[0, 51, 255], [128, 204, 17]], dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "g.png")
    Image.fromarray(np.stack([pixels] * 3, axis=2)).save(tmp_path / "rgb_gray.png")    # equal channels: gray
    for name in ("g.png", "rgb_gray.png"):
        p = build_array_problem("sum((u - img)**2)", {"u": [2, 3]}, data={"img": name}, base=tmp_path, x0=0.0)
        assert np.array_equal(p.data["img"], pixels / 255.0)
    raw = (tmp_path / "g.png").read_bytes()
    (tmp_path / "huge.png").write_bytes(raw[:16] + struct.pack(">II", 100_000, 100_000) + raw[24:])
    (tmp_path / "h.yaml").write_text("name: h\ndata: {img: huge.png}\nvariables: {u: [2, 3]}\n"
                                     "objective: 'sum((u - img)**2)'\nx0: {u: 0.0}\n")
    r = run("minimize", tmp_path / "h.yaml")
    assert r.exit_code == 2 and "100000×100000 pixels" in r.output and "MAX_ENTRIES" in r.output
