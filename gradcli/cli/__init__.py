"""The command-line entry point: a click group whose commands are imported only when run.

Exit codes: 0 success, 1 no method succeeded (or a check failed), 2 bad input (usage, expression,
problem file). Library errors are turned into exit 2 here, in ``LazyGroup.invoke``, and nowhere else.
"""

from __future__ import annotations

import importlib

import click

from gradcli import __version__

COMMANDS = {
    "minimize": ("gradcli.cli.minimize", "Minimize an expression or a problem file with one or many methods."),
    "maximize": ("gradcli.cli.maximize", "Maximize an expression or a problem file (the mirror of minimize)."),
    "methods": ("gradcli.cli.methods", "List every method: family, what it needs, aliases, options."),
    "compare": ("gradcli.cli.compare", "Run many methods on many problem files and compare them."),
    "problems": ("gradcli.cli.problems", "List and check problem files."),
    "grad": ("gradcli.cli.grad", "Print the symbolic gradient (and Hessian) of an expression, and its values."),
    "stationary": ("gradcli.cli.stationary", "Solve ∇f = 0 exactly where possible and classify each stationary point."),
    "root": ("gradcli.cli.root", "Roots of one equation or a system (exact derivatives, counted, verified)."),
    "checkgrad": ("gradcli.cli.checkgrad", "Check a gradient against finite differences, component by component."),
    "fit": ("gradcli.cli.fit", "Fit a model to data by least squares: exact Jacobian, standard errors, verdict."),
}


class LazyGroup(click.Group):
    """Imports a command's module only when that command is asked for (keeps --help/--version fast)."""

    def list_commands(self, ctx):
        return sorted(COMMANDS)

    def get_command(self, ctx, name):
        if name not in COMMANDS:
            return None
        return importlib.import_module(COMMANDS[name][0]).command

    def invoke(self, ctx):
        from gradcli.errors import GradcliError

        try:
            return super().invoke(ctx)
        except GradcliError as exc:
            click.echo(f"gradcli: {exc}", err=True)
            ctx.exit(2)

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="gradcli")
def cli():
    """gradcli: type a formula, get the minimum, and see how each method got there.

    \b
    Examples:
      gradcli minimize "x**2-4*x+8" --x0 1.3 --method all
      gradcli minimize "100*(y-x**2)**2+(1-x)**2" --x0 -1.2,1 --method bfgs
      gradcli grad "1/sqrt(x**2+y**2+z**2)" --at x=1,y=2,z=2
      gradcli checkgrad "100*(y-x**2)**2+(1-x)**2" --at -1.2,1 --grad "-400*x*(y-x**2)-2*(1-x); 200*(y-x**2)"
      gradcli methods
    """


def main(argv=None):
    cli.main(args=argv, prog_name="gradcli")
