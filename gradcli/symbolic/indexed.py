"""An objective with sum(...) kept whole, analysed once: its summands' derivatives as NumPy kernels on slices.

``f = Σ_k c_k · Σ_{i=lo_k}^{hi_k} s_k(x[a·i + b], ..., i) + R(scalars, x[3], ...)``. Each summand s_k is
differentiated once, symbolically, with respect to each indexed reference it holds (x[i], x[i+1], y[2*i],
a scalar z); f, the partials and the second partials are generated as NumPy code with common
subexpressions shared (SymEngine's CSE through ``codegen.python_function``, whose output is checked
against its AST whitelist before it runs) and evaluated on whole strided slices of x. The rest R, small,
goes to the ordinary symbolic Objective. Setup does not depend on n; at n = 1e6 it is a few array masks.

What this form cannot hold raises ``NotCompact`` and the caller uses the expanded path: a sum inside a
nonlinear function (log(sum(...)) has a dense Hessian), a non-smooth summand (abs, min, max), a function
NumPy has no vectorised form of here (erf), variables whose used indices leave gaps, or a problem small
enough that the expanded form costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
import sympy as sp

from gradcli.expr.indexed import IndexedNames, NotCompact, build_compact
from gradcli.expr.parse import natural_key
from gradcli.symbolic import codegen
from gradcli.symbolic.inplace import INPLACE_MIN, inplace_kernel

INDEXED_MIN_N = 50        # below this many variables the expanded path is as quick, and prints derivatives
_VECTOR_FUNCTIONS = {"exp", "log", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh",
                     "cosh", "tanh", "erf"}


@dataclass
class Slot:
    """Where one argument of a summand reads x: a strided slice (``step`` != 0), one position (``step``
    0), or any positions (``idx``, written-out terms whose variables follow no stride)."""

    start: int
    step: int
    count: int
    idx: np.ndarray | None = None
    key: object = None              # what x[key] reads: a slice, an int, or idx
    _positions: np.ndarray | None = None

    def __post_init__(self):
        if self.idx is not None:
            self.key = self._positions = self.idx
            self.step = None
        elif self.step:
            stop = self.start + self.step * (self.count - 1) + (1 if self.step > 0 else -1)
            self.key = slice(self.start, None if stop < 0 else stop, self.step)
        else:
            self.key = self.start

    def positions(self) -> np.ndarray:
        if self._positions is None:
            self._positions = (np.arange(self.count, dtype=np.intp) * self.step + self.start if self.step
                               else np.full(self.count, self.start, dtype=np.intp))
        return self._positions

    def add(self, out: np.ndarray, v) -> None:
        """out[where this slot reads] += v (v per term; a point receives the sum over the terms)."""
        if self.idx is not None:
            out += np.bincount(self.idx, np.broadcast_to(v, (self.count,)), minlength=out.size)
        elif self.step:
            out[self.key] += v
        else:
            out[self.key] += float(np.sum(v)) if np.ndim(v) else v * self.count


@dataclass
class SumPart:
    """One sum(...) of the objective: its coefficient, where its arguments read x, its kernels."""

    coeff: float
    count: int
    slots: list[Slot]
    extra: list                             # arguments that are not x: the sum index i, constants per term
    f: object = None
    g: object = None
    fg: object = None
    h: object = None
    h_pairs: tuple = ()
    source: str = ""
    keys: list = field(default_factory=list)

    def args(self, x: np.ndarray) -> list:
        out = [x[k] for k in self.keys]
        if self.extra:
            out.extend(self.extra)
        return out

    def total(self, v) -> float:
        return float(np.sum(v)) if np.ndim(v) else float(v) * self.count


@dataclass
class Model:
    """Everything the sliced objective needs, built once per (expression, dim)."""

    names: IndexedNames
    parts: list[SumPart]
    rest: sp.Expr                            # R in its own symbols (x[3] as the Symbol 'x[3]')
    rest_symbols: tuple
    rest_positions: np.ndarray


def compact(text: str, params: dict | None, dim: int):
    """(expr, names) for ``build_problem`` when the sliced path holds ``text``, else None."""
    try:
        expr = build_compact(text, params or {}, dim)
        model = analyse(expr, dim)
    except NotCompact:
        return None
    return expr, model.names


def why_not(text: str, params: dict | None, dim: int) -> str | None:
    """Why ``text`` goes the expanded way (None when it does not): for tests and --verbose."""
    try:
        analyse(build_compact(text, params or {}, dim), dim)
    except NotCompact as exc:
        return str(exc)
    return None


@lru_cache(maxsize=16)
def analyse(expr: sp.Expr, dim: int) -> Model:
    """Split ``expr`` into linear combination of sums plus a rest, lay the variables out, build kernels."""
    if not codegen.smooth(expr):
        raise NotCompact("abs, sign, min or max: their derivatives need the expanded path")
    sums = sorted(expr.atoms(sp.Sum), key=sp.default_sort_key)
    if not sums:
        raise NotCompact("no sum()")
    marks = [sp.Dummy(f"S{k}") for k in range(len(sums))]
    outer = expr.xreplace(dict(zip(sums, marks)))
    coeffs = []
    for s in marks:
        d = sp.diff(outer, s)
        if d.free_symbols or not d.is_number or not d.is_finite:
            raise NotCompact("a sum() inside a nonlinear function: its Hessian is dense")
        coeffs.append(float(d))
    rest = outer.xreplace({s: sp.S.Zero for s in marks})     # linear in the sums: what is left without them
    # --- what each summand reads ---------------------------------------------------------------
    refs_of = [_references(s) for s in sums]
    scalars = {str(s) for s in _scalars(rest)}
    used: dict[str, np.ndarray] = {}
    for (i, lo, hi, refs, syms) in refs_of:
        scalars |= syms
        for base, a, c in refs:
            mask = used.setdefault(base, np.zeros(dim, dtype=bool))
            if a:
                mask[Slot(a * lo + c, a, hi - lo + 1).key] = True
            else:
                mask[c] = True
    elements = [e for e in rest.atoms(sp.Indexed)]
    for e in elements:
        used.setdefault(str(e.base), np.zeros(dim, dtype=bool))[int(e.indices[0])] = True
    if scalars & set(used):
        raise NotCompact(f"{sorted(scalars & set(used))[0]} is both a scalar and an indexed variable")
    blocks = [(name, 0, 1, False) for name in scalars]
    for base, mask in used.items():
        first = int(np.argmax(mask))
        last = dim - 1 - int(np.argmax(mask[::-1]))
        if not mask[first:last + 1].all():
            raise NotCompact(f"{base}[...] skips indices: its variables are not one run")
        blocks.append((base, first, last - first + 1, True))
    blocks.sort(key=lambda b: natural_key(f"{b[0]}[{b[1]}]" if b[3] else b[0]))
    names = IndexedNames(blocks)
    if len(names) < INDEXED_MIN_N:
        raise NotCompact(f"{len(names)} variables: the expanded form is as quick")
    start = {b[0]: b[1] for b in blocks if b[3]}

    def position(base, k):
        return names.offsets[(base, True)] + k - start[base]

    parts = [_part(s, coeff, info, names, position) for s, coeff, info in zip(sums, coeffs, refs_of)]
    # --- the rest, in plain symbols --------------------------------------------------------------
    plain = {e: sp.Symbol(f"{e.base}[{int(e.indices[0])}]", real=True) for e in elements}
    rest = rest.xreplace(plain)
    rest_symbols = tuple(sorted(rest.free_symbols, key=lambda s: natural_key(s.name)))
    rest_positions = np.array([names.position(s.name) for s in rest_symbols], dtype=np.intp)
    return Model(names, parts, rest, rest_symbols, rest_positions)


def _scalars(e: sp.Expr) -> set:
    """The plain symbols of ``e`` (an Indexed's free symbols include its base's label: not a variable)."""
    return {t for t in e.xreplace({t: sp.Dummy() for t in e.atoms(sp.Indexed)}).free_symbols if not t.is_Dummy}


def _references(s: sp.Sum):
    """(i, lo, hi, [(base, a, c)], scalar names) of one Sum: x[a*i + c] references, sorted."""
    summand, (i, lo, hi) = s.function, s.limits[0]
    refs = set()
    for e in summand.atoms(sp.Indexed):
        idx = sp.expand(e.indices[0])
        a, c = idx.coeff(i), idx.subs(i, 0)
        if not (a.is_Integer and c.is_Integer):
            raise NotCompact("an index not of the form a*i + c")
        refs.add((str(e.base), int(a), int(c)))
    functions = {type(f).__name__ for f in summand.atoms(sp.Function)}
    if not functions <= _VECTOR_FUNCTIONS:
        raise NotCompact(f"{', '.join(sorted(functions - _VECTOR_FUNCTIONS))} in a summand has no array form here")
    syms = {str(t) for t in _scalars(summand) if t != i}
    return i, int(lo), int(hi), sorted(refs), syms


def _part(s: sp.Sum, coeff: float, info, names: IndexedNames, position) -> SumPart:
    i, lo, hi, refs, syms = info
    count = hi - lo + 1
    summand = s.function
    slots, swap = [], {}
    for j, (base, a, c) in enumerate(refs):
        swap[sp.IndexedBase(base, real=True)[a * i + c if a else sp.Integer(c)]] = sp.Symbol(f"_p{j}", real=True)
        slots.append(Slot(position(base, a * lo + c), a, count))
    for name in sorted(syms, key=natural_key):
        swap[sp.Symbol(name, real=True)] = sp.Symbol(f"_p{len(slots)}", real=True)
        slots.append(Slot(names.offsets[(name, False)], 0, count))
    body = summand.xreplace(swap)
    if body.atoms(sp.Indexed) or (body.free_symbols - set(swap.values()) - {i}):
        raise NotCompact("a summand reference could not be placed")
    ps = [swap[k] for k in swap]
    uses_i = i in body.free_symbols
    iv = sp.Symbol("_i", real=True)
    body = body.xreplace({i: iv}) if uses_i else body
    arg_syms = ps + ([iv] if uses_i else [])
    part = SumPart(coeff, count, slots, [np.arange(lo, hi + 1, dtype=float)] if uses_i else [])
    return kernels(part, body, ps, arg_syms, NotCompact)


def kernels(part: SumPart, body: sp.Expr, ps: list, arg_syms: list, error=NotCompact) -> SumPart:
    """f, ∇f, (f, ∇f) and the non-zero second partials of ``body`` in ``ps``, generated once as NumPy code."""
    grads = [sp.diff(body, p) for p in ps]
    pairs = [(j, k) for j in range(len(ps)) for k in range(j, len(ps))]
    second = [(pair, sp.diff(grads[pair[0]], ps[pair[1]])) for pair in pairs]
    second = [(pair, e) for pair, e in second if e != 0]
    ns = codegen._np_namespace()
    if body.has(sp.erf):
        from scipy.special import erf
        ns["erf"] = erf

    def kernel(exprs):
        if part.count >= INPLACE_MIN:
            try:
                return inplace_kernel(arg_syms, exprs, ns, part.count)
            except codegen.CodegenError:
                pass            # an operation without a ufunc: temporaries as usual
        try:
            return codegen.numpy_kernel(arg_syms, exprs, ns)
        except codegen.CodegenError as exc:
            raise error(f"generated code refused: {exc}") from None

    part.keys = [sl.key for sl in part.slots]
    part.f, _ = kernel([body])
    part.g, _ = kernel(grads)
    part.fg, part.source = kernel([body, *grads])
    part.h_pairs = tuple(pair for pair, _ in second)
    part.h = kernel([e for _, e in second])[0] if second else None
    return part
