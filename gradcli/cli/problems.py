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

    Each file is read and its expressions checked, without running anything; data-driven files are
    listed from their declared variable sizes (``problems check`` loads and checks them).

    \b
    Examples:
      gradcli problems list
      gradcli problems list problems/ --tag constrained
    """
    import json

    from gradcli.expr.syntax import lazy
    from gradcli.problem.file import find_files, read_text
    from gradcli.problem.listing import summary

    rows = []
    token = lazy.set(True)      # every check of a build, none of SymPy's simplification: nothing is run
    try:
        for path in find_files(paths or ["problems"]):
            pt = read_text(path)
            row = _array_row(pt.doc) or summary(pt)
            if all(t in row["tags"] for t in tag):
                rows.append({**row, "file": str(path)})
    finally:
        lazy.reset(token)
    if as_json:
        click.echo(json.dumps(rows, indent=1))
        return
    from gradcli.report.tables import consoles
    from gradcli.report.study import problems_table
    from gradcli.report.narrow import fitted
    out = consoles()[0]
    out.print(fitted(out, problems_table(rows)))


def _array_row(doc: dict) -> dict | None:
    """A data-driven file's row from its validated document: building it would load its data (and import
    the array compiler) only to count variables. Its expressions are checked by `problems check`."""
    from gradcli.problem.kinds import MINIMIZE, kind

    if not ("data" in doc or "define" in doc) or not isinstance(doc.get("variables"), dict) \
            or kind(doc) != MINIMIZE:
        return None
    n = 0
    for size in doc["variables"].values():
        dims = [size] if isinstance(size, int) and not isinstance(size, bool) else size
        if not isinstance(dims, list) or not dims or any(isinstance(d, bool) or not isinstance(d, int) or d < 1
                                                         for d in dims):
            return None       # the full build says what is wrong
        k = 1
        for d in dims:
            k *= d
        n += k
    sol = doc.get("solution")
    return {"name": doc["name"], "kind": "minimize", "shown": "minimize", "n": n, "tags": list(doc.get("tags") or []),
            "f_star": sol["f"] if isinstance(sol, dict) else None}


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
