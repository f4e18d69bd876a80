"""Issue 19, "see how each method got there": pictures of a run, iterates in the trace, SciPy's own
report text, and every command readable at 80 columns. Figures are inspected as matplotlib objects
(what is drawn, the legend, the labels), not only written."""

import contextlib
import io
import json

import numpy as np
import pytest
from click.testing import CliRunner
from rich.console import Console
from rich.table import Table

from gradcli.cli import cli

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

ROSEN = "100*(y-x**2)**2+(1-x)**2"


def run(*args, env=None):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)


def png_size(data: bytes):
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def solved(text, methods, x0, **kw):
    from gradcli.problem.core import build_problem
    from gradcli.run.solve import run as run_methods
    problem = build_problem(text, x0=x0, **kw)
    compiled = problem.compile()
    return problem, compiled, run_methods(problem, methods, objective=compiled, trace=True).results


# ---- the trace carries x; the counts do not change -------------------------------------------------

def test_trace_rows_carry_the_iterates():
    _, _, results = solved(ROSEN, "bfgs,gd,nelder-mead", [-1.2, 1])
    for r in results:
        assert len(r.trace) > 5
        assert np.array_equal(r.trace[0].x, [-1.2, 1.0])                    # the start, as given
        assert np.allclose(r.trace[-1].x, r.x, atol=1e-12)                  # the last iterate is x*
        for row in r.trace:                                                 # f of the row is f at its x
            assert row.f == pytest.approx(100 * (row.x[1] - row.x[0] ** 2) ** 2 + (1 - row.x[0]) ** 2, rel=1e-12)


def test_json_trace_rows_have_x_and_x_named():
    r = run("minimize", ROSEN, "--x0", "-1.2,1", "-m", "bfgs", "--trace", "--json")
    [rec] = json.loads(r.stdout)
    assert all(len(row["x"]) == 2 for row in rec["trace"])
    assert rec["trace"][0]["x"] == [-1.2, 1.0]
    assert set(rec["x_named"]) == {"x", "y"} and rec["x_named"]["x"] == pytest.approx(1.0, abs=1e-5)


def test_plot_does_not_change_the_counts(tmp_path):
    args = ["minimize", ROSEN, "--x0", "-1.2,1", "-m", "bfgs,gd,nelder-mead,cg,l-bfgs-b,newton-cg", "--json"]
    plain = json.loads(run(*args).stdout)
    drawn = json.loads(run(*args, "--plot", str(tmp_path / "p.png")).stdout)
    for a, b in zip(plain, drawn):
        assert (a["method"], a["nit"], a["nfev"], a["njev"], a["nhev"], a["x"]) == \
               (b["method"], b["nit"], b["nfev"], b["njev"], b["nhev"], b["x"])
    assert (tmp_path / "p.png").stat().st_size > 10_000


def test_trace_every_keeps_first_and_last():
    full = json.loads(run("minimize", ROSEN, "--x0", "-1.2,1", "-m", "bfgs", "--trace", "--json").stdout)[0]
    thin = json.loads(run("minimize", ROSEN, "--x0", "-1.2,1", "-m", "bfgs", "--trace", "--json",
                          "--trace-every", "10").stdout)[0]
    n = len(full["trace"])
    keep = [i for i in range(n) if i % 10 == 0 or i == n - 1]
    assert [row["iteration"] for row in thin["trace"]] == [full["trace"][i]["iteration"] for i in keep]
    assert thin["nfev"] == full["nfev"]
    assert run("minimize", ROSEN, "--x0", "-1.2,1", "--trace-every", "3").exit_code == 2


def test_trace_table_shows_x_up_to_four_variables():
    from gradcli.report.tables import trace_table
    _, _, [r] = solved(ROSEN, "bfgs", [-1.2, 1])
    console = Console(record=True, width=132)
    console.print(trace_table(r))
    text = console.export_text()
    assert "(-1.2, 1)" in text and " x " in text.splitlines()[2]
    _, _, [r6] = solved("sum((x[i]-1)**2, i, 0, n-1)", "bfgs", [0.5], dim=6)
    console = Console(record=True, width=132)
    console.print(trace_table(r6))
    assert " x " not in console.export_text().splitlines()[2]


