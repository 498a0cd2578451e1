"""The report's makespan against critical path (src/report/workflows.c, write_md_workflows.c,
write_json_workflows.c, plots/workflows.gp) on real workflow runs: two variants on tandem-sim
with known step times (every call D = 0.2 s alone, no contention), each running two
workflows twice: a fan-out (three researchers, then a writer's draft after all three and
its polish: critical path 3·D of the 5·D the workflow takes alone, ideal speedup 5/3) and a
chain (b's step after a's: ideal speedup 1, nothing to gain). The report carries each run's
numbers from the core unchanged (they equal summary.json's "workflow"), averages them per
workflow and variant, names what the dependencies allow and says the chain has nothing to
gain, in TR115.md, workflows.csv, analysis.json and the figure's data; the workflows' agent
counts (4 and 2) make no gain curve. The Summary leads with each workflow's sentence.
Reports without workflows are the shipped ones, byte for byte (test_report_baselines.py)."""
import csv
import json
import os
import subprocess

import pytest

from engine import bindir, run_variant, variants
from simproc import start_sim

REPORT = os.path.join(bindir(), "tandem-report")
VARIANTS = [v for v in ("smol", "blocking", "tokio-default") if v in variants()][:2]
TOKENS, TPS = 20, 100  # D = 0.2 s per call alone
D = TOKENS / TPS
RUNS = 2

pytestmark = pytest.mark.skipif(not os.access(REPORT, os.X_OK) or len(VARIANTS) < 2,
                                reason="needs tandem-report, tandem-sim and two C variants in %s" % bindir())

HEAD = [
    "runs: %d" % RUNS, "seed: 5", "warmup: true",
    "timeouts: {connect_ms: 2000, first_byte_ms: 10000, idle_ms: 5000, total_ms: 30000}",
    "defaults: {url: %s, model: gemma3:latest, options: {num_predict: " + str(TOKENS) + ", temperature: 0}}",
    "agents:",
]

