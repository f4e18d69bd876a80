"""Fitting methods: SciPy's least_squares (trf, dogbox, lm) with the exact Jacobian, exact linear solves
(lstsq, bvls, nnls), and minimize-style methods over the RSS. Evaluations are counted here, by us.

Default tolerances are xtol = ftol = gtol = 1e-15 (SciPy's are 1e-8): measured on NIST StRD Thurber from
start 1, trf stops with 7.4 correct digits at 1e-8 and 10.9 at 1e-15 (56 residual evaluations instead of
24); lm with 7.6 and 10.1. A fit is cheap next to a wrong sixth digit. auto picks lm (as curve_fit does
without bounds; the fastest here) unless bounds or a robust loss need trf.
"""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import least_squares, leastsq, lsq_linear, minimize, nnls   # before any timing starts

from gradcli.errors import GradcliError

DEFAULT_TOL = 1e-15
LEAST_SQUARES = ("trf", "dogbox", "lm")
EXACT = ("lstsq", "bvls", "nnls")
MINIMIZE = ("bfgs", "l-bfgs-b", "cg", "tnc", "slsqp", "nelder-mead", "powell", "trust-constr", "cobyla", "cobyqa")
DERIVATIVE_FREE = ("nelder-mead", "powell", "cobyla", "cobyqa")
TAKES_CONSTRAINTS = ("slsqp", "trust-constr", "cobyla", "cobyqa")      # in the order --method all runs them
ALIASES = {"curve_fit": "lm", "leastsq": "lm", "least_squares": "trf", "levenberg-marquardt": "lm",
           "lsq_linear": "bvls", "l_bfgs_b": "l-bfgs-b", "nelder_mead": "nelder-mead"}
TAKES_BOUNDS = {"trf", "dogbox", "bvls", "l-bfgs-b", "tnc", "slsqp", "powell", "nelder-mead", "trust-constr",
                "cobyla", "cobyqa"}
LINEAR_ONLY = {"lstsq", "bvls", "nnls"}
ALL_NONLINEAR = ("trf", "dogbox", "lm", "bfgs", "l-bfgs-b")
_STATUS = {-1: "failed", 0: "max evaluations", 1: "converged (gtol)", 2: "converged (ftol)", 3: "converged (xtol)",
           4: "converged (ftol, xtol)"}


@dataclass
class Settings:
    loss: str = "linear"
    f_scale: float = 1.0
    lower: np.ndarray | None = None
    upper: np.ndarray | None = None
    xtol: float = DEFAULT_TOL
    ftol: float = DEFAULT_TOL
    gtol: float = DEFAULT_TOL
    max_nfev: int | None = None
    constraints: list = field(default_factory=list)      # gradcli.fit.constraints.Constraint

    @property
    def bounded(self) -> bool:
        return self.lower is not None and (np.any(np.isfinite(self.lower)) or np.any(np.isfinite(self.upper)))


@dataclass
class FitRun:
    method: str            # canonical name
    label: str             # as the user asked (curve_fit → lm)
    x: np.ndarray
    success: bool
    status: str
    message: str
    nfev: int
    njev: int
    time: float
    exact: bool = False    # solved in closed form (no iterations)