# ---- minimize --plot --------------------------------------------------------------------------------

@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF-"), (".svg", b"<?xml")])
def test_plot_formats_are_real(tmp_path, suffix, magic):
    path = tmp_path / f"paths{suffix}"
    r = run("minimize", ROSEN, "--x0", "-1.2,1", "-m", "bfgs,cg", "--plot", str(path))
    assert r.exit_code == 0
    data = path.read_bytes()
    assert data.startswith(magic)
    if suffix == ".png":
        w, h = png_size(data)
        assert w >= 600 and h >= 400
    if suffix == ".svg":
        assert b"<svg" in data[:2000]


def test_plot_refuses_an_existing_file_before_any_work(tmp_path):
    path = tmp_path / "p.png"
    path.write_bytes(b"mine")
    r = run("minimize", ROSEN, "--x0", "-1.2,1", "-m", "bfgs", "--plot", str(path), "--json")
    assert r.exit_code == 2 and "--force" in r.stderr and r.stdout == ""
    assert path.read_bytes() == b"mine"
    assert run("minimize", ROSEN, "--x0", "-1.2,1", "-m", "bfgs", "--plot", str(path), "--force").exit_code == 0
    assert path.read_bytes()[:4] == b"\x89PNG"
    bad = run("minimize", ROSEN, "--x0", "-1.2,1", "-m", "bfgs", "--plot", str(tmp_path / "p.jpg"))
    assert bad.exit_code == 2 and ".png, .pdf or .svg" in bad.stderr


def _labels(ax):
    return [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]


def test_two_variable_figure_draws_each_path_and_a_legend_outside():
    from gradcli.report.run_plot import run_figure
    problem, compiled, results = solved(ROSEN, "bfgs,gd,nelder-mead", [-1.2, 1])
    fig = run_figure(problem, compiled, results)
    contour = fig.axes[0]
    assert (contour.get_xlabel(), contour.get_ylabel()) == ("x", "y")
    labels = _labels(contour)
    assert labels == [f"BFGS ({results[0].nfev} f, {results[0].njev} ∇f)",
                      f"gd ({results[1].nfev} f, {results[1].njev} ∇f)", f"Nelder-Mead ({results[2].nfev} f)"]
    paths = [line for line in contour.get_lines() if not line.get_label().startswith("_")]
    colours = {line.get_color() for line in paths}
    assert len(colours) == 3                                          # one colour per method
    for line, r in zip(paths, results):
        xs, ys = line.get_data()
        assert (xs[0], ys[0]) == (-1.2, 1.0)
        assert xs[-1] == pytest.approx(r.x[0]) and ys[-1] == pytest.approx(r.x[1])
        xlo, xhi = contour.get_xlim()
        assert xlo <= min(xs) and max(xs) <= xhi                       # the window holds every iterate
    [legend] = fig.legends
    assert [t.get_text() for t in legend.get_texts()] == labels
    fig.canvas.draw()
    box = legend.get_window_extent()
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent())               # the legend covers no axes
    ylabels = {ax.get_ylabel() for ax in fig.axes}
    assert {"f − f_best", "‖∇f‖∞"} <= ylabels
    matplotlib.pyplot.close(fig)


def test_any_n_figure_has_one_line_per_method():
    from gradcli.report.run_plot import run_figure
    text = "sum(100*(x[i+1]-x[i]**2)**2 + (1-x[i])**2, i, 0, n-2)"
    problem, compiled, results = solved(text, "bfgs,l-bfgs-b,cg", [-1.2, 1], dim=6)
    fig = run_figure(problem, compiled, results)
    gap, grad = fig.axes
    assert gap.get_yscale() == "log" and grad.get_yscale() == "log"
    assert len(_labels(gap)) == 3 and len(grad.get_lines()) == 3
    best = min(r.fun for r in results)
    for line, r in zip(gap.get_lines(), results):
        xs, ys = line.get_data()
        assert xs[-1] == r.trace[-1].nfev + r.trace[-1].njev
        assert ys[-1] == pytest.approx(max(r.trace[-1].f - best, 1e-16), rel=1e-9, abs=1e-15)
    matplotlib.pyplot.close(fig)


