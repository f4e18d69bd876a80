"""What to minimize: pure data, validated on entry, the same whether it came from flags or a file."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from typing import TYPE_CHECKING

from gradcli.errors import ProblemError

if TYPE_CHECKING:      # SymPy is imported where a scalar problem is built: array problems never need it
    import sympy as sp


@dataclass
class Solution:
    """The published answer a run is judged against."""

    f: float
    x: list[float] | None = None
    tol: float | None = None

    def allowance(self, default: float = 1e-6) -> float:
        """How far above f a run may end and still reach it: compare's rule, tol·max(1, |f|), with the
        file's ``tol`` or ``default``."""
        return (self.tol or default) * max(1.0, abs(float(self.f)))


@dataclass
class Problem:
    name: str
    objective: str                                  # the text as the user wrote it
    expr: sp.Expr
    variables: tuple[str, ...]
    symbols: tuple[sp.Symbol, ...]
    starts: list[list[float]] = field(default_factory=list)
    bounds: list[tuple[float, float]] | None = None  # one (lo, hi) per variable; ±inf for open sides
    constraints: list[tuple[str, str, sp.Expr]] = field(default_factory=list)  # (kind, text, g)
    params: dict[str, float] = field(default_factory=dict)
    gradient: list[str] | None = None
    solution: Solution | None = None
    source: str = ""
    description: str = ""
    tags: list[str] = field(default_factory=list)
    dim: int | None = None                          # length of indexed variables x[i], when used
    source_file: str | None = None
    sha256: str | None = None                       # of the file's text, when it came from one
    residuals: list[str] | None = None              # least squares (residuals: in a file): f = Σ rᵢ²
    residual_exprs: list | None = field(default=None, repr=False)   # the rᵢ parsed, for lm/trf/dogbox
    seed: int | None = None                         # a file's seed: the default of --seed (the command line wins)

    @property
    def n(self) -> int:
        return len(self.variables)

    @property
    def least_squares(self) -> bool:
        """Written as residuals: lm, trf and dogbox can run it with the exact residual Jacobian."""
        return self.residual_exprs is not None

    @property
    def x0(self) -> list[float] | None:
        return self.starts[0] if self.starts else None

    @property
    def has_bounds(self) -> bool:
        return self.bounds is not None and any(math.isfinite(v) for b in self.bounds for v in b)

    @property
    def finite_bounds(self) -> bool:
        return self.bounds is not None and all(math.isfinite(v) for b in self.bounds for v in b)

    # What differs between a symbolic problem and an array one (gradcli/arrays/problem.py overrides these),
    # asked of the problem instead of probing its type.
    symbolic = True
    """A SymPy expression stands behind the problem: ∇f = 0 can be solved exactly, gradients printed."""

    def compile(self):
        """The counted objective with the problem's constraints, compiled once for every method."""
        import sympy as sp

        from gradcli.symbolic.compile import Objective, compile_constraint
        objective = None
        if self.dim is not None and self.expr.has(sp.Sum):      # sums kept whole: evaluated on slices
            from gradcli.symbolic.indexed import analyse
            from gradcli.symbolic.sliced import SlicedObjective
            objective = SlicedObjective(analyse(self.expr, self.dim), self.expr)
        elif self.expr.is_Add and len(self.expr.args) >= 200:     # long written out: grouped by shape
            from gradcli.symbolic.grouped import analyse
            from gradcli.symbolic.sliced import SlicedObjective
            model = analyse(self.expr, self.symbols)
            objective = SlicedObjective(model, self.expr) if model is not None else None
        if objective is None:
            objective = Objective(self.expr, self.symbols, self.variables)
        objective.constraints = [compile_constraint(kind, text, g, self.symbols)
                                 for kind, text, g in self.constraints]
        return objective

    def split(self, x) -> dict:
        """x by variable name."""
        return dict(zip(self.variables, (float(v) for v in x)))

    def annotate(self, result, spec) -> None:
        """What a Result says about x beyond the vector: x by name."""
        if all(math.isfinite(v) for v in result.x):
            result.x_named = self.split(result.x)

    def verify(self, objective, x):
        """Our verdict at x (gradcli/checks/verdict.py)."""
        from gradcli.checks.verdict import verify
        return verify(objective, self, x)


