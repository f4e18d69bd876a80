"""`gradcli problems list|check`: the problem library itself."""

from __future__ import annotations

import click


@click.group("problems")
def command():
    """List and check problem files.

    \b
    Examples:
      gradcli problems list problems/
      gradcli problems check problems/
    """


@command.command("list")
@click.argument("paths", nargs=-1, metavar="[FILE|DIR...]")
@click.option("--tag", multiple=True, help="Only problems with this tag (repeatable: all must match).")
@click.option("--json", "as_json", is_flag=True, help="Print the list as JSON.")
def list_problems(paths, tag, as_json):
    """List problems: name, kind (minimize, least squares, fit, root), dimension, tags, known f*.

    \b
    Examples:
      gradcli problems list
      gradcli problems list problems/ --tag constrained
    """
    import json

    from gradcli.problem.file import find_files, read_text
    from gradcli.problem.listing import summary

    rows = []
    for path in find_files(paths or ["problems"]):
        row = summary(read_text(path))
        if all(t in row["tags"] for t in tag):
            rows.append({**row, "file": str(path)})
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    from gradcli.report.tables import consoles
    from gradcli.report.study import problems_table
    from gradcli.report.narrow import fitted
    out = consoles()[0]
    out.print(fitted(out, problems_table(rows)))


@command.command("check")
@click.argument("paths", nargs=-1, metavar="[FILE|DIR...]")
@click.pass_context
def check_problems(ctx, paths):
    """Validate files, evaluate f and ∇f at every start and at the known solution, confirm f(x*) = f*.

    Exit code 0 when every file checks, 1 when any does not, 2 when a file cannot be read.

    \b
    Examples:
      gradcli problems check problems/
      gradcli problems check problems/rosenbrock.yaml
    """
    from gradcli.errors import GradcliError
    from gradcli.problem.library_check import check_problem
    from gradcli.problem.file import find_files
    from gradcli.report.tables import consoles
    from gradcli.report.study import check_table

    rows = []
    for path in find_files(paths or ["problems"]):
        try:
            ok, detail = check_problem(path)
        except GradcliError as exc:
            ok, detail = False, str(exc)
        rows.append({"file": str(path), "ok": ok, "detail": detail})
    out, _ = consoles()
    from gradcli.report.narrow import fitted
    out.print(fitted(out, check_table(rows)))
    bad = sum(not r["ok"] for r in rows)
    out.print(f"{len(rows) - bad} of {len(rows)} problem files check")
    ctx.exit(1 if bad else 0)
