"""From a SymPy expression to counted numeric callables: f, ∇f, ∇²f (dense or sparse), H·p.

Built once per problem; the gradient and Hessian are derived only when first asked for (Nelder-Mead
never pays for a Hessian). ``codegen`` decides how each piece is evaluated; every piece has a
``safe`` NumPy path that answers nan/inf where the fast path raises (log of a negative, 1/0,
overflow), so non-finite values reach the solver and the report rather than a traceback.
"""

from __future__ import annotations

import warnings
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import sympy as sp

from gradcli.symbolic import codegen
from gradcli.compiled.counts import Counts  # noqa: F401  (re-exported: compile.Counts)
from gradcli.compiled.observers import Observable
from gradcli.compiled.protocol import Capabilities

_MATH_ERRORS = (ValueError, ZeroDivisionError, OverflowError, TypeError, AttributeError)
# Derivatives of abs/sign/min/max hold DiracDelta (zero away from the kink; SymPy prints no numeric one, so
# the generated code raised NameError) and Heaviside (which SymPy's printer rewrites into Piecewise at a cost
# exponential in the number of min/max arguments). Both are given as plain functions instead.
_KINKS = {"DiracDelta": lambda *a: 0.0, "Heaviside": codegen._heaviside}
SPARSE_HESSIAN_MIN_N = 200      # above this, Hessians are sparse and Newton-type methods get H·p


class Compiled:
    """Expressions of the n arguments compiled once; ``fast(x)`` for speed, ``safe(x)`` for trouble.

    ``fast`` returns a float when ``scalar``, else a 1-D array of len(exprs).
    """

    def __init__(self, args_sympy, args_se, exprs_se, exprs_sympy_thunk, scalar: bool, backend: str):
        self.scalar = scalar
        self.backend = backend
        self.size = 1 if scalar else len(exprs_se if exprs_se is not None else exprs_sympy_thunk())
        self._args_sympy, self._exprs_sympy_thunk = args_sympy, exprs_sympy_thunk
        self._safe_fn = None
        self.on_floats = None     # scalar f of plain floats, when there is one: the cheapest call there is
        if backend == "llvm":
            fn = codegen.llvm_function(args_se, exprs_se, scalar)
            self.fast = (lambda x: float(fn(x)[0])) if scalar else (lambda x: fn(x))
            self._safe_fn = lambda *a: fn(np.array(a, dtype=float))
        elif backend == "python":
            gen, self.source = codegen.python_function(args_se, exprs_se, codegen.MATH_NAMESPACE)
            self.fast = (lambda x: gen(*x.tolist())[0]) if scalar else (lambda x: gen(*x.tolist()))
        else:
            exprs = exprs_sympy_thunk()
            gen = sp.lambdify(args_sympy, exprs[0] if scalar else exprs, modules=[_KINKS, "math"], cse=True)
            self.fast = (lambda x: gen(*x.tolist())) if scalar else (lambda x: gen(*x.tolist()))
            self.on_floats = gen      # a float (scalar) or a list (vector) of plain floats

    def safe(self, x):
        """NumPy evaluation with IEEE semantics: nan/inf instead of exceptions (for the hard points only)."""
        if self._safe_fn is None:
            exprs = self._exprs_sympy_thunk()
            self._safe_fn = sp.lambdify(self._args_sympy, exprs, modules=[_KINKS, "numpy"])
        args = [np.float64(v) for v in np.asarray(x, dtype=float).ravel()]
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                out = self._safe_fn(*args)
            except _MATH_ERRORS:
                out = np.full(self.size, np.nan)
        out = np.asarray(out)
        if np.iscomplexobj(out):
            out = np.where(np.abs(out.imag) > 0, np.nan, out.real)
        out = np.broadcast_to(np.asarray(out, dtype=float).ravel(), (self.size,))
        return float(out[0]) if self.scalar else out.copy()

    def __call__(self, x):
        try:
            v = self.fast(x)
            return float(v) if self.scalar else np.asarray(v, dtype=float)
        except _MATH_ERRORS:
            return self.safe(x)


