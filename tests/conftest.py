import numpy as np
import pytest


@pytest.fixture
def rosen_text():
    return "100*(y-x**2)**2+(1-x)**2"


def finite_difference(f, x, h=1e-6):
    x = np.asarray(x, dtype=float)
    g = np.zeros_like(x)
    for i in range(len(x)):
        e = np.zeros_like(x)
        e[i] = h * max(1.0, abs(x[i]))
        g[i] = (f(x + e) - f(x - e)) / (2 * e[i])
    return g
