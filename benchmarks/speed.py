"""Speed at every size (issue 7): each figure is a ratio against its anchor, measured in the same run.

    python benchmarks/speed.py            # a few minutes; run from a checkout with gradcli installed
    python benchmarks/speed.py --no-scale # without the n = 1e3 .. 1e6 table (benchmarks/scale.py)

Ratios are medians over interleaved repeats (this machine is shared; the median of ratios is steadier
than a ratio of medians). Nothing here is a test: the numbers are for the record (README, closing notes).
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
import timeit
from pathlib import Path

import numpy as np
from scipy.optimize import minimize, rosen, rosen_der

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import gradcli  # noqa: E402

CHAINED = "sum(100*(x[i+1]-x[i]**2)**2 + (1-x[i])**2, i, 0, n-2)"


def ratio(a, b, number: int, rounds: int = 11) -> float:
    """Median over rounds of (best of 3 timings of a) / (best of 3 timings of b), interleaved."""
    out = []
    for _ in range(rounds):
        ta = min(timeit.repeat(a, number=number, repeat=3))
        tb = min(timeit.repeat(b, number=number, repeat=3))
        out.append(ta / tb)
    return statistics.median(out)


def wall(cmd: list[str]) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - t


def main() -> None:
    rows = []
    o = gradcli.objective("100*(y-x**2)**2+(1-x)**2")
    v = np.array([-1.2, 1.0])
    hf = lambda v: 100 * (v[1] - v[0] ** 2) ** 2 + (1 - v[0]) ** 2  # noqa: E731
    hg = lambda v: np.array([-400 * v[0] * (v[1] - v[0] ** 2) - 2 * (1 - v[0]), 200 * (v[1] - v[0] ** 2)])  # noqa
    rows.append(("2-D Rosenbrock f, counted, vs hand-written NumPy", ratio(lambda: o.fun(v), lambda: hf(v), 20000),
                 "<= 1.0"))
    rows.append(("2-D Rosenbrock gradient vs hand-written NumPy", ratio(lambda: o.grad(v), lambda: hg(v), 20000),
                 "<= 1.0"))

    t = time.perf_counter()
    big = gradcli.objective(CHAINED, dim=1000)
    big.grad(np.full(1000, 0.5))
    rows.append(("n=1000 parse + gradient + compile (s)", time.perf_counter() - t, "<= 0.3 s"))
    w = np.linspace(-1, 1, 1000)
    rows.append(("n=1000 gradient call vs scipy rosen_der", ratio(lambda: big.grad(w), lambda: rosen_der(w), 200),
                 "<= 1.0"))
    x0 = np.resize([-1.2, 1.0], 1000)

    def ours():
        big.counts.reset()
        return minimize(big.fun, x0, jac=big.grad, method="L-BFGS-B")

    def theirs():
        return minimize(rosen, x0, jac=rosen_der, method="L-BFGS-B")

    a, b = ours(), theirs()
    assert abs(a.fun - b.fun) < 1e-6, (a.fun, b.fun)
    rows.append((f"n=1000 L-BFGS-B solve vs rosen/rosen_der ({a.nit} vs {b.nit} iterations)",
                 ratio(ours, theirs, 1, rounds=5), "<= 1.5"))

    t = time.perf_counter()
    huge = gradcli.objective(CHAINED, dim=10000)
    huge.grad(np.full(10000, 0.5))
    rows.append(("n=10000 parse + gradient + compile (s)", time.perf_counter() - t, "<= 0.3 s"))

    exe = [sys.executable, "-m", "gradcli"]
    floor = [sys.executable, "-c", "import sympy, scipy.optimize"]
    click_floor = [sys.executable, "-c", "import click"]
    cmd = exe + ["minimize", "x**2-4*x+8", "--x0", "1.3", "--method", "bfgs"]
    wall(cmd), wall(floor)
    rows.append(("minimize x**2-4*x+8 --method bfgs vs import sympy, scipy.optimize",
                 statistics.median(wall(cmd) / wall(floor) for _ in range(7)), "<= 1.25"))
    rows.append(("gradcli --version vs import click",
                 statistics.median(wall(exe + ["--version"]) / wall(click_floor) for _ in range(7)), "<= 1.5"))

    width = max(len(r[0]) for r in rows)
    for name, value, goal in rows:
        print(f"{name:<{width}}  {value:8.3f}   goal {goal}")
    if "--no-scale" not in sys.argv:       # n = 1e3 .. 1e6 beside JAX and CasADi (benchmarks/scale.py)
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        import scale
        print()
        scale.table([1000, 10_000, 100_000, 1_000_000])
        scale.commands()


if __name__ == "__main__":
    main()
