"""Issue 19, "the fit and root pictures follow the same style": `fit --plot` and `root --plot` use the shared
palette, the legend outside the axes, the format by suffix and atomic saving. Figures are inspected as
matplotlib objects (what is drawn, the legend, the labels), as tests/test_see_a_run.py does for minimize.

Misra1a data and certified values: NIST StRD, https://www.itl.nist.gov/div898/strd/nls/data/misra1a.shtml.
"""

import numpy as np
import pytest
from click.testing import CliRunner

from gradcli.cli import cli

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

MISRA_X = [77.6, 114.9, 141.1, 190.8, 239.9, 289.0, 332.8, 378.4, 434.8, 477.3, 536.8, 593.1, 689.1, 760.0]
MISRA_Y = [10.07, 14.73, 17.94, 23.93, 29.61, 35.18, 40.02, 44.82, 50.76, 55.05, 61.01, 66.40, 75.47, 81.78]
MISRA_B = [2.3894212918E+02, 5.5015643181E-04]
WALLIS = 2.0945514815423265


def _labels(ax):
    return [line.get_label() for line in ax.get_lines() if not line.get_label().startswith("_")]


def _legend_outside_every_axes(fig):
    [legend] = fig.legends
    fig.canvas.draw()
    box = legend.get_window_extent()
    for ax in fig.axes:
        assert not box.overlaps(ax.get_window_extent())
    return [t.get_text() for t in legend.get_texts()]


@pytest.fixture
def misra_fit(tmp_path):
    from gradcli.fit import methods
    from gradcli.fit.data import read_table
    from gradcli.fit.model import build_model
    from gradcli.fit.run import best, fit

    path = tmp_path / "misra1a.csv"
    path.write_text("x,y\n" + "".join(f"{a!r},{b!r}\n" for a, b in zip(MISRA_X, MISRA_Y)))
    model = build_model("b1*(1 - exp(-b2*x))", read_table(str(path)))
    results = fit(model, np.array([500.0, 1e-4]), [("lm", "lm"), ("trf", "trf"), ("bfgs", "bfgs")],
                  methods.Settings())
    return path, model, results, best(results)


def test_fit_figure_one_line_per_method_band_and_residuals(misra_fit):
    from gradcli.report.fit_plot import fit_figure
    from gradcli.report.style import COLOURS

    _, model, results, best = misra_fit
    fig = fit_figure(model, results, best)
    top, bottom = fig.axes
    assert (top.get_ylabel(), bottom.get_xlabel(), bottom.get_ylabel()) == ("y", "x", "y − f")
    labels = _labels(top)
    assert labels[0] == "data (14 rows)"
    assert labels[1:] == [f"{r.run.label} ({r.run.nfev} r, {r.run.njev} J), RSS {r.stats.rss:.6g}" for r in results]
    curves = [line for line in top.get_lines() if line.get_label() in labels[1:]]
    assert [c.get_color() for c in curves] == list(COLOURS[:3])       # the shared palette, in order asked
    xs, ys = curves[0].get_data()
    assert xs[0] == min(MISRA_X) and xs[-1] == max(MISRA_X)
    # the lm curve is the certified model: b1(1 − exp(−b2 x)) at the certified b
    assert ys == pytest.approx(MISRA_B[0] * (1 - np.exp(-MISRA_B[1] * xs)), rel=1e-7)
    assert len(top.collections) == 1                                   # one confidence band: the best fit's
    [res_line] = [line for line in bottom.get_lines() if line.get_label().startswith("residuals")]
    rx, ry = res_line.get_data()
    assert list(rx) == MISRA_X and ry == pytest.approx(np.array(MISRA_Y) - model.values(results[best].run.x))
    legend = _legend_outside_every_axes(fig)
    main = results[best].run.label
    assert [t for t in legend if t in labels] == labels and f"95% confidence band ({main})" in legend
    assert f"residuals ({main})" in legend