class Counter:
    """The residuals and Jacobian the solver calls, counted where they are called.

    ``start``: (p0, r, J) already evaluated by the start check, given to the solver's first calls at p0
    (counted there, as the solver's: the counts equal curve_fit's). After ``replay_start`` (lm) every call
    at p0 gets the same first r and J until the first call elsewhere: leastsq evaluates f and J at p0 to
    check their shapes, then MINPACK asks for them at p0 again (f twice); nothing is computed, or counted,
    twice (curve_fit memoises f the same way).

    ``recent`` keeps the latest residual evaluations by p's bits, so the statistics need not evaluate r
    again at the returned point (MINPACK often ends on rejected trial steps: its answer is an earlier
    evaluation). The first r is never offered again: SciPy's lmder wrapper keeps the first array it gets
    as MINPACK's own residual buffer and writes into it (measured: the start's r held the final residuals
    after a run). On large data nothing is kept; lm leaves r at its answer in ``answer`` instead (MINPACK's
    fvec, documented by leastsq as the function evaluated at the output)."""

    KEEP = 8            # measured: lm's answer was 1 to 6 evaluations back on the benchmark fits (rejected steps)
    KEEP_ROWS = 2048    # above this, none: holding 8 arrays of 10 000 rows measured lm 5-8% slower (Misra1a-
                        # like: freed arrays are no longer reused while in cache), far more than one r costs

    def __init__(self, model, start: tuple | None = None):
        self.model, self.nfev, self.njev = model, 0, 0
        self._p0, self._r0, self._j0 = start if start is not None else (None, None, None)
        self._key0 = None if self._p0 is None else np.asarray(self._p0, dtype=float).tobytes()
        self._at_start = start is not None       # calls at p0 answered from the start's r and J
        self._replay = self._r0_given = self._j0_given = False
        self.recent: dict = {}                   # p's bytes → r, the latest KEEP evaluations
        self._keep = self.KEEP if len(model.y) <= self.KEEP_ROWS else 0
        self._first = True
        self.answer: tuple | None = None         # (p's bytes, r there) as the solver reported them
        self.last_jac: tuple | None = None       # (p's bytes, J there): the latest Jacobian evaluated
        self.minpack_r: tuple | None = None      # (p's bytes, R·Pᵀ): MINPACK's QR of the last J it was given

    def replay_start(self, p0: np.ndarray) -> None:
        if self._p0 is None or p0.tobytes() != self._key0:
            self._p0, self._r0, self._j0, self._key0 = p0, None, None, p0.tobytes()
        self._at_start = self._replay = True

    def fun(self, p):
        if self._at_start:
            if p.tobytes() == self._key0:       # the same bits (np.array_equal: ~3 µs a call, this ~0.2)
                if not self._r0_given:
                    self.nfev += 1
                    self._r0_given, self._first = True, False
                    if self._r0 is None:
                        self._r0 = self.model.residuals_hot(p)
                    return self._r0
                if self._replay:
                    return self._r0
            else:
                self._at_start = False
        self.nfev += 1
        r = self.model.residuals_hot(p)
        if self._first:
            self._first = False
        elif self._keep:
            self.recent[p.tobytes()] = r
            if len(self.recent) > self._keep:
                del self.recent[next(iter(self.recent))]
        return r

    def residuals_seen(self, p: np.ndarray) -> np.ndarray | None:
        """r at p (the same bits) if it is one of the recent evaluations (for a solver that does not change
        what it is given)."""
        key = np.asarray(p, dtype=float).tobytes()
        if self.answer is not None and self.answer[0] == key:
            return self.answer[1]
        return self.recent.get(key)

    def jac(self, p):
        key = p.tobytes()
        if self._at_start and key == self._key0:
            if not self._j0_given:
                self.njev += 1
                self._j0_given = True
                if self._j0 is None:
                    self._j0 = self.model.jacobian_hot(p)
                self.last_jac = (key, self._j0)
                return self._j0
            if self._replay:
                return self._j0
        self.njev += 1
        self.last_jac = None        # released first: the new J gets the same (cached) memory, as without keeping
        J = self.model.jacobian_hot(p)
        self.last_jac = (key, J)           # the latest J is held (one array; see jacobian_seen)
        return J

    def jacobian_seen(self, p: np.ndarray) -> np.ndarray | None:
        """J at p (the same bits) if it was the last Jacobian evaluated: at gradcli's 1e-15 tolerances lm
        stops after rejected trial steps, where its last J is at its answer (all four benchmark fits). For a
        solver that does not change the J it is given (lm: SciPy's wrapper copies it into MINPACK's fjac)."""
        if self.last_jac is not None and self.last_jac[0] == np.asarray(p, dtype=float).tobytes():
            return self.last_jac[1]
        return None

    def factor_seen(self, p: np.ndarray) -> np.ndarray | None:
        """MINPACK's R·Pᵀ of J at p, when lm stopped at p and its last Jacobian was evaluated there (so its
        last QR, the one leastsq reports, is of that very J)."""
        key = np.asarray(p, dtype=float).tobytes()
        if self.minpack_r is None or self.minpack_r[0] != key or self.minpack_r[1] is None:
            return None
        return self.minpack_r[1] if self.last_jac is not None and self.last_jac[0] == key else None

    def jac_t(self, p):
        """Jᵀ: for a Fortran-ordered J, the (p, n) C-ordered block MINPACK stores with col_deriv."""
        return self.jac(p).T

    def rss(self, p):
        self.nfev += 1
        r = self.model.residuals(p)
        return float(r @ r)

    def rss_grad(self, p):
        self.njev += 1
        p = np.asarray(p, dtype=float)
        return 2.0 * self.model.jacobian(p).T @ self.model.residuals(p)


