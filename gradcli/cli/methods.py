"""`gradcli methods`: the registry as a table."""

from __future__ import annotations

import click


@click.command("methods")
@click.option("--json", "as_json", is_flag=True, help="Print the registry as JSON.")
def command(as_json):
    """List every method with its family, what it needs and its aliases.

    \b
    Examples:
      gradcli methods
      gradcli methods --json
    """
    import json

    from gradcli.solvers.registry import REGISTRY

    rows = []
    for s in REGISTRY:
        needs = [w for w, on in (("gradient", s.needs_grad), ("Hessian", s.needs_hess),
                                 ("finite bounds", s.bounds == "required"), ("1 variable", s.scalar_only)) if on]
        honours = [w for w, on in (("bounds", s.bounds != "no"), ("constraints", s.constraints)) if on]
        rows.append({"name": s.name, "family": s.family, "needs": needs, "honours": honours,
                     "aliases": list(s.aliases), "options": [o for o, _ in s.options],
                     "option_help": dict(s.options), "note": "; ".join(filter(None, [s.note, f"left out of all and compare above {s.max_n} "
                                                                          "variables" if s.max_n else ""]))})
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    from rich.table import Table
    from rich.text import Text

    from gradcli.report.tables import consoles

    table = Table(header_style="bold")
    for col in ("method", "family", "needs", "honours", "aliases", "options / note"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r["name"], r["family"], ", ".join(r["needs"]) or "f only", ", ".join(r["honours"]) or "-",
                      ", ".join(r["aliases"]) or "-", Text(" ".join(filter(None, [" ".join(r["options"]), r["note"]]))))
    from gradcli.report.narrow import fitted
    out = consoles()[0]
    out.print(fitted(out, table))
