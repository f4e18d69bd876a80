"""Click's usage errors are said in one line, like every other bad input: what, where, how to fix; exit 2."""

import subprocess
import sys

import pytest
from click.testing import CliRunner

from gradcli.cli import cli

CASES = [
    (["minimize"], "gradcli: minimize: Missing argument 'EXPR|FILE.yaml'. See 'gradcli minimize --help'."),
    (["minimiz", "x"], "gradcli: No such command 'minimiz'. See 'gradcli --help'."),
    (["--bogus"], "gradcli: No such option '--bogus'. See 'gradcli --help'."),
    (["minimize", "x", "--x0"], "gradcli: minimize: Option '--x0' requires an argument. See 'gradcli minimize --help'."),
    (["problems", "list", "--zzz"], "gradcli: problems list: No such option '--zzz'. See 'gradcli problems list --help'."),
    (["minimize", "x", "--x0", "1", "--starts", "0"],
     "gradcli: minimize: Invalid value for '--starts': 0 is not in the range 1<=x<=100000. "
     "See 'gradcli minimize --help'."),
]


@pytest.mark.parametrize("args,line", CASES, ids=[" ".join(a) for a, _ in CASES])
def test_one_line(args, line):
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2
    assert r.stderr.splitlines() == [line]
    assert r.stdout == ""


def test_one_line_in_a_real_process():
    p = subprocess.run([sys.executable, "-m", "gradcli", "minimize", "x**2", "--x0", "1", "--bogus"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 2 and p.stdout == ""
    assert p.stderr.splitlines() == ["gradcli: minimize: No such option '--bogus'. (Did you mean one of: '--bounds', '--verbose'?) "
                                     "See 'gradcli minimize --help'."]


def test_a_group_without_its_command_still_shows_its_help():
    r = CliRunner().invoke(cli, ["problems"])
    assert "Usage:" in r.output and "list" in r.output


def test_a_command_process_raises_the_collectors_thresholds():
    """gradcli.cli.main (the console script and python -m gradcli) sets GC_THRESHOLDS for its process
    (start-up builds long-lived objects only; the default thresholds spent ~110 ms collecting them) and
    freezes what is left when the command ends (the interpreter's last full collection took ~90 ms)."""
    code = ("import gc, gradcli.cli as c\ntry:\n    c.main(['--version'])\nexcept SystemExit:\n    pass\n"
            "print(gc.get_threshold() == c.GC_THRESHOLDS, gc.isenabled(), gc.get_freeze_count() > 10_000)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert p.stdout.split()[-3:] == ["True", "True", "True"], p.stdout + p.stderr
