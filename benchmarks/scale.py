"""Large problems (issue 20): setup and gradient speed of sum(...) kept whole, side by side with JAX and
CasADi when they are installed (their columns are skipped otherwise), one run, one machine.

    python benchmarks/scale.py                   # n = 1e3 .. 1e6, then the whole-command figures
    python benchmarks/scale.py --sizes 1000,10000

Setup is from text to the first gradient (gradcli: parse, differentiate the summand, generate the
kernels, one gradient call; JAX: trace, jit(grad(f)) and its first call; CasADi: build the SX graph, its
gradient Function and its first call). Imports are not counted: each tool's import happens before.
A gradient ratio is the median over interleaved rounds of best-of-3 timings against
``scipy.optimize.rosen_der`` on the same vector. Memory is the peak resident size of a fresh process
that builds the n = 1e6 objective and takes one gradient, less that of the same process after imports.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from scipy.optimize import rosen_der

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
import gradcli  # noqa: E402

from speed import CHAINED, ratio as speed_ratio  # noqa: E402  (speed.py imports this module only in main)

EXTENDED = "sum(100*(y[i]-x[i]**2)**2 + (1-x[i])**2, i, 0, n-1)"


def ratio(a, b, number: int, rounds: int = 7) -> float:
    return speed_ratio(a, b, number, rounds)


def ours(n):
    t = time.perf_counter()
    o = gradcli.objective(CHAINED, dim=n)
    o.grad(np.full(n, 0.5))
    return time.perf_counter() - t, o.grad


def jax_tool(n):
    import jax
    import jax.numpy as jnp
    jax.config.update("jax_enable_x64", True)

    def f(x):
        return jnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1.0 - x[:-1]) ** 2)

    t = time.perf_counter()
    g = jax.jit(jax.grad(f))
    np.asarray(g(jnp.full(n, 0.5)))
    return time.perf_counter() - t, lambda w: np.asarray(g(w))


def casadi_tool(n):
    import casadi as ca
    t = time.perf_counter()
    x = ca.SX.sym("x", n)
    f = ca.sum1(100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)
    g = ca.Function("g", [x], [ca.gradient(f, x)])
    np.asarray(g(np.full(n, 0.5)))
    return time.perf_counter() - t, lambda w: np.asarray(g(w)).ravel()


def available():
    tools = [("gradcli", ours)]
    for name, fn, module in (("JAX", jax_tool, "jax"), ("CasADi", casadi_tool, "casadi")):
        try:
            __import__(module)
        except ImportError:
            print(f"({name} is not installed: its columns are skipped)")
            continue
        tools.append((name, fn))
    return tools


def table(sizes):
    tools = available()
    print(f"{'n':>9}  " + "  ".join(f"{name + ' setup':>14} {name + ' ∇f/rosen_der':>20}" for name, _ in tools))
    for n in sizes:
        w = np.linspace(-1, 1, n)
        cells = []
        for name, fn in tools:
            if name == "CasADi" and n > 100_000:
                cells.append(f"{'(skipped)':>14} {'':>20}")       # SX graphs of 1e6 nodes take minutes
                continue
            setup, grad = fn(n)
            assert np.allclose(grad(w), rosen_der(w), rtol=1e-12, atol=1e-9), name
            r = ratio(lambda: grad(w), lambda: rosen_der(w), max(1, 100_000 // n))
            cells.append(f"{setup:>13.3f}s {r:>19.2f}x")
        print(f"{n:>9}  " + "  ".join(cells), flush=True)


MEMORY = """
import sys, numpy as np
sys.path.insert(0, {root!r})
import gradcli, sympy, scipy.sparse, symengine
gradcli.objective("sum(x[i]**2, i, 0, n-1)", dim=100)          # the lazy imports of a first objective

def status(key):
    return next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key))

base = status("VmRSS:")
open("/proc/self/clear_refs", "w").write("5")                    # the peak (VmHWM) starts again from here
o = gradcli.objective({text!r}, dim=1_000_000)
o.grad(np.full(1_000_000, 0.5))
print((status("VmHWM:") - base) / 1024)
"""


def wall(cmd) -> float:
    t = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, cwd=ROOT)
    return time.perf_counter() - t


def commands():
    out = subprocess.run([sys.executable, "-c", MEMORY.format(root=str(ROOT), text=CHAINED)],
                         capture_output=True, text=True, check=True)
    print(f"memory above the import floor, n = 1e6, objective + one gradient: {float(out.stdout):.0f} MB"
          "   goal <= 200 MB")
    exe = [sys.executable, "-m", "gradcli"]
    nc = exe + ["minimize", EXTENDED, "--dim", "100000", "--x0", "-1.2,1", "-m", "newton-cg", "--tol", "1e-10",
                "--json"]
    print(f"newton-cg, extended Rosenbrock, 200 000 variables, whole command: {wall(nc):.1f} s   goal <= 20 s")
    powell = " + ".join(f"(x{4*k+1}+10*x{4*k+2})**2 + 5*(x{4*k+3}-x{4*k+4})**2 + (x{4*k+2}-2*x{4*k+3})**4"
                        f" + 10*(x{4*k+1}-x{4*k+4})**4" for k in range(375))
    series = " + ".join(f"sin({k}*x)/{k}**2" for k in range(1, 1501))
    for name, text in (("1500-variable extended Powell, written out", powell), ("1500-term series, written out", series)):
        t = time.perf_counter()
        o = gradcli.objective(text)
        o.grad(np.full(o.n, 0.5))
        print(f"{name}: text to gradient {time.perf_counter() - t:.2f} s   goal <= 2 s")
    pl = statistics.median(wall(exe + ["problems", "list", "problems/"]) for _ in range(3))
    print(f"problems list problems/: {pl:.2f} s   goal <= 1 s")
    floor = [sys.executable, "-c", "import sympy, scipy.optimize"]
    cmd = exe + ["minimize", "x**2-4*x+8", "--x0", "1.3", "--method", "bfgs"]
    wall(cmd), wall(floor)
    st = statistics.median(wall(cmd) / wall(floor) for _ in range(7))
    print(f"minimize x**2-4*x+8 -m bfgs vs import sympy, scipy.optimize: {st:.2f}x   goal <= 1.15x")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="1000,10000,100000,1000000")
    ap.add_argument("--no-commands", action="store_true")
    a = ap.parse_args()
    import sympy  # noqa: F401  (imports are not setup: each tool's import happens first)
    table([int(s) for s in a.sizes.split(",")])
    if not a.no_commands:
        commands()


if __name__ == "__main__":
    main()
