"""A least-squares problem file (``residuals:``) behind the model interface of `gradcli fit`.

r(x) and its exact Jacobian are derived once and compiled (the same compiler as the objective), so
trf, dogbox and lm (MINPACK) run on the residuals themselves, as Moré, Garbow & Hillstrom define their
problems, with the exact Jacobian. Seen as a fit, the "data" are the m residual equations with response
0: RSS = Σ rᵢ² = f, and R² (which needs a response) is not defined.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class ResidualTable:
    """Stands where a fit's data table stands: the file, and one 'row' per residual."""

    path: str
    rows: int
    columns: dict = field(default_factory=dict)
    names: tuple = ()

    def where(self, row: int) -> str:
        return f"{self.path} residuals[{row}]"


class ResidualModel:
    """r(x) of a Problem with residuals: (see module doc); the interface gradcli.fit's runs use."""

    weights = None
    predictors: tuple = ()

    def __init__(self, problem):
        import sympy as sp

        from gradcli.symbolic.codegen import gradient
        from gradcli.symbolic.compile import compile_exprs

        self.problem = problem
        self.text = f"residuals of {problem.name}"
        self.y_text = "0"
        self.params = tuple(problem.variables)
        self.exprs = list(problem.residual_exprs)
        self.table = ResidualTable(problem.source_file or problem.name, len(self.exprs))
        self.y = np.zeros(len(self.exprs))
        self._r = compile_exprs(problem.symbols, self.exprs)
        rows = [[sp.sympify(c) for c in gradient(e, problem.symbols)] for e in self.exprs]
        self._jac_rows = rows
        self._J = compile_exprs(problem.symbols, [c for row in rows for c in row])
        self.linear = not any(c.free_symbols & set(problem.symbols) for row in rows for c in row)
        self._H = None

    @property
    def n(self) -> int:
        return len(self.exprs)

    @property
    def p(self) -> int:
        return len(self.params)

    tss = 0.0           # the response is 0: R² is not defined

    def heading(self) -> str:
        return (f"least squares: {self.n} residuals of {self.table.path} (f = Σ rᵢ²); variables "
                f"{', '.join(self.params)}" + ("; linear in its variables" if self.linear else ""))

    def values(self, x) -> np.ndarray:
        """A fresh array (the compiled function may reuse its output buffer; the fit keeps r at the start and
        at recent points)."""
        with np.errstate(all="ignore"):
            return np.array(self._r(np.asarray(x, dtype=float)), dtype=float).reshape(self.n)

    def residuals(self, x) -> np.ndarray:
        return self.values(x)

    def jacobian(self, x) -> np.ndarray:
        with np.errstate(all="ignore"):
            return np.array(self._J(np.asarray(x, dtype=float)), dtype=float).reshape(self.n, self.p)

    def residuals_hot(self, x) -> np.ndarray:
        return self.values(x)

    def jacobian_hot(self, x) -> np.ndarray:
        return self.jacobian(x)

    def hessian_sum(self, x, c: np.ndarray) -> np.ndarray:
        """Σ cᵢ ∇²rᵢ (the second-order part of the Hessian of the RSS, for the fit verdict)."""
        from gradcli.symbolic.compile import compile_exprs

        if self._H is None:
            import sympy as sp
            entries = [(i, j, k, sp.diff(self._jac_rows[i][j], s)) for i in range(self.n)
                       for j in range(self.p) for k, s in enumerate(self.problem.symbols) if k >= j]
            entries = [e for e in entries if e[3] != 0]
            self._H = (entries, compile_exprs(self.problem.symbols, [e[3] for e in entries]) if entries else None)
        entries, fn = self._H
        out = np.zeros((self.p, self.p))
        if fn is None:
            return out
        with np.errstate(all="ignore"):
            vals = np.asarray(fn(np.asarray(x, dtype=float)), dtype=float).reshape(len(entries))
        for (i, j, k, _), v in zip(entries, vals):
            out[j, k] += c[i] * v
            if k != j:
                out[k, j] += c[i] * v
        return out
