"""problems/systems/: the square MGH systems (m = n) as root problems, `equations: [F1, ..., Fn]`.

Read with yaml.safe_load and gradcli's expression parser only (not the problem loader). Checked:

- every file parses, has as many equations as variables (and x0 entries), and the keys a root file needs;
- at every listed root ‖F‖∞ <= 1e-12 (40-digit evaluation at the stored doubles);
- the equations are the residuals of the least-squares file of the same name in problems/ (same n), and
  the standard start x0 is the same;
- the claims in the descriptions: a root exists where none is listed (a solver reaches ‖F‖∞ <= 1e-10),
  Freudenstein-Roth's and the trigonometric system's standard starts lead to the paper's non-root local
  minima of ‖F‖² (48.9842 and 2.79506e-5), Brown almost-linear's roots are (a, ..., a, a^(1-n)), and the
  discrete integral equation is the discrete boundary value system multiplied by tridiag(-1, 2, -1)^-1.
"""

from __future__ import annotations

import glob
import os

import mpmath
import numpy as np
import pytest
import sympy as sp
import yaml

from gradcli.expr.parse import parse

HERE = os.path.join(os.path.dirname(__file__), "..", "problems")
SYSTEMS = os.path.join(HERE, "systems")

# file -> n, and whether a root is listed (known in closed form)
EXPECTED = {
    "rosenbrock": (2, True), "freudenstein_roth": (2, True), "powell_badly_scaled": (2, False),
    "helical_valley": (3, True), "powell_singular": (4, True), "extended_rosenbrock": (10, True),
    "extended_powell_singular": (8, True), "trigonometric": (10, True), "brown_almost_linear": (10, True),
    "discrete_boundary_value": (10, False), "discrete_integral_equation": (10, False),
    "broyden_tridiagonal": (10, False), "broyden_banded": (10, False),
    "chebyquad_3": (3, True), "chebyquad_5": (5, True), "chebyquad_7": (7, False), "chebyquad_9": (9, False),
}
KEYS = {"name", "description", "source", "variables", "x0", "equations", "tags"}