class _VectorPart:
    """f or ∇f of a VectorSum behind the interface of Compiled (NumPy answers nan/inf itself)."""

    def __init__(self, fn, scalar: bool):
        self.fast = self.safe = self._fn = fn
        self.scalar = scalar
        self.backend = "numpy-vectorized"
        self.on_floats = None

    def __call__(self, x):
        return self._fn(np.asarray(x, dtype=float))


def choose_backend(n_out: int, n_in: int) -> str:
    """Generated Python for small problems; LLVM machine code once the work per call is large."""
    small = n_in <= codegen.PYTHON_MAX_ARGS and n_out * max(n_in, 1) <= codegen.PYTHON_MAX_WORK
    return "python" if small or not codegen.have_llvm() else "llvm"


def compile_se(symbols: Sequence[sp.Symbol], se_symbols, exprs_se, scalar: bool = False) -> Compiled:
    """Compile SymEngine expressions; their SymPy forms are made only if the safe path is ever needed."""
    backend = choose_backend(len(exprs_se), len(symbols))
    if backend == "llvm":   # machine code needs no renaming, and answers nan/inf itself
        return Compiled(None, se_symbols, exprs_se, None, scalar, backend)
    import symengine as se

    args = codegen.dummies(len(symbols))
    args_se = [se.Symbol(a.name) for a in args]
    renamed = [e.xreplace(dict(zip(se_symbols, args_se))) for e in exprs_se]
    back: list = []

    def sympy_forms():
        if not back:
            back.extend(sp.sympify(e).xreplace({sp.Symbol(a.name): a for a in args}) for e in renamed)
        return back

    try:
        return Compiled(args, args_se, renamed, sympy_forms, scalar, backend)
    except codegen.CodegenError:
        return Compiled(args, None, None, sympy_forms, scalar, "sympy")


def compile_exprs(symbols: Sequence[sp.Symbol], exprs: Sequence[sp.Expr], scalar: bool = False,
                  sympy_only: bool = False) -> Compiled:
    """Compile SymPy ``exprs`` of ``symbols`` with the cheapest backend that holds them."""
    if not sympy_only and all(codegen.smooth(e) for e in exprs):
        converted = [codegen.to_symengine(e) for e in exprs]
        if all(c is not None for c in converted):
            import symengine as se
            return compile_se(symbols, [se.Symbol(s.name) for s in symbols], converted, scalar)
    args = codegen.dummies(len(symbols))
    renamed = [sp.sympify(e).xreplace(dict(zip(symbols, args))) for e in exprs]
    return Compiled(args, None, None, lambda: renamed, scalar, "sympy")


