"""Caps on counts the user chooses (workers, starts, seeds, seconds): checked before anything runs.

Each is far above a real study and far below what exhausts a laptop; docs/limits.md lists them all.
"""

from __future__ import annotations

import os

CORES = os.cpu_count() or 1
MAX_WORKERS = max(4, 4 * CORES)   # --jobs, --scheduler local:N: more processes than this only fight for cores
MAX_STARTS = 100_000              # --starts: each start is a run (and its x0 is kept in memory)
MAX_SEED = 2**32 - 1              # NumPy's seed range; every --seed is 0 .. MAX_SEED
MAX_ITER = 10**9                  # --maxiter
MAX_SECONDS = 86_400.0            # --timeout (compare, per run): one day
MAX_SOLVE_SECONDS = 3_600.0       # stationary --timeout, minimize --exact-timeout: SymPy's exact solve
MAX_POINTS = 10_000               # checkgrad --points
