"""Equations F(x) = 0 as counted numeric callables: F, its exact Jacobian, and for one equation f′ and f″.

Parsed with gradcli's safe expression parser, differentiated by SymPy/SymEngine once, compiled once.
Every evaluation a solver asks for goes through ``F``/``J``/``d2`` and is counted in ``counts``; the
tool's own checks (verdict, bracket scan) use the ``*_uncounted`` twins, so the counts reported are
exactly the solver's calls (SciPy's own counts are known to be wrong in places: scipy #24767, #5369).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from gradcli.compiled.counts import Counts
from gradcli.errors import GradcliError


def split(text: str) -> list[str]:
    """'F1; F2; ...' → the equations (a trailing ';' is allowed; 'lhs = rhs' is not: write lhs - rhs)."""
    parts = [p.strip() for p in text.split(";")]
    if parts and not parts[-1]:
        parts.pop()
    if not parts or any(not p for p in parts):
        raise GradcliError(f"'{text}': an empty equation; write expressions separated by ';', "
                           "e.g. \"x**2 + y**2 - 4; x*y - 1\"")
    return parts


@dataclass
class Equations:
    """F: Rⁿ → Rᵐ from m expressions in n unknowns (each expression = 0)."""

    texts: list[str]
    exprs: list[sp.Expr]
    symbols: tuple[sp.Symbol, ...]
    variables: tuple[str, ...]
    fixed_point: bool = False          # the user gave g with x = g(x); exprs are g(x) - x
    counts: Counts = field(default_factory=Counts)

    @property
    def n(self) -> int:
        return len(self.symbols)

    @property
    def m(self) -> int:
        return len(self.exprs)

    @property
    def scalar(self) -> bool:
        return self.n == 1 and self.m == 1

    def compile(self) -> None:
        """Compile F and J (and f″ for one equation) once, before any timed run."""
        from gradcli.symbolic.codegen import gradient
        from gradcli.symbolic.compile import compile_exprs

        self._F = compile_exprs(self.symbols, self.exprs)
        rows = [gradient(e, self.symbols) for e in self.exprs]
        self.jacobian_exprs = [[sp.sympify(c) for c in row] for row in rows]
        self._J = compile_exprs(self.symbols, [c for row in self.jacobian_exprs for c in row])
        if self.scalar:
            self._d2 = compile_exprs(self.symbols, [sp.diff(self.jacobian_exprs[0][0], self.symbols[0])])

    # ---- uncounted (the tool's own checks) ---------------------------------------------------
    def F_uncounted(self, x) -> np.ndarray:
        return self._F(np.atleast_1d(np.asarray(x, dtype=float)))

    def J_uncounted(self, x) -> np.ndarray:
        return self._J(np.atleast_1d(np.asarray(x, dtype=float))).reshape(self.m, self.n)

    def d2_uncounted(self, x) -> float:
        return float(self._d2(np.atleast_1d(np.asarray(x, dtype=float)))[0])

    # ---- counted (what solvers call) ---------------------------------------------------------
    def F(self, x) -> np.ndarray:
        self.counts.nfev += 1
        return self.F_uncounted(x)

    def J(self, x) -> np.ndarray:
        self.counts.njev += 1
        return self.J_uncounted(x)

    def f(self, x: float) -> float:
        self.counts.nfev += 1
        return float(self.F_uncounted([x])[0])

    def d1(self, x: float) -> float:
        self.counts.njev += 1
        return float(self.J_uncounted([x])[0, 0])

    def d2(self, x: float) -> float:
        self.counts.nhev += 1
        return self.d2_uncounted([x])

    def numpy_function(self, expr: sp.Expr | None = None):
        """f (or ``expr``, e.g. f′) on a whole NumPy array of points (one equation): a bracket scanned in one
        call. Uncounted: the scan is the tool's, and is reported as grid points."""
        from gradcli.symbolic.compile import _KINKS

        fn = sp.lambdify(self.symbols, self.exprs[0] if expr is None else expr, modules=[_KINKS, "numpy"])

        def one(a: float) -> float:
            try:
                v = complex(fn(np.float64(a)))
            except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                return np.nan
            return v.real if v.imag == 0 else np.nan

        def on_grid(t: np.ndarray) -> np.ndarray:
            with np.errstate(all="ignore"):
                try:
                    v = np.asarray(fn(t))
                except (ValueError, ZeroDivisionError, OverflowError, TypeError):
                    v = np.array([one(a) for a in t])
            if np.iscomplexobj(v):
                v = np.where(np.abs(v.imag) > 0, np.nan, v.real)
            return np.broadcast_to(np.asarray(v, dtype=float), t.shape).copy()
        return on_grid


def build(text: str, *, variables: list[str] | None = None, params: dict | None = None, dim: int | None = None,
          fixed_point: bool = False, compile: bool = True) -> Equations:
    """Parse 'F1; F2; ...' (or, with ``fixed_point``, 'g1; g2; ...' for x = g(x)) into Equations;
    ``compile=False`` checks and parses only (listing a library needs no Jacobian)."""
    from gradcli.expr.parse import natural_key, parse
    from gradcli.problem.core import _variables

    texts = split(text)
    parsed = [parse(t, params, what="equation", dim=dim) for t in texts]
    found = tuple(sorted({name for p in parsed for name in p.names}, key=natural_key))
    names = _variables(found, variables, text)
    symbols = tuple(sp.Symbol(v, real=True) for v in names)
    exprs = [p.expr for p in parsed]
    if fixed_point:
        if len(exprs) != len(symbols):
            raise GradcliError(f"--fixed-point: x = g(x) needs one expression per variable; got {len(exprs)} "
                               f"for {len(symbols)} variable{'s' if len(symbols) != 1 else ''} ({', '.join(names)})")
        exprs = [g - s for g, s in zip(exprs, symbols)]
    eqs = Equations(texts, exprs, symbols, names, fixed_point)
    if compile:
        eqs.compile()
    return eqs