def _load(path):
    with open(path, encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _system(stem):
    return _load(os.path.join(SYSTEMS, f"{stem}.yaml"))


def _exprs(doc, key):
    """(symbols in variable order, parsed expressions of doc[key])."""
    ex = [parse(e, what="equation").expr for e in doc[key]]
    by_name = {s.name: s for e in ex for s in e.free_symbols}
    return [by_name.get(v, sp.Symbol(v, real=True)) for v in doc["variables"]], ex


def _norm_inf(doc, x):
    syms, ex = _exprs(doc, "equations")
    with mpmath.workdps(40):
        vals = sp.lambdify([syms], ex, "mpmath")([mpmath.mpf(v) for v in x])
        return float(max(abs(v) for v in vals))


def _solve(doc, x0=None):
    """Levenberg-Marquardt (MINPACK) with the exact Jacobian, from the standard start: the point and F there."""
    import scipy.optimize as so
    syms, ex = _exprs(doc, "equations")
    F = sp.lambdify([syms], ex, "numpy")
    J = sp.lambdify([syms], sp.Matrix(ex).jacobian(syms), "numpy")
    r = so.root(lambda x: np.asarray(F(x), dtype=float), np.asarray(x0 or doc["x0"], dtype=float),
                jac=lambda x: np.asarray(J(x), dtype=float), method="lm", options={"xtol": 1e-15, "ftol": 1e-15})
    return r.x, np.asarray(r.fun, dtype=float)


def test_the_library_is_complete():
    stems = {os.path.splitext(os.path.basename(p))[0] for p in glob.glob(os.path.join(SYSTEMS, "*.yaml"))}
    assert stems == set(EXPECTED)


@pytest.mark.parametrize("stem", sorted(EXPECTED))
def test_file_parses_and_is_square(stem):
    doc = _system(stem)
    n, has_root = EXPECTED[stem]
    assert KEYS <= set(doc) and "objective" not in doc
    assert set(doc) <= KEYS | {"solution"}
    assert doc["name"] == f"{stem}_system"
    assert {"root", "mgh"} <= set(doc["tags"])
    assert "Moré, Garbow & Hillstrom 1981" in doc["source"] and "problem " in doc["source"]
    assert len(doc["variables"]) == len(doc["equations"]) == len(doc["x0"]) == n
    syms, ex = _exprs(doc, "equations")
    for i, e in enumerate(ex, 1):
        assert e.free_symbols and {s.name for s in e.free_symbols} <= set(doc["variables"]), (stem, i)
    assert ("solution" in doc) == has_root
    if has_root:
        assert set(doc["solution"]) == {"x"} and len(doc["solution"]["x"]) == n


@pytest.mark.parametrize("stem", sorted(s for s, (_, r) in EXPECTED.items() if r))
def test_listed_root_is_a_root(stem):
    doc = _system(stem)
    assert _norm_inf(doc, doc["solution"]["x"]) <= 1e-12


@pytest.mark.parametrize("stem", sorted(s for s in EXPECTED if os.path.exists(os.path.join(HERE, f"{s}.yaml"))))
def test_equations_are_the_least_squares_residuals(stem):
    sys_doc, ls_doc = _system(stem), _load(os.path.join(HERE, f"{stem}.yaml"))
    assert sys_doc["variables"] == ls_doc["variables"] and sys_doc["x0"] == ls_doc["x0"]
    _, eqs = _exprs(sys_doc, "equations")
    _, res = _exprs(ls_doc, "residuals")
    assert len(eqs) == len(res)
    for i, (a, b) in enumerate(zip(eqs, res), 1):
        assert sp.expand(a - b) == 0, f"{stem}: equation {i} is not residual {i}"


def test_systems_with_a_least_squares_twin():
    """The equality check above runs on 13 systems: all but Chebyquad have an n = m twin in problems/."""
    twins = [s for s in EXPECTED if os.path.exists(os.path.join(HERE, f"{s}.yaml"))]
    assert len(twins) == 13  # every system except the four Chebyquad sizes (the library's Chebyquad is n = 8)


@pytest.mark.parametrize("stem", sorted(s for s, (_, r) in EXPECTED.items() if not r))
def test_a_root_exists_where_none_is_listed(stem):
    doc = _system(stem)
    x, fx = _solve(doc)
    assert np.max(np.abs(fx)) <= 1e-10
    assert _norm_inf(doc, x) <= 1e-10


def test_freudenstein_roth_standard_start_ends_at_the_papers_non_root():
    """MGH: from (0.5, -2) the local minimum ||F||^2 = 48.9842 at (11.41..., -0.8968...) is what LM finds."""
    doc = _system("freudenstein_roth")
    x, fx = _solve(doc)
    assert x == pytest.approx([11.41, -0.8968], abs=5e-3)
    assert float(fx @ fx) == pytest.approx(48.9842, rel=1e-5)
    assert np.max(np.abs(fx)) > 1  # not a root


def test_trigonometric_standard_start_ends_at_the_papers_non_root():
    doc = _system("trigonometric")
    _, fx = _solve(doc)
    assert float(fx @ fx) == pytest.approx(2.79506e-5, rel=1e-5)


def test_brown_almost_linear_roots_are_the_papers_family():
    """A root (a, ..., a, a^(1-n)) with n a^n - (n + 1) a^(n-1) + 1 = 0 (MGH 27): LM from x0 finds a != 1."""
    doc = _system("brown_almost_linear")
    x, fx = _solve(doc)
    n, a = len(x), x[0]
    assert np.max(np.abs(fx)) <= 1e-12
    assert x[:-1] == pytest.approx([a] * (n - 1), abs=1e-10) and x[-1] == pytest.approx(a ** (1 - n), rel=1e-9)
    assert n * a ** n - (n + 1) * a ** (n - 1) + 1 == pytest.approx(0, abs=1e-10)


def test_discrete_integral_equation_is_the_boundary_value_system_solved_for_x():
    """MGH 29 is MGH 28 multiplied by the inverse of tridiag(-1, 2, -1): A F29 = F28 exactly, so same roots."""
    _, f28 = _exprs(_system("discrete_boundary_value"), "equations")
    _, f29 = _exprs(_system("discrete_integral_equation"), "equations")
    n = len(f28)
    for i in range(n):
        af = 2 * f29[i] - (f29[i - 1] if i > 0 else 0) - (f29[i + 1] if i < n - 1 else 0)
        assert sp.expand(af - f28[i]) == 0, i
