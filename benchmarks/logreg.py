"""Theano's logistic regression (400×784, lr 0.1): gradcli against hand-written NumPy, one run, ratios printed.

Run on demand, not a test:  python benchmarks/logreg.py [--steps 10000] [--repeats 3]

Measures, on problems/logistic_regression.yaml (seeded data) in this process:
  setup      parse + data generation + graph + reverse-mode gradient + code generation (goal < 1 s)
  GD step    gradcli's gd (--step fixed --lr 0.1) per step, against the hand-written loop the tutorial
             runs (z = X@w + b; r = (σ(z) - y)/N; w -= lr (Xᵀr + 0.02 w); b -= lr Σr) (goal ≤ 1.1×)
  L-BFGS-B   gradcli's l-bfgs-b against scipy.optimize.minimize(method="L-BFGS-B") fed hand-written NumPy
             f and ∇f (time and gradient evaluations to the same tolerance)
Each timing is the best of --repeats runs (the machine may be shared: the minimum is the least noisy
estimate of what the code costs). The hand loop computes no f; gradcli's loop computes f every step
(its stopping and divergence tests need it), which is included in its time.
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
    args = ap.parse_args()

    from scipy.optimize import minimize

    from gradcli.problem_file import load_problem
    from gradcli.solve import compile_problem, solve_one

    t = time.perf_counter()
    problem = load_problem(ROOT / "problems" / "logistic_regression.yaml")
    objective = compile_problem(problem)
    setup = time.perf_counter() - t
    X, y = problem.data["X"], problem.data["y"]
    x0 = np.array(problem.x0)

    hand, ours, f_ours = [], [], None
    for _ in range(args.repeats):
        t = time.perf_counter()
        w, b = hand_gd(X, y, x0[:-1].copy(), x0[-1], args.steps)
        hand.append(time.perf_counter() - t)
        r = solve_one(problem, "gd", objective=objective, options={"step": "fixed", "lr": 0.1},
                      maxiter=args.steps, verify=False)
        ours.append(r.time)
        f_ours = r.fun
    f_hand = hand_cost(X, y, np.r_[w, b])

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

    per = lambda ts: min(ts) / args.steps * 1e6   # noqa: E731
    print(f"setup (parse, data, graph, gradient, codegen): {setup * 1000:.0f} ms (goal < 1000 ms)")
    print(f"GD {args.steps} steps: hand-written NumPy {per(hand):.1f} µs/step, gradcli {per(ours):.1f} µs/step "
          f"-> {min(ours) / min(hand):.2f}x (goal <= 1.1x); cost {f_ours:.12g} vs hand {f_hand:.12g} "
          f"(rel. diff {abs(f_ours - f_hand) / abs(f_hand):.1e})")
    print(f"L-BFGS-B: scipy + hand-written f, ∇f {min(sp_t) * 1000:.1f} ms ({sp_nj} gradients, f = {res.fun:.10g}); "
          f"gradcli {min(lb_t) * 1000:.1f} ms ({lb_nj} gradients) -> {min(lb_t) / min(sp_t):.2f}x")


if __name__ == "__main__":
    main()
