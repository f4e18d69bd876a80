"""Options several commands share, and their parsing into plain Python values."""

from __future__ import annotations

import math
import os
import re

import click

from gradcli import limits
from gradcli.errors import GradcliError


class Finite(click.FloatRange):
    """A FloatRange that also refuses nan and ±inf (click's own lets nan through every bound)."""

    def convert(self, value, param, ctx):
        v = super().convert(value, param, ctx)
        if not math.isfinite(v):
            self.fail(f"{v} is not a finite number", param, ctx)
        return v


def given(ctx, param, value):
    """An option given an empty value (--json "", --results "") is a mistake to report, not an option to drop."""
    for v in value if isinstance(value, tuple) else [value]:
        if v is not None and not v.strip():
            raise click.BadParameter("is empty; give a file name (or leave the option out)")
    return value


def scheduler_address(ctx, param, value):
    """--scheduler checked as it is read (gradcli.study.distributed.parse_scheduler), before anything runs."""
    if value is not None:
        from gradcli.study.distributed import parse_scheduler
        parse_scheduler(value)
    return value


SEED = click.IntRange(0, limits.MAX_SEED)
ITERATIONS = click.IntRange(1, limits.MAX_ITER)
STARTS = click.IntRange(1, limits.MAX_STARTS)
WORKERS = click.IntRange(1, limits.MAX_WORKERS)
POSITIVE = Finite(min=0, min_open=True)
NONNEGATIVE = Finite(min=0)
SOLVE_SECONDS = Finite(min=0.1, max=limits.MAX_SOLVE_SECONDS)


def numbers(text: str, what: str) -> list[float]:
    """'1.3' or '-1.2,1' (spaces around commas allowed) → floats; read with float(), never evaluated.

    Spaces inside an item are an error, never deleted: '1 2' is not 12 (and '1 000' is not 1000)."""
    out = []
    parts = text.split(",")
    for i, part in enumerate(parts):
        item = part.strip()
        shown = _short(text)
        if len(item.split()) > 1:
            raise GradcliError(f"{what}: '{_short(item)}' (item {i + 1} of '{shown}') has a space inside; separate "
                               f"numbers with commas, e.g. {what} {','.join(item.split()[:2])}")
        try:
            out.append(float(item))
        except ValueError:
            raise GradcliError(f"{what}: '{_short(item)}' (item {i + 1} of '{shown}') is not a number; "
                               f"write numbers separated by commas, e.g. {what} -1.2,1") from None
    return out


def number(text: str, what: str, example: str) -> float:
    """Exactly one number: 'a=3,5' must not quietly become 3."""
    values = numbers(text, what)
    if len(values) != 1:
        raise GradcliError(f"{what}: '{_short(text)}' is {len(values)} numbers where one is expected, e.g. {example}")
    return values[0]


def _short(text: str, limit: int = 60) -> str:
    """A user's value inside an error line, cut so that the line stays one readable line."""
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[:limit - 12] + "…" + text[-10:]


def _once(out: dict, name: str, what: str) -> None:
    """A name given twice is refused: the last one silently winning hides a typo (as for --data/--var)."""
    if name in out:
        raise GradcliError(f"{what}: {_short(name)} is given twice; keep one")


def point(text: str, what: str):
    """A point as 'x=1,y=2' (a dict by name) or '1,2' (a list in variable order); finite numbers only."""
    values = _point(text, what)
    for v in values.values() if isinstance(values, dict) else values:
        if not math.isfinite(v):
            raise GradcliError(f"{what}: {v} is not a finite number; a start or point is finite, e.g. {what} 0")
    return values


def _point(text: str, what: str):
    if "=" not in text:
        return numbers(text, what)
    out = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        if not name.strip() or not value.strip():
            raise GradcliError(f"{what}: '{_short(part)}' should be NAME=NUMBER, e.g. {what} x=1,y=2")
        _once(out, name.strip(), what)
        out[name.strip()] = number(value, f"{what} {name.strip()}", f"{what} x=1,y=2")
    return out