class Objective(Observable):
    """f, ∇f and ∇²f of one problem as counted callables on NumPy vectors.

    ``fun``/``grad``/``hess``/``hessp`` count into ``counts``; the ``*_uncounted`` versions are for the
    tool's own checks so that reported counts are exactly the solver's calls.
    """

    def __init__(self, expr: sp.Expr, symbols: Sequence[sp.Symbol], names: Sequence[str] | None = None):
        if expr.has(sp.Sum):        # sums kept whole (gradcli/symbolic/sliced.py): this path writes them out
            from gradcli.expr.indexed import expand
            expr = expand(expr)
        self.expr = expr
        self.symbols = tuple(symbols)
        self.variables = tuple(names or (s.name for s in self.symbols))
        self.n = len(self.symbols)
        self.counts = Counts()
        self.constraints: list[Constraint] = []
        self._hessp_cache = None
        self._g_floats = None
        self.prefers_hessp = self.n > SPARSE_HESSIAN_MIN_N
        self.capabilities = Capabilities(exact_hessian=True, hessian_method="exact (symbolic)",
                                         prefers_hessp=self.prefers_hessp, fused_value_and_grad=False,
                                         training=False, symbolic=True)
        # small expressions stay in SymPy from end to end: differentiating them costs nothing, and the
        # code is then exactly what SymPy's lambdify runs (rounding included: SciPy's TNC, for one, stops
        # at points that move with the last bit of the gradient). Large or many-variable ones go to SymEngine.
        self._sympy_only = not codegen.smooth(expr) or codegen.is_small(expr, self.n)
        self._vector = self._vectorized(expr) if not self._sympy_only else None
        self._se_expr = None if self._sympy_only or self._vector else codegen.to_symengine(expr)
        self._se_symbols = None
        if self._se_expr is not None:
            import symengine as se
            self._se_symbols = [se.Symbol(s.name) for s in self.symbols]
        if self._vector is not None:
            self._f = _VectorPart(self._vector.fun, True)
        elif self._se_expr is not None:
            self._f = compile_se(self.symbols, self._se_symbols, [self._se_expr], scalar=True)
        else:
            self._f = compile_exprs(self.symbols, [expr], scalar=True, sympy_only=True)
        if self._f.on_floats is not None:
            self._f_floats = self._f.on_floats
            # a complex result can only come from a float power with a non-integer exponent: without one,
            # the result needs no type check (the 2-D Rosenbrock benchmark runs at the edge of 1.0x)
            real_only = not any(not e.exp.is_Integer for e in expr.atoms(sp.Pow))
            self.fun = self._fun_on_floats_real if real_only else self._fun_on_floats
        self._g = _VectorPart(self._vector.grad, False) if self._vector is not None else None
        if self._vector is not None:
            self._vector_grad = self._vector.grad
            self.grad = self._grad_vector
        self._h = None
        self._grad_se = None
        self._gradient_exprs: list[sp.Expr] | None = None
        self._fun_impl, self._grad_impl = self.fun, self.grad    # the unobserved members, for value_and_grad
        self._h_once = False

    @property
    def backend(self) -> str:
        return self._f.backend

    def backend_summary(self) -> str:
        """Which evaluator ran, for --verbose: f's and, once compiled, ∇f's."""
        g = self._g.backend if self._g is not None else "not compiled"
        derivs = "SymEngine" if self._se_expr is not None else ("grouped templates" if self._vector else "SymPy")
        return f"evaluation: f {self._f.backend}, ∇f {g}; derivatives by {derivs}"

    def _vectorized(self, expr):
        """A sum of many look-alike terms in many variables: whole-array NumPy (gradcli.terms)."""
        if self.n <= codegen.PYTHON_MAX_ARGS:
            return None
        from gradcli.symbolic import terms
        found = terms.split(expr, self.symbols)
        if found is None:
            return None
        groups, rest = found
        rest_objective = Objective(sp.Add(*rest), self.symbols, self.variables) if rest else None
        return terms.VectorSum(groups, rest_objective, self.n)

    # ---- derivatives, derived once on demand -------------------------------------------------
    def _hessian_route(self):
        """The gradient in SymEngine for the Hessian of a small smooth f kept in SymPy for f and ∇f: SymPy
        differentiating and printing the Hessian of a 99-residual sum (MGH's Gulf) took 9 s of a 0.1 s run;
        SymEngine takes milliseconds (second derivatives need not match lambdify's rounding)."""
        if not codegen.smooth(self.expr) or _nodes(self.expr, HESSIAN_ROUTE_NODES) < HESSIAN_ROUTE_NODES:
            return None           # tiny: SymPy is quicker than importing SymEngine (start-up of every command)
        se_expr = codegen.to_symengine(self.expr)
        if se_expr is None:
            return None
        import symengine as se
        if self._se_symbols is None:
            self._se_symbols = [se.Symbol(s.name) for s in self.symbols]
        return codegen.gradient(se_expr, self._se_symbols)

    def _grad_symengine(self):
        if self._grad_se is None and self._se_expr is not None:
            self._grad_se = codegen.gradient(self._se_expr, self._se_symbols)
        return self._grad_se

    @property
    def gradient_exprs(self) -> list[sp.Expr]:
        """The gradient as SymPy expressions (for printing and for the non-smooth path)."""
        if self._gradient_exprs is None:
            g = self._grad_symengine()
            if g is not None:
                self._gradient_exprs = [sp.sympify(c) for c in g]
                back = {sp.Symbol(s.name): s for s in self.symbols}   # SymEngine drops real=True
                self._gradient_exprs = [c.xreplace(back) for c in self._gradient_exprs]
            else:
                self._gradient_exprs = codegen.gradient(self.expr, self.symbols)
        return self._gradient_exprs

    def hessian_exprs(self) -> list[list[sp.Expr]]:
        g = self.gradient_exprs
        rows = [[sp.S.Zero] * self.n for _ in range(self.n)]
        for (i, j), h in codegen.hessian(g, self.symbols).items():
            rows[i][j] = rows[j][i] = h
        return rows

    def _grad_eval(self) -> Compiled:
        if self._g is None:
            self._g = self._compile_gradient()
            self._g_floats = self._g.on_floats       # small problems: the same one-call path as f
        return self._g

    def _compile_gradient(self) -> Compiled:
        g_se = self._grad_symengine()
        return (compile_se(self.symbols, self._se_symbols, g_se) if g_se is not None
                else compile_exprs(self.symbols, self.gradient_exprs, sympy_only=True))

    def _hess_eval(self, once: bool = False):
        """Dense for small n; for large n the non-zero entries only, assembled as a sparse matrix.

        ``once``: the tool's own few evaluations (the verdict) rather than a solver's many: SymEngine's
        interpreter, built in milliseconds, instead of generated code that took up to seconds to emit for
        big least-squares Hessians (40% of a compare study's time went there). A solver that asks later
        (``prepare(hess=True)``) gets the compiled one."""
        if self._h is not None and self._h_once and not once:
            self._h = None
        if self._h is None:
            g_se = self._grad_symengine() or self._hessian_route()
            self._h_once = once and g_se is not None
            if g_se is not None:
                entries = codegen.hessian(g_se, self._se_symbols)
                values = (None if not entries else _interpreted(self._se_symbols, list(entries.values())) if once
                          else compile_se(self.symbols, self._se_symbols, list(entries.values())))
            else:
                entries = codegen.hessian(self.gradient_exprs, self.symbols)
                values = compile_exprs(self.symbols, list(entries.values()), sympy_only=True) if entries else None
            keys = list(entries)
            rows = np.array([k[0] for k in keys], dtype=np.intp)
            cols = np.array([k[1] for k in keys], dtype=np.intp)
            self._h = (values, rows, cols)
        return self._h

    def prepare(self, grad: bool = True, hess: bool = False) -> None:
        """Derive and compile ahead of a timed run, so a method's time is its own."""
        if self._vector is not None:
            return          # compiled on construction
        if grad:
            self._grad_eval()
        if hess:
            self._hess_eval()

    # ---- uncounted evaluations (the tool's own) ------------------------------------------------
    def fun_uncounted(self, x) -> float:
        return self._f(np.asarray(x, dtype=float))

    def grad_uncounted(self, x) -> np.ndarray:
        return (self._g or self._grad_eval())(np.asarray(x, dtype=float))

    def hessian_triplet(self, x) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, cols, values) of the Hessian's non-zeros with rows <= cols; duplicates add up."""
        x = np.asarray(x, dtype=float)
        if self._vector is not None:
            return self._vector.hessian_entries(x)
        values, rows, cols = self._h or self._hess_eval(once=True)
        return rows, cols, (values(x) if values is not None else np.zeros(0))

    def hess_uncounted(self, x):
        """Dense ndarray for small n, scipy.sparse CSR for large n."""
        rows, cols, v = self.hessian_triplet(x)
        off = rows != cols
        if not self.prefers_hessp:
            out = np.zeros((self.n, self.n))
            np.add.at(out, (rows, cols), v)
            np.add.at(out, (cols[off], rows[off]), v[off])
            return out
        from scipy.sparse import coo_matrix
        r = np.concatenate([rows, cols[off]])
        c = np.concatenate([cols, rows[off]])
        return coo_matrix((np.concatenate([v, v[off]]), (r, c)), shape=(self.n, self.n)).tocsr()

    # ---- counted evaluations (what solvers call) ---------------------------------------------
    def _fun_on_floats(self, x) -> float:
        # the hot path of small problems: one call of the generated function on Python floats
        # (the benchmark: must not be slower than a hand-written NumPy function)
        self.counts.nfev += 1
        try:
            v = self._f_floats(*x.tolist())
            return v if type(v) is float else float(v)    # a complex power raises here: safe path
        except _MATH_ERRORS:
            f = self._f
            return f.safe(x) if isinstance(x, np.ndarray) else f(np.asarray(x, dtype=float))

    def _grad_vector(self, x) -> np.ndarray:
        self.counts.njev += 1
        return self._vector_grad(x if isinstance(x, np.ndarray) else np.asarray(x, dtype=float))

    def _fun_on_floats_real(self, x) -> float:
        self.counts.nfev += 1
        try:
            return self._f_floats(*x.tolist())
        except _MATH_ERRORS:
            f = self._f
            return f.safe(x) if isinstance(x, np.ndarray) else f(np.asarray(x, dtype=float))

    def fun(self, x) -> float:
        self.counts.nfev += 1
        f = self._f
        try:
            return float(f.fast(x))
        except _MATH_ERRORS:
            return f.safe(x) if isinstance(x, np.ndarray) else f(np.asarray(x, dtype=float))

    def grad(self, x) -> np.ndarray:
        self.counts.njev += 1
        floats = self._g_floats
        if floats is not None:
            try:
                return np.array(floats(*x.tolist()), dtype=float)
            except _MATH_ERRORS:
                pass
        g = self._g or self._grad_eval()
        try:
            return np.asarray(g.fast(x), dtype=float)     # every backend returns a fresh list or array
        except _MATH_ERRORS:
            return g.safe(x) if isinstance(x, np.ndarray) else g(np.asarray(x, dtype=float))

    def value_and_grad(self, x) -> tuple[float, np.ndarray]:
        """f and ∇f (two generated functions here; counted as one call of each)."""
        return self._fun_impl(x), self._grad_impl(x)

    def hess(self, x):
        self.counts.nhev += 1
        return self.hess_uncounted(x)

    def quiet(self):
        """Nothing to silence: generated scalar code raises or returns nan, it never warns."""
        return nullcontext()

    def hessp(self, x, p) -> np.ndarray:
        """H(x)·p. Newton-CG and the trust-region methods ask for many products at one x (one per
        CG step): the matrix of the last x is kept, so each further product is one sparse mat-vec."""
        self.counts.nhev += 1
        last = self._hessp_cache
        if last is None or not np.array_equal(last[0], x):
            last = self._hessp_cache = (np.array(x, dtype=float), self.hess_uncounted(x))
        return last[1] @ np.asarray(p, dtype=float)


