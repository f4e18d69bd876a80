"""Derivatives and numeric code for scalar expressions: SymEngine where it can, SymPy where it must.

Measured on this project's machines (see benchmarks/README.md): SymPy's ``diff`` took 8 s for the
gradient of MGH's Osborne 2 (65 squared residuals, 11 variables) and SymPy's CSE another 2 s; SymEngine
does both in under 0.1 s. So:

- derivatives are taken in SymEngine, term by term (a sum's gradient only differentiates each term
  by the variables it contains: linear, not quadratic, in the number of terms); SymEngine cannot
  differentiate abs/sign/min/max, so expressions with those go through SymPy;
- small problems run as generated Python on floats through ``math`` (one call, no array overhead:
  faster than a hand-written NumPy function of a few variables); the source is generated from the
  SymEngine CSE of our own, whitelisted expression, and is itself checked against an AST whitelist
  before it is compiled;
- large problems run through SymEngine's LLVM ``Lambdify`` (machine code, one call per vector).
"""

from __future__ import annotations

import ast
import math
import warnings
from typing import Sequence

import numpy as np
import sympy as sp

PYTHON_MAX_ARGS = 50        # beyond this many variables, one LLVM call beats unpacking floats into Python
LLVM_FAST_COMPILE_ARGS = 200  # above this many variables, compile time beats call time (see llvm_function)
LLVM_PIECE = 2500            # outputs (or terms of a sum) per compiled piece
PYTHON_MAX_WORK = 4096      # outputs x variables up to which generated Python is the cheaper backend
_NONSMOOTH = (sp.Abs, sp.sign, sp.Min, sp.Max)


def _sign(v):
    return (v > 0) - (v < 0) if v == v else v


def _heaviside(v, h0=0.5):
    return 1.0 if v > 0 else (0.0 if v < 0 else h0)


MATH_NAMESPACE = {
    "exp": math.exp, "log": math.log, "sqrt": math.sqrt, "sin": math.sin, "cos": math.cos, "tan": math.tan,
    "asin": math.asin, "acos": math.acos, "atan": math.atan, "atan2": math.atan2, "sinh": math.sinh,
    "cosh": math.cosh, "tanh": math.tanh, "abs": abs, "sign": _sign, "max": max, "min": min, "erf": math.erf,
    "E": math.e, "pi": math.pi, "Heaviside": _heaviside,
}


def _np_namespace():
    ns = {name: getattr(np, {"asin": "arcsin", "acos": "arccos", "atan": "arctan", "atan2": "arctan2"}.get(name, name))
          for name in ("exp", "log", "sqrt", "sin", "cos", "tan", "asin", "acos", "atan", "atan2", "sinh", "cosh",
                       "tanh", "abs", "sign")}
    ns.update(max=max, min=min, erf=math.erf, E=math.e, pi=math.pi, Heaviside=_heaviside)
    return ns


def smooth(expr: sp.Expr) -> bool:
    return not expr.has(*_NONSMOOTH)


SMALL_NODES = 400            # expression tree nodes up to which SymPy alone is fast enough
SMALL_N = 12


def is_small(expr: sp.Expr, n: int) -> bool:
    if n > SMALL_N:
        return False
    for count, _ in enumerate(sp.preorder_traversal(expr)):
        if count > SMALL_NODES:
            return False
    return True


def dummies(n: int) -> list[sp.Symbol]:
    """Argument names of generated code: ours, never the user's (a variable may be called ``exp``-like)."""
    return [sp.Symbol(f"_a{i}", real=True) for i in range(n)]


# ---- derivatives ----------------------------------------------------------------------------------
def gradient(expr, symbols: Sequence) -> list:
    """∂expr/∂x_i for each symbol, term by term. Works on SymEngine and SymPy expressions alike."""
    index = {s: i for i, s in enumerate(symbols)}
    parts: dict[int, list] = {}
    for term in (expr.args if getattr(expr, "is_Add", False) else (expr,)):
        for s in term.free_symbols:
            if s in index:
                parts.setdefault(index[s], []).append(term.diff(s))
    add = _adder(expr)
    return [add(*parts[i]) if i in parts else add() for i in range(len(symbols))]


def hessian(grad: list, symbols: Sequence) -> dict[tuple[int, int], object]:
    """Non-zero entries (i, j), i <= j, of the Hessian, differentiating each gradient entry term by term."""
    out = {}
    for i, g in enumerate(grad):
        for j, h in enumerate(gradient(g, symbols)):
            if j >= i and h != 0:
                out[(i, j)] = h
    return out


def _adder(expr):
    if type(expr).__module__.startswith("symengine"):
        import symengine as se
        return lambda *a: se.Add(*a) if a else se.Integer(0)
    return lambda *a: sp.Add(*a)


# ---- compiled callables ---------------------------------------------------------------------------
class CodegenError(Exception):
    """Generated code that failed its own whitelist: the caller falls back to SymPy's lambdify."""


_ALLOWED_NODES = (ast.Module, ast.FunctionDef, ast.arguments, ast.arg, ast.Assign, ast.Return, ast.Name, ast.Load,
                  ast.Store, ast.BinOp, ast.UnaryOp, ast.Call, ast.Constant, ast.List, ast.Add, ast.Sub, ast.Mult,
                  ast.Div, ast.Pow, ast.USub, ast.UAdd)