def test_levels_are_log_spaced_above_the_lowest_f():
    from gradcli.report.run_plot import log_levels
    z = np.array([[0.0, 1.0], [10.0, 1000.0]])
    lv = log_levels(z, 0.0, 10)
    assert lv[0] == 0.0 and lv[-1] == pytest.approx(1000.0) and np.all(np.diff(lv) > 0)
    ratios = np.diff(np.log(lv[1:]))
    assert np.allclose(ratios, ratios[0])


def test_constraints_and_bounds_are_drawn():
    from gradcli.report.run_plot import run_figure
    problem, compiled, results = solved("x**2+y**2", "slsqp", [2, 1.5], constraints=["x + y >= 1"],
                                        bounds={"x": (0.2, 3)})
    fig = run_figure(problem, compiled, results)
    ax = fig.axes[0]
    hatched = [c for c in ax.collections if "////" in (list(getattr(c, "hatches", None) or []) + [c.get_hatch()])]
    assert hatched                                                    # infeasible sides shaded
    assert any(np.allclose(line.get_xdata(), 0.2) for line in ax.get_lines())   # the bound x = 0.2
    matplotlib.pyplot.close(fig)


# ---- grad --plot -------------------------------------------------------------------------------------

def test_grad_plot_field_points_down_the_gradient(tmp_path):
    from gradcli.problem.core import build_problem
    from gradcli.report.field_plot import field_figure
    problem = build_problem("1/sqrt(x**2+y**2)")
    fig = field_figure(problem, problem.compile(), (-2, 2), (-2, 2), negative=True)
    [quiver] = [c for c in fig.axes[0].collections if type(c).__name__ == "Quiver"]
    pos = quiver.get_offsets()
    outward = pos[:, 0] * quiver.U + pos[:, 1] * quiver.V
    assert np.all(outward > 0)                  # E = −∇(1/r) points away from the charge
    matplotlib.pyplot.close(fig)
    path = tmp_path / "field.png"
    r = run("grad", "1/sqrt(x**2+y**2)", "--plot", str(path))
    assert r.exit_code == 0 and png_size(path.read_bytes())[0] >= 600
    r = run("grad", "x*y*z", "--plot", str(tmp_path / "f3.png"))
    assert r.exit_code == 2 and "two variables" in r.stderr


# ---- --format scipy and --gradient fd: SciPy's own lines ------------------------------------------

def scipy_prints(fn, *args, **kw):
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        x = fn(*args, **kw)
    return buf.getvalue().splitlines(), x


@pytest.mark.parametrize("method, fn, gradient", [("fmin", "fmin", "exact"), ("fmin_bfgs", "fmin_bfgs", "fd"),
                                                  ("fmin_cg", "fmin_cg", "fd"), ("fmin_powell", "fmin_powell", "exact")])
def test_format_scipy_prints_what_scipy_prints(method, fn, gradient):
    import scipy.optimize as so
    want, xopt = scipy_prints(getattr(so, fn), lambda x: x[0] ** 2 - 4 * x[0] + 8, [1.3])
    r = run("minimize", "x**2-4*x+8", "--x0", "1.3", "-m", method, "--gradient", gradient, "--format", "scipy")
    have = r.stdout.splitlines()
    assert have[:len(want)] == want                                   # line for line, spaces included
    assert have[len(want)] == str(np.asarray(xopt, dtype=float).reshape(-1))


