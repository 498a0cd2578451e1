"""The report's gain curve (src/report/gain_curve.c, write_md_curve.c, plots/curve.gp) on runs
made here against tandem-sim with N = 1, 2, 4 and 8 agents, in two layouts: every agent on one
shared simulated device with alpha 1 (time-slicing: efficiency 100/N %, aggregate tokens/s flat)
and one device per agent (efficiency about 100 %, tokens/s growing with N). The report draws one
line per layout, finds the knee (N = 2 on the shared device, none on independent devices) and
the best operating point (N = 1 and N = 8), and says so in TR115.md, gain_curve.csv,
analysis.json and the figure's data. Runs that share one N get no curve at all."""
import csv
import json
import os
import subprocess

import pytest

from engine import bindir, scenario_yaml, variants
from simproc import start_sim

REPORT = os.path.join(bindir(), "tandem-report")
NS = (1, 2, 4, 8)
RUNS = 2
TOKENS = 20  # 0.2 s per call alone at the simulator's 100 tokens/s

pytestmark = pytest.mark.skipif(not os.access(REPORT, os.X_OK) or not variants(),
                                reason="needs tandem-report, tandem-sim and a variant in %s" % bindir())


def variant():
    vs = variants()
    return "blocking" if "blocking" in vs else vs[0]


def run_n(sim, urls, out):
    scen = out + ".yaml"
    with open(scen, "w") as f:
        f.write(scenario_yaml(urls, num_predict=TOKENS, steps=1, runs=RUNS))
    subprocess.run([os.path.join(bindir(), "tandem-" + variant()), "run", "--scenario-file", scen,
                    "--output-dir", out, "--quiet"], check=True, capture_output=True, timeout=120)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    root = tmp_path_factory.mktemp("curve")
    results = root / "results"
    results.mkdir()
    # one device shared by every agent (alpha 1: k streams each run at 1/k of the rate)
    sim = start_sim(["--alpha", "1", "--port", "0@gpu0"])
    try:
        for n in NS:
            run_n(sim, [sim.url(0)] * n, str(results / ("shared-n%d" % n)))
    finally:
        sim.stop()
    # one device per agent
    sim = start_sim(["--alpha", "1"] + ["--port", "0"] * max(NS))
    try:
        for n in NS:
            run_n(sim, [sim.url(i) for i in range(n)], str(results / ("independent-n%d" % n)))
    finally:
        sim.stop()
    return root


@pytest.fixture(scope="module")
def report(runs):
    out = runs / "report"
    subprocess.run([REPORT, str(runs / "results"), "--out", str(out)], check=True, capture_output=True)
    return out


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def lines_of(report):
    by = {}
    for r in rows(report / "gain_curve.csv"):
        by.setdefault(r["layout"], []).append(r)
    return by


def test_efficiency_follows_the_layout(report):
    by = lines_of(report)
    assert set(by) == {"one shared server", "a server per agent"}
    for layout, rs in by.items():
        assert [int(r["n_agents"]) for r in rs] == list(NS)
        for r in rs:
            n = int(r["n_agents"])
            eff = float(r["efficiency_pct"])
            # one-agent runs belong to both lines: both layouts' N = 1 runs
            assert int(r["runs"]) == (2 * RUNS if n == 1 else RUNS)
            expect = 100.0 / n if layout == "one shared server" else 100.0
            assert abs(eff - expect) < 5.0, (layout, n, eff)
            assert float(r["efficiency_ci_lo"]) <= eff <= float(r["efficiency_ci_hi"])
            assert float(r["ttft_p50_ms"]) <= float(r["ttft_p99_ms"])
    shared, indep = by["one shared server"], by["a server per agent"]
    # tokens/s: flat on a shared device, about N times on independent ones
    tps1 = float(shared[0]["tokens_per_s"])
    for r in shared:
        assert abs(float(r["tokens_per_s"]) / tps1 - 1.0) < 0.15, r
    for r in indep:
        assert abs(float(r["tokens_per_s"]) / (int(r["n_agents"]) * float(indep[0]["tokens_per_s"])) - 1.0) < 0.15
    # per-agent slowdown: about N on the shared device, about 1 on independent ones
    for r in shared:
        assert abs(float(r["slowdown"]) / int(r["n_agents"]) - 1.0) < 0.15, r
    for r in indep:
        assert abs(float(r["slowdown"]) - 1.0) < 0.15, r


