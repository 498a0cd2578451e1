"""The report's latency against offered load (src/report/open_loop.c, write_md_open_loop.c,
plots/open_loop.gp) on real open-loop cells: a sweep over arrival_rate 2, 3, 5 and 6 calls/s
(constant arrivals for 4 s) against one tandem-sim server with 2 slots, each call 0.5 s
(5 tokens at 10 tokens/s), so the server completes at most 4 calls/s. Below that the calls
complete as fast as they arrive and wait for nothing; above it they queue. The report puts
the four rates on one line, finds the knee at 5 calls/s (the first rate above capacity,
where the achieved rate falls below 95 % of the offered one), names 3 calls/s the best
operating point, keeps the client's own wait apart from the server's time, and says so in
TR115.md, open_loop.csv, analysis.json and the figure's data. The open-loop cells' arrival
counts never become an agent-count gain curve. The Summary leads with the knee and the
best operating point (efficiency is undefined without a sequential phase), the arrivals of
one template are one row of the agents' table, and baselines on the legacy efficiency,
which no open-loop run has, are one line saying so.

The first token comes 0.1 s after the request, so the p99 rule (twice the lowest rate's
p99) needs a 0.1 s stall to fire below capacity: the knee is the throughput rule's."""
import csv
import hashlib
import json
import os
import subprocess
import textwrap
from pathlib import Path

import pytest

from engine import bindir, variants
from simproc import start_sim

REPORT = os.path.join(bindir(), "tandem-report")
SWEEP = os.path.join(bindir(), "tandem-sweep")
VARIANT = [v for v in ("smol", "tokio-localset", "tokio-default", "blocking") if v in variants()][:1]
RATES = (2, 3, 5, 6)
CAPACITY = 4.0  # 2 slots / 0.5 s per call

pytestmark = pytest.mark.skipif(not os.access(REPORT, os.X_OK) or not os.access(SWEEP, os.X_OK) or not VARIANT,
                                reason="needs tandem-report, tandem-sweep, tandem-sim and a variant in %s" % bindir())

DIGEST = hashlib.sha256(b"gemma3:latest").hexdigest()  # what tandem-sim reports

SCENARIO = textwrap.dedent("""\
    name: open
    seed: 7
    warmup: true
    phases: [concurrent]
    arrivals: {process: constant, rate: 1, duration_s: 4}
    agent_template:
      name: call
      model: gemma3:latest
      options: {num_predict: 5, temperature: 0}
      steps:
        - {name: q1, prompt: "Tell me about rivers."}
        - {name: q2, prompt: "Tell me about lakes."}
    endpoints: [%s]
    """)

