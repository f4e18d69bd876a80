"""Summand kernels that write into buffers they keep, for long slices.

At n ≈ 1e5 a NumPy temporary (800 kB) comes from fresh pages: glibc gives the memory of freed large
blocks back to the system, and the next call faults every page in again. Measured on chained Rosenbrock
at n = 1e5: 1.57 ms a gradient call with fresh temporaries, 0.22 ms with reused ones (scipy's rosen_der
takes 1.2 ms there, for the same reason). So for long slices each kernel is generated as a sequence of
ufunc calls, each writing into one of a few buffers allocated on the first call; a buffer is reused as
soon as the value it holds is no longer needed. The outputs are those buffers: callers use them before
the next call of the same kernel (and copy what they keep).
"""

from __future__ import annotations

import ast
import threading

import numpy as np
import sympy as sp

from gradcli.symbolic import codegen

INPLACE_MIN = 16_384    # terms from which buffers pay (a temporary of 128 kB or more is mmap'd by glibc)
_UFUNCS = {"add": np.add, "multiply": np.multiply, "divide": np.divide, "power": np.power}
_ALLOWED = codegen._ALLOWED_NODES + (ast.Expr,)


class Buffered:
    """A generated kernel with its buffers, allocated on a thread's first call: kernels are shared by the
    objectives of one expression (gradcli/symbolic/indexed.py caches the model), and a thread pool may
    evaluate two of them at once, so each thread writes into buffers of its own."""

    def __init__(self, fn, nbuf: int, size: int):
        self.fn, self.nbuf, self.size = fn, nbuf, size
        self.local = threading.local()

    def __call__(self, *args):
        try:
            bufs = self.local.bufs
        except AttributeError:
            bufs = self.local.bufs = [np.empty(self.size) for _ in range(self.nbuf)]
        return self.fn(*args, *bufs)


def inplace_kernel(args, exprs, namespace: dict, size: int):
    """(Buffered kernel, source) computing ``exprs`` of ``args``; ``CodegenError`` when an operation has no
    ufunc here (the caller then uses ``codegen.numpy_kernel``)."""
    reps, reduced = sp.cse([sp.factor_terms(e) for e in exprs])
    funcs = {k: v for k, v in namespace.items() if isinstance(v, np.ufunc)}
    scope = {"__builtins__": {}, **_UFUNCS, **funcs, "pi": float(sp.pi), "E": float(sp.E)}
    env: dict = {}
    code: list[tuple[str, str, list[str]]] = []     # (temp, ufunc, operands): temp = ufunc(*operands)
    counter = [0]

    def temp() -> str:
        counter[0] += 1
        return f"_t{counter[0]}"

    def val(e) -> str:
        if e in env:
            return env[e]
        if e.is_Symbol:
            return str(e)
        if e.is_Number:
            return repr(float(e))
        if e is sp.pi or e is sp.E:
            return "pi" if e is sp.pi else "E"
        if e.is_Add or e.is_Mul:
            op = "add" if e.is_Add else "multiply"
            ops = [val(a) for a in e.args]
            t = temp()
            code.append((t, op, ops[:2]))
            code.extend((t, op, [t, o]) for o in ops[2:])
        elif e.is_Pow:
            b, x = val(e.base), e.exp
            t = temp()
            if x == 2:
                code.append((t, "multiply", [b, b]))
            elif x == -1:
                code.append((t, "divide", ["1.0", b]))
            elif x == sp.Rational(1, 2) and "sqrt" in funcs:
                code.append((t, "sqrt", [b]))
            else:
                code.append((t, "power", [b, val(x)]))
        elif e.is_Function and type(e).__name__ in funcs:
            ops = [val(a) for a in e.args]
            t = temp()
            code.append((t, type(e).__name__, ops))
        else:
            raise codegen.CodegenError(f"no ufunc for {type(e).__name__}")
        env[e] = t
        return t

    for sym, value in reps:
        env[sym] = val(value)
    outs = [val(e) for e in reduced]
    # buffers: a temporary's buffer is free again after its last use (outputs are kept to the end)
    last = {}
    for i, (t, _, ops) in enumerate(code):
        for o in ops:
            last[o] = i
    kept, free, buf, nbuf = set(outs), [], {}, 0
    lines = []
    for i, (t, op, ops) in enumerate(code):
        if t not in buf:
            if free:
                buf[t] = free.pop()
            else:
                buf[t], nbuf = f"_b{nbuf}", nbuf + 1
        lines.append(f"    {op}({', '.join(buf.get(o, o) for o in ops)}, {buf[t]})")
        for o in set(ops):
            if o in buf and o != t and last.get(o) == i and o not in kept:
                free.append(buf[o])
    names = [str(a) for a in args]
    bufs = [f"_b{k}" for k in range(nbuf)]
    src = "\n".join([f"def _generated({', '.join(names + bufs)}):", *lines,
                     f"    return [{', '.join(buf.get(o, o) for o in outs)}]"])
    fn = codegen.checked_exec(src, set(names) | set(bufs), scope, {**_UFUNCS, **funcs}, _ALLOWED)
    return Buffered(fn, nbuf, size), src
