"""Every method gradcli knows, as small entries with capabilities and a lazy import path.

Nothing here imports SciPy: listing methods or resolving a name is cheap. A solver module is
imported only when one of its methods runs.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field

from gradcli.errors import GradcliError


@dataclass(frozen=True)
class SolverSpec:
    """One method: what it is, what it needs, where it lives."""

    name: str                         # canonical name users type (lower case)
    label: str                        # how reports show it
    family: str                       # scipy-local, scipy-scalar, scipy-global, gd
    target: str                       # "module:function" run(spec, objective, x0, settings) -> Result
    aliases: tuple[str, ...] = ()
    needs_grad: bool = False
    needs_hess: bool = False          # Hessian or Hessian-vector products
    bounds: str = "no"                # "no", "yes" (honours them), "required" (finite on every variable)
    constraints: bool = False
    scalar_only: bool = False         # one variable only
    max_n: int | None = None          # above this many variables 'all' and compare leave it out
    dense_hessian: bool = False       # factorizes the n×n Hessian: given it dense, refused above DENSE_HESSIAN_MAX_N
    options: tuple[tuple[str, str], ...] = ()   # (--option, what it does) beyond the common ones
    note: str = ""

    @property
    def option_keys(self) -> tuple[str, ...]:
        """The keys of ``Settings.options`` this method takes: '--beta1' → 'beta1'."""
        return tuple(o.lstrip("-").replace("-", "_") for o, _ in self.options)

    def runner(self):
        module, func = self.target.split(":")
        return getattr(importlib.import_module(module), func)

    def applicable(self, problem, named: bool = False) -> str | None:
        """None when the method can solve ``problem`` as given, else the reason it cannot.

        ``named``: the user asked for this method by name in `minimize`; then only what makes it
        impossible counts, not what makes it impractical (``max_n``).
        """
        if self.max_n is not None and problem.n > self.max_n and not named:
            return (f"derivative-free, impractical above {self.max_n} variables (this problem has {problem.n}); "
                    "name it in `minimize --method` to run it anyway")
        if self.dense_hessian and problem.n > DENSE_HESSIAN_MAX_N:
            gb = problem.n ** 2 * 8 / 1e9
            return (f"factorizes a dense n×n Hessian: {gb:.3g} GB and O(n³) work per step for {problem.n} "
                    f"variables (limit {DENSE_HESSIAN_MAX_N}); trust-krylov, trust-ncg and newton-cg use the exact "
                    "sparse Hessian through Hessian-vector products")
        if self.scalar_only and problem.n != 1:
            return f"one variable only (this problem has {problem.n})"
        if self.bounds == "required" and not problem.finite_bounds:
            return "needs finite bounds on every variable (--bounds)"
        if self.bounds == "no" and problem.has_bounds:
            return "cannot honour bounds"
        if problem.constraints and not self.constraints:
            return "cannot honour constraints"
        return None


@dataclass
class Registry:
    """Name → spec, with aliases; a duplicate name is an error, never a silent override."""

    specs: dict[str, SolverSpec] = field(default_factory=dict)
    names: dict[str, str] = field(default_factory=dict)

    def add(self, spec: SolverSpec) -> None:
        for key in (spec.name, *spec.aliases):
            k = normalize(key)
            if k in self.names:
                raise ValueError(f"method name {key!r} registered twice ({self.names[k]} and {spec.name})")
            self.names[k] = spec.name
        self.specs[spec.name] = spec

    def get(self, name: str) -> SolverSpec:
        key = normalize(name)
        if key not in self.names:
            import difflib

            near = difflib.get_close_matches(key, list(self.names), n=3, cutoff=0.6)
            shown = dict.fromkeys(self.names[n] for n in near)      # aliases of one method name it once
            hint = f"; did you mean {' or '.join(shown)}?" if near else ""
            raise GradcliError(f"unknown method '{name}'{hint} (see `gradcli methods` for the list)")
        return self.specs[self.names[key]]

    def __iter__(self):
        return iter(self.specs.values())


def normalize(name: str) -> str:
    return name.strip().lower().replace("_", "-")


# A simplex or model-based method needs O(n) evaluations per step and O(n^2) work (Nelder-Mead on the
# 785-variable logistic regression ran for minutes); gradient methods are the tool there.
DERIVATIVE_FREE_MAX_N = 100
DENSE_HESSIAN_MAX_N = 5000            # a dense Hessian of 200 MB, factorized at every step

_LOCAL = "gradcli.solvers.scipy_local:run"
_SCALAR = "gradcli.solvers.scipy_scalar:run"
_GLOBAL = "gradcli.solvers.scipy_global:run"
_GD = "gradcli.solvers.gd:run"

# Options of our gd family (defaults live in solvers/gd.py:DEFAULTS). SciPy's BFGS, CG and L-BFGS-B take
# --gtol too: their own gtol is the same test, max |∇f_i| (projected for L-BFGS-B) ≤ gtol.
_GTOL = ("--gtol", "stop when ‖∇f‖∞ (projected with bounds) ≤ gtol (default 1e-5; --tol sets it too)")
_STOP = (_GTOL,
         ("--ftol", "stop when |Δf| ≤ ftol·max(1, |f|) (default 0: off)"),
         ("--xtol", "stop when ‖Δx‖∞ ≤ xtol (default 0: off)"))
_BETA = ("--beta", "momentum β (default 0.9)")

REGISTRY = Registry()
for _spec in (
    SolverSpec("nelder-mead", "Nelder-Mead", "scipy-local", _LOCAL, ("fmin", "simplex"), bounds="yes",
               max_n=DERIVATIVE_FREE_MAX_N),
    SolverSpec("powell", "Powell", "scipy-local", _LOCAL, ("fmin_powell",), bounds="yes",
               max_n=DERIVATIVE_FREE_MAX_N),
    SolverSpec("cg", "CG", "scipy-local", _LOCAL, ("fmin_cg",), needs_grad=True, options=(_GTOL,)),
    SolverSpec("bfgs", "BFGS", "scipy-local", _LOCAL, ("fmin_bfgs",), needs_grad=True, options=(_GTOL,)),
    SolverSpec("newton-cg", "Newton-CG", "scipy-local", _LOCAL, ("fmin_ncg",), needs_grad=True, needs_hess=True),
    SolverSpec("l-bfgs-b", "L-BFGS-B", "scipy-local", _LOCAL, ("fmin_l_bfgs_b", "lbfgsb"), needs_grad=True,
               bounds="yes", options=(_GTOL,)),
    SolverSpec("tnc", "TNC", "scipy-local", _LOCAL, ("fmin_tnc",), needs_grad=True, bounds="yes"),
    SolverSpec("cobyla", "COBYLA", "scipy-local", _LOCAL, ("fmin_cobyla",), bounds="yes", constraints=True,
               note="inequality constraints only", max_n=DERIVATIVE_FREE_MAX_N),
    SolverSpec("cobyqa", "COBYQA", "scipy-local", _LOCAL, (), bounds="yes", constraints=True,
               max_n=DERIVATIVE_FREE_MAX_N),
    SolverSpec("slsqp", "SLSQP", "scipy-local", _LOCAL, ("fmin_slsqp",), needs_grad=True, bounds="yes",
               constraints=True),
    SolverSpec("trust-constr", "trust-constr", "scipy-local", _LOCAL, (), needs_grad=True, needs_hess=True,
               bounds="yes", constraints=True),
    SolverSpec("dogleg", "dogleg", "scipy-local", _LOCAL, (), needs_grad=True, needs_hess=True,
               note="needs a positive-definite Hessian along the way", dense_hessian=True),
    SolverSpec("trust-ncg", "trust-ncg", "scipy-local", _LOCAL, (), needs_grad=True, needs_hess=True),
    SolverSpec("trust-krylov", "trust-krylov", "scipy-local", _LOCAL, (), needs_grad=True, needs_hess=True),
    SolverSpec("trust-exact", "trust-exact", "scipy-local", _LOCAL, (), needs_grad=True, needs_hess=True,
               dense_hessian=True),
    SolverSpec("brent", "Brent", "scipy-scalar", _SCALAR, (), scalar_only=True),
    SolverSpec("golden", "golden", "scipy-scalar", _SCALAR, (), scalar_only=True),
    SolverSpec("bounded", "bounded", "scipy-scalar", _SCALAR, ("fminbound",), scalar_only=True,
               bounds="required"),
    SolverSpec("basinhopping", "basinhopping", "scipy-global", _GLOBAL, (), needs_grad=True, bounds="yes",
               note="L-BFGS-B local steps (inside the bounds when given)"),
    SolverSpec("differential-evolution", "differential_evolution", "scipy-global", _GLOBAL, ("de",),
               bounds="required"),
    SolverSpec("dual-annealing", "dual_annealing", "scipy-global", _GLOBAL, (), bounds="required"),
    SolverSpec("shgo", "shgo", "scipy-global", _GLOBAL, (), needs_grad=True, bounds="required"),
    SolverSpec("direct", "DIRECT", "scipy-global", _GLOBAL, (), bounds="required"),
    SolverSpec("brute", "brute", "grid", "gradcli.solvers.brute:run", ("grid-search",), needs_grad=True,
               bounds="required", options=(("--grid", "grid points per variable, both bounds included (SciPy's "
                                                      "Ns, default 20); Ns**n evaluations of f"),),
               note="grid search, then L-BFGS-B inside the bounds; never returns a point outside them"),
    SolverSpec("auto", "auto", "auto", "gradcli.run.auto:portfolio", (), bounds="yes", constraints=True,
               options=(("--maxfev", "a cap on f evaluations over every step of the portfolio"),
                        ("--local", "no global phase, even when every variable has finite bounds")),
               note="a portfolio: a first method from the problem's structure, verified; complementary methods "
                    "when that is not a verified minimum; a global phase over a finite box"),
    SolverSpec("gd", "gd", "gd", _GD, ("steepest-descent", "gradient-descent"), needs_grad=True, bounds="yes",
               options=(("--step", "step rule: fixed (x ← x − lr·∇f), armijo (backtracking, default) or bb "
                                   "(Barzilai–Borwein, nonmonotone)"),
                        ("--lr", "the fixed step (default 0.1); the first trial step of armijo/bb"), *_STOP),
               note="at most 10000 iterations unless --maxiter"),
    SolverSpec("momentum", "momentum", "gd", _GD, ("heavy-ball",), needs_grad=True, bounds="yes",
               options=(("--lr", "step size (default 0.01)"), _BETA, *_STOP), note="Polyak's heavy ball"),
    SolverSpec("nesterov", "nesterov", "gd", _GD, ("nag",), needs_grad=True, bounds="yes",
               options=(("--lr", "step size (default 0.01)"), _BETA, *_STOP), note="Nesterov accelerated gradient"),
    SolverSpec("adam", "adam", "gd", _GD, (), needs_grad=True, bounds="yes",
               options=(("--lr", "step size α (default 0.1)"), ("--beta1", "first-moment decay (default 0.9)"),
                        ("--beta2", "second-moment decay (default 0.999)"),
                        ("--eps", "denominator guard ε (default 1e-8)"), *_STOP), note="Kingma & Ba 2015"),
):
    REGISTRY.add(_spec)


def resolve(method: str, problem) -> tuple[list[SolverSpec], list[tuple[SolverSpec, str]]]:
    """The specs to run for ``--method`` (a name, a comma list, or 'all') and the ones skipped, with why.

    A method named explicitly that cannot honour the problem is an error (the user asked for it);
    'all' skips such methods and says so.
    """
    words = [w for w in (method or "").split(",") if w.strip()]
    if not words:
        raise GradcliError("--method: give a method name, a comma-separated list, or 'all'")
    chosen: list[SolverSpec] = []
    skipped: list[tuple[SolverSpec, str]] = []
    for w in words:
        if normalize(w) == "all":
            for spec in REGISTRY:
                if spec.family == "auto":      # a portfolio of the others, not one more method
                    continue
                why = spec.applicable(problem)
                if why:
                    skipped.append((spec, why))
                elif spec not in chosen:
                    chosen.append(spec)
            continue
        spec = REGISTRY.get(w)
        why = spec.applicable(problem, named=True)
        if why:
            raise GradcliError(f"method {spec.name}: {why}; see `gradcli methods` for one that can")
        if spec not in chosen:
            chosen.append(spec)
    return chosen, skipped
