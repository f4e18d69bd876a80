"""Options several commands share, and their parsing into plain Python values."""

from __future__ import annotations

import click

from gradcli.errors import GradcliError


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


def named_items(items: tuple[str, ...], what: str, example: str) -> dict[str, str]:
    """'NAME=VALUE' options (--data X=X.npy, --var w=784) → {name: text}."""
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip() or not value.strip():
            raise GradcliError(f"{what} '{item}': write NAME=VALUE, e.g. {what} {example}")
        if name.strip() in out:         # the last one silently winning hides a typo
            raise GradcliError(f"{what} {name.strip()} is given twice; keep one")
        out[name.strip()] = value.strip()
    return out


def sizes(items: tuple[str, ...]) -> dict:
    """--var w=784 (a vector), --var W=5x8 (a matrix), --var b=1 (a scalar)."""
    out = {}
    for name, text in named_items(items, "--var", "w=784").items():
        try:
            dims = [int(d) for d in text.lower().split("x")]
        except ValueError:
            raise GradcliError(f"--var {name}={text}: a size is a whole number (784) or ROWSxCOLS (5x8)") from None
        out[name] = dims[0] if len(dims) == 1 else dims
    return out


def data_options(f):
    """--data and --var: array problems (data: and sized variables) from the command line."""
    f = click.option("--var", "var", multiple=True, metavar="NAME=SIZE",
                     help="A vector (w=784) or matrix (W=5x8) variable of an array expression (repeatable); "
                          "1 is a scalar.")(f)
    f = click.option("--data", "data", multiple=True, metavar="NAME=FILE",
                     help="An array the objective uses (.npy, file.npz:key, .csv), or one replacing a problem "
                          "file's data entry (repeatable). Paths here may be anywhere.")(f)
    return f


def load_problem(arg: str, *, x0=None, vars_=None, param=(), bounds=(), constraints=(), need_x0: bool = True,
                 dim: int | None = None, data=(), var=()):
    """EXPR or FILE.yaml plus command-line overrides → a validated Problem."""
    from gradcli.problem.file import is_problem_file
    from gradcli.problem.file import load_problem as load_file

    start = None if x0 is None else point(x0, "--x0")
    arrays = named_items(data, "--data", "X=X.npy")
    if is_problem_file(arg):
        if vars_ or dim or var:
            raise GradcliError("--vars/--dim/--var: a problem file names its variables itself (variables:, dim:)")
        extra = {"data": arrays} if arrays else {}
        return load_file(arg, x0=start, params=params(param), bounds=bounds_(bounds), constraints=list(constraints),
                         **extra)
    if var or arrays:
        from gradcli.arrays.problem import build_array_problem
        if not var:
            raise GradcliError("--data needs sized variables: --var w=784 (one per variable)")
        if bounds or constraints or dim or vars_:
            raise GradcliError("--bounds, --constraint, --dim and --vars are for scalar problems; array "
                               "expressions take --var NAME=SIZE")
        if start is None and need_x0:
            raise GradcliError("--x0 is required: one number for every entry (--x0 0), or by name (--x0 w=0,b=0)")
        if isinstance(start, list) and len(start) == 1:
            start = start[0]
        return build_array_problem(arg, sizes(var), params=params(param), x0=start, data_overrides=arrays)
    from gradcli.problem.core import build_problem

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