SCENARIOS = {
    "fanout": HEAD + [
        "  - {name: r1, prompt: \"Research one.\"}",
        "  - {name: r2, prompt: \"Research two.\"}",
        "  - {name: r3, prompt: \"Research three.\"}",
        "  - name: writer",
        "    steps:",
        "      - {name: draft, after: [r1.main, r2.main, r3.main],",
        "         prompt: \"Merge: {output:r1.main} / {output:r2.main} / {output:r3.main}\"}",
        "      - {name: polish, prompt: \"Polish: {previous}\"}",
    ],
    "chain": HEAD + [
        "  - {name: a, prompt: \"Open the debate.\"}",
        "  - {name: b, steps: [{name: reply, after: [a.main], prompt: \"Answer: {output:a.main}\"}]}",
    ],
}
IDEAL = {"fanout": 5 / 3, "chain": 1.0}


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    root = tmp_path_factory.mktemp("workflows")
    summaries = {}
    with start_sim(["--decode-tps", str(TPS), "--prefill-tps", "100000000", "--load-ms", "0", "--sched-ms", "0",
                    "--alpha", "0", "--port", "0"]) as sim:
        for name, lines in SCENARIOS.items():
            text = "\n".join(["name: " + name] + lines) % sim.url(0) + "\n"
            where = root / "results" / name
            where.mkdir(parents=True)
            for v in VARIANTS:
                r = run_variant(v, text, where)
                assert r.returncode == 0, r.stderr
                summaries[(name, v)] = (r.outdir, r.summary)
    out = root / "report"
    p = subprocess.run([REPORT, str(root / "results"), "--out", str(out)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    with open(out / "analysis.json") as f:
        analysis = json.load(f)
    return out, analysis, summaries


def summary_runs(summaries, name=None, variant=None):
    """(outdir, the summary's run) for every run, optionally of one workflow and variant."""
    return [(outdir, run) for (n, v), (outdir, s) in sorted(summaries.items())
            if (name is None or n == name) and (variant is None or v == variant) for run in s["runs"]]


KEYS = ("critical_path_s", "makespan_s", "ideal_speedup", "achieved_speedup", "workflow_efficiency_pct")


def test_each_run_carries_the_cores_numbers(results):
    _, analysis, summaries = results
    runs = {(os.path.realpath(r["dir"]), r["run"]): r for r in analysis["workflows"]["runs"]}
    want = summary_runs(summaries)
    assert len(runs) == len(want) == 2 * len(VARIANTS) * RUNS
    for outdir, s in want:
        r = runs[(os.path.realpath(outdir), s["run"])]
        for k in KEYS:
            assert r[k] == pytest.approx(s["workflow"][k], rel=1e-9), (k, r, s["workflow"])
        assert r["t_seq_s"] == pytest.approx(s["t_seq_s"], rel=1e-9)
        assert r["complete"] is True


def test_means_per_workflow_and_variant(results):
    _, analysis, summaries = results
    wfs = {w["configuration"]: w for w in analysis["workflows"]["workflows"]}
    assert sorted(wfs) == ["chain", "fanout"]
    for name, w in wfs.items():
        assert w["runs"] == len(VARIANTS) * RUNS
        assert sorted(c["variant"] for c in w["variants"]) == sorted(VARIANTS)
        for c in w["variants"]:
            runs = [s for _, s in summary_runs(summaries, name, c["variant"])]
            assert c["runs"] == RUNS and c["incomplete_runs"] == 0
            for k in KEYS:
                mean = sum(s["workflow"][k] for s in runs) / len(runs)
                assert c[k]["mean"] == pytest.approx(mean, rel=1e-9), (name, k)
                assert c[k]["n"] == RUNS and c[k]["ci_lo"] <= c[k]["mean"] <= c[k]["ci_hi"]
            assert c["workflow_efficiency_pct"]["ci"] == "bootstrap" and c["makespan_s"]["ci"] == "t"
            # the simulator shares nothing: every step runs as soon as its inputs exist
            assert 97 < c["workflow_efficiency_pct"]["mean"] < 102, c
        all_runs = [s for _, s in summary_runs(summaries, name)]
        ideal = sum(s["workflow"]["ideal_speedup"] for s in all_runs) / len(all_runs)
        assert w["ideal_speedup"]["mean"] == pytest.approx(ideal, rel=1e-9)
        assert w["ideal_speedup"]["mean"] == pytest.approx(IDEAL[name], rel=0.03)
        assert w["chain"] is (name == "chain")
        assert w["closest_variant"] in VARIANTS
    assert "critical_path_s" in analysis["workflows"]["definitions"]


def test_the_report_says_what_the_dependencies_allow(results):
    out, analysis, _ = results
    md = (out / "TR115.md").read_text()
    assert "## Workflows: makespan against critical path" in md
    section = md.split("## Workflows: makespan against critical path", 1)[1].split("\n## ", 1)[0]
    assert "### chain" in section and "### fanout" in section
    assert "**chain: nothing to gain**" in section and "its steps form a chain" in section
    fan = [w for w in analysis["workflows"]["workflows"] if w["configuration"] == "fanout"][0]
    assert "**fanout: the dependencies allow %.2f×**" % fan["ideal_speedup"]["mean"] in section
    # each variant's row: its means as the table prints them
    for c in fan["variants"]:
        row = [l for l in section.split("### fanout", 1)[1].splitlines() if l.startswith("| %s |" % c["variant"])][0]
        assert "| %d |" % RUNS in row
        for k, dec in (("critical_path_s", 3), ("makespan_s", 3), ("ideal_speedup", 3), ("achieved_speedup", 3),
                       ("workflow_efficiency_pct", 2)):
            assert "%.*f [" % (dec, c[k]["mean"]) in row, (k, row)
        assert "%s %.2f %%" % (c["variant"], c["workflow_efficiency_pct"]["mean"]) in section
    # different agent counts (4 and 2), yet no gain curve: a workflow's gain is set by its
    # dependencies, not by N
    assert "## Gain curve" not in md and "gain_curve" not in analysis
    assert not (out / "gain_curve.csv").exists()


def test_the_summary_leads_with_each_workflow(results):
    """The Summary gives each workflow's sentence, as its section words it, before the
    efficiency verdict, which still follows."""
    out, analysis, _ = results
    md = (out / "TR115.md").read_text()
    summary = md.split("## Summary", 1)[1].split("\n## ", 1)[0]
    section = md.split("## Workflows: makespan against critical path", 1)[1].split("\n## ", 1)[0]
    assert "(see [Workflows: makespan against critical path](#workflows-makespan-against-critical-path))" in summary
    bullets = [l[2:] for l in summary.splitlines() if l.startswith("- **")]
    assert [b.split(":", 1)[0] for b in bullets] == ["**chain", "**fanout"]
    assert bullets[0].startswith("**chain: nothing to gain**")
    fan = [w for w in analysis["workflows"]["workflows"] if w["configuration"] == "fanout"][0]
    assert bullets[1].startswith("**fanout: the dependencies allow %.2f×**" % fan["ideal_speedup"]["mean"])
    for b in bullets:
        assert "Share of the ideal reached (workflow efficiency): " in b
        assert "\n" + b + "\n" in section  # the very sentences under the workflow's table
    # the efficiency verdict follows them
    assert summary.index("- **fanout") < summary.index("Recommendation:")


def test_the_csv_has_a_row_per_workflow_and_variant(results):
    out, analysis, _ = results
    with open(out / "workflows.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert sorted((r["configuration"], r["variant"]) for r in rows) == \
        sorted((n, v) for n in SCENARIOS for v in VARIANTS)
    wfs = {w["configuration"]: w for w in analysis["workflows"]["workflows"]}
    for r in rows:
        w = wfs[r["configuration"]]
        c = [c for c in w["variants"] if c["variant"] == r["variant"]][0]
        for k in KEYS + ("t_seq_s",):
            assert float(r[k]) == pytest.approx(c[k]["mean"], rel=1e-9)
            assert float(r[k + "_ci_lo"]) == pytest.approx(c[k]["ci_lo"], rel=1e-9)
        assert float(r["workflow_ideal_speedup"]) == pytest.approx(w["ideal_speedup"]["mean"], rel=1e-9)
        assert r["chain"] == ("true" if w["chain"] else "false")
        assert r["closest"] == ("true" if w["closest_variant"] == r["variant"] else "false")


def test_the_figure_data(results):
    out, analysis, summaries = results
    blocks = (out / "fig_workflows.dat").read_text().strip().split("\n\n\n")
    assert len(blocks) == len(VARIANTS)
    seen = set()
    for b in blocks:
        lines = b.splitlines()
        variant = lines[0].strip('"')
        seen.add(variant)
        pts = sorted(tuple(float(x) for x in l.split()) for l in lines[1:])
        want = sorted((s["workflow"]["critical_path_s"], s["workflow"]["makespan_s"])
                      for _, s in summary_runs(summaries, variant=variant))
        assert len(pts) == len(want) == 2 * RUNS
        for p, w in zip(pts, want):
            assert p == pytest.approx(w, rel=1e-9)
    assert seen == set(VARIANTS)
    labels = (out / "fig_workflows_labels.dat").read_text()
    assert '"chain"' in labels and '"fanout"' in labels
    fig = [f for f in analysis["figures"] if f["name"] == "fig_workflows"][0]
    assert fig["script"] == "workflows" and fig["data"] == "fig_workflows.dat, fig_workflows_labels.dat"
    if analysis["gnuplot"]:
        assert fig["rendered"], fig["problem"]
        assert (out / "fig_workflows.svg").stat().st_size > 0 and (out / "fig_workflows.png").stat().st_size > 0
