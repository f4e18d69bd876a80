"""A problem file's `seed:` is the default seed of everything random in a run of that file; --seed wins."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from gradcli.cli import cli

BODY = """name: seeded
objective: "x**4 - 3*x**2 + y**2 + 0.3*x"
x0: [0.5, 0.5]
bounds: {x: [-3, 3], y: [-2, 2]}
"""


@pytest.fixture()
def files(tmp_path):
    """The same problem with seed: 3, seed: 4 and no seed."""
    out = {}
    for key, extra in (("s3", "seed: 3\n"), ("s4", "seed: 4\n"), ("none", "")):
        path = tmp_path / key / "p.yaml"
        path.parent.mkdir()
        path.write_text(BODY + extra)
        out[key] = path
    return out


def invoke(*args) -> list[dict]:
    r = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    assert r.exit_code in (0, 1), r.output
    return json.loads(r.output)


def what(rec: dict) -> tuple:
    """What a seed decides: where the method went and how many evaluations it took."""
    return tuple(rec["x"]), rec["fun"], rec["nfev"], rec["nit"]


@pytest.mark.parametrize("command", ["minimize", "maximize"])
def test_file_seed_drives_a_global_method(files, command):
    if command == "maximize":                 # the same landscape upside down
        for p in files.values():
            p.write_text(p.read_text().replace('"x**4 - 3*x**2 + y**2 + 0.3*x"', '"-(x**4 - 3*x**2 + y**2 + 0.3*x)"'))
    de = ["-m", "differential-evolution", "--json"]
    [a] = invoke(command, files["s3"], *de)
    [b] = invoke(command, files["s3"], *de)
    [flag] = invoke(command, files["none"], *de, "--seed", "3")
    [other] = invoke(command, files["s4"], *de)
    [wins] = invoke(command, files["s3"], *de, "--seed", "4")
    assert what(a) == what(b) == what(flag)
    assert what(other) != what(a)
    assert what(wins) == what(other)          # the command line wins over the file
    assert abs(a["x"][0] + 1.2490185) < 1e-5   # both draws find the global minimum near x = -1.249


def test_file_seed_draws_the_sobol_starts(files):
    from scipy.stats import qmc

    starts = ["-m", "l-bfgs-b", "--starts", "4", "--json"]
    [a] = invoke("minimize", files["s3"], *starts)
    [b] = invoke("minimize", files["none"], *starts, "--seed", "3")
    [c] = invoke("minimize", files["s4"], *starts)
    x0s = [s["x0"] for s in a["multistart"]]
    # SciPy's own scrambled Sobol sequence with seed 3, scaled to the file's box
    expected = qmc.scale(qmc.Sobol(d=2, scramble=True, seed=3).random(4), [-3, -2], [3, 2])
    assert np.allclose(x0s, expected, rtol=0, atol=1e-15)
    assert x0s == [s["x0"] for s in b["multistart"]]
    assert not np.allclose(x0s, [s["x0"] for s in c["multistart"]])


def test_file_seed_reaches_the_python_api(files):
    import gradcli
    from gradcli.problem.file import load_problem

    a = gradcli.minimize(load_problem(files["s3"]), method="differential-evolution")
    b = gradcli.minimize(load_problem(files["none"]), method="differential-evolution", seed=3)
    assert (a.x.tolist(), a.nfev) == (b.x.tolist(), b.nfev)


def test_checkgrad_points_follow_the_file_seed(files):
    def points(path, *more):
        r = CliRunner().invoke(cli, ["checkgrad", str(path), "--points", "3", "--json", *more],
                               catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return [p["x"] for p in json.loads(r.output)["points"]]

    a = points(files["s3"])
    assert a == points(files["none"], "--seed", "3") == points(files["s3"])
    assert a != points(files["s4"]) and a[0] == [0.5, 0.5]      # the named point first, then the draws


def test_compare_records_the_seed_each_run_used(files, tmp_path):
    from gradcli.problem.file import read_text
    from gradcli.study.compare import plan, run_seed

    def records(path, *more):
        out = tmp_path / f"r{len(list(tmp_path.glob('r*.json')))}.json"
        r = CliRunner().invoke(cli, ["compare", str(path), "-m", "differential-evolution,l-bfgs-b", "--json",
                                     str(out), "-q", *more], catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return {rec["method"]: rec for rec in json.loads(out.read_text())}

    sha = read_text(files["s3"]).sha256
    file_seed = records(files["s3"])
    assert {m: r["seed"] for m, r in file_seed.items()} == {
        "differential_evolution": run_seed(3, sha, "differential-evolution", 0),
        "L-BFGS-B": run_seed(3, sha, "l-bfgs-b", 0)}
    given = records(files["s3"], "--seed", "5")          # --seed wins
    assert given["L-BFGS-B"]["seed"] == run_seed(5, sha, "l-bfgs-b", 0)
    none = records(files["none"])                         # no seed anywhere: the study seed 0, as before
    assert none["L-BFGS-B"]["seed"] == run_seed(0, read_text(files["none"]).sha256, "l-bfgs-b", 0)
    again = records(files["s3"])
    de = "differential_evolution"
    assert what(again[de]) == what(file_seed[de]) and what(given[de]) != what(file_seed[de])
    # generated starts (--starts K) are drawn from the file's seed too
    with_file = [t.x0 for t in plan([files["s3"]], "l-bfgs-b", starts=2)[0]]
    with_flag = [t.x0 for t in plan([files["s3"]], "l-bfgs-b", seed=3, starts=2)[0]]
    assert with_file == with_flag and with_file != [t.x0 for t in plan([files["s3"]], "l-bfgs-b", seed=4,
                                                                       starts=2)[0]]


def test_stationary_fallback_starts_follow_the_seed():
    from gradcli.checks.stationary import _starts

    box = [(-1.0, 1.0)] * 6                    # 6 variables: a grid of 50 starts would be too coarse
    a, b, c = _starts(box, 50, 3), _starts(box, 50, 3), _starts(box, 50, 4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert np.array_equal(_starts(box, 50, None), -1 + 2 * np.random.default_rng(0).random((50, 6)))


def test_auto_global_phase_follows_the_seed(tmp_path):
    """auto's Sobol points come from the run's seed: --seed 3 and a file's seed: 3 give the same run, and
    another seed gives other points (the x0 of the global phase's steps differ)."""
    import json

    from click.testing import CliRunner

    from gradcli.cli import cli

    text = ("name: camel\nobjective: \"(4 - 2.1*x**2 + x**4/3)*x**2 + x*y + (-4 + 4*y**2)*y**2\"\n"
            "x0: [0.5, 0.5]\nbounds: {x: [-3, 3], y: [-2, 2]}\n")
    (tmp_path / "a.yaml").write_text(text + "seed: 3\n")
    (tmp_path / "b.yaml").write_text(text)

    def run(*args):
        r = CliRunner().invoke(cli, ["minimize", *args, "-m", "auto", "--json"])
        assert r.exit_code == 0, r.output
        rec = json.loads(r.stdout)
        rec = rec[0] if isinstance(rec, list) else rec
        phase = [(s["nfev"], s["fun"]) for s in rec["auto_steps"][:16]]   # x0 and 15 Sobol points (n = 2)
        return phase, rec["nfev"], rec["x"]

    from_file = run(str(tmp_path / "a.yaml"))
    assert run(str(tmp_path / "b.yaml"), "--seed", "3") == from_file
    assert run(str(tmp_path / "b.yaml"), "--seed", "4")[0] != from_file[0]