def canonical(name: str) -> str:
    key = name.strip().lower()
    key = ALIASES.get(key, key)
    if key not in LEAST_SQUARES + EXACT + MINIMIZE + ("auto", "all"):
        raise GradcliError(f"--method {name}: unknown; fit's methods are auto, all, {', '.join(LEAST_SQUARES)}, "
                           f"{', '.join(EXACT)}, {', '.join(MINIMIZE)} (aliases: {', '.join(ALIASES)})")
    return key


def why_not(method: str, model, s: Settings) -> str | None:
    """Why ``method`` cannot honour this fit as asked (None: it can)."""
    if s.constraints and method not in TAKES_CONSTRAINTS:
        return f"{method} takes no constraints; use {', '.join(TAKES_CONSTRAINTS[:-1])} or {TAKES_CONSTRAINTS[-1]}"
    if method in LINEAR_ONLY and not model.linear:
        return f"{method} solves models linear in their parameters; this one is not"
    if method in LINEAR_ONLY and s.loss != "linear":
        return f"{method} minimises the plain sum of squares; --loss {s.loss} needs trf or dogbox"
    if method == "nnls" and s.bounded:
        return "nnls has its own bounds (every parameter ≥ 0); use bvls for --bounds"
    if s.bounded and method not in TAKES_BOUNDS and method != "nnls":
        return f"{method} takes no bounds; use trf or dogbox"
    if method == "lm" and s.loss != "linear":
        return f"lm (MINPACK) supports only the plain sum of squares; --loss {s.loss} needs trf or dogbox"
    if method in MINIMIZE and s.loss != "linear":
        return f"{method} minimises the plain RSS here; --loss {s.loss} needs trf or dogbox"
    return None


def plan(method_text: str, model, s: Settings) -> tuple[list[tuple[str, str]], list[tuple[str, str]], str | None]:
    """(runs as (canonical, label), skipped as (name, reason), note for auto)."""
    asked = [m for m in method_text.split(",") if m.strip()]
    if not asked:
        raise GradcliError("--method: give a method name, e.g. -m trf")
    if len(asked) == 1 and canonical(asked[0]) == "auto" and s.constraints:
        if s.loss != "linear":
            raise GradcliError(f"--constraint with --loss {s.loss}: the methods that take constraints ("
                               f"{', '.join(TAKES_CONSTRAINTS)}) minimise the plain RSS; drop one of the two")
        return [("slsqp", "slsqp")], [], "auto: slsqp (minimize over the RSS with its exact gradient; --constraint)"
    if len(asked) == 1 and canonical(asked[0]) == "auto":
        if model.linear and s.loss == "linear":
            m = "bvls" if s.bounded else "lstsq"
            return [(m, m)], [], f"auto: the model is linear in its parameters, solved exactly by {m}"
        if not s.bounded and s.loss == "linear":
            return [("lm", "lm")], [], "auto: lm (MINPACK Levenberg–Marquardt, exact Jacobian)"
        return [("trf", "trf")], [], "auto: trf (SciPy least_squares, exact Jacobian; bounds or a robust loss)"
    if len(asked) == 1 and canonical(asked[0]) == "all":
        names = (("lstsq",) if model.linear else ()) + ALL_NONLINEAR + (TAKES_CONSTRAINTS if s.constraints else ())
        runs, skipped = [], []
        for m in names:
            reason = why_not(m, model, s)
            (skipped.append((m, reason)) if reason else runs.append((m, m)))
        return runs, skipped, None
    runs = []
    for text in asked:
        m = canonical(text)
        if m in ("auto", "all"):
            raise GradcliError(f"--method {m} stands alone; it cannot be part of a list")
        reason = why_not(m, model, s)
        if reason:
            raise GradcliError(f"--method {text.strip()}: {reason}")
        label = m if text.strip().lower() == m else f"{text.strip()} → {m}"
        runs.append((m, label))
    return runs, [], None