def test_fd_bfgs_matches_scipy_counts_and_exact_gradient_saves():
    import scipy.optimize as so
    want, _ = scipy_prints(so.fmin_bfgs, lambda x: x[0] ** 2 - 4 * x[0] + 8, [1.3])
    assert [w.strip() for w in want[2:]] == ["Iterations: 2", "Function evaluations: 6", "Gradient evaluations: 3"]
    exact, _ = scipy_prints(so.fmin_bfgs, lambda x: x[0] ** 2 - 4 * x[0] + 8, [1.3],
                            fprime=lambda x: 2 * x - 4)
    r = run("minimize", "x**2-4*x+8", "--x0", "1.3", "-m", "fmin_bfgs", "--format", "scipy")
    assert r.stdout.splitlines()[:len(exact)] == exact
    rec = json.loads(run("minimize", "x**2-4*x+8", "--x0", "1.3", "-m", "bfgs", "--gradient", "fd",
                         "--json").stdout)[0]
    assert (rec["nfev"], rec["njev"], rec["fd_gradients"]) == (6, 0, 3)
    assert "count_mismatch" not in rec


def test_gradient_fd_refuses_methods_that_cannot_take_it():
    r = run("minimize", ROSEN, "--x0", "-1.2,1", "-m", "newton-cg", "--gradient", "fd")
    assert r.exit_code == 2 and "newton-cg" in r.stderr and len(r.stderr.strip().splitlines()) == 1


# ---- 80 columns ----------------------------------------------------------------------------------------

def test_fitted_table_becomes_blocks_below_its_width():
    from gradcli.report.narrow import fitted
    t = Table(title="wide")
    for name in ("method", "a number", "another number", "a long note"):
        t.add_column(name)
    t.add_row("differential-evolution", "1.23456789012345", "-9.87654321e-12", "word " * 20)
    narrow = Console(record=True, width=80)
    narrow.print(fitted(narrow, t))
    text = narrow.export_text()
    assert "method: differential-evolution" in text and "1.23456789012345" in text and "-9.87654321e-12" in text
    assert "…" not in text and max(map(len, text.splitlines())) <= 80
    wide = Console(record=True, width=200)
    wide.print(fitted(wide, t))
    assert "┃ method" in wide.export_text()


@pytest.mark.parametrize("columns", [80, 132])
def test_commands_at_80_and_132_columns(columns, tmp_path):
    env = {"COLUMNS": str(columns)}
    out = run("methods", env=env).stdout
    assert max(map(len, out.splitlines())) <= columns
    for name in ("nelder-mead", "l-bfgs-b", "trust-krylov", "differential-evolution", "dual-annealing"):
        assert name in out
    check = run("checkgrad", ROSEN, "--at", "-1.2,1", "--grad", "-400*x*(y-x**2)-2*(1-x); 200*(y-x**2)",
                env=env).stdout
    assert "…" not in check and max(map(len, check.splitlines())) <= columns and "-215.600000025" in check
    (tmp_path / "bowl.yaml").write_text('name: bowl\nobjective: "(x1-1)**2 + 10*(x2+1)**2"\nx0: [3.0, 3.0]\n'
                                        "solution: {f: 0.0}\n")
    comp = run("compare", str(tmp_path), "-m", "bfgs,nelder-mead,l-bfgs-b", env=env).stdout
    assert "…" not in comp and max(map(len, comp.splitlines())) <= columns and "Nelder-Mead" in comp
    stat = run("stationary", "x**3-3*x+y**2", env=env).stdout
    assert "saddle point" in stat and max(map(len, stat.splitlines())) <= columns


def test_piped_output_honours_columns(monkeypatch):
    from gradcli.report.tables import PIPED_WIDTH, consoles
    monkeypatch.setenv("COLUMNS", "90")
    assert consoles()[0].width == 90
    monkeypatch.delenv("COLUMNS")
    assert consoles()[0].width == PIPED_WIDTH


# ---- compare's figures ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def study(tmp_path_factory):
    """A small study with histories: its records, profiles and the palette compare uses."""
    import shutil
    from pathlib import Path

    folder = tmp_path_factory.mktemp("lib")
    for name in ("beale", "booth", "rosenbrock"):
        shutil.copy(Path(__file__).parents[1] / "problems" / f"{name}.yaml", folder)
    out = folder / "rec.json"
    r = run("compare", str(folder), "-m", "bfgs,nelder-mead,l-bfgs-b,cg", "--history", "--json", str(out))
    assert r.exit_code == 0, r.output
    return json.loads(out.read_text()), folder