def build_problem(objective: str, *, variables: list[str] | None = None, params: dict | None = None,
                  x0=None, starts=None, bounds: dict[str, tuple] | None = None,
                  constraints: list[str] | None = None, name: str = "expression", dim: int | None = None,
                  **meta) -> Problem:
    """Check and assemble a problem; every error names the field that is wrong.

    With ``dim``, indexed variables x[i] have that length, and a start shorter than the number of
    variables is repeated to fill it (x0 = -1.2,1 for chained Rosenbrock means -1.2, 1, -1.2, 1, ...).
    """
    import sympy as sp

    from gradcli.expr.parse import natural_key, parse, parse_relation

    compact = None
    if dim is not None and variables is None and not constraints:
        from gradcli.symbolic.indexed import compact        # sums kept whole; None: written out below
        compact = compact(objective, params, dim)
    if compact is not None:
        from gradcli.expr.indexed import IndexedNames
        expr, names = compact
        symbols = IndexedNames(names.blocks, lambda v: sp.Symbol(v, real=True))
    else:
        parsed = parse(objective, params, dim=dim)
        expr, names = parsed.expr, _variables(parsed.names, variables, objective)
        symbols = tuple(sp.Symbol(v, real=True) for v in names)
    cons = []
    for text in constraints or []:
        kind, g = parse_relation(text, params, dim=dim)
        extra = sorted({s.name for s in g.free_symbols} - set(names), key=natural_key)
        if extra:
            raise ProblemError(f"'{text}': {', '.join(extra)} is not a variable of the objective "
                               f"({', '.join(names)}); add it to the variables or fix the name", "constraints")
        cons.append((kind, text, g))
    problem = Problem(name=name, objective=objective, expr=expr, variables=names, symbols=symbols,
                      constraints=cons, params={k: float(v) for k, v in (params or {}).items()}, dim=dim,
                      **meta)
    labelled = ([("x0", x0)] if x0 is not None else []) + [(f"starts[{i}]", s) for i, s in enumerate(starts or [])]
    problem.starts = [_vector(_fill(s, len(names)) if dim else s, names, label) for label, s in labelled]
    problem.bounds = _bounds(bounds, names) if bounds else None
    return problem


def _variables(found: tuple[str, ...], given: list[str] | None, text: str) -> tuple[str, ...]:
    if given is None:
        if not found:
            raise ProblemError(f"'{text}' has no variables: it is a constant, nothing to minimize", "objective")
        return found
    given = [g.strip() for g in given if g.strip()]
    bad = [g for g in given if not re.match(r"[A-Za-z][A-Za-z0-9_]*\Z", g)]
    if bad:
        raise ProblemError(f"'{bad[0]}' is not a variable name: letters, digits and _, starting with a letter",
                           "variables")
    dup = {g for g in given if given.count(g) > 1}
    if dup:
        raise ProblemError(f"{', '.join(sorted(dup))} listed twice", "variables")
    missing = [f for f in found if f not in given]
    if missing:
        raise ProblemError(f"the objective uses {', '.join(missing)} but the variables given are "
                           f"{', '.join(given)}; add it, or make it a parameter ({missing[0]}=VALUE)", "variables")
    if not given:
        raise ProblemError("none given", "variables")
    return tuple(given)


def _fill(value, n: int):
    """Repeat a short list to length n (only for indexed problems, where that is the documented rule)."""
    if isinstance(value, (list, tuple)) and 0 < len(value) < n:
        return [value[i % len(value)] for i in range(n)]
    if not isinstance(value, (list, tuple, dict)):
        return [value] * n
    return value


def _number(value, what: str) -> float:
    if isinstance(value, bool):
        raise ProblemError(f"expected a number, got {value}", what)
    try:
        v = float(value)
    except (TypeError, ValueError):
        raise ProblemError(f"expected a number, got '{value}'", what) from None
    if not math.isfinite(v):
        raise ProblemError(f"expected a finite number, got {value}", what)
    return v


def _vector(value, names: tuple[str, ...], what: str) -> list[float]:
    if isinstance(value, dict):
        unknown = [k for k in value if k not in names]
        if unknown:
            raise ProblemError(f"{unknown[0]} is not a variable ({', '.join(names)})", what)
        missing = [k for k in names if k not in value]
        if missing:
            raise ProblemError(f"no value for {', '.join(missing)}", what)
        return [_number(value[k], f"{what}.{k}") for k in names]
    if not isinstance(value, (list, tuple)):
        value = [value]
    if len(value) != len(names):
        raise ProblemError(f"{len(value)} value{'s' if len(value) != 1 else ''} for {len(names)} "
                           f"variable{'s' if len(names) != 1 else ''} ({', '.join(names)}); give one per variable",
                           what)
    return [_number(v, f"{what}[{i}]") for i, v in enumerate(value)]


def _bounds(spec: dict[str, tuple], names: tuple[str, ...]) -> list[tuple[float, float]]:
    out = [(-math.inf, math.inf)] * len(names)
    for key, pair in spec.items():
        if key not in names:
            raise ProblemError(f"{key} is not a variable ({', '.join(names)})", "bounds")
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ProblemError(f"expected [lo, hi], got {pair!r}", f"bounds.{key}")
        lo = -math.inf if pair[0] is None else _number(pair[0], f"bounds.{key} lower")
        hi = math.inf if pair[1] is None else _number(pair[1], f"bounds.{key} upper")
        if lo > hi:
            raise ProblemError(f"lower bound {lo:g} is above upper bound {hi:g}; swap them", f"bounds.{key}")
        out[names.index(key)] = (lo, hi)
    return out
