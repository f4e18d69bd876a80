"""`problems list`: one row per file of any kind (gradcli/problem/kinds.py decides the kind)."""

from __future__ import annotations


def summary(pt) -> dict:
    """`problems list`: name, kind (minimize, least-squares, fit, root; ``shown`` for the table), n (variables, parameters or unknowns), tags, f* of a file of any kind."""
    from gradcli.problem.kinds import FIT, ROOT, kind

    k = kind(pt.doc)
    tags = list(pt.doc.get("tags") or [])
    if k == ROOT:        # from the validated document: compiling the Jacobian is `problems check`'s job
        m = len(pt.doc["equations"])
        n = len(pt.doc.get("variables") or []) or len(pt.doc.get("x0") or []) or m
        return {"name": pt.doc["name"], "kind": "root", "shown": f"root ({m} eq.)", "n": n,
                "tags": tags, "f_star": None}
    if k == FIT:
        from gradcli.fit.problem_file import load_fit
        fp = load_fit(pt)
        return {"name": fp.name, "kind": "fit", "shown": f"fit ({fp.model.n} rows)", "n": fp.model.p, "tags": tags,
                "f_star": fp.f_star}
    d = pt.doc
    sol = d.get("solution") or {}
    residuals = d.get("residuals")
    what = f"least sq. ({len(residuals)})" if residuals else "minimize"       # (m residuals)
    row = {"name": d["name"], "kind": "least-squares" if residuals else "minimize", "shown": what,
           "tags": tags, "f_star": sol.get("f")}
    if isinstance(d.get("variables"), list):      # the file names its variables: nothing to parse
        return {**row, "n": len(d["variables"])}
    start = d.get("x0") if d.get("x0") is not None else (d.get("starts") or [None])[0]
    if isinstance(start, list) and not d.get("dim"):  # one number per variable (validated): no SymPy needed
        return {**row, "n": len(start)}
    from gradcli.problem.file import problem_from_text
    p = problem_from_text(pt, check_residuals=False)     # names, not proofs: `problems check` proves
    return {**row, "n": p.n}