def python_function(args: Sequence, exprs: Sequence, namespace: dict):
    """A Python function of ``args`` returning the list of ``exprs`` (SymEngine), via CSE and codegen.

    Statements are printed by SymPy's printer (the same text SymPy's lambdify would run; SymEngine's
    printer orders factors differently, which changes last-bit rounding). Floating constants become
    named values passed in exactly, since printers round them to 15 digits.
    """
    import symengine as se

    reps, reduced = se.cse(list(exprs))
    return _emit(args, reps, reduced, namespace)


def numpy_kernel(args: Sequence, exprs: Sequence, namespace: dict):
    """Like ``python_function`` for SymPy ``exprs`` meant for whole arrays: SymPy's CSE after
    ``factor_terms``, which keeps 200*(p1 - p0**2) whole so it is shared with f (SymEngine distributes the
    200 and computes p1 - p0**2 twice). Every array operation saved is a pass over n numbers."""
    reps, reduced = sp.cse([sp.factor_terms(e) for e in exprs])
    return _emit(args, reps, reduced, namespace)


def _emit(args: Sequence, reps, reduced, namespace: dict):
    """The checked, compiled function of ``args`` computing ``reps`` then returning ``reduced``."""
    from sympy.printing.str import StrPrinter

    printer = StrPrinter()
    scope = {"__builtins__": {}, **namespace}   # the generated code needs no builtins: give it none
    floats: dict = {}

    def text(e) -> str:
        e = sp.sympify(e)
        found = {f for f in e.atoms(sp.Float) if f not in floats}
        for f in found:
            floats[f] = sp.Symbol(f"_c{len(floats)}")
            scope[floats[f].name] = float(f)
        return printer.doprint(e.xreplace(floats) if floats else e)

    names = [str(a) for a in args]
    lines = [f"def _generated({', '.join(names)}):"]
    lines += [f"    {sym} = {text(value)}" for sym, value in reps]
    lines.append(f"    return [{', '.join(text(e) for e in reduced)}]")
    src = "\n".join(lines)
    return checked_exec(src, set(names) | {str(s) for s, _ in reps}, scope, namespace), src


def checked_exec(src: str, names: set, scope: dict, namespace: dict, allowed=_ALLOWED_NODES):
    """Compile generated ``src`` after checking it against the AST whitelist; return its ``_generated``."""
    tree = ast.parse(src)
    known = names | (set(scope) - {"__builtins__"}) | {"_generated"}
    for node in ast.walk(tree):
        if not isinstance(node, allowed):
            raise CodegenError(f"generated code has {type(node).__name__}")
        if isinstance(node, ast.Name) and node.id not in known:
            raise CodegenError(f"generated code names {node.id}")
        if isinstance(node, ast.Constant) and not isinstance(node.value, (int, float)):
            raise CodegenError("generated code has a non-numeric constant")
        if isinstance(node, ast.Call) and not (isinstance(node.func, ast.Name) and node.func.id in namespace):
            raise CodegenError("generated code calls something unknown")
    try:
        code = compile(tree, "<gradcli generated>", "exec")
    except (RecursionError, MemoryError) as exc:
        raise CodegenError(f"generated code too deep for Python: {exc}") from None
    exec(code, scope)  # checked above: arithmetic and math only
    return scope["_generated"]


def llvm_function(args: Sequence, exprs: Sequence, scalar: bool = False):
    """SymEngine's LLVM Lambdify: one vector in, one vector out, machine code.

    For many variables, optimisation level 0 without CSE: measured at n = 1000 (chained Rosenbrock)
    0.5 s to compile the gradient and 0.7x scipy's rosen_der per call; level 2 calls 10x faster
    but takes 4 s to compile, more than most solves take in total. LLVM's compile time grows faster
    than linearly with the size of one function, so very large ones are compiled in pieces (at
    n = 10 000: 4 s in pieces of 2 500 outputs against 13 s in one).
    """
    import symengine as se

    big = len(args) > LLVM_FAST_COMPILE_ARGS

    def one(chunk):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return se.Lambdify(list(args), list(chunk), cse=not big, backend="llvm", opt_level=0 if big else 2)

    if scalar and len(exprs) == 1 and getattr(exprs[0], "is_Add", False) and len(exprs[0].args) > LLVM_PIECE:
        terms = exprs[0].args
        parts = [one([se.Add(*terms[k:k + LLVM_PIECE])]) for k in range(0, len(terms), LLVM_PIECE)]
        return lambda x: np.array([sum(float(p(x)[0]) for p in parts)])
    if len(exprs) > LLVM_PIECE:
        parts = [one(exprs[k:k + LLVM_PIECE]) for k in range(0, len(exprs), LLVM_PIECE)]
        return lambda x: np.concatenate([p(x) for p in parts])
    return one(exprs)


def to_symengine(expr):
    """SymPy → SymEngine, or None when SymEngine cannot hold it (then SymPy does everything)."""
    try:
        import symengine as se
        out = se.sympify(expr)
    except Exception:   # any construct SymEngine lacks: SymPy is the fallback
        return None
    return out


def have_llvm() -> bool:
    try:
        import symengine as se
    except ImportError:
        return False
    return bool(getattr(se, "have_llvm", False))
