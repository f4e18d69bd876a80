"""Long written-out sums grouped by shape in one pass, then evaluated like kept-whole sums (sliced.py).

Terms that differ only in their numbers and in which variables they read (sin(3*x)/3**2 and
sin(4*x)/4**2; (x1 + 10*x2)**2 and (x5 + 10*x6)**2) share one template: each term's shape is a key made
by a single walk of its tree (numbers and variables become numbered slots), so grouping costs one
dictionary look-up per term: linear in the text, never a comparison of every term with every other.
Each template is differentiated once; its numbers become arrays (one entry per term) or stay exact
numbers when every term has the same; its variables are read as strided slices when their positions
step evenly, else gathered. Exponents stay in the key: x**2 and x**3 are different shapes.
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from gradcli.symbolic import codegen
from gradcli.symbolic.indexed import _VECTOR_FUNCTIONS, Model, Slot, SumPart, kernels

LONG_TERMS = 200        # top-level terms from which grouping is tried
MIN_GROUP = 8           # a shape shared by fewer terms goes with the rest
MIN_SHARE = 0.5         # group only when grouped terms are at least this share of all terms


class _NoGroup(Exception):
    pass


class _Refused(Exception):
    pass


def _key(e, nums: list, syms: dict):
    """The shape of ``e``: numbers and symbols replaced by slots (their values appended in walk order)."""
    if e.is_Symbol:
        return ("v", syms.setdefault(e, len(syms)))
    if e.is_Number:
        nums.append(e)
        return ("c",)
    if e.is_NumberSymbol or not e.args:
        return ("k", e)
    if e.is_Pow and e.exp.is_Number:
        return (sp.Pow, _key(e.base, nums, syms), ("e", e.exp))
    if e.is_Function and type(e).__name__ not in _VECTOR_FUNCTIONS:
        raise _NoGroup
    return (type(e), *(_key(a, nums, syms) for a in e.args))


def _build(key, consts: list, variables: list):
    """The template of a shape: SymPy, evaluated, in placeholder symbols."""
    tag = key[0]
    if tag == "v":
        return variables[key[1]]
    if tag == "c":
        return consts.pop(0)
    if tag == "k":
        return key[1]
    if tag is sp.Pow and key[2][0] == "e":
        return sp.Pow(_build(key[1], consts, variables), key[2][1])
    return tag(*(_build(k, consts, variables) for k in key[1:]))


def analyse(expr: sp.Expr, symbols) -> Model | None:
    """Group the top-level terms of ``expr`` by shape; None when that would not pay (or cannot hold them)."""
    terms = sp.Add.make_args(expr)
    if len(terms) < LONG_TERMS or not codegen.smooth(expr):
        return None
    index = {s: i for i, s in enumerate(symbols)}
    shapes: dict = {}
    rest = []
    try:
        for t in terms:
            nums, syms = [], {}
            key = _key(t, nums, syms)
            if not syms or any(s not in index for s in syms):
                rest.append(t)
                continue
            shapes.setdefault(key, []).append((nums, [index[s] for s in syms]))
    except (_NoGroup, RecursionError):
        return None
    groups = []
    for key, members in shapes.items():
        if len(members) < MIN_GROUP:
            rest += [_build(key, list(nums), [symbols[i] for i in pos]) for nums, pos in members]
        else:
            groups.append((key, members))
    if sum(len(m) for _, m in groups) < MIN_SHARE * len(terms):
        return None
    try:
        parts = [_part(key, members) for key, members in groups]
    except _Refused:
        return None
    rest_expr = sp.Add(*rest)
    rest_symbols = tuple(sorted(rest_expr.free_symbols, key=index.__getitem__))
    return Model(tuple(s.name for s in symbols), parts, rest_expr, rest_symbols,
                 np.array([index[s] for s in rest_symbols], dtype=np.intp))


def _part(key, members) -> SumPart:
    m = len(members)
    nv = len(members[0][1])
    ps = [sp.Symbol(f"_p{j}", real=True) for j in range(nv)]
    positions = np.array([pos for _, pos in members], dtype=np.intp)
    values = list(zip(*(nums for nums, _ in members))) if members[0][0] else []
    consts, extra, cs = [], [], []
    for j, column in enumerate(values):
        if all(v == column[0] for v in column):
            consts.append(column[0])                     # the same in every term: an exact number
        else:
            c = sp.Symbol(f"_c{len(cs)}", real=True)
            cs.append(c)
            consts.append(c)
            extra.append(np.array([float(v) for v in column]))
    body = _build(key, consts, ps)
    slots = []
    for j in range(nv):
        col = positions[:, j]
        step = int(col[1] - col[0]) if m > 1 else 0
        if np.all(np.diff(col) == step):         # evenly spaced (or one variable throughout): a slice
            slots.append(Slot(int(col[0]), step, m))
        else:
            slots.append(Slot(int(col[0]), 0, m, idx=np.ascontiguousarray(col)))
    return kernels(SumPart(1.0, m, slots, extra), body, ps, ps + cs, error=_Refused)