EXPERIMENT = textwrap.dedent("""\
    name: rates
    seed: 3
    repetitions: 1
    pins: {ollama_version: '0.11.4', model: gemma3:latest, model_digest: 'sha256:%s'}
    variants: [%s]
    axes: {arrival_rate: [%s]}
    run: {warmup: true, num_predict: 5, cooldown_ms: 0, retries: 1, http_timeout_ms: 30000,
          cell_timeout_ms: 60000, expected_decode_tps: 10}
    configurations:
      - {name: open, scenario: open.yaml}
    """)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    root = tmp_path_factory.mktemp("open_loop")
    with start_sim(["--decode-tps", "10", "--alpha", "0", "--port", "0:2"]) as sim:
        (root / "open.yaml").write_text(SCENARIO % sim.url(0))
        exp = root / "rates.yaml"
        exp.write_text(EXPERIMENT % (DIGEST, VARIANT[0], ", ".join(str(r) for r in RATES)))
        res = subprocess.run([SWEEP, str(exp), "--out", str(root / "results"), "--bin-dir", bindir()],
                             capture_output=True, text=True, timeout=180)
        assert res.returncode == 0, res.stderr + res.stdout
    out = root / "report"
    p = subprocess.run([REPORT, str(root / "results"), "--out", str(out)], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 0, p.stderr
    return out


@pytest.fixture(scope="module")
def with_baselines(report):
    """The same results reported against the seed's baselines, as `just report` does."""
    out = report.parent / "with_baselines"
    baselines = Path(__file__).resolve().parents[2] / "experiments" / "baselines.yaml"
    p = subprocess.run([REPORT, "--baselines", str(baselines), str(report.parent / "results"), "--out", str(out)],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    return out


def md_section(md, heading):
    """The text of one section of TR115.md, from its heading to the next section's."""
    assert heading in md, heading
    return md.split(heading, 1)[1].split("\n## ", 1)[0]


@pytest.fixture(scope="module")
def analysis(report):
    with open(report / "analysis.json") as f:
        return json.load(f)


def the_line(analysis):
    lines = analysis["open_loop"]["lines"]
    assert len(lines) == 1, [l["label"] for l in lines]
    return lines[0]


def test_one_line_with_a_point_per_rate(analysis):
    line = the_line(analysis)
    assert line["variant"] == VARIANT[0] and line["process"] == "constant"
    assert line["layout"] == "open, constant arrivals, one server"
    assert [p["rate"] for p in line["points"]] == list(RATES)
    for p in line["points"]:
        # one call per arrival (warm-up calls have no due time), every one ok
        assert p["runs"] == 1 and p["calls"] == p["rate"] * 4 and p["ok_calls"] == p["calls"], p
        assert abs(p["offered_per_s"]["mean"] - p["rate"]) < 1e-6 * p["rate"]


def test_achieved_keeps_to_offered_below_capacity_and_stops_at_it_above(analysis):
    for p in the_line(analysis)["points"]:
        achieved, offered = p["achieved_per_s"]["mean"], p["offered_per_s"]["mean"]
        if p["rate"] < CAPACITY:
            assert abs(achieved - offered) <= 0.02 * offered, p
            assert p["keeps_up"] is True
        else:
            # completions come at the server's pace, whatever the arrivals
            assert achieved < 0.95 * offered and abs(achieved - CAPACITY) <= 0.1 * CAPACITY, p
            assert p["keeps_up"] is False


def test_the_knee_is_the_first_rate_above_capacity(analysis):
    line = the_line(analysis)
    assert line["knee_rate"] == 5 and line["knee_reason"] == "achieved_below_95pct_of_offered"
    assert line["best_rate"] == 3


def test_queueing_shows_in_the_server_time_not_the_client_wait(analysis):
    pts = {p["rate"]: p for p in the_line(analysis)["points"]}
    # below capacity the user waits for the first token alone (0.1 s here)
    for r in (2, 3):
        assert 90 < pts[r]["ttft_from_due_ms"]["p99"] < 200, pts[r]
    # above it the calls queue at the server: p99 TTFT from due grows by the backlog
    assert pts[6]["ttft_from_due_ms"]["p99"] > max(1000, pts[5]["ttft_from_due_ms"]["p99"])
    for p in pts.values():
        # the parts add up: TTFT from due = client wait + TTFT from send, call by call, so
        # the p50s differ by no more than the longest client wait
        wait, send, due = p["client_wait_ms"], p["ttft_from_send_ms"], p["ttft_from_due_ms"]
        assert wait["n"] == send["n"] == due["n"] == p["ok_calls"]
        assert wait["p99"] < 50, p  # the client sends the request when it is due
        assert 0 <= due["p50"] - send["p50"] <= 50
        assert p["e2e_from_due_ms"]["p50"] > due["p50"]


def test_each_run_has_its_own_numbers(analysis):
    runs = analysis["open_loop"]["runs"]
    assert sorted(r["rate"] for r in runs) == list(RATES)
    for r in runs:
        assert r["calls"] == r["ok_calls"] == r["rate"] * 4 and r["ok_pct"] == 100
        assert r["line"] == the_line(analysis)["label"]
        assert set(r) >= {"dir", "run", "offered_per_s", "achieved_per_s", "ttft_from_due_ms", "client_wait_ms",
                          "ttft_from_send_ms", "e2e_from_due_ms"}
    d = analysis["open_loop"]["definitions"]
    assert "t_due" in d["ttft_from_due_ms"] and "95%" in d["knee"]


def test_arrival_counts_make_no_gain_curve(report, analysis):
    assert "gain_curve" not in analysis
    assert not (report / "gain_curve.csv").exists()
    names = [f["name"] for f in analysis["figures"]]
    assert "fig_gain_curve" not in names and "fig_open_loop" in names


def test_the_csv_has_a_row_per_rate(report):
    with open(report / "open_loop.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [float(r["rate"]) for r in rows] == list(RATES)
    assert [r["knee"] for r in rows] == ["false", "false", "true", "false"]
    assert [r["best"] for r in rows] == ["false", "true", "false", "false"]
    assert rows[2]["knee_reason"] == "achieved_below_95pct_of_offered"
    assert {"ttft_from_due_p99_ms", "client_wait_p50_ms", "ttft_from_send_p99_ms", "e2e_from_due_p50_ms",
            "achieved_per_s", "offered_per_s"} <= set(rows[0])


def test_the_report_names_the_knee_and_the_sustainable_rate(report):
    md = (report / "TR115.md").read_text()
    assert "## Latency against offered load" in md
    section = md.split("## Latency against offered load", 1)[1].split("\n## ", 1)[0]
    assert "**Knee: λ = 5 calls/s**" in section and "below 95 %" in section
    assert "**Best operating point: λ = 3 calls/s**" in section
    assert "| 5 (knee) |" in section and "| 3 (best) |" in section
    assert "## Gain curve" not in md


def test_the_figure_data(report, analysis):
    with open(report / "fig_open_loop.dat") as f:
        lines = [l.split() for l in f.read().splitlines()]
    assert lines[0] == ['"%s' % VARIANT[0], "(open,", "constant", "arrivals,", "one", "server)\""]
    rows = [[float(x) for x in l] for l in lines[1:] if l]
    assert [r[0] for r in rows] == list(RATES)
    pts = the_line(analysis)["points"]
    for r, p in zip(rows, pts):
        assert r[1] == pytest.approx(p["offered_per_s"]["mean"], rel=1e-9)
        assert r[4] == pytest.approx(p["achieved_per_s"]["mean"], rel=1e-9)
        assert r[7] == pytest.approx(p["ttft_from_due_ms"]["p50"], rel=1e-9)
        assert r[8] == pytest.approx(p["ttft_from_due_ms"]["p99"], rel=1e-9)
        assert r[9] == (1 if p["rate"] == 5 else 0)
    fig = [f for f in analysis["figures"] if f["name"] == "fig_open_loop"][0]
    assert fig["script"] == "open_loop" and fig["data"] == "fig_open_loop.dat"
    if analysis["gnuplot"]:
        assert fig["rendered"], fig["problem"]
        assert (report / "fig_open_loop.svg").stat().st_size > 0 and (report / "fig_open_loop.png").stat().st_size > 0


def test_the_summary_leads_with_the_knee_and_the_best_operating_point(report, analysis):
    """Efficiency cannot rank open-loop runs (no sequential phase): the Summary says so and
    gives each line's finding in the section's own words instead of "no recommendation"."""
    md = (report / "TR115.md").read_text()
    summary = md_section(md, "## Summary")
    assert summary.lstrip().startswith("The open-loop runs have no sequential phase, so efficiency is not defined")
    assert "(see [Latency against offered load](#latency-against-offered-load))" in summary
    label = the_line(analysis)["label"]
    bullet = [l for l in summary.splitlines() if l.startswith("- %s: " % label)]
    assert len(bullet) == 1, summary
    finding = bullet[0][len("- %s: " % label):]
    assert finding.startswith("**Knee: λ = 5 calls/s**") and "**Best operating point: λ = 3 calls/s**" in finding
    # the very sentences under the line's table
    assert "\n" + finding + "\n" in md_section(md, "## Latency against offered load")
    assert "cannot be ranked" not in summary and "none can be made" not in summary
    assert "compared on latency against offered load" in analysis["summary"]["text"]


def test_arrivals_from_one_template_make_one_row(report):
    """24 arrivals at 6 calls/s are one row, their steps the template's pool; 8 at 2 calls/s
    (not more than 8) keep a row each, as hand-written agents do."""
    table = md_section((report / "TR115.md").read_text(), "### Configurations and agents").split("\n### ", 1)[0]
    rows = [l.split(" | ") for l in table.splitlines() if l.startswith("| open")]
    at6 = [r for r in rows if "arrival\\_rate=6" in r[0]]
    assert len(at6) == 1, at6
    assert at6[0][2] == "call-1 .. call-24 (24 open-loop arrivals)"
    assert at6[0][6] == "q1, q2" and at6[0][7] == "Tell me about rivers. |"
    at2 = [r for r in rows if "arrival\\_rate=2" in r[0]]
    assert [r[2] for r in at2] == ["call-%d" % k for k in range(1, 9)]
    assert [r[6] for r in at2] == ["q1", "q2"] * 4


def test_baselines_without_a_value_say_so(with_baselines):
    """No open-loop run has the legacy efficiency: one line instead of tables of headers."""
    section = md_section((with_baselines / "TR115.md").read_text(), "## Baselines")
    assert section.strip() == ("No run has a defined legacy_efficiency_pct (choose another metric with "
                               "--baseline-metric), so the baselines (TR110 Python, TR114 Rust) cannot be compared.")
