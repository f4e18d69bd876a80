"""`gradcli maximize`: the mirror of minimize (max f = −min −f), with every option of minimize.

f(x*), the trace, the best point seen and the verdict are reported for f itself; the verdict wanted is
"maximum", and the exit code is 0 when some method reached a verified maximum.
"""

from __future__ import annotations

import click

from gradcli.cli import minimize as _minimize

command = click.Command(
    "maximize",
    params=[p for p in _minimize.command.params if p.name != "sense"]
    + [click.Option(["--sense"], type=click.Choice(["min", "max"]), default="max", hidden=True)],
    callback=_minimize.command.callback,
    help="""Maximize EXPR (or the problem in FILE.yaml) from X0: every option of `gradcli minimize`.

    Each method minimizes −f; f(x*) is printed as f, and the verdict is of f (maximum, saddle point,
    minimum, ...). Exit code: 0 when some method reached a verified maximum, 1 when none did, 2 for bad input.

    \b
    Examples:
      gradcli maximize "2*x1*x2 + 2*x1 - x1**2 - 2*x2**2" --x0 -1,1 -m slsqp
      gradcli maximize "sin(x)*cos(y)" --x0 1,0.5 -m bfgs
    """,
)
