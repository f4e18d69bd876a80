"""The CLI through click's CliRunner and as a real subprocess: output, JSON schema, exit codes."""

import json
import subprocess
import sys

import pytest
from click.testing import CliRunner

from gradcli.cli import cli

KEYS = {"method", "x", "fun", "grad_norm", "nit", "nfev", "njev", "nhev", "time", "success", "status", "message"}


def run(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_fmin_seed_figures_in_json():
    r = run("minimize", "x**2-4*x+8", "--x0", "1.3", "--method", "fmin", "--json")
    assert r.exit_code == 0
    [rec] = json.loads(r.stdout)
    assert KEYS <= set(rec)
    assert (rec["nit"], rec["nfev"]) == (16, 32)
    assert rec["x"][0] == pytest.approx(2.00001953, abs=1e-8)
    assert isinstance(rec["success"], bool) and isinstance(rec["status"], str)


def test_table_report_names_every_method_and_the_best():
    r = run("minimize", "x**2-4*x+8", "--x0", "1.3", "--method", "bfgs,cg,fmin")
    assert r.exit_code == 0
    for word in ("BFGS", "CG", "Nelder-Mead", "(best)", "f(x*)", "‖∇f‖∞"):
        assert word in r.stdout
    assert "\x1b[" not in r.stdout   # no colour codes when not a terminal


def test_narrow_terminal_gets_one_block_per_method():
    # eleven columns in 80 are folded into slivers ("(1", ".0", "00"): a narrow console gets blocks
    import io

    from rich.console import Console

    from gradcli.problem.core import build_problem
    from gradcli.report.tables import print_results
    from gradcli.run.solve import run
    problem = build_problem("100*(y-x**2)**2+(1-x)**2", x0=[-1.2, 1])
    results = run(problem, "bfgs,nelder-mead", check=False).results
    shown = {}
    for width in (80, 132):
        buf = io.StringIO()
        print_results(Console(file=buf, width=width), problem, results, [])
        shown[width] = buf.getvalue()
    assert "┃" not in shown[80] and "BFGS: converged (best) · minimum" in shown[80]
    assert "  x* = (1, 0.9999999)" in shown[80] and "32 iterations · f 39 · ∇f 39 · ∇²f 0" in shown[80]
    assert max(len(line) for line in shown[80].splitlines()) <= 80
    assert "┃ method" in shown[132] and "x* =" not in shown[132]


def test_title_prints_brackets_as_written():
    # the objective is the table's title: x[i] is text, not Rich markup (which would drop "[i]")
    r = run("minimize", "sum((x[i]-i)**2, i, 0, n-1)", "--dim", "3", "--x0", "0", "--method", "bfgs")
    assert r.exit_code == 0 and "minimize sum((x[i]-i)**2, i, 0, n-1)" in r.stdout


def test_consoles_print_user_text_as_written():
    # no Rich markup and no emoji codes: "[bold]" and ":fire:" in a name or message stay as typed
    from gradcli.report.tables import consoles
    for console in consoles():
        with console.capture() as cap:
            console.print("x[0]**2 [bold]y[/bold] :fire:")
        assert cap.get().strip() == "x[0]**2 [bold]y[/bold] :fire:"


def test_trace_table():
    r = run("minimize", "100*(y-x**2)**2+(1-x)**2", "--x0", "-1.2,1", "--method", "bfgs", "--trace", "--json")
    [rec] = json.loads(r.stdout)
    assert len(rec["trace"]) == rec["nit"] + 1
    assert rec["trace"][0]["f"] == pytest.approx(24.2)


def test_exit_code_1_when_no_method_succeeds():
    r = run("minimize", "x**2", "--x0", "1", "--method", "bfgs", "--maxiter", "1", "--json")
    assert r.exit_code == 1
    assert json.loads(r.stdout)[0]["status"] == "iteration limit reached"


@pytest.mark.parametrize("args, words", [
    (["minimize", "x**2 +* 1", "--x0", "1"], "column 7"),
    (["minimize", "x**2", "--x0", "1,2"], "2 values for 1 variable"),
    (["minimize", "x**2", "--x0", "abc"], "'abc'"),
    (["minimize", "x**2", "--x0", "1", "--method", "bgfs"], "did you mean bfgs"),
    (["minimize", "5", "--x0", "1"], "no variables"),
    (["minimize", "x**2", "--x0", "1", "--bounds", "x=3:1"], "above upper bound"),
    (["minimize", "x**2", "--x0", "1", "--bounds", "x=3"], "NAME=LO:HI"),
    (["minimize", "x**2+y", "--x0", "1,1", "--vars", "x"], "uses y"),
    (["minimize", "x**2", "--x0", "1", "--constraint", "x+1"], "exactly one of"),
])
def test_bad_input_is_one_clear_error_and_exit_2(args, words):
    r = run(*args)
    assert r.exit_code == 2
    assert words in r.stderr
    assert "Traceback" not in r.stderr + r.stdout


def test_methods_lists_registry_with_aliases():
    r = run("methods", "--json")
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert "fmin" in rows["nelder-mead"]["aliases"]
    assert "gradient" in rows["bfgs"]["needs"]
    assert "Hessian" in rows["trust-exact"]["needs"]


def test_help_has_examples():
    for args in (["--help"], ["minimize", "--help"], ["methods", "--help"]):
        r = run(*args)
        assert r.exit_code == 0 and "Examples" in r.stdout


def test_help_and_version_import_neither_sympy_nor_scipy():
    code = ("import sys; from gradcli.cli import cli\n"
            "try:\n    cli(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(any(m.split('.')[0] in ('sympy', 'scipy', 'numpy', 'rich') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().endswith("False")


def test_real_subprocess_main_path():
    out = subprocess.run([sys.executable, "-m", "gradcli", "minimize", "x**2-4*x+8", "--x0", "1.3", "--method", "all",
                          "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    recs = json.loads(out.stdout)
    assert len(recs) >= 12 and all(abs(r["fun"] - 4) <= 1e-6 for r in recs)


def test_real_subprocess_bad_input():
    out = subprocess.run([sys.executable, "-m", "gradcli", "minimize", "__import__('os')", "--x0", "1"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "strings are not allowed" in out.stderr and "Traceback" not in out.stderr


def test_version():
    r = run("--version")
    assert r.exit_code == 0 and "gradcli" in r.stdout
