"""The `residuals:` of the bundled MGH least-squares problems: f = sum r_i**2, checked against `objective`.

Moré, Garbow & Hillstrom 1981 ("Testing Unconstrained Optimization Software", ACM TOMS 7(1):17-41) define
every problem as residuals f_1..f_m; the library files were written as the objective sum f_i**2. These tests
read the files with yaml.safe_load and gradcli's expression parser only (not the problem loader), so they
check the data whatever the loader does with it:

- the residual count m is the paper's (for the n and m the file states);
- sum r_i**2 == objective symbolically (SymPy expand), and numerically at x0 and 5 seeded points (40 digits,
  relative 1e-12);
- at a published minimizer x*, sum r_i**2 == the published f*; where f* = 0 every residual vanishes;
- the helical valley's atan2 form equals the paper's piecewise theta.
"""

from __future__ import annotations

import glob
import math
import os
import random

import mpmath
import pytest
import sympy as sp
import yaml

from gradcli.expr.parse import parse

ROOT = os.path.join(os.path.dirname(__file__), "..", "problems")

# m (number of residuals) per MGH problem, for the n (and m) each file states in its description/source.
M = {
    "rosenbrock": 2, "freudenstein_roth": 2, "powell_badly_scaled": 2, "brown_badly_scaled": 3, "beale": 3,
    "jennrich_sampson": 10, "helical_valley": 3, "bard": 15, "gaussian": 15, "meyer": 16, "gulf": 99,
    "box_3d": 10, "powell_singular": 4, "wood": 6, "kowalik_osborne": 11, "brown_dennis": 20,
    "osborne1": 33, "biggs_exp6": 13, "osborne2": 65, "watson": 31, "extended_rosenbrock": 10,
    "extended_powell_singular": 8, "penalty1": 5, "penalty2": 8, "variably_dimensioned": 12,
    "trigonometric": 10, "brown_almost_linear": 10, "discrete_boundary_value": 10,
    "discrete_integral_equation": 10, "broyden_tridiagonal": 10, "broyden_banded": 10, "linear_full_rank": 10,
    "linear_rank1": 10, "linear_rank1_zero": 10, "chebyquad": 8,
}
# sqrt(1e-5)**2 is not the double 1e-5: penalty1's sum differs from its objective by ~1e-17 * x**2 terms, so
# only the numerical comparison applies to it. Every other file must match symbolically.
NUMERIC_ONLY = {"penalty1"}