def run(method: str, label: str, model, p0: np.ndarray, s: Settings, counter: Counter | None = None) -> FitRun:
    """One method; ``counter`` (a Counter, or one that also watches a deadline or keeps a history) counts."""
    counter = counter or Counter(model)
    start = time.perf_counter()
    try:
        with np.errstate(all="ignore"):      # once for the run: the model's hot path does not enter it per call
            if method in EXACT:
                x, ok, status, message = _exact(method, counter, s)
            elif method in LEAST_SQUARES:
                x, ok, status, message = _least_squares(method, counter, p0, s)
            else:
                x, ok, status, message = _minimize(method, counter, p0, s)
    except (ValueError, np.linalg.LinAlgError) as exc:       # SciPy's own refusal mid-run: a failed run
        x, ok, status, message = np.full(model.p, np.nan), False, "failed", str(exc)[:200]
    took = time.perf_counter() - start
    return FitRun(method, label, np.asarray(x, dtype=float), ok, status, message, counter.nfev, counter.njev, took,
                  exact=method in EXACT)


_LMDER = {1: "the actual and predicted relative reductions of the sum of squares are at most ftol",
          2: "the relative change between two consecutive iterates is at most xtol",
          3: "the relative reductions of the sum of squares are at most ftol and the relative change of the "
             "iterates at most xtol",
          4: "the cosine between the residuals and every column of the Jacobian is at most gtol",
          5: "the number of residual evaluations reached maxfev",
          6: "ftol is too small: no further reduction of the sum of squares is possible",
          7: "xtol is too small: no further improvement of the solution is possible",
          8: "gtol is too small: the residuals are orthogonal to the Jacobian's columns to machine precision"}
_MINPACK = {1: "converged (ftol)", 2: "converged (xtol)", 3: "converged (ftol, xtol)", 4: "converged (gtol)",
            5: "max evaluations"}


def _least_squares(method: str, c: Counter, p0, s: Settings):
    if method == "lm":
        # MINPACK's lmder called directly, as curve_fit does: least_squares(method='lm') runs the same code
        # behind a wrapper measured at 1.15-1.25x the time on 10 000 rows (benchmarks/fit_speed.py).
        # col_deriv: J.T of our Fortran-order J is the (p, n) C-ordered block MINPACK stores, passed without a
        # transposing copy. Calls at p0 are answered once (Counter.replay_start).
        p0 = np.asarray(p0, dtype=float)
        c.replay_start(p0)
        # full_output=False on small data: leastsq's covariance from MINPACK's R (of J at an earlier iterate)
        # is not computed; ours comes from J at the answer (measured ~12 µs of a 250 µs Misra1a fit), and r at
        # the answer is one of the counter's recent ones. On large data (the counter keeps none) full_output's
        # fvec, r at the answer, saves evaluating it again (35-80 µs on 10 000 rows) for those ~12 µs. Its
        # warning for ier 5-8 is replaced by our own status and message.
        whole = not c._keep
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            out = leastsq(c.fun, p0, Dfun=c.jac_t, col_deriv=True, full_output=whole,
                          xtol=s.xtol, ftol=s.ftol, gtol=s.gtol, maxfev=s.max_nfev or 0)
        if whole:
            x, _, info, _, ier = out
            fvec, key = info.get("fvec"), np.asarray(x, dtype=float).tobytes()
            if isinstance(fvec, np.ndarray) and fvec.shape == c.model.y.shape and fvec.dtype == float:
                c.answer = (key, fvec)
            c.minpack_r = (key, minpack_r(info, len(p0)))
        else:
            x, ier = out
        return x, ier in (1, 2, 3, 4), _MINPACK.get(ier, "failed"), _LMDER.get(ier, f"MINPACK lmder info = {ier}")
    kw = dict(method=method, jac=c.jac, xtol=s.xtol, ftol=s.ftol, gtol=s.gtol, max_nfev=s.max_nfev)
    if method != "lm":
        kw.update(loss=s.loss, f_scale=s.f_scale)
        if s.bounded:
            kw["bounds"] = (s.lower, s.upper)
    res = least_squares(c.fun, np.asarray(p0, dtype=float), **kw)
    return res.x, bool(res.success), _STATUS.get(res.status, str(res.status)), str(res.message)


