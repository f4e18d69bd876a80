"""`gradcli grad` and gradcli.symbolic.gradient: exact symbolic gradients, values, Hessian, LaTeX, JSON, limits."""

import json
import subprocess
import sys
import time

import pytest
import sympy as sp
from click.testing import CliRunner

from gradcli.cli import cli
from gradcli.symbolic.gradient import symbolic_gradient
from gradcli.problem.core import build_problem

x, y, z = sp.symbols("x y z", real=True)


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def grad_json(*args):
    r = run("grad", *args, "--json")
    assert r.exit_code == 0, r.stderr
    return json.loads(r.stdout)


def same(text: str, expected: sp.Expr) -> bool:
    """A printed component equals the expected derivative exactly (the printed form is re-read by SymPy)."""
    got = sp.sympify(text, locals={"x": x, "y": y, "z": z})
    return sp.simplify(got - expected) == 0


@pytest.mark.parametrize("text", ["100*(y-x**2)**2+(1-x)**2", "x**3*y + exp(x*y)", "sin(x)*cos(y) + log(1+x**2)",
                                  "atan2(y, x) + sqrt(x**2+y**2)"])
def test_gradient_is_exactly_sympys(text):
    f = sp.sympify(text, locals={"x": x, "y": y})
    out = grad_json(text)
    assert out["variables"] == ["x", "y"]
    for comp, var in zip(out["gradient"], (x, y)):
        assert same(comp, sp.diff(f, var))


def test_point_potential_field_values_and_simplified_form():
    """-grad U of U = 1/r is the field r_vec/r^3: at (1,2,2), r = 3, so grad U = -(1,2,2)/27."""
    out = grad_json("1/sqrt(x**2+y**2+z**2)", "--at", "x=1,y=2,z=2")
    assert out["values"] == pytest.approx([-1 / 27, -2 / 27, -2 / 27], abs=1e-15)
    assert out["gradient"][0] == "-x/(x**2 + y**2 + z**2)**(3/2)"
    assert out["point"] == [1.0, 2.0, 2.0]
    assert "hessian" not in out


def test_at_in_variable_order_and_vars_reorders():
    out = grad_json("x*y**2*z", "--vars", "z,y,x", "--at", "1,2,3")   # z=1, y=2, x=3
    assert out["variables"] == ["z", "y", "x"]
    assert out["values"] == pytest.approx([3 * 4, 2 * 3 * 2 * 1, 4 * 1])


def test_values_null_without_at_and_params_substituted():
    out = grad_json("(x-a)**2 + b*y**2", "--param", "a=1", "--param", "b=3")
    assert out["values"] is None
    assert same(out["gradient"][0], 2 * (x - 1)) and same(out["gradient"][1], 6 * y)


def test_hessian_symbolic_and_values():
    out = grad_json("x**3*y + exp(x*y)", "--hessian", "--at", "1,0")
    f = x**3 * y + sp.exp(x * y)
    for i, a in enumerate((x, y)):
        for j, b in enumerate((x, y)):
            assert same(out["hessian"][i][j], sp.diff(f, a, b))
    assert out["hessian_values"] == [[0.0, 4.0], [4.0, 1.0]]
    assert out["values"] == pytest.approx([0, 2])


def test_non_finite_values_are_json_null():
    out = grad_json("1/x + y", "--at", "0,1")
    assert out["values"][0] is None and out["values"][1] == 1.0


def test_latex():
    r = run("grad", "x**2*y", "--latex", "--at", "1,2", "--hessian")
    assert r.exit_code == 0
    lines = r.stdout.splitlines()
    assert lines[0] == r"\frac{\partial f}{\partial x} = 2 x y"
    assert lines[1] == r"\frac{\partial f}{\partial y} = x^{2}"
    assert r"\nabla f(1, 2) = \left(4, 1\right)" in r.stdout
    assert r"\begin{pmatrix}4 & 2 \\ 2 & 0\end{pmatrix}" in r.stdout


def test_table_shows_pretty_components_values_and_hessian():
    r = run("grad", "1/sqrt(x**2+y**2+z**2)", "--at", "x=1,y=2,z=2", "--hessian")
    assert r.exit_code == 0
    assert "3/2" in r.stdout and "-0.037037037037" in r.stdout and "∇²f" in r.stdout
    assert "x,y" in r.stdout and "y,x" not in r.stdout   # upper triangle only


