"""The report's figures say what the data says (plots.c and plots/*.gp).

- Intervals of metrics bounded to 0-100 % (efficiency, legacy efficiency) stay inside
  the bounds in the figure data: the percentile bootstrap CI of analysis is drawn, which
  is checked against cells.csv, while the Student-t interval of the same seed cells does
  reach past 100 % (so the test would catch a return to it).
- The efficiency figures carry the no-gain line 100/N % (50 % at N = 2) for every
  configuration, and the perfect line; both are named in the key, and one outside the
  y range says so; the y range is the data's, not a fixed wide one.
- The TTFT ECDF spans every call (its x range holds the smallest and the largest TTFT
  of calls.csv) and has one panel per step when the agents make several calls, with the
  calls of each step counted as calls.csv counts them.
- One palette for every figure (common.gp, Okabe-Ito), each style with its own dash
  type and point type; the figure scripts use no colours of their own.
- gnuplot renders every script from the data files, including a panel where a variant
  has no calls and an interval marked clipped (skipped when gnuplot is missing).

Inputs: report/reference/sim (simulator runs, sequential and concurrent phases, two
steps per agent) and report/reference/seed-v1 (the seed harness's legacy imports).
"""

import collections
import csv
import math
import os
import re
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIM = os.path.join(REPO, "report", "reference", "sim")
SEED = os.path.join(REPO, "report", "reference", "seed-v1")
PLOTS = os.path.join(REPO, "plots")


def bindir():
    b = os.environ.get("TANDEM_BIN", "build/bin")
    return b if os.path.isabs(b) else os.path.join(REPO, b)


REPORT = os.path.join(bindir(), "tandem-report")
GNUPLOT = shutil.which("gnuplot")

pytestmark = pytest.mark.skipif(not os.access(REPORT, os.X_OK),
                                reason="no tandem-report at %s (build it, or set TANDEM_BIN)" % REPORT)
needs_gnuplot = pytest.mark.skipif(GNUPLOT is None, reason="gnuplot is not installed")