def params(items: tuple[str, ...]) -> dict[str, float]:
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name.strip():
            raise GradcliError(f"--param '{_short(item)}': write NAME=NUMBER, e.g. --param a=1")
        _once(out, name.strip(), "--param")
        out[name.strip()] = number(value, f"--param {name.strip()}", "--param a=1 (one --param per name)")
    return out


def bounds(items: tuple[str, ...]) -> dict[str, tuple]:
    """'x=-5:5', 'x=:3' (no lower bound), 'x=0:' (no upper bound)."""
    out = {}
    for item in items:
        name, eq, rng = item.partition("=")
        lo, colon, hi = rng.partition(":")
        if not eq or not colon or not name.strip():
            raise GradcliError(f"--bounds '{_short(item)}': write NAME=LO:HI, e.g. --bounds x=-5:5 (leave a side "
                               "empty for no bound: x=0:)")
        _once(out, name.strip(), "--bounds")
        out[name.strip()] = tuple(None if not v.strip() else number(v, f"--bounds {name.strip()}",
                                                                     "--bounds x=-5:5 (one --bounds per variable)")
                                  for v in (lo, hi))
    return out


def check_params_used(given: dict, texts, declared=()) -> None:
    """--param NAME for a name no expression uses (nor the file declares) is a typo, not a no-op."""
    import ast

    from gradcli.expr.syntax import parse_tree

    if not given:
        return
    used = set(declared)
    for text in texts:
        try:
            tree, _ = parse_tree(text)
        except GradcliError:
            return                          # the expression's own error is reported when it is built
        used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
    unused = [k for k in given if k not in used]
    if unused:
        raise GradcliError(f"--param {_short(unused[0])}: no expression uses '{_short(unused[0])}'; check the name "
                           "(a parameter is a name the objective or a constraint uses)")


def variables(text: str | None) -> list[str] | None:
    return None if text is None else [v.strip() for v in text.split(",") if v.strip()]


