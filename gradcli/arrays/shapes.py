"""Shapes of array expressions: broadcasting, @, reductions and subscripts, checked before anything runs.

Arrays have at most MAX_NDIM axes (the seed's images are 4-D: batch, rows, columns, channels). A
subscript is normalised once, here, to one entry per axis: an int (the axis is dropped) or a
``slice`` with non-negative start and stop (``slice.indices``), so the evaluator and the reverse rule
(scatter into zeros, ``unindex``) see the same plain index. A subscript that reaches outside its
axis, or selects nothing, is refused: Python would clamp ``u[1:100]`` silently, which hides a typo.
"""

from __future__ import annotations

import math

import numpy as np

from gradcli.errors import GradcliError

MAX_NDIM = 4


class ShapeError(GradcliError):
    """Two shapes that do not fit; ``where`` is the AST node the parser points its caret at."""

    def __init__(self, message: str, where=None):
        self.where = where
        super().__init__(message)


def fmt(shape) -> str:
    return "scalar" if shape == () else "(" + ", ".join(map(str, shape)) + (",)" if len(shape) == 1 else ")")


def size(shape) -> int:
    return int(math.prod(shape))


def broadcast(a, b) -> tuple:
    try:
        out = tuple(np.broadcast_shapes(a, b))
    except ValueError:
        raise ShapeError(f"shapes {fmt(a)} and {fmt(b)} do not broadcast together") from None
    if len(out) > MAX_NDIM:
        raise ShapeError(f"shapes {fmt(a)} and {fmt(b)} broadcast to {len(out)} axes; arrays have at most "
                         f"{MAX_NDIM}")
    return out


def matmul_shape(a, b) -> tuple:
    if len(a) == 0 or len(b) == 0 or len(a) > 2 or len(b) > 2:
        raise ShapeError(f"@ multiplies vectors and matrices (1-D or 2-D); got {fmt(a)} @ {fmt(b)}")
    if a[-1] != b[0]:
        raise ShapeError(f"{fmt(a)} @ {fmt(b)}: inner dimensions {a[-1]} and {b[0]} differ")
    return a[:-1] + b[1:]


def _sumto(v: np.ndarray, shape) -> np.ndarray:
    """Sum ``v`` down to ``shape`` (the reverse of broadcasting)."""
    shape = tuple(shape)
    lead = v.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape) if s == 1 and v.shape[i + lead] != 1)
    out = v.sum(axis=axes) if axes else v
    return np.reshape(out, shape)


def axis_of(axis: int, shape) -> int:
    """``sum(A, axis=-1)``: the axis as a non-negative number, checked against A's shape."""
    nd = len(shape)
    if not -nd <= axis < nd:
        raise ShapeError(f"axis {axis} is out of range for an array of shape {fmt(shape)} "
                         f"({nd} ax{'is' if nd == 1 else 'es'})")
    return axis % nd


def normalize_index(items, shape) -> tuple:
    """A subscript as written (ints and (start, stop, step) with None for open sides), one item per axis
    from the left, as a tuple of ints and slices in range; missing trailing axes are whole (``:``)."""
    if len(items) > len(shape):
        raise ShapeError(f"{len(items)} subscripts for an array of shape {fmt(shape)}")
    out = []
    for axis, (item, dim) in enumerate(zip(items, shape)):
        if isinstance(item, int):
            if not -dim <= item < dim:
                raise ShapeError(f"index {item} is out of range for axis {axis} of length {dim} "
                                 f"(valid: {-dim} .. {dim - 1})")
            out.append(item % dim)
            continue
        start, stop, step = item
        if step == 0:
            raise ShapeError("a slice step cannot be zero")
        for end in (start, stop):
            if end is not None and not -dim <= end <= dim:
                raise ShapeError(f"slice bound {end} is out of range for axis {axis} of length {dim} "
                                 f"(valid: {-dim} .. {dim})")
        s = slice(start, stop, step)
        if len(range(*s.indices(dim))) == 0:
            raise ShapeError(f"the slice {_text(item)} of axis {axis} (length {dim}) selects nothing")
        out.append(slice(*s.indices(dim)) if (step or 1) > 0 else s)
    out.extend(slice(0, d, 1) for d in shape[len(items):])
    return index_key(out)


def _text(item) -> str:
    start, stop, step = item
    return ("" if start is None else str(start)) + ":" + ("" if stop is None else str(stop)) + \
        ("" if step is None else f":{step}")


def index_shape(key, shape) -> tuple:
    """The shape ``np.empty(shape)[as_index(key)]`` has (ints drop their axis)."""
    return tuple(len(range(*ix.indices(d))) for ix, d in zip(as_index(key), shape) if isinstance(ix, slice))


def index_key(index) -> tuple:
    """A hashable form of a normalised index (slices are not hashable before Python 3.12): the IR's attr."""
    return tuple(ix if isinstance(ix, int) else ("s", ix.start, ix.stop, ix.step) for ix in index)


def as_index(key) -> tuple:
    """The attr of an index node back as a NumPy index."""
    return tuple(k if isinstance(k, int) else slice(*k[1:]) for k in key)


def unindex(v, key, shape) -> np.ndarray:
    """The reverse of ``a[index]``: ``v`` scattered into zeros of ``a``'s shape."""
    return scatter(v, as_index(key), shape)


def scatter(v, index, shape) -> np.ndarray:
    """Each entry of ``a`` is picked at most once by a basic index: an assignment, not an accumulation."""
    out = np.zeros(shape)
    out[index] = v
    return out