def report(src, out):
    if not os.path.isdir(src):
        pytest.skip("%s is absent" % src)
    r = subprocess.run([REPORT, src, "--out", str(out)], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    return str(out)


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return report(SIM, tmp_path_factory.mktemp("sim"))


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return report(SEED, tmp_path_factory.mktemp("seed"))


def blocks(path):
    """The blocks of a gnuplot data file: (title, rows of floats)."""
    with open(path) as f:
        text = f.read()
    out = []
    for part in text.split("\n\n\n"):
        lines = [l for l in part.split("\n") if l.strip()]
        if not lines:
            continue
        title = lines[0].strip().strip('"')
        out.append((title, [[float(x) for x in l.split()] for l in lines[1:]]))
    return out


def rows(path):
    with open(path) as f:
        return [[float(x) for x in l.split()] for l in f if l.strip()]


def gp_vars(out, name):
    """The gnuplot -e assignments the report printed for a figure (TR115.md)."""
    with open(os.path.join(out, "TR115.md")) as f:
        for line in f:
            if line.startswith("gnuplot -e") and "out='%s';" % name in line:
                v = {}
                for k, val in re.findall(r"(\w+)=('(?:[^']|'')*'|[^;]*);", line):
                    v[k] = val[1:-1].replace("''", "'") if val.startswith("'") else float(val)
                return v
    raise AssertionError("no gnuplot command for %s in TR115.md" % name)


def cells(out, metric):
    with open(os.path.join(out, "cells.csv")) as f:
        return [r for r in csv.DictReader(f) if r["scope"] == "cell" and r["metric"] == metric]


def assert_bounded_intervals(out, name, metric):
    means = blocks(os.path.join(out, name + "_means.dat"))
    assert means
    drawn = []
    for title, rs in means:
        for x, mean, lo, hi, clipped in rs:
            assert 0 <= lo <= mean <= hi <= 100, (title, x, mean, lo, hi)
            assert clipped == 0
            drawn.append((mean, lo, hi))
    # the interval drawn is the bootstrap one of the analysis
    for c in cells(out, metric):
        m = float(c["mean"])
        lo, hi = next((lo, hi) for mean, lo, hi in drawn if math.isclose(mean, m, rel_tol=1e-9))
        assert math.isclose(lo, float(c["ci_boot_lo"]), rel_tol=1e-8)
        assert math.isclose(hi, float(c["ci_boot_hi"]), rel_tol=1e-8)


def test_seed_legacy_intervals_stay_inside_0_100(seed):
    assert_bounded_intervals(seed, "fig_legacy_efficiency", "legacy_efficiency_pct")
    # the t interval of the same cells leaves the range: the figure must not draw it
    assert max(float(c["ci_t_hi"]) for c in cells(seed, "legacy_efficiency_pct")) > 100
    v = gp_vars(seed, "fig_legacy_efficiency")
    assert "bootstrap" in v["cilab"] and "bootstrap" in v["ttl"]


def test_sim_efficiency_intervals_stay_inside_0_100(sim):
    assert_bounded_intervals(sim, "fig_efficiency", "efficiency_pct")
    assert_bounded_intervals(sim, "fig_legacy_efficiency", "legacy_efficiency_pct")


def test_no_gain_and_perfect_lines(sim, seed):
    for out, name in ((sim, "fig_efficiency"), (seed, "fig_legacy_efficiency")):
        ng = rows(os.path.join(out, name + "_nogain.dat"))
        # two agents in every configuration of both sets: 100/N = 50 across each of the six
        assert len(ng) == 6 and all(r[1] == 50 for r in ng)
        assert sorted(round(r[0] + r[2] / 2) for r in ng) == list(range(6))
        v = gp_vars(out, name)
        assert v["ref"] == 100 and v["nogain"] == 1
        assert "100/N = 50% at N = 2" in v["nglab"]
        assert v["ylo"] < v["yhi"]
    # sim efficiency sits at 50.3-51.3 %: the range takes in the no-gain line just below
    # the data, not the perfect line far above, and the key says where that one is
    v = gp_vars(sim, "fig_efficiency")
    assert 49 < v["ylo"] <= 50 and v["yhi"] < 52
    assert "off the plot" in v["reflab"] and "off the plot" not in v["nglab"]
    # seed legacy efficiency spans 50-96 %: both lines inside the range
    v = gp_vars(seed, "fig_legacy_efficiency")
    assert v["ylo"] <= 50 and 100 <= v["yhi"] < 110
    assert "off the plot" not in v["reflab"] and "off the plot" not in v["nglab"]


def test_reference_labels_are_in_the_key_not_over_the_data():
    for script in ("strip.gp", "lines.gp"):
        with open(os.path.join(PLOTS, script)) as f:
            text = f.read()
        assert "set label" not in text and "set arrow" not in text, script


def ttft_by_step(out):
    with open(os.path.join(out, "calls.csv")) as f:
        got = collections.defaultdict(list)
        for r in csv.DictReader(f):
            if r["phase"] == "concurrent" and r["ok"] == "true" and r["cold_load"] == "false" and r["ttft_ms"]:
                got[int(r["step"])].append(float(r["ttft_ms"]))
    return got


@pytest.mark.parametrize("which", ["sim", "seed"])
def test_ttft_ecdf_whole_range_and_steps(which, request):
    out = request.getfixturevalue(which)
    steps = ttft_by_step(out)
    everything = [x for xs in steps.values() for x in xs]
    v = gp_vars(out, "fig_ttft_ecdf")
    assert v["xlo"] <= min(everything) and v["xhi"] >= max(everything)
    panels = int(v.get("npanel", 1))
    assert panels == len(steps)
    data = blocks(os.path.join(out, "fig_ttft_ecdf.dat"))
    nvar = int(v["nvar"])
    assert len(data) == panels * nvar
    for p in range(panels):
        n = sum(len(rs) - 1 for _, rs in data[p * nvar:(p + 1) * nvar])
        assert n == len(steps[p]), p
        # the curve of each variant reaches 1 at its slowest call of the step
        for title, rs in data[p * nvar:(p + 1) * nvar]:
            assert rs[-1][1] == 1.0 and "%d calls" % (len(rs) - 1) in title
    if panels > 1:
        assert v["pt0"].startswith("step 1") and v["pt1"].startswith("step 2")


def test_one_colour_blind_safe_palette():
    with open(os.path.join(PLOTS, "common.gp")) as f:
        common = f.read()
    styles = re.findall(r'set style line (\d+) lc rgb "(#[0-9A-Fa-f]{6})" pt (\d+) .* dt (\S+)', common)
    assert len(styles) == 8
    okabe_ito = {"#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000"}
    colours = [s[1].upper() for s in styles]
    assert okabe_ito <= set(colours)
    assert len({s[2] for s in styles}) == 8, "each style its own point type"
    assert len({s[3] for s in styles}) == 8, "each style its own dash type"
    # the figures take their colours from common.gp: only greys and black of their own
    for script in ("strip.gp", "lines.gp", "ecdf.gp", "gpu_timeline.gp", "curve.gp", "open_loop.gp", "workflows.gp"):
        with open(os.path.join(PLOTS, script)) as f:
            text = f.read()
        assert "load dir.'common.gp'" in text
        for c in re.findall(r'rgb "(#[0-9A-Fa-f]{6})"', text):
            assert c[1:3] == c[3:5] == c[5:7], (script, c)


@needs_gnuplot
def test_every_figure_renders(sim, seed):
    for out, names in ((sim, ["fig_efficiency", "fig_legacy_efficiency", "fig_speedup", "fig_ttft_ecdf",
                              "fig_itl_ecdf"]),
                       (seed, ["fig_legacy_efficiency", "fig_ttft_ecdf"])):
        for n in names:
            for ext in (".svg", ".png"):
                assert os.path.getsize(os.path.join(out, n + ext)) > 1000, n + ext


def gnuplot(cwd, assigns, script):
    r = subprocess.run([GNUPLOT, "-e", "dir='%s/'; %s" % (PLOTS, assigns), os.path.join(PLOTS, script)],
                       cwd=cwd, capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    for ext in (".svg", ".png"):
        assert os.path.getsize(os.path.join(cwd, "f" + ext)) > 1000
    return r.stderr


@needs_gnuplot
def test_scripts_render_edge_cases(tmp_path):
    # a clipped interval, and references off the range
    (tmp_path / "f_points.dat").write_text('"a"\n-0.05 99.5\n-0.04 100.2\n\n\n"b"\n0.05 97\n0.06 98\n')
    (tmp_path / "f_means.dat").write_text('"a"\n0 99.85 99 100 1\n\n\n"b"\n0.1 97.5 97 98 0\n')
    (tmp_path / "f_configs.dat").write_text('0 "one"\n')
    (tmp_path / "f_nogain.dat").write_text("-0.48 50 0.96 0\n")
    gnuplot(tmp_path, "out='f'; nvar=2; bm=4; ylo=96; yhi=101; ylab='y'; ttl='t'; ref=100; reflab='perfect'; "
            "nogain=1; nglab='no gain (below, off the plot)'; cilab='ci';", "strip.gp")
    # three panels, a variant without calls in the last one, a log axis
    blocks_ = []
    for p in range(3):
        blocks_.append('"a, 2 calls"\n10 0\n10 0.5\n900 1\n')
        blocks_.append('"b, 0 calls"\nNaN NaN\n' if p == 2 else '"b, 1 calls"\n20 0\n20 1\n')
    (tmp_path / "f.dat").write_text("\n\n".join(blocks_))
    gnuplot(tmp_path, "out='f'; nvar=2; npanel=3; logx=1; xlo=9; xhi=1000; xlab='ms'; ttl='t'; "
            "pt0='step 1'; pt1='step 2'; pt2='steps 3 to 5';", "ecdf.gp")
    # lines with both references named in the key
    (tmp_path / "f_means.dat").write_text('"a"\n0 1.01 1.0 1.02 0\n')
    gnuplot(tmp_path, "out='f'; nvar=1; bm=4; ylo=0.99; yhi=1.03; ylab='y'; ttl='t'; ref=1; reflab='1'; "
            "ref2=2; reflab2='2 (above, off the plot)';", "lines.gp")