def expression_options(f):
    """--vars, --param and --dim: how an expression's symbols are read."""
    f = click.option("--dim", type=click.IntRange(1, 1_000_000),   # expr.syntax.MAX_DIM
                     default=None, metavar="N",
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
    from gradcli.problem.kinds import is_problem_file

    start = None if x0 is None else point(x0, "--x0")
    arrays = named_items(data, "--data", "X=X.npy")
    given = params(param)
    if is_problem_file(arg):
        if vars_ or dim or var:
            raise GradcliError("--vars/--dim/--var: a problem file names its variables itself (variables:, dim:)")
        from gradcli.problem.file import problem_from_text, read_text
        pt = read_text(arg)
        check_params_used(given, _file_texts(pt.doc), declared=(pt.doc.get("parameters") or {}))
        extra = {"data": arrays} if arrays else {}
        return problem_from_text(pt, x0=start, params=given, bounds=bounds_(bounds), constraints=list(constraints),
                                 **extra)
    not_a_path(arg)
    check_params_used(given, [arg, *constraints])
    if var or arrays:
        from gradcli.arrays.problem import build_array_problem
        if not var:
            raise GradcliError("--data needs sized variables: --var w=784 (one per variable)")
        if dim or vars_:
            raise GradcliError("--dim and --vars are for scalar problems; array expressions take --var NAME=SIZE")
        if start is None and need_x0:
            raise GradcliError("--x0 is required: one number for every entry (--x0 0), or by name (--x0 w=0,b=0)")
        if isinstance(start, list) and len(start) == 1:
            start = start[0]
        return build_array_problem(arg, sizes(var), params=given, x0=start, data_overrides=arrays,
                                   bounds=bounds_(bounds), constraints=list(constraints))
    from gradcli.problem.core import build_problem

    if start is None and need_x0:
        raise GradcliError("--x0 is required with an expression: one number per variable, e.g. --x0 -1.2,1")
    return build_problem(arg, variables=variables(vars_), params=given, x0=start, bounds=bounds_(bounds),
                         constraints=list(constraints), dim=dim)


def _file_texts(doc: dict) -> list[str]:
    """Every expression a problem file holds (objective, constraints, gradient, define:)."""
    texts = ([doc.get("objective") or ""] + list(doc.get("residuals") or []) + list(doc.get("constraints") or [])
             + list(doc.get("gradient") or []))
    return [t for t in texts + list((doc.get("define") or {}).values()) if isinstance(t, str)]


_PATHLIKE = re.compile(r"[\w.~/-]+")
_NAMES = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(/[A-Za-z_][A-Za-z0-9_]*)+")


def not_a_path(arg: str) -> None:
    """A mistyped file name must not be minimised as a quotient: 'problems/rosenbrock' (no .yaml) or a folder
    is named as a path. Something looks like a path when it exists, or has no spaces and only path characters
    and a '/' plus a sign of a path ('./', '~', a '.ext', a trailing '/', or a name of 4+ letters: x/y and
    x1/x2 stay expressions). An expression that looks like one is written with spaces: 'mass / volume'."""
    shown = _short(arg, 80)
    if not _PATHLIKE.fullmatch(arg):
        return
    try:
        exists = os.path.exists(arg)
    except (ValueError, OSError):
        exists = False
    if not exists:
        parts = [p for p in arg.split("/") if p]
        signs = ("/" in arg and (arg.startswith(("/", "./", "../", "~")) or arg.endswith("/") or "//" in arg
                                 or any(re.search(r"[A-Za-z_]\.|\.[A-Za-z]", p) for p in parts)
                                 or (_NAMES.fullmatch(arg) and any(len(p) >= 4 for p in parts))))
        if not signs:
            return
    if os.path.isdir(arg):
        raise GradcliError(f"'{shown}': is a directory; give a problem file in it (FILE.yaml), or use "
                           "`gradcli compare` to run a whole folder")
    if exists:
        raise GradcliError(f"'{shown}': is a file but not a problem file (those end in .yaml or .yml)")
    hint = next((f"; did you mean {shown}{ext}?" for ext in (".yaml", ".yml") if os.path.isfile(arg + ext)), "")
    raise GradcliError(f"'{shown}': no such file or directory{hint} (to divide variables, write spaces around "
                       "'/': 'a / b')")


bounds_ = bounds


def gd_options(f):
    """Options of our gradient-descent family (and --gtol for SciPy's BFGS, CG, L-BFGS-B).

    Each reaches only the methods whose registry entry lists it (`gradcli methods`); giving one that no
    chosen method takes is an error, not silently ignored.
    """
    fraction = Finite(min=0, max=1, max_open=True)
    rows = [
        ("--grid", click.IntRange(min=2, max=1000), "brute: grid points per variable, both bounds included "
                                                     "(SciPy's Ns, default 20)."),
        ("--xtol", NONNEGATIVE, "gd family: stop when the step ‖Δx‖∞ ≤ XTOL (default 0: off)."),
        ("--ftol", NONNEGATIVE, "gd family: stop when |Δf| ≤ FTOL·max(1, |f|) (default 0: off)."),
        ("--gtol", POSITIVE, "Stop when ‖∇f‖∞ ≤ GTOL (projected with bounds). gd family (default 1e-5; --tol sets it "
                          "too) and SciPy's bfgs, cg, l-bfgs-b."),
        ("--eps", POSITIVE, "adam: ε in the denominator (default 1e-8)."),
        ("--beta2", fraction, "adam: second-moment decay β2 (default 0.999)."),
        ("--beta1", fraction, "adam: first-moment decay β1 (default 0.9)."),
        ("--beta", fraction, "momentum, nesterov: momentum β (default 0.9)."),
        ("--lr", POSITIVE, "Step size: gd --step fixed (default 0.1; the first trial step for armijo/bb), momentum "
                        "and nesterov (default 0.01), adam (default 0.1)."),
        ("--step", click.Choice(["fixed", "armijo", "bb"]), "gd's step rule: fixed (x ← x − lr·∇f), armijo "
                                                              "(backtracking, the default) or bb (Barzilai–Borwein "
                                                              "with a nonmonotone line search)."),
    ]
    for name, kind, text in rows:
        f = click.option(name, type=kind, default=None, help=text)(f)
    f = click.option("--maxfev", type=click.IntRange(min=1, max=10**9), default=None,
                     help="auto: a cap on f evaluations summed over every step of the portfolio.")(f)
    f = click.option("--local", is_flag=True, default=None,
                     help="auto: no global phase, even when every variable has finite bounds.")(f)
    return f
