"""Every registered method on a small problem it can solve, plus the seed figures from SciPy."""

import numpy as np
import pytest

import gradcli
from gradcli.errors import GradcliError
from gradcli.problem.core import build_problem
from gradcli.run.solve import run
from gradcli.solvers.registry import REGISTRY, resolve

SCIPY_GRADIENT_METHODS = ["cg", "bfgs", "newton-cg", "l-bfgs-b", "tnc", "slsqp", "trust-constr", "dogleg",
                          "trust-ncg", "trust-krylov", "trust-exact"]


def problem_for(spec):
    """The smallest problem each method can take: global/bounded ones get a box."""
    if spec.scalar_only:
        bounds = {"x": (-5, 5)} if spec.bounds == "required" else None
        return build_problem("x**2-4*x+8", x0=[1.3], bounds=bounds)
    bounds = {"x": (-2, 2), "y": (-2, 2)} if spec.bounds == "required" else None
    return build_problem("(x-1)**2 + 3*(y+0.5)**2 + x*y/4", x0=[0.3, 0.2], bounds=bounds)


@pytest.mark.parametrize("spec", list(REGISTRY), ids=lambda s: s.name)
def test_every_method_solves_a_small_problem(spec):
    problem = problem_for(spec)
    [r] = run(problem, spec.name, seed=0, check=False).results
    if spec.scalar_only:
        assert r.fun == pytest.approx(4.0, abs=1e-6)
    else:
        # minimum of (x-1)^2 + 3(y+1/2)^2 + xy/4: solve the 2x2 linear system ∇f = 0
        xs = np.linalg.solve([[2, 0.25], [0.25, 6]], [2, -3])
        assert np.allclose(r.x, xs, atol=1e-3), (spec.name, r.x, r.message)
    if spec.name == "direct":
        # DIRECT's usual stop is its evaluation budget (maxfun = 1000 n): honestly not "converged"
        assert r.status.value == "evaluation limit reached"
    else:
        assert r.success, r.message
    assert r.nfev > 0
    assert (r.njev > 0) == spec.needs_grad or spec.family in ("scipy-global", "auto")   # auto: its steps decide
    assert r.grad_norm is not None


def test_fmin_reproduces_scipy_figures():
    # scipy.optimize.fmin(lambda x: x**2-4*x+8, 1.3, full_output=True): 16 iterations, 32 evaluations
    r = gradcli.minimize("x**2-4*x+8", [1.3], "fmin")
    assert (r.nit, r.nfev, r.njev) == (16, 32, 0)
    assert r.x[0] == pytest.approx(2.00001953, abs=1e-8)
    assert r.method == "Nelder-Mead"


def test_counts_are_our_own_calls(rosen_text):
    # wrap the objective's functions again and check the Result equals what we counted independently
    problem = build_problem(rosen_text, x0=[-1.2, 1])
    from gradcli.run.solve import compile_problem
    obj = compile_problem(problem)
    seen = {"f": 0, "g": 0}
    f, g = obj.fun, obj.grad

    def fun(x):
        seen["f"] += 1
        return f(x)

    def grad(x):
        seen["g"] += 1
        return g(x)

    obj.fun, obj.grad = fun, grad
    [r] = run(problem, "bfgs", objective=obj, check=False).results
    assert (r.nfev, r.njev) == (seen["f"], seen["g"]) and r.nfev > 0


@pytest.mark.parametrize("tol, within", [(None, 1e-3), (1e-10, 1e-5)])
def test_every_gradient_method_reaches_rosenbrock_minimum(rosen_text, tol, within):
    results = gradcli.minimize(rosen_text, [-1.2, 1], ",".join(SCIPY_GRADIENT_METHODS), tol=tol)
    assert len(results) == len(SCIPY_GRADIENT_METHODS)
    for r in results:
        assert np.max(np.abs(np.array(r.x) - 1)) < within, (r.method, r.x)


def test_all_on_the_seed_problem_reaches_four():
    results = gradcli.minimize("x**2-4*x+8", [1.3], "all")
    assert len(results) >= 12
    for r in results:
        assert r.fun == pytest.approx(4, abs=1e-6), r.method


def test_all_skips_what_cannot_honour_bounds_and_says_why():
    p = build_problem("(x-3)**2 + (y+1)**2", x0=[0, 0], bounds={"x": (-1, 1), "y": (-1, 1)})
    done = run(p, "all", seed=1, check=False)
    results, skipped = done.results, done.skipped
    names = {r.method for r in results}
    assert "BFGS" not in names and "L-BFGS-B" in names and "differential_evolution" in names
    assert ("bfgs", "cannot honour bounds") in [(s.name, why) for s, why in skipped]
    for r in results:
        assert r.x[0] <= 1 + 1e-8, r.method


def test_constraints_reach_slsqp_and_trust_constr():
    p = build_problem("x**2 + y**2", x0=[2, 0], constraints=["x + y >= 1"])
    done = run(p, "all", check=False)
    results, skipped = done.results, done.skipped
    assert {r.method for r in results} == {"COBYLA", "COBYQA", "SLSQP", "trust-constr"}
    for r in results:
        assert r.x == pytest.approx([0.5, 0.5], abs=1e-4), r.method


def test_unknown_method_suggests():
    p = build_problem("x**2", x0=[1])
    with pytest.raises(GradcliError, match="did you mean bfgs"):
        resolve("bgfs", p)


def test_named_method_that_cannot_honour_bounds_is_an_error():
    p = build_problem("x**2", x0=[1], bounds={"x": (0.5, 2)})
    with pytest.raises(GradcliError, match="cannot honour bounds"):
        resolve("bfgs", p)


def test_aliases_resolve_to_scipy_methods():
    p = build_problem("x**2 + y**2", x0=[1, 1])
    for alias, name in [("fmin", "nelder-mead"), ("fmin_powell", "powell"), ("fmin_bfgs", "bfgs"),
                        ("fmin_cg", "cg"), ("fmin_ncg", "newton-cg"), ("fmin_l_bfgs_b", "l-bfgs-b"),
                        ("fmin_tnc", "tnc"), ("fmin_slsqp", "slsqp"), ("fmin_cobyla", "cobyla")]:
        assert resolve(alias, p)[0][0].name == name


def test_a_nan_start_is_reported_not_crashed():
    r = gradcli.minimize("log(x)", [-1.0], "bfgs")
    assert not r.success and r.status.value in ("non-finite value", "error", "failed", "line search failed")


def test_unbounded_below_is_diverged_not_success():
    r = gradcli.minimize("x**3", [0.5], "bfgs")
    assert not r.success


def test_derivative_free_methods_left_out_of_all_above_their_size():
    big = build_problem(" + ".join(f"(x{i} - 1)**2" for i in range(120)), x0=[0] * 120)
    specs, skipped = resolve("all", big)
    names = {s.name for s in specs}
    assert "nelder-mead" not in names and "powell" not in names and "l-bfgs-b" in names
    assert any(s.name == "nelder-mead" and "impractical above 100" in why for s, why in skipped)
    # named explicitly, it still runs
    assert resolve("nelder-mead", big)[0][0].name == "nelder-mead"
