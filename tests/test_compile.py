"""Compiled objectives: exact derivatives, honest counters, non-finite values instead of crashes."""

import math

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import gradcli
from conftest import finite_difference


def test_rosenbrock_values_and_exact_derivatives(rosen_text):
    o = gradcli.objective(rosen_text)
    v = np.array([-1.2, 1.0])
    assert o.variables == ("x", "y")
    assert o.fun(v) == pytest.approx(24.2)
    np.testing.assert_allclose(o.grad(v), [-215.6, -88.0])
    np.testing.assert_allclose(o.hess(v), [[1330.0, 480.0], [480.0, 200.0]])
    np.testing.assert_allclose(o.hessp(v, np.array([1.0, 0.0])), [1330.0, 480.0])
    assert o.counts.snapshot() == (1, 1, 2)


def test_uncounted_paths_do_not_count(rosen_text):
    o = gradcli.objective(rosen_text)
    v = np.array([0.5, 0.5])
    o.fun_uncounted(v), o.grad_uncounted(v), o.hess_uncounted(v)
    assert o.counts.snapshot() == (0, 0, 0)


@pytest.mark.parametrize("text", [
    "sin(x)*exp(y) + x**3*y", "log(1 + x**2) + sqrt(1 + y**2)", "atan2(y, x) + tanh(x*y)",
    "erf(x) + cosh(y)/3", "(x - 1)**4 + (x - 2*y)**2",
])
@settings(max_examples=20, deadline=None)
@given(x=st.floats(-2, 2), y=st.floats(0.1, 2))
def test_gradient_matches_finite_differences(text, x, y):
    o = gradcli.objective(text)
    v = np.array([x, y])
    np.testing.assert_allclose(o.grad(v), finite_difference(o.fun, v), rtol=1e-5, atol=1e-5)
    # the Hessian is the derivative of the gradient
    fd = np.array([finite_difference(lambda w: o.grad(w)[i], v) for i in range(2)])
    np.testing.assert_allclose(o.hess(v), fd, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("text, point, expect", [
    ("log(x)", [-1.0], "nan"),
    ("1/x", [0.0], "inf"),
    ("sqrt(x)", [-4.0], "nan"),
    ("x**0.5", [-4.0], "nan"),
    ("exp(x)", [1000.0], "inf"),
])
def test_non_finite_values_are_values_not_exceptions(text, point, expect):
    o = gradcli.objective(text)
    f = o.fun(np.array(point))
    assert math.isnan(f) if expect == "nan" else math.isinf(f)
    assert o.grad(np.array(point)).shape == (1,)


def test_variables_named_like_numpy_and_math_do_not_clash():
    o = gradcli.objective("e*math + numpy**2")
    assert o.fun(np.array([2.0, 3.0, 4.0])) == pytest.approx(2 * 3 + 16)


def test_the_verdicts_hessian_is_interpreted_and_a_solver_gets_the_compiled_one():
    """The tool's own few Hessian evaluations use SymEngine's interpreter (milliseconds to build); a
    method that needs ∇²f (prepare(hess=True)) gets compiled code; both equal SymPy's Hessian."""
    import numpy as np
    import sympy as sp

    from gradcli.problem.file import load_problem
    p = load_problem("problems/biggs_exp6.yaml")
    o = p.compile()
    x = np.array(p.starts[0], dtype=float)
    want = np.array(sp.lambdify(p.symbols, sp.hessian(p.expr, p.symbols))(*x), dtype=float)
    once = o.hess_uncounted(x)
    assert o._h_once and np.allclose(once, want, rtol=1e-12, atol=1e-12)
    o.prepare(hess=True)
    assert not o._h_once and np.allclose(o.hess_uncounted(x), want, rtol=1e-12, atol=1e-12)