def test_knee_and_best_point(report):
    by = lines_of(report)
    shared, indep = by["one shared server"], by["a server per agent"]
    assert [r["n_agents"] for r in shared if r["knee"] == "true"] == ["2"]
    assert [r["knee_reason"] for r in shared if r["knee"] == "true"] == ["efficiency_below_75pct"]
    assert [r["n_agents"] for r in shared if r["best"] == "true"] == ["1"]
    assert not any(r["knee"] == "true" for r in indep)
    assert [r["n_agents"] for r in indep if r["best"] == "true"] == ["8"]
    doc = json.loads((report / "analysis.json").read_text())
    lines = {l["layout"]: l for l in doc["gain_curve"]["lines"]}
    assert lines["one shared server"]["knee_n_agents"] == 2
    assert lines["one shared server"]["best_n_agents"] == 1
    assert lines["a server per agent"]["knee_n_agents"] is None
    assert lines["a server per agent"]["best_n_agents"] == 8
    assert [p["n_agents"] for p in lines["a server per agent"]["points"]] == list(NS)
    assert "75" in doc["gain_curve"]["knee"]


def test_markdown_table_and_sentences(report):
    md = (report / "TR115.md").read_text()
    assert "## Gain curve" in md
    sec = md.split("## Gain curve", 1)[1].split("\n## ", 1)[0]
    assert "| N | runs | efficiency % [95% bootstrap CI] | tokens/s [95% t CI] |" in sec
    assert "(one shared server)" in sec and "(a server per agent)" in sec
    assert "**Knee: N = 2** (efficiency" in sec and "is below 75 %)" in sec
    assert "**No knee up to N = 8**" in sec
    assert "**Best operating point: N = 1**" in sec and "**Best operating point: N = 8**" in sec
    # the definitions are stated beside the numbers
    assert "**Knee**: the smallest N whose mean efficiency is below 75 %" in sec
    for n in NS:
        assert "\n| %d | " % n in sec


def blocks(path):
    """gnuplot index blocks: (title, rows of floats)."""
    out = []
    for chunk in open(path).read().split("\n\n\n"):
        ls = [l for l in chunk.splitlines() if l.strip()]
        if ls:
            out.append((ls[0].strip('"'), [[float(x) for x in l.split()] for l in ls[1:]]))
    return out


def test_figure_data(report):
    data = blocks(str(report / "fig_gain_curve.dat"))
    titles = [t for t, _ in data]
    assert len(data) == 2 and all(t.startswith(variant()) for t in titles)
    by = dict(data)
    shared = by["%s (one shared server)" % variant()]
    indep = by["%s (a server per agent)" % variant()]
    assert [r[0] for r in shared] == list(NS) and [r[0] for r in indep] == list(NS)
    for r in shared:
        assert abs(r[1] - 100.0 / r[0]) < 5.0 and r[2] <= r[1] <= r[3]
    for r in indep:
        assert abs(r[1] - 100.0) < 5.0
    doc = json.loads((report / "analysis.json").read_text())
    figs = {f["name"]: f for f in doc["figures"]}
    assert figs["fig_gain_curve"]["script"] == "curve" and figs["fig_gain_latency"]["script"] == "curve"
    if figs["fig_gain_curve"]["rendered"]:
        for name in ("fig_gain_curve", "fig_gain_latency"):
            assert (report / (name + ".png")).stat().st_size > 0
            assert (report / (name + ".svg")).stat().st_size > 0


def test_one_agent_count_has_no_curve(runs, tmp_path):
    only = tmp_path / "only"
    only.mkdir()
    os.symlink(str(runs / "results" / "shared-n2"), str(only / "shared-n2"))
    os.symlink(str(runs / "results" / "independent-n2"), str(only / "independent-n2"))
    out = tmp_path / "out"
    subprocess.run([REPORT, str(only), "--out", str(out), "--no-plots"], check=True, capture_output=True)
    assert "Gain curve" not in (out / "TR115.md").read_text()
    assert not (out / "gain_curve.csv").exists()
    assert "gain_curve" not in json.loads((out / "analysis.json").read_text())