def _load(name):
    with open(os.path.join(ROOT, f"{name}.yaml"), encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def _parsed(doc):
    """(symbols in the file's variable order, objective, residuals) as SymPy, via gradcli's parser."""
    obj = parse(doc["objective"]).expr
    res = [parse(r, what="residual").expr for r in doc["residuals"]]
    by_name = {s.name: s for e in [obj, *res] for s in e.free_symbols}
    syms = [by_name.get(v, sp.Symbol(v, real=True)) for v in doc["variables"]]
    return syms, obj, res


def _points(x0, seed, k=5):
    """x0 and k seeded points around it (10% of each coordinate's scale, plus 0.1)."""
    rng = random.Random(seed)
    pts = [list(x0)]
    for _ in range(k):
        pts.append([v + 0.1 * (abs(v) + 1) * rng.uniform(-1, 1) for v in x0])
    return pts


def _mp(syms, expr):
    return sp.lambdify([syms], expr, "mpmath")


def test_every_mgh_least_squares_file_has_residuals():
    tagged = set()
    for path in glob.glob(os.path.join(ROOT, "*.yaml")):
        with open(path, encoding="utf-8") as fh:
            doc = yaml.safe_load(fh)
        if {"mgh", "least-squares"} <= set(doc.get("tags", [])):
            tagged.add(doc["name"])
            assert isinstance(doc.get("residuals"), list), f"{path}: no residuals list"
    assert tagged == set(M), f"tagged but not checked: {tagged - set(M)}; checked but not tagged: {set(M) - tagged}"


@pytest.mark.parametrize("name", sorted(M))
def test_residuals_parse_over_the_file_variables(name):
    doc = _load(name)
    assert len(doc["residuals"]) == M[name]
    assert all(isinstance(r, str) and r.strip() for r in doc["residuals"])
    syms, _, res = _parsed(doc)
    variables = set(doc["variables"])
    for i, r in enumerate(res, 1):
        assert {s.name for s in r.free_symbols} <= variables, f"{name} residual {i} uses an unknown name"


@pytest.mark.parametrize("name", sorted(M))
def test_sum_of_squares_is_the_objective_numerically(name):
    doc = _load(name)
    syms, obj, res = _parsed(doc)
    f, s = _mp(syms, obj), _mp(syms, sp.Add(*[r ** 2 for r in res]))
    with mpmath.workdps(40):
        for x in _points(doc["x0"], seed=sorted(M).index(name)):
            x = [mpmath.mpf(v) for v in x]
            fx, sx = f(x), s(x)
            assert mpmath.isfinite(fx) and fx > 0
            assert abs(sx - fx) <= 1e-12 * abs(fx), f"{name} at {x}: sum r^2 = {sx}, objective = {fx}"


@pytest.mark.parametrize("name", sorted(set(M) - NUMERIC_ONLY))
def test_sum_of_squares_is_the_objective_symbolically(name):
    _, obj, res = _parsed(_load(name))
    assert sp.expand(sp.Add(*[r ** 2 for r in res]) - obj) == 0


def test_numeric_only_exception_is_float_rounding_only():
    """penalty1: the symbolic difference is rounding of sqrt(1e-5)**2 (coefficients below 1e-16), nothing else."""
    _, obj, res = _parsed(_load("penalty1"))
    diff = sp.expand(sp.Add(*[r ** 2 for r in res]) - obj)
    coeffs = sp.Poly(diff, *sorted(diff.free_symbols, key=str)).coeffs()
    assert coeffs and max(abs(float(c)) for c in coeffs) < 1e-16


def _with_solution_x():
    return sorted(n for n in M if (_load(n).get("solution") or {}).get("x") is not None)


@pytest.mark.parametrize("name", _with_solution_x())
def test_published_minimizer_gives_published_value(name):
    """At the file's solution.x (the paper's x*), sum r_i**2 is the published f*; for f* = 0 each r_i is 0."""
    doc = _load(name)
    syms, _, res = _parsed(doc)
    x = [mpmath.mpf(v) for v in doc["solution"]["x"]]
    fstar = doc["solution"]["f"]
    with mpmath.workdps(40):
        r = [_mp(syms, e)(x) for e in res]
        total = mpmath.fsum(v ** 2 for v in r)
    if fstar == 0:
        assert max(abs(v) for v in r) <= 1e-12, f"{name}: residuals at x* = {[float(v) for v in r]}"
    else:
        assert abs(total - fstar) <= 1e-12 * abs(fstar)


def test_published_minimizers_are_covered():
    """The check above runs on the problems whose x* the paper gives (guards against silently losing them)."""
    assert set(_with_solution_x()) >= {"rosenbrock", "freudenstein_roth", "brown_badly_scaled", "beale",
                                       "helical_valley", "gulf", "powell_singular", "wood",
                                       "extended_rosenbrock", "extended_powell_singular",
                                       "variably_dimensioned", "linear_full_rank"}


def test_gulf_data_are_the_papers_formula():
    """Gulf: residual i at (50, 25, 1.5) is 0 only if its y_i is 25 + (-50 ln t_i)^(2/3), t_i = i/100."""
    doc = _load("gulf")
    syms, _, res = _parsed(doc)
    for i, r in enumerate(res, 1):
        y = 25 + (-50 * math.log(i / 100)) ** (2 / 3)
        # the residual at x2 = y_i - 1, x3 = 1, x1 = 1 is exp(-1) - t_i whatever the rest of the formula
        val = float(r.subs({syms[0]: 1, syms[1]: y - 1, syms[2]: 1}))
        assert val == pytest.approx(math.exp(-1) - i / 100, abs=1e-12), i


def _theta_paper(x1, x2):
    """MGH problem 7: theta = arctan(x2/x1)/(2 pi), + 1/2 when x1 < 0."""
    return math.atan(x2 / x1) / (2 * math.pi) + (0.5 if x1 < 0 else 0.0)


def test_helical_valley_theta_is_the_papers_piecewise_definition():
    doc = _load("helical_valley")
    syms, _, res = _parsed(doc)
    f1 = sp.lambdify([syms], res[0], "math")
    rng = random.Random(7)
    for _ in range(200):
        x1, x2, x3 = rng.choice([-1, 1]) * rng.uniform(0.01, 5), rng.uniform(-5, 5), rng.uniform(-5, 5)
        assert f1([x1, x2, x3]) == pytest.approx(10 * (x3 - 10 * _theta_paper(x1, x2)), abs=1e-12)
