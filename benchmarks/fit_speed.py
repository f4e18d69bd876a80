"""`gradcli fit` speed against hand-written NumPy and SciPy's curve_fit (issue 17).

1. One Jacobian evaluation on 10 000 data rows: gradcli's derived-and-compiled ∂r/∂p against a hand-written
   vectorised NumPy Jacobian (target: ≤ 1.2×), for Misra1a's exponential and Thurber's rational model.
2. A whole fit (target: ≤ 1.0× curve_fit with a hand-written Jacobian on the same data), side by side:
   curve_fit with the hand Jacobian at SciPy's default tolerances (1e-8) and at 1e-15; gradcli's whole fit
   (lm with the exact Jacobian, then its statistics and verdict: ``gradcli.fit.run.fit``) at SciPy's default
   tolerances and at its own defaults (1e-15); and gradcli's solver run alone at 1e-15. On NIST's Misra1a (14
   rows) and Thurber (37 rows) from NIST's start 1, and on 10 000 rows generated from them.

3. Where a whole fit's time goes beyond the solver: after each solver run (so caches are as cold as in a fit),
   the start check (r and J at p0, which the solver's first calls are then given), r and J at the answer (lm's own
   when it has them), the verdict (MINPACK's QR of that J or our own, the SVD of the p × p R, Jᵀr, the fused
   second-derivative sums, the p × p eigenvalues) and the statistics.

A 2-core machine shared with others is noisy (the same run varies by 2x within a minute): each figure is
the median over interleaved rounds (every contender once per round, in turn), and ratios are medians of
the per-round ratios, so a slow moment hits both sides of a ratio.

Run: PYTHONPATH=. python benchmarks/fit_speed.py [ROUNDS]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import timeit
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit

from gradcli.fit import methods
from gradcli.fit.data import read_table
from gradcli.fit.model import build_model, check_start
from gradcli.fit.run import fit, one_blas_thread
from gradcli.fit.stats import fit_stats
from gradcli.fit.verdict import examine

ROWS = 10_000
MISRA = "b1*(1 - exp(-b2*x))"
THURBER = "(b1 + b2*x + b3*x**2 + b4*x**3)/(1 + b5*x + b6*x**2 + b7*x**3)"
TIGHT = dict(xtol=1e-15, ftol=1e-15, gtol=1e-15)
SCIPY = dict(xtol=1.49012e-08, ftol=1.49012e-08, gtol=0.0)      # leastsq's defaults, which curve_fit uses


def misra_f(x, b1, b2):
    return b1 * (1 - np.exp(-b2 * x))


def misra_jac(x, b1, b2):
    e = np.exp(-b2 * x)
    return np.stack([1 - e, b1 * x * e], axis=1)


def thurber_f(x, b1, b2, b3, b4, b5, b6, b7):
    x2, x3 = x * x, x * x * x
    return (b1 + b2 * x + b3 * x2 + b4 * x3) / (1 + b5 * x + b6 * x2 + b7 * x3)


def thurber_jac(x, b1, b2, b3, b4, b5, b6, b7):
    x2, x3 = x * x, x * x * x
    d = 1 / (1 + b5 * x + b6 * x2 + b7 * x3)
    q = -(b1 + b2 * x + b3 * x2 + b4 * x3) * d * d
    return np.stack([d, x * d, x2 * d, x3 * d, x * q, x2 * q, x3 * q], axis=1)


def best(fn, number: int, repeat: int = 7) -> float:
    return min(timeit.repeat(fn, number=number, repeat=repeat)) / number


def table(folder: Path, name: str, x, y):
    path = folder / f"{name}.npz"
    np.savez(path, x=x, y=y)
    return read_table(str(path))


def cases(folder: Path):
    from tests.test_fit import MISRA1A_X, MISRA1A_Y, THURBER_X, THURBER_Y     # NIST StRD data

    rng = np.random.RandomState(0)
    misra_p0, thurber_p0 = [500, 1e-4], [1000, 1000, 400, 40, 0.7, 0.3, 0.03]
    truth = [1288.14, 1491.08, 583.238, 75.4166, 0.966295, 0.397973, 0.0497273]
    x1, x2 = np.linspace(50, 800, ROWS), np.linspace(-3, 2.2, ROWS)
    return [
        ("Misra1a (NIST, 14 rows)", MISRA, misra_f, misra_jac, np.array(MISRA1A_X), np.array(MISRA1A_Y), misra_p0),
        ("Thurber (NIST, 37 rows)", THURBER, thurber_f, thurber_jac, np.array(THURBER_X), np.array(THURBER_Y),
         thurber_p0),
        ("Misra1a-like, 10 000 rows", MISRA, misra_f, misra_jac, x1,
         misra_f(x1, 238.94, 5.5e-4) + rng.normal(0, 0.1, ROWS), misra_p0),
        ("Thurber-like, 10 000 rows", THURBER, thurber_f, thurber_jac, x2,
         thurber_f(x2, *truth) + rng.normal(0, 13.7, ROWS), thurber_p0),
    ]


def interleaved(contenders: dict, rounds: int) -> dict[str, list[float]]:
    times: dict[str, list[float]] = {k: [] for k in contenders}
    names = list(contenders)
    for fn in contenders.values():
        fn()                                    # warm: imports, lazy compiles
    for i in range(rounds):
        for k in names[i % len(names):] + names[:i % len(names)]:
            start = time.perf_counter()
            contenders[k]()
            times[k].append(time.perf_counter() - start)
    return times


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    folder = Path(tempfile.mkdtemp())
    all_cases = cases(folder)
    print(f"1. One Jacobian evaluation, {ROWS} rows (best of 7 repeats)\n")
    print(f"{'case':27} {'gradcli J':>11} {'NumPy J':>11} {'ratio':>6}")
    for name, text, f, jac, x, y, p0 in all_cases[2:]:
        model = build_model(text, table(folder, "j", x, y))
        p = np.array(p0, dtype=float)
        assert np.allclose(model.jacobian(p), jac(x, *p), rtol=1e-12, atol=0)
        ours, hand = best(lambda: model.jacobian(p), 200), best(lambda: jac(x, *p), 200)
        print(f"{name:27} {ours * 1e6:9.1f}µs {hand * 1e6:9.1f}µs {ours / hand:6.2f}")
    print(f"\n2. A whole fit: medians of {rounds} interleaved rounds; ratios against curve_fit (hand Jacobian) at"
          " the tolerances named\n")
    for name, text, f, jac, x, y, p0 in all_cases:
        model = build_model(text, table(folder, "w", x, y))
        p = np.array(p0, dtype=float)
        loose = methods.Settings(xtol=SCIPY["xtol"], ftol=SCIPY["ftol"], gtol=SCIPY["gtol"])
        evals = {}

        def counted(tol):
            calls = [0, 0]

            def fc(*a):
                calls[0] += 1
                return f(*a)

            def jc(*a):
                calls[1] += 1
                return jac(*a)
            curve_fit(fc, x, y, p0=p, jac=jc, **tol)
            return calls
        evals["curve_fit 1e-8"], evals["curve_fit 1e-15"] = counted({}), counted(TIGHT)
        for key, s in (("gradcli fit 1e-8", loose), ("gradcli fit 1e-15", methods.Settings())):
            [res] = fit(model, p, [("lm", "lm")], s)
            evals[key] = [res.run.nfev, res.run.njev, res.verdict.kind]
        contenders = {
            "curve_fit 1e-8": lambda: curve_fit(f, x, y, p0=p, jac=jac),
            "curve_fit 1e-15": lambda: curve_fit(f, x, y, p0=p, jac=jac, **TIGHT),
            "gradcli fit 1e-8": lambda: fit(model, p, [("lm", "lm")], loose),
            "gradcli fit 1e-15": lambda: fit(model, p, [("lm", "lm")], methods.Settings()),
            "gradcli solver 1e-15": lambda: methods.run("lm", "lm", model, p, methods.Settings()),
        }
        t = interleaved(contenders, rounds)
        ratio = {k: statistics.median(a / b for a, b in zip(t[k], t[ref]))
                 for k, ref in (("gradcli fit 1e-8", "curve_fit 1e-8"), ("gradcli fit 1e-15", "curve_fit 1e-15"),
                                ("gradcli solver 1e-15", "curve_fit 1e-15"))}
        ratio["gradcli fit 1e-15 vs curve_fit 1e-8"] = statistics.median(
            a / b for a, b in zip(t["gradcli fit 1e-15"], t["curve_fit 1e-8"]))
        print(name)
        for k in contenders:
            ev = f"{evals[k][0]:3d} f, {evals[k][1]:3d} J" if k in evals else " " * 12
            ev += f"  {evals[k][2]:13}" if k in evals and len(evals[k]) > 2 else " " * 15
            r = f"{ratio[k]:5.2f}x" if k in ratio else ""
            print(f"  {k:22} {statistics.median(t[k]) * 1e3:8.2f} ms   {ev}   {r}")
        print(f"  {'gradcli fit 1e-15 against curve_fit 1e-8':42} {ratio['gradcli fit 1e-15 vs curve_fit 1e-8']:5.2f}x")
    breakdown(all_cases, folder, rounds)


def breakdown(all_cases, folder: Path, rounds: int) -> None:
    """Section 3: the verification's parts, each timed right after a solver run, medians over rounds."""
    print(f"\n3. Beyond the solver (1e-15): medians of {rounds} rounds, each part timed right after a solver run\n")
    print(f"{'case':27} {'start check':>11} {'r, J there':>11} {'verdict':>9} {'statistics':>10}")
    for name, text, f, jac, x, y, p0 in all_cases:
        model = build_model(text, table(folder, "b", x, y))
        p, s = np.array(p0, dtype=float), methods.Settings()
        parts: dict[str, list[float]] = {k: [] for k in ("check", "J", "verdict", "stats")}
        with one_blas_thread():          # as fit() runs them
            for _ in range(rounds + 1):
                t0 = time.perf_counter()
                r0, J0 = check_start(model, p)
                t1 = time.perf_counter()
                counter = methods.Counter(model, (p, r0, J0))
                run = methods.run("lm", "lm", model, p, s, counter)
                t2 = time.perf_counter()
                res = counter.residuals_seen(run.x)            # lm's own r there, else evaluated (as fit() does)
                res = model.residuals(run.x) if res is None else res
                J = counter.jacobian_seen(run.x)               # lm's last J, when it is at the answer
                J = model.jacobian(run.x) if J is None else J
                rfac = counter.factor_seen(run.x)              # MINPACK's QR of that J (large data)
                t3 = time.perf_counter()
                _, factor = examine(model, run.x, res, J, scratch=True, rfac=rfac)
                t4 = time.perf_counter()
                fit_stats(J, res, model.y, model.weights, False, run.x, factor=factor, tss=model.tss)
                t5 = time.perf_counter()
                for v, took in zip(parts.values(), (t1 - t0, t3 - t2, t4 - t3, t5 - t4)):
                    v.append(took)
        cells = [statistics.median(v[1:]) * 1e6 for v in parts.values()]      # the first round warms up
        print(f"{name:27} " + " ".join(f"{c:9.0f}µs" for c in cells))


if __name__ == "__main__":
    main()
