"""`gradcli fit` speed against hand-written NumPy and SciPy's curve_fit (issue 17).

1. One Jacobian evaluation on 10 000 data rows: gradcli's derived-and-compiled ∂r/∂p against a hand-written
   vectorised NumPy Jacobian (target: ≤ 1.2×), for Misra1a's exponential and Thurber's rational model.
2. A whole fit on the same 10 000 rows: gradcli's solver run (residuals and exact Jacobian compiled once)
   against curve_fit with a hand-written Jacobian (target: ≤ 1.0×), same method (lm) and tolerances; and
   gradcli's default fit (trf, tolerances 1e-15, plus covariance and verdict) against curve_fit's defaults.

Run: PYTHONPATH=. python benchmarks/fit_speed.py   (best of several repeats; a shared machine is noisy)
"""

from __future__ import annotations

import tempfile
import timeit
from pathlib import Path

import numpy as np
from scipy.optimize import curve_fit

from gradcli.fit import methods
from gradcli.fit.data import read_table
from gradcli.fit.model import build_model
from gradcli.fit.run import fit

ROWS = 10_000
MISRA = "b1*(1 - exp(-b2*x))"
THURBER = "(b1 + b2*x + b3*x**2 + b4*x**3)/(1 + b5*x + b6*x**2 + b7*x**3)"


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


def main() -> None:
    rng = np.random.RandomState(0)
    folder = Path(tempfile.mkdtemp())
    cases = []
    x = np.linspace(50, 800, ROWS)
    cases.append(("Misra1a", MISRA, misra_f, misra_jac, x, misra_f(x, 238.94, 5.5e-4) + rng.normal(0, 0.1, ROWS),
                  [500, 1e-4]))
    x = np.linspace(-3, 2.2, ROWS)
    truth = [1288.14, 1491.08, 583.238, 75.4166, 0.966295, 0.397973, 0.0497273]
    cases.append(("Thurber", THURBER, thurber_f, thurber_jac, x, thurber_f(x, *truth) + rng.normal(0, 13.7, ROWS),
                  [1000, 1000, 400, 40, 0.7, 0.3, 0.03]))
    print(f"{ROWS} rows; best of 7 repeats\n")
    print(f"{'case':9} {'gradcli J':>12} {'NumPy J':>12} {'ratio':>6}")
    for name, text, f, jac, x, y, p0 in cases:
        model = build_model(text, table(folder, name, x, y))
        p = np.array(p0, dtype=float)
        assert np.allclose(model.jacobian(p), jac(x, *p), rtol=1e-12, atol=0)
        ours, hand = best(lambda: model.jacobian(p), 200), best(lambda: jac(x, *p), 200)
        print(f"{name:9} {ours * 1e6:10.1f}µs {hand * 1e6:10.1f}µs {ours / hand:6.2f}")
    print(f"\n{'case':9} {'what':34} {'gradcli':>10} {'curve_fit':>10} {'ratio':>6}")
    for name, text, f, jac, x, y, p0 in cases:
        model = build_model(text, table(folder, name, x, y))
        p = np.array(p0, dtype=float)
        tight = dict(xtol=1e-15, ftol=1e-15, gtol=1e-15)
        same = methods.Settings()
        ours = best(lambda: methods.run("lm", "lm", model, p, same), 3, 5)
        hand = best(lambda: curve_fit(f, x, y, p0=p, jac=jac, **tight), 3, 5)
        print(f"{name:9} {'lm, tolerances 1e-15 (solver run)':34} {ours * 1e3:8.1f}ms {hand * 1e3:8.1f}ms "
              f"{ours / hand:6.2f}")
        ours = best(lambda: fit(model, p, [("lm", "lm")], same), 3, 5)
        hand = best(lambda: curve_fit(f, x, y, p0=p, jac=jac), 3, 5)
        print(f"{name:9} {'defaults: lm 1e-15 + stats + verdict':34} {ours * 1e3:8.1f}ms {hand * 1e3:8.1f}ms "
              f"{ours / hand:6.2f}   (curve_fit: lm, 1e-8)")


if __name__ == "__main__":
    main()