def test_simplification_is_bounded_in_time():
    """A long sum is not simplified (size limit); a tiny budget stops simplification early instead of hanging."""
    text = "+".join(f"sin(x{i}*x{i+1})**2*exp(x{i}-x{i+1})/(1+x{i}**2)" for i in range(1, 30))
    problem = build_problem(text)
    start = time.monotonic()
    g = symbolic_gradient(problem, budget=0.3)
    assert time.monotonic() - start < 10
    assert not g.simplified
    # shown as differentiated: still exactly the derivative
    assert sp.simplify(g.gradient[0] - sp.diff(problem.expr, problem.symbols[0])) == 0


def test_simplification_only_keeps_shorter_forms():
    g = symbolic_gradient(build_problem("sin(x)**2 + cos(x)**2 + x*y"))
    assert g.gradient == [y, x] and g.simplified


@pytest.mark.parametrize("args, words", [
    (["grad", "x**2", "--at", "1,2"], "--at: 2 values for 1 variable"),
    (["grad", "x**2", "--at", "x=abc"], "'abc'"),
    (["grad", "x**2", "--at", "q=1"], "q is not a variable"),
    (["grad", "x**+*2"], "column"),
    (["grad", "3"], "no variables"),
])
def test_bad_input_exit_2_one_line(args, words):
    r = run(*args)
    assert r.exit_code == 2
    assert words in r.stderr and "Traceback" not in r.stderr + r.stdout


def test_help_has_examples():
    r = run("grad", "--help")
    assert r.exit_code == 0 and "Examples" in r.stdout and "--hessian" in r.stdout


def test_real_subprocess_json():
    out = subprocess.run([sys.executable, "-m", "gradcli", "grad", "1/sqrt(x**2+y**2+z**2)", "--at", "x=1,y=2,z=2",
                          "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    vals = json.loads(out.stdout)["values"]
    assert all(abs(a - b) < 1e-12 for a, b in zip(vals, [-1 / 27, -2 / 27, -2 / 27])) and len(vals) == 3


def test_command_help_imports_no_heavy_module():
    code = ("import sys; from gradcli.cli import cli\n"
            "for c in ('grad', 'checkgrad'):\n"
            "    try:\n        cli([c, '--help'])\n    except SystemExit:\n        pass\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'sympy', 'scipy', 'numpy', 'rich'}))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("[]")


def test_simplify_alarm_repeats_when_one_is_swallowed():
    # Python swallows an exception raised in a weakref callback or __del__: the time limit must not
    # depend on the first alarm getting through (a lost alarm let a 2 s budget run 9.6 s)
    import signal
    import time

    from gradcli.symbolic.gradient import _Timeout, _with_alarm
    swallowed = []

    def work():
        end = time.monotonic() + 5
        while time.monotonic() < end:
            try:
                time.sleep(0.005)
            except _Timeout:
                if swallowed:
                    raise
                swallowed.append(time.monotonic())      # as if lost in a weakref callback
        return "ran on"

    handler = signal.getsignal(signal.SIGALRM)
    started = time.monotonic()
    with pytest.raises(_Timeout):
        _with_alarm(0.1, work)
    assert swallowed and time.monotonic() - started < 1.0
    # nothing left behind: no timer running, the previous handler back
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0) and signal.getsignal(signal.SIGALRM) == handler


def test_powers_of_sums_too_big_to_expand_are_not_simplified(monkeypatch):
    # simplify would expand (x+1)**999 (1000 terms of ~300-digit coefficients) for its whole budget
    import gradcli.symbolic.gradient as gradient
    x, y = sp.symbols("x y")
    assert gradient._expansion_size(1000 * (x + 1) ** 999) == 1000 * 999
    assert gradient._expansion_size((x + y) ** 3 + x) == 4 * 3 and gradient._expansion_size(x ** 5) == 0

    def refuse(expr, *a, **k):
        raise AssertionError(f"simplify was tried on {expr}")
    monkeypatch.setattr(gradient.sp, "simplify", refuse)
    g = symbolic_gradient(build_problem("(x+1)**1000"))
    assert g.simplified is False and str(g.gradient[0]) == "1000*(x + 1)**999"
