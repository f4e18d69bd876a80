"""The one contract every compiled objective keeps, symbolic (gradcli/symbolic) or array (gradcli/arrays).

Solvers, checks and studies call these members and ask ``capabilities`` what an objective can do;
they never ask what kind of objective it is. Counted members (``fun``, ``grad``, ``value_and_grad``,
``hess``, ``hessp``) are the solver's calls and go into ``counts``; the ``*_uncounted`` twins are the
tool's own evaluations (report, verdict, trace). Observers (best point, deadline, history, progress)
attach through ``observed`` (gradcli/compiled/observers.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from contextlib import AbstractContextManager

    import numpy as np

    from gradcli.compiled.counts import Counts


@dataclass(frozen=True)
class Capabilities:
    """What an objective can do, declared by the objective itself."""

    exact_hessian: bool
    """∇²f comes from exact derivatives (symbolic, or forward-over-reverse), not differences."""
    hessian_method: str
    """Where second derivatives come from, in words for reports."""
    prefers_hessp: bool
    """Large or matrix-free: Hessian-vector products rather than a dense matrix."""
    fused_value_and_grad: bool
    """f and ∇f come from one pass (cheaper together than apart)."""
    training: bool
    """A data-driven objective: fixed-step first-order methods run a fixed number of steps by default."""
    symbolic: bool
    """A SymPy expression stands behind it (exact stationary points, printed derivatives)."""


@runtime_checkable
class Objective(Protocol):
    """f, ∇f and second derivatives of one problem, counted, with uncounted twins."""

    n: int
    variables: tuple[str, ...]
    counts: Counts
    constraints: list
    capabilities: Capabilities

    def prepare(self, grad: bool = True, hess: bool = False) -> None: ...
    def fun(self, x) -> float: ...
    def grad(self, x) -> np.ndarray: ...
    def value_and_grad(self, x) -> tuple[float, np.ndarray]: ...
    def hess(self, x): ...
    def hessp(self, x, p) -> np.ndarray: ...
    def fun_uncounted(self, x) -> float: ...
    def grad_uncounted(self, x) -> np.ndarray: ...
    def hess_uncounted(self, x): ...
    def quiet(self) -> AbstractContextManager: ...
    def observed(self, *observers) -> AbstractContextManager: ...
    def backend_summary(self) -> str: ...
