"""Theano's logistic regression (400×784, lr 0.1): gradcli against hand-written NumPy, one run, ratios printed.

Run on demand, not a test:  python benchmarks/logreg.py [--steps 10000] [--blocks 20] [--repeats 3]

Measures, on problems/logistic_regression.yaml (seeded data) in this process:
  setup      parse + data generation + graph + reverse-mode gradient + code generation (goal < 1 s)
  GD step    gradcli's gd (--step fixed --lr 0.1) per step, against the hand-written loop the tutorial
             runs (z = X@w + b; r = (σ(z) - y)/N; w -= lr (Xᵀr + 0.02 w); b -= lr Σr) (goal ≤ 1.1×)
  L-BFGS-B   gradcli's l-bfgs-b against scipy.optimize.minimize(method="L-BFGS-B") fed hand-written NumPy
             f and ∇f (time and gradient evaluations to the same tolerance)
The GD figure is the median ratio over --blocks interleaved blocks of steps/blocks steps, each gradcli block
a whole solve_one (its start-up included); the L-BFGS-B times are the best of --repeats runs. The hand
loop computes no f; gradcli's computes f every 100 steps for its divergence test, included in its time.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))     # run from a checkout without installing

import numpy as np  # noqa: E402


def hand_gd(X, y, w, b, steps, lr=0.1):
    for _ in range(steps):
        z = X @ w + b
        r = (1 / (1 + np.exp(-z)) - y) / len(y)
        w, b = w - lr * (X.T @ r + 0.02 * w), b - lr * r.sum()
    return w, b


def hand_cost(X, y, x):
    w, b = x[:-1], x[-1]
    z = X @ w + b
    return np.mean(np.logaddexp(0, z) - y * z) + 0.01 * w @ w


def hand_grad(X, y, x):
    w, b = x[:-1], x[-1]
    z = X @ w + b
    r = (1 / (1 + np.exp(-z)) - y) / len(y)
    return np.r_[X.T @ r + 0.02 * w, r.sum()]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--steps", type=int, default=10_000)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--blocks", type=int, default=20, help="interleaved blocks for the per-step time")
    args = ap.parse_args()

    from scipy.optimize import minimize

    from gradcli.problem.file import load_problem
    from gradcli.run.solve import compile_problem, solve_one

    t = time.perf_counter()
    problem = load_problem(ROOT / "problems" / "logistic_regression.yaml")
    objective = compile_problem(problem)
    setup = time.perf_counter() - t
    X, y = problem.data["X"], problem.data["y"]
    x0 = np.array(problem.x0)

    # the full run, once each, for the cost comparison
    w, b = hand_gd(X, y, x0[:-1].copy(), x0[-1], args.steps)
    f_hand = hand_cost(X, y, np.r_[w, b])
    f_ours = solve_one(problem, "gd", objective=objective, options={"step": "fixed", "lr": 0.1},
                       maxiter=args.steps, verify=False).fun
    # per-step time: short blocks of each, interleaved, so that both see the same machine (a shared VM's
    # speed drifts by ±10% over seconds); the median of the per-block ratios is the figure
    block = max(1, args.steps // args.blocks)
    hand, ours = [], []
    for _ in range(args.blocks):
        t = time.perf_counter()
        hand_gd(X, y, x0[:-1].copy(), x0[-1], block)
        hand.append(time.perf_counter() - t)
        r = solve_one(problem, "gd", objective=objective, options={"step": "fixed", "lr": 0.1},
                      maxiter=block, verify=False)
        ours.append(r.time)
    ratios = sorted(o / h for o, h in zip(ours, hand))

    sp_t, sp_nj, lb_t, lb_nj = [], 0, [], 0
    for _ in range(args.repeats):
        calls = [0]

        def g(x):
            calls[0] += 1
            return hand_grad(X, y, x)

        t = time.perf_counter()
        res = minimize(lambda x: hand_cost(X, y, x), x0, jac=g, method="L-BFGS-B")
        sp_t.append(time.perf_counter() - t)
        sp_nj = calls[0]
        r = solve_one(problem, "l-bfgs-b", objective=objective, verify=False)
        lb_t.append(r.time)
        lb_nj = r.njev

    print(f"setup (parse, data, graph, gradient, codegen): {setup * 1000:.0f} ms (goal < 1000 ms)")
    med = lambda v: sorted(v)[len(v) // 2] / block * 1e6   # noqa: E731
    print(f"GD per step ({args.blocks} interleaved blocks of {block} steps): hand-written NumPy {med(hand):.1f} µs, "
          f"gradcli {med(ours):.1f} µs -> median ratio {ratios[len(ratios) // 2]:.3f}x (goal <= 1.1x; "
          f"quartiles {ratios[len(ratios) // 4]:.3f}-{ratios[3 * len(ratios) // 4]:.3f})")
    print(f"GD {args.steps} steps: cost {f_ours:.12g} vs hand {f_hand:.12g} "
          f"(rel. diff {abs(f_ours - f_hand) / abs(f_hand):.1e})")
    print(f"L-BFGS-B: scipy + hand-written f, ∇f {min(sp_t) * 1000:.1f} ms ({sp_nj} gradients, f = {res.fun:.10g}); "
          f"gradcli {min(lb_t) * 1000:.1f} ms ({lb_nj} gradients) -> {min(lb_t) / min(sp_t):.2f}x")


if __name__ == "__main__":
    main()