def test_fit_figure_several_predictors(tmp_path):
    from gradcli.fit import methods
    from gradcli.fit.data import read_table
    from gradcli.fit.model import build_model
    from gradcli.fit.run import fit
    from gradcli.report.fit_plot import fit_figure

    rng = np.random.default_rng(3)
    x1, x2 = rng.uniform(1, 2, 30), rng.uniform(1, 2, 30)
    y = 2 * x1 + 3 * x2 ** 1.5 + rng.normal(0, 0.01, 30)
    path = tmp_path / "d.csv"
    path.write_text("x1,x2,y\n" + "".join(f"{a:.17g},{b:.17g},{c:.17g}\n" for a, b, c in zip(x1, x2, y)))
    model = build_model("a*x1 + b*x2**c", read_table(str(path)))
    results = fit(model, np.array([1.0, 1.0, 1.0]), [("lm", "lm"), ("dogbox", "dogbox")], methods.Settings())
    fig = fit_figure(model, results, 0)
    top, bottom = fig.axes
    assert (top.get_xlabel(), bottom.get_xlabel()) == ("fitted", "row")
    assert len([lab for lab in _labels(top) if lab.startswith(("lm", "dogbox"))]) == 2
    _legend_outside_every_axes(fig)


@pytest.mark.parametrize("suffix, magic", [(".png", b"\x89PNG"), (".pdf", b"%PDF-"), (".svg", b"<?xml")])
def test_fit_plot_formats_are_real(misra_fit, tmp_path, suffix, magic):
    data = misra_fit[0]
    out = tmp_path / f"fit{suffix}"
    r = CliRunner().invoke(cli, ["fit", "b1*(1 - exp(-b2*x))", "--data", str(data), "--p0", "b1=500,b2=1e-4",
                                 "-m", "lm,trf", "--plot", str(out)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(magic)
    assert not list(tmp_path.glob(".*tmp*"))                        # atomic: no temporary left behind


def _root_runs():
    from gradcli.roots import run as runner
    from gradcli.roots.equations import build

    eqs = build("x**3 - 2*x - 5")
    specs = runner.resolve("brentq,bisect,newton,halley", eqs, (2.0, 3.0), [2.0])
    _, runs = runner.run(specs, eqs, (2.0, 3.0), [2.0], 1e-10)
    return eqs, runs


def test_root_figure_one_line_per_method_in_the_palette():
    from gradcli.report.root_plot import equation_figure
    from gradcli.report.style import COLOURS, MARKERS

    eqs, runs = _root_runs()
    fig = equation_figure(eqs, bracket=(2.0, 3.0), runs=runs)
    [ax] = fig.axes
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "f")
    labels = _labels(ax)
    assert labels[0] == "f = x**3 - 2*x - 5" and labels[-1] == "roots (verified)"
    methods = labels[1:-1]
    assert methods == ["brentq ({} f)".format(runs[0].nfev), "bisect ({} f)".format(runs[1].nfev),
                       f"newton ({runs[2].nfev} f, {runs[2].njev} f′)",
                       f"halley ({runs[3].nfev} f, {runs[3].njev} f′, {runs[3].nhev} f″)"]
    lines = [line for line in ax.get_lines() if line.get_label() in methods]
    assert [(line.get_color(), line.get_marker()) for line in lines] == list(zip(COLOURS[:4], MARKERS[:4]))
    for line, r in zip(lines, runs):           # the points drawn are the points the method evaluated f at
        xs, ys = line.get_data()
        assert list(xs) == r.iterates and ys == pytest.approx([x ** 3 - 2 * x - 5 for x in xs])
    [roots] = [line for line in ax.get_lines() if line.get_label() == "roots (verified)"]
    assert roots.get_data()[0] == pytest.approx([WALLIS] * 4, rel=1e-15)
    assert _legend_outside_every_axes(fig) == labels


@pytest.mark.parametrize("suffix, magic", [(".pdf", b"%PDF-"), (".svg", b"<?xml")])
def test_root_plot_formats_are_real(tmp_path, suffix, magic):
    out = tmp_path / f"r{suffix}"
    r = CliRunner().invoke(cli, ["root", "sin(x)", "--bracket", "1:20", "--all", "--plot", str(out)],
                           catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert out.read_bytes().startswith(magic)
    bad = CliRunner().invoke(cli, ["root", "sin(x)", "--bracket", "1:20", "--all", "--plot", str(tmp_path / "r.jpg")])
    assert bad.exit_code == 2 and ".png, .pdf or .svg" in bad.stderr
