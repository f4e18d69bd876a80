"""Options several commands share, and their parsing into plain Python values."""

from __future__ import annotations

import click

from ..errors import GradcliError


def numbers(text: str, what: str) -> list[float]:
    """'1.3' or '-1.2,1' (spaces allowed) → floats; read with float(), never evaluated."""
    out = []
    for i, part in enumerate(text.replace(" ", "").split(",")):
        try:
            out.append(float(part))
        except ValueError:
            raise GradcliError(f"{what}: '{part}' (item {i + 1} of '{text}') is not a number; "
                               f"write numbers separated by commas, e.g. {what} -1.2,1") from None
    return out


def point(text: str, what: str):
    """A point as 'x=1,y=2' (a dict by name) or '1,2' (a list in variable order)."""
    if "=" not in text:
        return numbers(text, what)
    out = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if not name.strip() or not value.strip():
            raise GradcliError(f"{what}: '{part}' should be NAME=NUMBER, e.g. {what} x=1,y=2")
        out[name.strip()] = numbers(value, f"{what} {name.strip()}")[0]
    return out


def params(items: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise GradcliError(f"--param '{item}': write NAME=NUMBER, e.g. --param a=1")
        out[name.strip()] = numbers(value, f"--param {name.strip()}")[0]
    return out


def bounds(items: tuple[str, ...]) -> dict[str, tuple]:
    """'x=-5:5', 'x=:3' (no lower bound), 'x=0:' (no upper bound)."""
    out = {}
    for item in items:
        name, eq, rng = item.partition("=")
        lo, colon, hi = rng.partition(":")
        if not eq or not colon or not name.strip():
            raise GradcliError(f"--bounds '{item}': write NAME=LO:HI, e.g. --bounds x=-5:5 (leave a side empty "
                               "for no bound: x=0:)")
        out[name.strip()] = tuple(None if not v.strip() else numbers(v, f"--bounds {name.strip()}")[0]
                                  for v in (lo, hi))
    return out


def variables(text: str | None) -> list[str] | None:
    return None if text is None else [v.strip() for v in text.split(",") if v.strip()]


def expression_options(f):
    """--vars, --param and --dim: how an expression's symbols are read."""
    f = click.option("--dim", type=click.IntRange(min=1), default=None, metavar="N",
                     help="Length of indexed variables x[i] (0-based; n means N in the expression). A start "
                          "shorter than the number of variables is repeated to fill it.")(f)
    f = click.option("--param", "param", multiple=True, metavar="NAME=VALUE",
                     help="A named constant substituted before differentiation (repeatable), e.g. --param a=1.")(f)
    f = click.option("--vars", "vars_", metavar="X,Y,...",
                     help="The variables, in this order (default: every free symbol, natural sort: x2 before x10).")(f)
    return f


def load_problem(arg: str, *, x0=None, vars_=None, param=(), bounds=(), constraints=(), need_x0: bool = True,
                 dim: int | None = None):
    """EXPR or FILE.yaml plus command-line overrides → a validated Problem."""
    from ..problem_file import is_problem_file
    from ..problem_file import load_problem as load_file

    start = None if x0 is None else point(x0, "--x0")
    if is_problem_file(arg):
        if vars_ or dim:
            raise GradcliError("--vars/--dim: a problem file names its variables itself (variables:, dim:)")
        return load_file(arg, x0=start, params=params(param), bounds=bounds_(bounds), constraints=list(constraints))
    from ..problem import build_problem

    if start is None and need_x0:
        raise GradcliError("--x0 is required with an expression: one number per variable, e.g. --x0 -1.2,1")
    return build_problem(arg, variables=variables(vars_), params=params(param), x0=start, bounds=bounds_(bounds),
                         constraints=list(constraints), dim=dim)


bounds_ = bounds


def gd_options(f):
    """Options of our gradient-descent family (and --gtol for SciPy's BFGS, CG, L-BFGS-B).

    Each reaches only the methods whose registry entry lists it (`gradcli methods`); giving one that no
    chosen method takes is an error, not silently ignored.
    """
    rows = [
        ("--xtol", float, "gd family: stop when the step ‖Δx‖∞ ≤ XTOL (default 0: off)."),
        ("--ftol", float, "gd family: stop when |Δf| ≤ FTOL·max(1, |f|) (default 0: off)."),
        ("--gtol", float, "Stop when ‖∇f‖∞ ≤ GTOL (projected with bounds). gd family (default 1e-5; --tol sets it "
                          "too) and SciPy's bfgs, cg, l-bfgs-b."),
        ("--eps", float, "adam: ε in the denominator (default 1e-8)."),
        ("--beta2", float, "adam: second-moment decay β2 (default 0.999)."),
        ("--beta1", float, "adam: first-moment decay β1 (default 0.9)."),
        ("--beta", float, "momentum, nesterov: momentum β (default 0.9)."),
        ("--lr", float, "Step size: gd --step fixed (default 0.1; the first trial step for armijo/bb), momentum "
                        "and nesterov (default 0.01), adam (default 0.1)."),
        ("--step", click.Choice(["fixed", "armijo", "bb"]), "gd's step rule: fixed (x ← x − lr·∇f), armijo "
                                                              "(backtracking, the default) or bb (Barzilai–Borwein "
                                                              "with a nonmonotone line search)."),
    ]
    for name, kind, text in rows:
        f = click.option(name, type=kind, default=None, help=text)(f)
    return f