def minpack_r(info: dict, p: int) -> np.ndarray | None:
    """R·Pᵀ from leastsq's fjac and ipvt: MINPACK's pivoted Householder QR of the last Jacobian it was given,
    J·P = Q·R, so (R·Pᵀ)ᵀ(R·Pᵀ) = JᵀJ (lmpar leaves R's upper triangle as it is). ipvt is 0-based in the
    SciPy measured here (1.17: leastsq's own covariance code no longer subtracts 1) and 1-based in older
    ones: either is accepted, anything else is not used. None if it cannot be read."""
    fjac, ipvt = info.get("fjac"), info.get("ipvt")
    if not (isinstance(fjac, np.ndarray) and isinstance(ipvt, np.ndarray)) or fjac.ndim != 2 or ipvt.shape != (p,):
        return None
    if fjac.shape[0] != p or fjac.shape[1] < p:
        return None
    order = sorted(ipvt.tolist())
    base = 0 if order == list(range(p)) else 1 if order == list(range(1, p + 1)) else None
    if base is None:
        return None
    R = np.triu(fjac.T[:p, :])
    out = np.empty_like(R)
    out[:, ipvt - base] = R
    return out


def _exact(method: str, c: Counter, s: Settings):
    """A model linear in p is r(p) = r(0) + J·p exactly: one Jacobian, a column-scaled solve, and one step
    of iterative refinement on the residual evaluated afresh (it recovers digits lost to conditioning)."""
    zero = np.zeros(c.model.p)
    J = c.jac(zero)
    d = np.linalg.norm(J, axis=0)
    d = np.where(d > 0, d, 1.0)
    A = J / d
    if method == "lstsq":
        x = np.linalg.lstsq(A, -c.fun(zero), rcond=None)[0] / d
        x = x + np.linalg.lstsq(A, -c.fun(x), rcond=None)[0] / d
        return x, True, "solved exactly", "linear least squares (SVD, columns scaled, one refinement step)"
    if method == "nnls":
        x, _ = nnls(A, -c.fun(zero))
        return x / d, True, "solved exactly", "non-negative least squares (Lawson–Hanson active set)"
    lo = s.lower if s.lower is not None else np.full(c.model.p, -np.inf)
    hi = s.upper if s.upper is not None else np.full(c.model.p, np.inf)
    res = lsq_linear(A, -c.fun(zero), bounds=(lo * d, hi * d), method="bvls", tol=s.ftol)
    return res.x / d, bool(res.success), "solved exactly" if res.success else "failed", str(res.message)


def _minimize(method: str, c: Counter, p0, s: Settings):
    kw = {}
    if method not in DERIVATIVE_FREE:
        kw["jac"] = c.rss_grad
    if s.bounded:
        kw["bounds"] = list(zip(s.lower, s.upper))
    if s.constraints:
        from gradcli.fit.constraints import minimize_constrained
        return minimize_constrained(method, c, p0, s)
    res = minimize(c.rss, np.asarray(p0, dtype=float), method=method, **kw)
    return res.x, bool(res.success), "converged" if res.success else "stopped", str(res.message)
