"""Compare our gradient-descent variants (and SciPy's BFGS and CG for reference) on smooth problems.

Run on demand, not a test:  python benchmarks/gd_variants.py [problem.yaml ...]

Each cell is the number of gradient evaluations a method needed to stop with ‖∇f(x*)‖∞ ≤ 1e-5 (the
gd family's default gtol, and SciPy's BFGS/CG default), or why it did not within its budget
(10000 iterations for our family, SciPy's own limits for BFGS/CG). A run that stops at a stationary point
whose f is not a YAML file's published solution.f (relative 1e-4) is shown as not reached. YAML files are read with
yaml.safe_load; only their objective, variables and x0 fields are used, and files with bounds or
constraints are skipped (this compares unconstrained methods).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))   # run from a checkout without installing

from gradcli.problem.core import build_problem  # noqa: E402
from gradcli.run.solve import run  # noqa: E402

GTOL = 1e-5

# (column, method, options)
METHODS = [
    ("gd armijo", "gd", {"step": "armijo"}),
    ("gd bb", "gd", {"step": "bb"}),
    ("gd fixed", "gd", {"step": "fixed"}),
    ("momentum", "momentum", {}),
    ("nesterov", "nesterov", {}),
    ("adam", "adam", {}),
    ("bfgs", "bfgs", {}),
    ("cg", "cg", {}),
]

# classic smooth test problems: (name, expression, x0)
BUILTIN = [
    ("seed x²−4x+8", "x**2-4*x+8", [1.3]),
    ("quadratic κ=100", "x1**2 + 10*x2**2 + 100*x3**2", [1, 1, 1]),
    ("booth", "(x+2*y-7)**2 + (2*x+y-5)**2", [0, 0]),
    ("matyas", "0.26*(x**2+y**2) - 0.48*x*y", [1, 2]),
    ("himmelblau", "(x**2+y-11)**2 + (x+y**2-7)**2", [0, 0]),
    ("beale", "(1.5-x*(1-y))**2 + (2.25-x*(1-y**2))**2 + (2.625-x*(1-y**3))**2", [1, 1]),
    ("rosenbrock", "100*(y-x**2)**2+(1-x)**2", [-1.2, 1]),
    ("ext. rosenbrock n=4", "100*(x2-x1**2)**2+(1-x1)**2+100*(x4-x3**2)**2+(1-x3)**2", [-1.2, 1, -1.2, 1]),
    ("three-hump camel", "2*x**2 - 1.05*x**4 + x**6/6 + x*y + y**2", [1, 1]),
    ("exp(x)−2x + cosh(y)", "exp(x) - 2*x + cosh(y)", [0, 1]),
]

SHORT = {"gradient norm below gtol": "ok", "converged": "ok", "iteration limit reached": "maxiter",
         "diverged": "diverged", "line search failed": "line search", "precision loss": "precision",
         "non-finite value": "nonfinite"}


def yaml_problems(paths):
    import yaml

    for path in paths:
        doc = yaml.safe_load(Path(path).read_text())
        if doc.get("bounds") or doc.get("constraints"):
            print(f"skipped {path}: has bounds or constraints", file=sys.stderr)
            continue
        solution = doc.get("solution") or {}
        yield doc.get("name", Path(path).stem), doc["objective"], doc["x0"], doc.get("variables"), solution.get("f")


def cell(result, f_star) -> str:
    if result.success and result.grad_norm is not None and result.grad_norm <= GTOL:
        if f_star is not None and not abs(result.fun - f_star) <= 1e-4 * max(1.0, abs(f_star)):
            return f"- (f={result.fun:.2g})"      # a stationary point, but not the published minimum
        return str(result.njev)
    why = SHORT.get(result.status.value, result.status.value)
    if result.success:   # stopped on its own test with ‖∇f‖∞ just above 1e-5
        why = f"‖∇f‖={result.grad_norm:.0e}"
    return f"- ({why})"


def main(argv: list[str]) -> int:
    problems = [(n, e, x0, None, None) for n, e, x0 in BUILTIN] + list(yaml_problems(argv))
    header = ["problem", "n"] + [c for c, _, _ in METHODS]
    rows, solved = [], {c: 0 for c, _, _ in METHODS}
    started = time.perf_counter()
    for name, expr, x0, variables, f_star in problems:
        problem = build_problem(expr, variables=variables, x0=x0, name=name)
        row = [name, str(problem.n)]
        for column, method, options in METHODS:
            [r] = run(problem, method, options=options, check=False).results
            row.append(cell(r, f_star))
            solved[column] += row[-1][0].isdigit()
        rows.append(row)
    rows.append(["solved", ""] + [f"{solved[c]}/{len(problems)}" for c, _, _ in METHODS])
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = lambda r: "  ".join(v.ljust(w) if i == 0 else v.rjust(w) for i, (v, w) in enumerate(zip(r, widths)))
    print(f"gradient evaluations to reach ‖∇f‖∞ ≤ {GTOL:g} (default options; '-' = not reached, why)")
    print(line(header))
    print("  ".join("-" * w for w in widths))
    for r in rows[:-1]:
        print(line(r))
    print("  ".join("-" * w for w in widths))
    print(line(rows[-1]))
    print(f"({time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