HESSIAN_ROUTE_NODES = 200     # expression-tree nodes above which the Hessian is derived in SymEngine


def _nodes(expr, limit: int) -> int:
    """Nodes of ``expr``'s tree, counted up to ``limit``."""
    count = 0
    for _ in sp.preorder_traversal(expr):
        count += 1
        if count >= limit:
            break
    return count


def _interpreted(se_symbols, exprs):
    """SymEngine's own interpreter for a few evaluations; nan where a value is complex or undefined."""
    import symengine as se

    fn = se.Lambdify(list(se_symbols), exprs, backend="lambda", real=True)

    def values(x):
        try:
            return np.asarray(fn(np.asarray(x, dtype=float)), dtype=float).ravel()
        except (ValueError, TypeError, ArithmeticError, RuntimeError):
            return np.full(len(exprs), np.nan)
    return values


@dataclass
class Constraint:
    """One compiled constraint in SciPy's convention: 'ineq' means g(x) >= 0, 'eq' means g(x) == 0."""

    kind: str
    text: str
    fun: Callable[[np.ndarray], float]
    jac: Callable[[np.ndarray], np.ndarray]


def compile_constraint(kind: str, text: str, expr: sp.Expr, symbols: Sequence[sp.Symbol]) -> Constraint:
    f = compile_exprs(symbols, [expr], scalar=True)
    g = compile_exprs(symbols, codegen.gradient(expr, symbols))
    return Constraint(kind, text, lambda x: f(np.asarray(x, dtype=float)), lambda x: g(np.asarray(x, dtype=float)))
