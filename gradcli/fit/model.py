"""A model of data columns and parameters: residuals and their exact Jacobian, vectorised over the rows.

The model is parsed by gradcli's own expression parser; symbols that name columns of the data are
predictors, the others are parameters. ∂f/∂p is derived once (SymEngine, term by term) and compiled
together with f into NumPy code that evaluates every data row in one call, so a Jacobian on 10 000 rows
costs what a hand-written NumPy Jacobian costs. Residuals are r = (f − y)/σ.
"""

from __future__ import annotations

import functools
import warnings
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import sympy as sp

from gradcli.errors import GradcliError
from gradcli.expr.parse import natural_key, parse
from gradcli.fit.compiler import compile_rows, evaluate_rows
from gradcli.fit.data import Table
from gradcli.symbolic import codegen

_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError, TypeError, AttributeError)


@dataclass
class FitModel:
    """f(columns; p), the response y and weights 1/σ over the data rows."""

    text: str
    y_text: str
    params: tuple[str, ...]
    predictors: tuple[str, ...]
    table: Table
    y: np.ndarray
    weights: np.ndarray | None          # 1/σ per row, or None
    linear: bool
    expr: sp.Expr
    _f: Callable = field(repr=False)
    _j: Callable = field(repr=False)
    _x: tuple = field(repr=False)       # predictor columns in argument order
    _hess: Callable | None = field(default=None, repr=False)
    _grad_se: list | None = field(default=None, repr=False)
    _data: tuple = ()                   # what _f and _j take after the parameters: _x, then the hoisted parts
    _hoist: Callable | None = field(default=None, repr=False)    # predictor arrays → hoisted parts (gradcli.fit.hoist)

    def __post_init__(self):
        self._data = self._data or self._x

    @property
    def n(self) -> int:
        return len(self.y)

    @property
    def p(self) -> int:
        return len(self.params)

    @functools.cached_property
    def tss(self) -> float:
        """Σ wᵢ²(yᵢ − ȳ)² about the (weighted) mean: R²'s denominator, a property of the data alone."""
        if self.weights is None:
            dy = self.y - self.y.mean()
            return float(dy @ dy)
        w2 = self.weights**2
        dy = self.y - float(w2 @ self.y) / float(w2.sum())
        return float(w2 @ (dy * dy))

    def heading(self) -> str:
        """The report's first line."""
        return (f"fit {self.text}  to  {self.y_text}: {self.n} rows of {self.table.path}; "
                f"parameters {', '.join(self.params)}; predictor{'s' * (len(self.predictors) > 1)} "
                f"{', '.join(self.predictors)}" + ("; linear in its parameters" if self.linear else ""))

    # ---- evaluation over all rows ------------------------------------------------------------
    def values(self, p) -> np.ndarray:
        """f at every row (nan/inf where the model is undefined; never an exception)."""
        with np.errstate(all="ignore"):
            try:
                v = self._f(*np.asarray(p, dtype=float).tolist(), *self._data)[0]
            except _MATH_ERRORS:
                return np.full(self.n, np.nan)
        return np.broadcast_to(np.asarray(v, dtype=float), (self.n,))

    def residuals(self, p) -> np.ndarray:
        r = self.values(p) - self.y
        return r * self.weights if self.weights is not None else r

    def residuals_hot(self, p: np.ndarray) -> np.ndarray:
        """``residuals`` for the solver's calls: p is already a float vector and the caller has set
        np.errstate once for the whole run (entering it costs ~2 µs a call), no broadcast unless f is a
        constant."""
        try:
            v = self._f(*p.tolist(), *self._data)[0]
        except _MATH_ERRORS:
            return np.full(self.n, np.nan)
        r = (v if isinstance(v, np.ndarray) and v.shape == self.y.shape else
             np.broadcast_to(np.asarray(v, dtype=float), self.y.shape)) - self.y
        if self.weights is not None:
            r *= self.weights
        return r

    def jacobian_hot(self, p: np.ndarray) -> np.ndarray:
        """``jacobian`` for the solver's calls (see residuals_hot); Fortran order, one contiguous column per
        parameter."""
        out = np.empty((self.n, self.p), order="F")
        try:
            cols = self._j(*p.tolist(), *self._data)
        except _MATH_ERRORS:
            out.fill(np.nan)
            return out
        for k, c in enumerate(cols):
            out[:, k] = c
        if self.weights is not None:
            out *= self.weights[:, None]
        return out

    def jacobian(self, p) -> np.ndarray:
        """∂r/∂p as an (n, p) array, from the derived and compiled ∂f/∂p (Fortran order: each column written
        contiguously, measured 0.73x of C order); any p, NumPy's warnings off."""
        with np.errstate(all="ignore"):
            return self.jacobian_hot(np.asarray(p, dtype=float))

    def curve(self, p, grid: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """f and ∂f/∂p (unweighted) along ``grid`` values of the single predictor: the fitted curve and what
        its confidence band needs."""
        p = np.asarray(p, dtype=float).tolist()
        with np.errstate(all="ignore"):
            data = (grid, *self._hoist(grid)) if self._hoist is not None else (grid,)
            f = np.broadcast_to(np.asarray(self._f(*p, *data)[0], dtype=float), grid.shape)
            J = np.column_stack([np.broadcast_to(np.asarray(c, dtype=float), grid.shape) for c in self._j(*p, *data)])
        return f, J

    def hessian_sum(self, p, c: np.ndarray) -> np.ndarray:
        """Σ_i c_i ∇²r_i (p × p): the second-order part of the Hessian of ½Σρ(r²), for the verdict. One
        generated function returns the sums themselves (gradcli.fit.second.hessian_sums), no n-row array per entry kept."""
        if self._hess is None:
            from gradcli.fit.second import hessian_sums
            self._hess = hessian_sums(self)
        keys, fn, data = self._hess
        out = np.zeros((self.p, self.p))
        if fn is None:
            return out
        w = c * self.weights if self.weights is not None else c
        with np.errstate(all="ignore"):
            vals = fn(*np.asarray(p, dtype=float).tolist(), *data, np.asarray(w, dtype=float))
        rows, cols = keys
        out[rows, cols] = vals
        out[cols, rows] = vals
        return out

    def _symbols(self) -> list[sp.Symbol]:
        return [sp.Symbol(s) for s in self.params + self.predictors]


def response(table: Table, y_text: str | None) -> tuple[str, np.ndarray, set[str]]:
    """The response: a column (default ``y``) or an expression of columns (``log(y)``)."""
    text = y_text if y_text is not None else "y"
    if y_text is None and "y" not in table.columns:
        raise GradcliError(f"no column 'y' in {table.path} (columns: {', '.join(table.names)}); name the "
                           "response with --y COLUMN or --y EXPRESSION")
    if text in table.columns:
        return text, table.columns[text], {text}
    parsed = parse(text, what="response (--y)")
    missing = [s for s in parsed.names if s not in table.columns]
    if missing:
        raise GradcliError(f"--y '{text}': {', '.join(missing)} is not a column of {table.path} (columns: "
                           f"{', '.join(table.names)})")
    cols = [sp.Symbol(s) for s in parsed.names]
    fn = compile_rows(cols, [parsed.expr])
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            y = np.broadcast_to(np.asarray(fn(*(table.columns[s] for s in parsed.names))[0], dtype=float),
                                (table.rows,)).copy()
        except _MATH_ERRORS as exc:
            raise GradcliError(f"--y '{text}': cannot be evaluated on the data ({exc})") from None
    bad = np.flatnonzero(~np.isfinite(y))
    if bad.size:
        raise GradcliError(f"--y '{text}' is {y[bad[0]]} at {table.where(int(bad[0]))} ({bad.size} rows in all); "
                           "the response must be finite on every row")
    return text, y, set(parsed.names)


def build_model(text: str, table: Table, y_text: str | None = None, sigma: str | None = None,
                param_names: set[str] | None = None) -> FitModel:
    """Parse MODEL, split its symbols into predictors (columns) and parameters, derive and compile."""
    import symengine as se

    y_name, y, y_cols = response(table, y_text)
    parsed = parse(text, what="model")
    predictors = tuple(s for s in parsed.names if s in table.columns)
    params = tuple(sorted((s for s in parsed.names if s not in table.columns), key=natural_key))
    if not predictors:
        raise GradcliError(f"the model '{text[:60]}' names no column of {table.path} (columns: "
                           f"{', '.join(table.names)}); its predictors must be column names")
    if not params:
        raise GradcliError(f"the model '{text[:60]}' has no parameters: every symbol is a column of {table.path}")
    if y_name in predictors:
        raise GradcliError(f"the model uses the response column '{y_name}' as a predictor; name another "
                           "response with --y")
    if table.rows < len(params):
        raise GradcliError(f"{len(params)} parameters ({', '.join(params)}) but {table.rows} data rows in "
                           f"{table.path}; a fit needs at least as many rows as parameters")
    weights = _weights(table, sigma)
    symbols = [sp.Symbol(s) for s in params + predictors]
    expr_se = se.sympify(parsed.expr) if codegen.smooth(parsed.expr) else None
    if expr_se is not None:
        grad = codegen.gradient(expr_se, [se.Symbol(s) for s in params])
        linear = not any(g.free_symbols & {se.Symbol(s) for s in params} for g in grad)
    else:       # SymPy's own symbols (the parser's carry real=True: a fresh Symbol('b') would not match)
        own = {s.name: s for s in parsed.expr.free_symbols}
        grad = codegen.gradient(parsed.expr, [own[s] for s in params])
        linear = not any(g.free_symbols & {own[s] for s in params} for g in grad)
    x = tuple(table.columns[s] for s in predictors)
    data, hoisted = x, None
    if expr_se is not None:
        from gradcli.fit.hoist import hoist
        exprs, parts = hoist([expr_se, *grad], set(params), set(params) | set(predictors) | set(table.columns))
        if parts:
            hoisted = compile_rows([sp.Symbol(s) for s in predictors], [e for _, e in parts])
            data = x + evaluate_rows(hoisted, x, table.rows)
            symbols = symbols + [sp.Symbol(n) for n, _ in parts]
        f, j = compile_rows(symbols, exprs[:1]), compile_rows(symbols, exprs[1:])
    else:
        f, j = compile_rows(symbols, [parsed.expr]), compile_rows(symbols, grad)
    return FitModel(text, y_name, params, predictors, table, y, weights, linear, parsed.expr, f, j, x,
                    _grad_se=grad if expr_se is not None else None, _data=data,
                    _hoist=None if hoisted is None else (lambda *cols: evaluate_rows(hoisted, cols, len(cols[0]))))


def _weights(table: Table, sigma: str | None) -> np.ndarray | None:
    if sigma is None:
        return None
    if sigma in table.columns:
        s = table.columns[sigma]
        bad = np.flatnonzero(s <= 0)
        if bad.size:
            raise GradcliError(f"--sigma {sigma}: {s[bad[0]]} at {table.where(int(bad[0]))}; every σ must be "
                               "positive")
        return 1.0 / s
    try:
        value = float(sigma)
    except ValueError:
        raise GradcliError(f"--sigma '{sigma[:30]}' is neither a column of {table.path} (columns: "
                           f"{', '.join(table.names)}) nor a number") from None
    if not value > 0 or not np.isfinite(value):
        raise GradcliError(f"--sigma {sigma}: σ must be a positive finite number")
    return np.full(table.rows, 1.0 / value)


def check_start(model: FitModel, p0: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The model and its Jacobian must be finite at the start: say the row, not N failed iterations.
    Returns (r, J) at p0, which the solver's first calls are given (gradcli.fit.methods.Counter)."""
    from gradcli.fit.stats import all_finite

    p0 = np.asarray(p0, dtype=float)
    with np.errstate(all="ignore"):
        r, J = model.residuals_hot(p0), model.jacobian_hot(p0)
    if all_finite(r) and all_finite(J):
        return r, J
    for what, values in (("the model", model.values(p0)), ("the model's Jacobian", J)):
        bad = np.flatnonzero(~np.all(np.isfinite(np.reshape(values, (model.n, -1))), axis=1))
        if bad.size:
            i = int(bad[0])
            at = ", ".join(f"{s}={model.table.columns[s][i]:g}" for s in model.predictors)
            start = ", ".join(f"{n}={v:g}" for n, v in zip(model.params, p0))
            raise GradcliError(f"{what} is not finite at the start ({start}) on {model.table.where(i)} ({at}), "
                               f"{bad.size} rows in all; choose another --p0")
    return r, J