def _ends(ax):
    return {line.get_label(): (line.get_color(), line.get_marker(), line.get_xdata()[-1])
            for line in ax.get_lines() if not line.get_label().startswith("_")}


def test_study_figures_share_colours_legends_outside_and_end_at_the_largest_budget(study):
    from gradcli.report import plots
    from gradcli.report.style import Palette
    from gradcli.study.profiles import data_profile, performance_profile, runtime_ecdf

    records, _ = study
    prof, dprof, ecdf = performance_profile(records), data_profile(records), runtime_ecdf(records)
    palette = Palette(prof.methods)
    figs = [plots.profile_png(prof, None, palette=palette),
            plots.data_profile_png(dprof, None, palette=palette, end=plots.largest_budget(records, 1)),
            plots.ecdf_png(ecdf, None, palette=palette, end=plots.largest_budget(records, 0))]
    rs = [r for r in records if r["problem"] == "rosenbrock"]
    figs.append(plots.convergence_figure("rosenbrock", 0, rs, palette))
    styles = [{m: v[:2] for m, v in _ends(f.axes[0]).items()} for f in figs]
    assert all(set(s) == {"BFGS", "Nelder-Mead", "L-BFGS-B", "CG"} for s in styles)
    assert all(s == styles[0] for s in styles)                          # one colour and marker per method
    assert len({v for v in styles[0].values()}) == 4
    data_end = plots.largest_budget(records, 1)
    assert data_end == max((r["nfev"] + r["njev"]) / (r["n"] + 1) for r in records)
    assert all(x == pytest.approx(data_end) for _, _, x in _ends(figs[1].axes[0]).values())
    for r in rs:                                                        # each run's curve ends at its last count
        assert _ends(figs[3].axes[0])[r["method"]][2] == r["history"][-1][0]
    for f in figs:
        ax = f.axes[0]
        f.canvas.draw()
        legend = ax.get_legend()
        assert [t.get_text() for t in legend.get_texts()] == list(_ends(ax))
        assert not legend.get_window_extent().overlaps(ax.get_window_extent())
        title = ax.title
        assert title.get_window_extent().width <= f.get_window_extent().width
        assert ax.get_xlabel() and ax.get_ylabel()
        matplotlib.pyplot.close(f)


def test_compare_writes_real_pdf_and_svg(study, tmp_path):
    _, folder = study
    pdf, svg = tmp_path / "p.pdf", tmp_path / "d.svg"
    r = run("compare", str(folder), "-m", "bfgs,cg", "--plot", str(pdf), "--plot", f"data:{svg}")
    assert r.exit_code == 0, r.output
    assert pdf.read_bytes()[:5] == b"%PDF-" and b"<svg" in svg.read_bytes()[:2000]
    bad = run("compare", str(folder), "-m", "bfgs", "--plot", str(tmp_path / "p.gif"))
    assert bad.exit_code == 2 and ".png, .pdf or .svg" in bad.stderr


def test_plot_and_trace_leave_training_counts_alone(tmp_path):
    """Array problems train gd with f every few steps only; recording the path must not add evaluations."""
    rng = np.random.default_rng(0)
    a = rng.normal(size=(20, 3))
    np.save(tmp_path / "A.npy", a)
    np.savetxt(tmp_path / "t.csv", a @ [1.0, 2.0, 3.0])
    args = ["minimize", "sum((A@w - t)**2)", "--var", "w=3", "--data", f"A={tmp_path / 'A.npy'}", "--data",
            f"t={tmp_path / 't.csv'}", "--x0", "0", "-m", "gd", "--step", "fixed", "--lr", "0.001",
            "--maxiter", "300", "--json"]
    plain = json.loads(run(*args).stdout)[0]
    drawn = json.loads(run(*args, "--plot", str(tmp_path / "a.png")).stdout)[0]
    traced = json.loads(run(*args, "--trace").stdout)[0]
    assert (plain["nfev"], plain["njev"]) == (drawn["nfev"], drawn["njev"]) == (traced["nfev"], traced["njev"])
    assert plain["njev"] == 301 and len(traced["trace"]) == 301 and plain["x"] == drawn["x"]
