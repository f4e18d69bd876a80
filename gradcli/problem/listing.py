"""`problems list`: one row per file of any kind (gradcli/problem/kinds.py decides the kind)."""

from __future__ import annotations


def summary(pt) -> dict:
    """`problems list`: name, kind (minimize, least-squares, fit, root; ``shown`` for the table), n (variables, parameters or unknowns), tags, f* of a file of any kind."""
    from gradcli.problem.kinds import FIT, ROOT, kind

    k = kind(pt.doc)
    tags = list(pt.doc.get("tags") or [])
    if k == ROOT:
        from gradcli.roots.problem_file import load_root
        rp = load_root(pt)
        return {"name": rp.name, "kind": "root", "shown": f"root ({rp.eqs.m} eq.)", "n": rp.n,
                "tags": tags, "f_star": None}
    if k == FIT:
        from gradcli.fit.problem_file import load_fit
        fp = load_fit(pt)
        return {"name": fp.name, "kind": "fit", "shown": f"fit ({fp.model.n} rows)", "n": fp.model.p, "tags": tags,
                "f_star": fp.f_star}
    from gradcli.problem.file import problem_from_text
    p = problem_from_text(pt)
    what = f"least sq. ({len(p.residual_exprs)})" if p.least_squares else "minimize"   # (m residuals)
    return {"name": p.name, "kind": "least-squares" if p.least_squares else "minimize", "shown": what, "n": p.n, "tags": p.tags, "f_star": p.solution.f if p.solution else None}
