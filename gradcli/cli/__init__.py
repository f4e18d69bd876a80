"""The command-line entry point: a click group whose commands are imported only when run.

Exit codes: 0 success, 1 no method succeeded (or a check failed), 2 bad input (usage, expression,
problem file). Library errors and click's usage errors are turned into one line and exit 2 here, in
``LazyGroup.invoke``, and nowhere else.
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

    def resolve_command(self, ctx, args):
        name, cmd, rest = super().resolve_command(ctx, args)
        ctx.meta["gradcli.command"] = name       # for a usage error raised before the command's context exists
        return name, cmd, _expression_first(cmd, rest, ctx)

    def invoke(self, ctx):
        from gradcli.errors import GradcliError

        try:
            return super().invoke(ctx)
        except GradcliError as exc:
            click.echo(f"gradcli: {exc}", err=True)
            ctx.exit(2)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:
            _usage_error(exc, exc.ctx.command_path if exc.ctx is not None and exc.ctx is not ctx
                         else " ".join(filter(None, (ctx.command_path, ctx.meta.get("gradcli.command")))))

    def make_context(self, info_name, args, parent=None, **extra):
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except click.exceptions.NoArgsIsHelpError:
            raise
        except click.UsageError as exc:     # `gradcli --bogus`: the group's own options
            _usage_error(exc, info_name or "gradcli")

    def format_commands(self, ctx, formatter):
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _usage_error(exc: click.UsageError, where: str):
    """Click's own four-line frame (usage, hint, blank, error), said in one line like every other error."""
    said = " ".join(exc.format_message().split())
    sub = where.split(" ", 1)[1] if " " in where else ""      # the root's name is "cli" under CliRunner
    click.echo(f"gradcli: {sub + ': ' if sub else ''}{said} See 'gradcli {sub + ' ' if sub else ''}--help'.", err=True)
    raise SystemExit(exc.exit_code)


def _expression_first(cmd, args: list[str], ctx) -> list[str]:
    """`minimize "-x**2" --x0 1`: an EXPR starting with '-' is the expression, not an unknown option.

    Only for a command whose argument is an EXPR, only when no positional came before, and only for a word
    that is none of the command's options (-m, -mbfgs, --x0=1 stay options) and parses as an expression.
    It is moved behind a '--' (the command's only positional), which click reads as an argument."""
    arg = next((p for p in cmd.params if isinstance(p, click.Argument)), None) if cmd is not None else None
    if arg is None or "EXPR" not in (arg.metavar or "") or arg.nargs != 1:
        return args
    if "--" in args:                           # `-- EXPR --x0 1`: '--' guards the expression; options may follow
        k = args.index("--")
        return args if k + 1 >= len(args) else args[:k] + args[k + 2:] + ["--", args[k + 1]]
    takes_value = {}
    for p in cmd.get_params(ctx):           # -h/--help included
        if isinstance(p, click.Option):
            for o in p.opts + p.secondary_opts:
                takes_value[o] = not (p.is_flag or p.count)
    i = 0
    while i < len(args):
        word = args[i]
        if not word.startswith("-") or word == "-":
            return args                        # the positional is already there
        head = word.split("=", 1)[0]
        if head in takes_value or word[:2] in takes_value:
            i += 1 + (takes_value.get(head, False) and "=" not in word and head == word)
            continue
        if word.startswith("--") or not (_parses(word) or any(c in word for c in "*+/()^=, ")):
            return args                        # click says "No such option", as for any typo
        return args[:i] + args[i + 1:] + ["--", word]
    return args


def _parses(text: str) -> bool:
    from gradcli.errors import GradcliError
    from gradcli.expr.syntax import parse_tree

    try:
        parse_tree(text)
    except GradcliError:
        return False
    return True


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


# The collector's thresholds for a command's process (the library leaves them alone). Start-up builds about
# 90 000 long-lived container objects (SymPy, SciPy, Rich, click) and no garbage, yet with Python's defaults
# (700, 10, 10) the collector ran 240 young, 21 middle and 2 full passes over them: 110 ms of a 0.8 s
# `minimize` (gc.callbacks). CPU time of `minimize x**2-4*x+8 -m bfgs` against `import sympy, scipy.optimize`
# (medians of 15): 1.22x with the defaults, 1.16x at 50 000, 1.13x at 200 000, 1.13x with no collector at
# all. Garbage cycles of a long run are still collected, once 200 000 new objects are alive.
# At exit, after the atexit handlers and the flush of stdout, the interpreter makes one last full collection
# over every object: 93 ms after a `minimize`, to free 626 objects the process is about to give back anyway.
# Frozen objects are left out of it (gc.freeze): the command's wall time fell from 1.11x to 0.83x the import
# floor (medians of 15 paired runs).
GC_THRESHOLDS = (200_000, 10, 10)


def main(argv=None):
    """The console script's entry (and ``python -m gradcli``): one command, then the process ends (click
    exits). It sets the process's collector as above; ``cli`` itself, CliRunner and the library do not."""
    import gc

    gc.set_threshold(*GC_THRESHOLDS)
    try:
        cli.main(args=argv, prog_name="gradcli")
    finally:
        gc.freeze()
