"""Problem files: the bundled library loads and checks; bad files say FILE:LINE: field: what."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradcli.cli import cli
from gradcli.errors import GradcliError
from gradcli.problem.file import find_files, load_problem

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"
ALL = find_files([PROBLEMS])


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def test_library_is_big_enough_and_sourced():
    import yaml
    assert len(ALL) >= 30
    for path in ALL:
        doc = yaml.safe_load(path.read_text())
        assert doc.get("source"), path
        if "equations" in doc:              # root problems (problems/systems/): name_system, read by `root`;
            assert doc["name"] == path.stem + "_system", path      # a root is listed only where one is
            continue                                               # known in closed form
        assert doc.get("solution") is not None, path
        p = load_problem(path)
        assert path.stem == p.name


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_every_bundled_problem_checks(path):
    from gradcli.problem.library_check import check_problem
    ok, detail = check_problem(path)
    assert ok, detail


def test_rosenbrock_file_values():
    p = load_problem(PROBLEMS / "rosenbrock.yaml")
    assert p.variables == ("x1", "x2") and p.starts == [[-1.2, 1.0]]
    assert p.solution.f == 0.0 and p.solution.x == [1.0, 1.0]


def write(tmp_path, text, name="p.yaml"):
    f = tmp_path / name
    f.write_text(text)
    return f


GOOD = "name: t\nobjective: (x-1)**2 + y**2\nx0: [0, 0]\n"


@pytest.mark.parametrize("text, where", [
    (GOOD + "xo: [1, 2]\n", ":4: xo: unknown key"),
    ("name: Bad Name\nobjective: x**2\nx0: [1]\n", ":1: name:"),
    ("name: t\nobjective: x**2 +* 1\nx0: [1]\n", ":2: objective: expression error at column 7"),
    ("name: t\nobjective: x**2\nx0: [1, 2]\n", ":3: x0: 2 values for 1 variable"),
    ("name: t\nobjective: x**2\n", "x0: missing"),
    ("name: t\nobjective: x**2\nx0: [1]\nbounds: {x: [3, 1]}\n", ":4: bounds.x: lower bound 3 is above"),
    ("name: t\nobjective: x**2\nx0: [one]\n", ":3: x0"),
    ("name: t\nobjective: x**2\nx0: [1]\nsolution: {f: 0, tol: -1}\n", ":4: solution.tol"),
    ("name: t\nobjective: x**2\nx0: !!python/object/apply:os.system ['true']\n", ":3:"),
    ("a: &a [1, 2]\nb: *a\n", "anchors and aliases"),
    ("- 1\n- 2\n", "a YAML mapping"),
    ("name: t\nobjective: x**2\nx0: [1]\nconstraints: ['x + 1']\n", "constraints[0]"),
])
def test_bad_files_name_file_line_field(tmp_path, text, where):
    f = write(tmp_path, text)
    with pytest.raises(GradcliError) as e:
        load_problem(f)
    assert str(e.value).startswith(str(f)) and where in str(e.value), str(e.value)


def test_bad_file_through_cli_is_exit_2_one_line(tmp_path):
    f = write(tmp_path, GOOD + "xo: 1\n")
    r = run("minimize", f, "--method", "bfgs")
    assert r.exit_code == 2 and "xo: unknown key" in r.stderr and "Traceback" not in r.stderr


def test_minimize_a_file_and_override_x0():
    r = run("minimize", PROBLEMS / "rosenbrock.yaml", "--method", "bfgs", "--json")
    [rec] = json.loads(r.stdout)
    assert r.exit_code == 0 and rec["x"] == pytest.approx([1, 1], abs=1e-5)
    r = run("minimize", PROBLEMS / "rosenbrock.yaml", "--method", "bfgs", "--x0", "2,2", "--json", "--trace")
    assert json.loads(r.stdout)[0]["trace"][0]["f"] == pytest.approx(401.0)   # f(2, 2) = 100*(2-4)^2 + 1


def test_problems_list_and_check_cli():
    r = run("problems", "list", PROBLEMS, "--json")
    rows = {row["name"]: row for row in json.loads(r.stdout)}
    assert rows["wood"]["n"] == 4 and rows["hs071"]["f_star"] == pytest.approx(17.0140173)
    r = run("problems", "check", PROBLEMS / "rosenbrock.yaml", PROBLEMS / "hs071.yaml")
    assert r.exit_code == 0 and "2 of 2 problem files check" in r.stdout


def test_problems_check_catches_a_wrong_solution(tmp_path):
    f = write(tmp_path, GOOD + "solution: {f: 0.5, x: [1, 0]}\n")
    r = run("problems", "check", f)
    assert r.exit_code == 1 and "f(solution.x) = 0" in r.stdout
