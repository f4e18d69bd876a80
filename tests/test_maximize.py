"""`gradcli maximize`: Chapra's example from SciPy's SLSQP tests, reported for f itself."""

import json
import subprocess
import sys

from click.testing import CliRunner

from gradcli.cli import cli

CHAPRA = "2*x1*x2 + 2*x1 - x1**2 - 2*x2**2"     # max at (2, 1), f = 2


def test_maximize_reports_f_and_a_maximum():
    r = CliRunner().invoke(cli, ["maximize", CHAPRA, "--x0", "-1,1", "-m", "slsqp,bfgs", "--json"])
    assert r.exit_code == 0, r.output
    for rec in json.loads(r.output):
        assert abs(rec["x"][0] - 2) < 1e-5 and abs(rec["x"][1] - 1) < 1e-5
        assert abs(rec["fun"] - 2) < 1e-9 and rec["verdict"] == "maximum"
        assert rec["max_eig"] < 0                    # the Hessian of f, not of −f
    table = CliRunner().invoke(cli, ["maximize", CHAPRA, "--x0", "-1,1", "-m", "slsqp"]).output
    assert "maximize 2*x1*x2" in table and "maximum" in table


def test_a_saddle_is_not_a_maximum_and_exits_1():
    r = CliRunner().invoke(cli, ["maximize", "x**2 - y**2", "--x0", "0,1", "-m", "bfgs", "--json"])
    [rec] = json.loads(r.output)
    assert r.exit_code == 1 and rec["verdict"] == "saddle point"


def test_maximize_as_a_real_process():
    out = subprocess.run([sys.executable, "-m", "gradcli", "maximize", CHAPRA, "--x0", "-1,1", "-m", "slsqp",
                          "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and json.loads(out.stdout)[0]["fun"] == 2.0


def test_maximize_restates_auto_and_multistart_for_f_and_never_judges_a_files_minimum():
    r = CliRunner().invoke(cli, ["maximize", "-(x-1)**2-(y-2)**2+3", "--x0", "0,0", "-m", "auto", "--json"])
    [rec] = json.loads(r.output)
    assert rec["fun"] == 3.0 and all(s["fun"] == 3.0 and s["verdict"] == "maximum" for s in rec["auto_steps"])
    assert rec["auto_reason"].startswith("for −f")
    out = CliRunner().invoke(cli, ["maximize", "sin(x)", "--x0", "1", "-m", "bfgs", "--starts", "3"]).output
    assert "reached a verified maximum" in out
    out = CliRunner().invoke(cli, ["maximize", "problems/hs071.yaml", "-m", "slsqp"]).output
    assert "published f*" not in out                   # solution.f of a file is its minimum


def test_maximize_refuses_what_only_draws_minimizations():
    for extra in (["--plot", "p.png"], ["--format", "scipy"]):
        r = CliRunner().invoke(cli, ["maximize", "-x**2", "--x0", "1", "-m", "bfgs", *extra])
        assert r.exit_code == 2 and "minimizations only" in r.output
