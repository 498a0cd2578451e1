"""Integration tests of tandem-report against the real binary ($TANDEM_BIN/tandem-report).

- The seed harness's first-generation sweep (../shared/fixtures/chimera-tr115-v1, see its
  README) is imported and reported: per runtime, the per-run legacy efficiency mean / sd /
  min / max and the max / mean / sd over the per-configuration means must equal the
  README's figures to 0.01 pp, read from analysis.json.
- Significance against tokio-default: recomputed here with scipy when it is installed
  (Welch's test on the seed's own efficiency_percent values, Holm over the four pooled
  comparisons), and compared with analysis.json. Without scipy the test asserts what the
  report's analysis shows and scipy 1.17.1 confirmed when this test was written: only
  async-std differs (Holm-adjusted Welch p ~ 2e-22); smol, smol-1kb and tokio-localset do
  not (raw Welch p 0.742, 0.544, 0.424; Holm-adjusted 1.0).
- The second-generation sample (chimera-tr115-v2-sample) imports with two calls per
  agent, stages kept, and the README's per-run efficiencies.
- Runs measured by tandem itself against tandem-sim (one device shared by both ports, and
  one device per port) are reported with figures, and the sweep's cell.json is honoured.
- Running the report twice on the same inputs gives byte-identical outputs.
- Equivalence margins: on the seed's data async-std's -40 pp is "different by more than
  ±1 pp" and the others are inconclusive at ±1 pp (TOST p recomputed with scipy when it is
  installed); --margin changes a margin or switches it off, and a bad one is refused with
  the fix before any data is read.

The fixtures live in ../shared/fixtures relative to the repository root; the tests that
need them are skipped, with that reason, when the directory is absent.
"""

import csv
import glob
import json
import math
import os
import shutil
import subprocess
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from simproc import start_sim  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIXTURES = os.path.normpath(os.path.join(REPO, "..", "shared", "fixtures"))
V1 = os.path.join(FIXTURES, "chimera-tr115-v1")
V2 = os.path.join(FIXTURES, "chimera-tr115-v2-sample")


def bindir():
    b = os.environ.get("TANDEM_BIN", "build/bin")
    return b if os.path.isabs(b) else os.path.join(REPO, b)


REPORT = os.path.join(bindir(), "tandem-report")

pytestmark = pytest.mark.skipif(not os.access(REPORT, os.X_OK),
                                reason="no tandem-report at %s (build it, or set TANDEM_BIN)" % REPORT)
needs_v1 = pytest.mark.skipif(not os.path.isdir(V1), reason="fixture %s is absent" % V1)
needs_v2 = pytest.mark.skipif(not os.path.isdir(V2), reason="fixture %s is absent" % V2)

# From chimera-tr115-v1/README.md: per-run mean / sd / min / max, then max / mean / sd over
# the six per-configuration means.
README_V1 = {
    "tokio-default": ((89.97, 7.51, 67.89, 95.37), (92.95, 89.97, 3.91)),
    "tokio-localset": ((88.36, 8.02, 68.93, 95.46), (93.57, 88.36, 3.71)),
    "smol": ((90.52, 4.95, 72.31, 95.19), (92.40, 90.52, 1.77)),
    "smol-1kb": ((88.79, 7.49, 68.35, 96.26), (92.52, 88.79, 3.72)),
    "async-std": ((50.00, 0.00, 49.99, 50.00), (50.00, 50.00, 0.00)),
}
README_V2_EFFICIENCY = [94.796, 98.245, 99.198, 98.694, 98.944]

# What analysis.json showed for v1 and scipy 1.17.1 confirmed (used when scipy is absent).
V1_POOLED_WELCH_P = {"async-std": 4.93249502227e-23, "smol": 0.741785159932,
                     "smol-1kb": 0.54422881392, "tokio-localset": 0.423550296342}


def run(args, check=True):
    p = subprocess.run([REPORT] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    if check and p.returncode != 0:
        raise AssertionError("tandem-report %s exited %d:\n%s\n%s" % (" ".join(args), p.returncode, p.stdout,
                                                                        p.stderr))
    return p


def tree_bytes(d):
    """Every file under d, relative path -> bytes."""
    out = {}
    for root, _, files in os.walk(d):
        for f in files:
            p = os.path.join(root, f)
            with open(p, "rb") as fh:
                out[os.path.relpath(p, d)] = fh.read()
    return out


def analysis(d):
    with open(os.path.join(d, "analysis.json")) as f:
        return json.load(f)


def variant(a, name, legacy):
    for v in a["variants"]:
        if v["name"] == name and v["legacy"] == legacy:
            return v
    raise AssertionError("no variant %s (legacy=%s) in analysis.json" % (name, legacy))


@pytest.fixture(scope="module")
def v1(tmp_path_factory):
    """The v1 fixture imported, and reported twice (in two directories)."""
    if not os.path.isdir(V1):
        pytest.skip("fixture %s is absent" % V1)
    base = tmp_path_factory.mktemp("v1")
    imported, rep1, rep2 = str(base / "imported"), str(base / "report1"), str(base / "report2")
    out = run(["import-chimera", V1, "--out", imported]).stdout
    run([imported, "--out", rep1])
    run([imported, "--out", rep2])
    return {"imported": imported, "report": rep1, "report2": rep2, "import_stdout": out}


# ---------------------------------------------------------------------- first generation


@needs_v1
def test_v1_import_reproduces_the_seed_efficiency(v1):
    assert "150 seed runs" in v1["import_stdout"]
    assert "matches the seed's efficiency_percent in 150 of 150 runs" in v1["import_stdout"]
    with open(os.path.join(v1["imported"], "import.json")) as f:
        man = json.load(f)
    assert man["runs"] == 150 and man["skipped"] == []
    assert man["legacy_efficiency_check"]["reproduced"] == 150
    # and in the report, run by run, against the seed's own figure
    a = analysis(v1["report"])
    runs = a["runs"]
    assert len(runs) == 150
    for r in runs:
        assert r["source"] == "chimera-legacy"
        assert r["metrics"]["efficiency_pct"] is None      # no sequential phase: unknown
        assert r["metrics"]["speedup"] is None
        assert abs(r["metrics"]["legacy_efficiency_pct"] - r["reported_legacy_efficiency_pct"]) < 1e-6
    assert a["legacy_check"]["runs_checked"] == 150
    assert a["legacy_check"]["max_abs_diff_pp"] < 1e-6


@needs_v1
def test_v1_per_runtime_figures_match_the_readme(v1):
    a = analysis(v1["report"])
    assert a["summary"]["primary_metric"]["legacy"] == "legacy_efficiency_pct"
    for name, (per_run, cfg) in README_V1.items():
        v = variant(a, name, True)
        s = v["stats"]["legacy_efficiency_pct"]["run"]
        assert s["n"] == 30 and v["n_configurations"] == 6
        for got, want in zip((s["mean"], s["sd"], s["min"], s["max"]), per_run):
            assert abs(got - want) <= 0.01 + 1e-9, (name, got, want)
        c = v["configuration_means"]["legacy_efficiency_pct"]
        assert c["n"] == 6
        for got, want in zip((c["max"], c["mean"], c["sd"]), cfg):
            assert abs(got - want) <= 0.01 + 1e-9, (name, got, want)


def seed_efficiencies():
    """The seed's own efficiency_percent of every v1 run, per runtime."""
    out = {}
    for f in sorted(glob.glob(os.path.join(V1, "runtime-*", "*", "run_*", "run_1", "metrics.json"))):
        rt = os.path.relpath(f, V1).split(os.sep)[0][len("runtime-"):]
        with open(f) as fh:
            out.setdefault(rt, []).append(json.load(fh)["summary"]["efficiency_percent"])
    return out


@needs_v1
def test_v1_significance_against_tokio_default(v1):
    a = analysis(v1["report"])
    pooled = {c["a"]: c for c in a["comparisons"]
              if c["scope"] == "pooled" and c["metric"] == "legacy_efficiency_pct"}
    assert set(pooled) == {"async-std", "smol", "smol-1kb", "tokio-localset"}
    assert all(c["b"] == "tokio-default" and c["n_a"] == 30 and c["n_b"] == 30 for c in pooled.values())
    try:
        from scipy import stats
    except ImportError:
        stats = None
    if stats is not None:
        eff = seed_efficiencies()
        raw = {v: stats.ttest_ind(eff[v], eff["tokio-default"], equal_var=False).pvalue for v in pooled}
        # Holm over the family of four
        order = sorted(raw, key=lambda v: raw[v])
        holm, running = {}, 0.0
        for i, v in enumerate(order):
            running = max(running, min(1.0, (len(order) - i) * raw[v]))
            holm[v] = running
        for v, c in pooled.items():
            assert math.isclose(c["welch"]["p"], raw[v], rel_tol=1e-6, abs_tol=1e-300), (v, c["welch"]["p"], raw[v])
            assert math.isclose(c["p_welch_holm"], holm[v], rel_tol=1e-6, abs_tol=1e-300)
            assert c["significant"] == (holm[v] < 0.05)
    else:
        for v, p in V1_POOLED_WELCH_P.items():
            assert math.isclose(pooled[v]["welch"]["p"], p, rel_tol=1e-6), (v, pooled[v]["welch"]["p"], p)
    # what the data supports, in any case: only async-std differs, and it is lower
    assert pooled["async-std"]["significant"] and pooled["async-std"]["welch"]["diff"] < -39
    for v in ("smol", "smol-1kb", "tokio-localset"):
        assert not pooled[v]["significant"], v
    # and the report says so in words
    with open(os.path.join(v1["report"], "TR115.md")) as f:
        md = f.read()
    assert "async-std (seed) differed significantly from tokio-default (seed)" in md
    assert "no variant is significantly better than tokio-default (seed)" in md
    assert "measures overlap, not a gain" in md


def tost_welch(x, y, margin, alpha=0.05):
    """Schuirmann's TOST on Welch's t with scipy: (p, 90% CI lo, hi)."""
    from scipy import stats
    w = stats.ttest_ind(x, y, equal_var=False)
    mx, my = sum(x) / len(x), sum(y) / len(y)
    vx = sum((v - mx) ** 2 for v in x) / (len(x) - 1)
    vy = sum((v - my) ** 2 for v in y) / (len(y) - 1)
    se = math.sqrt(vx / len(x) + vy / len(y))
    d = mx - my
    p = max(stats.t.sf((d + margin) / se, w.df), stats.t.cdf((d - margin) / se, w.df))
    ci = w.confidence_interval(1 - 2 * alpha)
    return p, ci.low, ci.high


@needs_v1
def test_v1_equivalence_against_the_margin(v1):
    a = analysis(v1["report"])
    assert a["settings"]["equivalence"]["margins"]["legacy_efficiency_pct"] == {"value": 1.0, "unit": "pp"}
    assert a["settings"]["equivalence"]["ci_level"] == 0.9
    pooled = {c["a"]: c for c in a["comparisons"]
              if c["scope"] == "pooled" and c["metric"] == "legacy_efficiency_pct"}
    eq = {v: c["equivalence"] for v, c in pooled.items()}
    # -40 pp is far beyond a 1 pp margin; the others' CIs (several pp wide) cannot show equivalence
    assert eq["async-std"]["verdict"] == "different_beyond_margin" and not eq["async-std"]["equivalent"]
    assert eq["async-std"]["text"] == "different by more than \u00b11 pp"
    assert eq["async-std"]["ci_hi"] < -1.0
    for v in ("smol", "smol-1kb", "tokio-localset"):
        assert eq[v]["verdict"] == "inconclusive" and not eq[v]["equivalent"], (v, eq[v])
        assert eq[v]["tost_p"] >= 0.05 and (eq[v]["ci_lo"] <= -1.0 or eq[v]["ci_hi"] >= 1.0)
    for e in eq.values():
        assert e["margin"] == 1.0 and e["tost_p"] == max(e["p_lower"], e["p_upper"])
    try:
        import scipy  # noqa: F401
    except ImportError:
        scipy = None
    if scipy is not None:
        eff = seed_efficiencies()
        for v, e in eq.items():
            p, lo, hi = tost_welch(eff[v], eff["tokio-default"], 1.0)
            assert math.isclose(e["tost_p"], p, rel_tol=1e-6, abs_tol=1e-300), (v, e["tost_p"], p)
            assert math.isclose(e["ci_lo"], lo, rel_tol=1e-6) and math.isclose(e["ci_hi"], hi, rel_tol=1e-6)
    # a metric without a margin gets no judgement
    tseq = [c for c in a["comparisons"] if c["metric"] == "t_seq_s"]
    assert all(c["equivalence"] is None for c in tseq)
    with open(os.path.join(v1["report"], "comparisons.csv"), newline="") as f:
        rows = [r for r in csv.DictReader(f) if r["scope"] == "pooled" and r["metric"] == "legacy_efficiency_pct"]
    by = {r["a"]: r for r in rows}
    assert by["async-std"]["equivalence"] == "different_beyond_margin" and by["async-std"]["equivalent"] == "false"
    assert by["async-std"]["margin"] == "1"
    assert math.isclose(float(by["smol"]["tost_p"]), eq["smol"]["tost_p"], rel_tol=1e-9)
    with open(os.path.join(v1["report"], "TR115.md")) as f:
        md = f.read()
    assert ("(alpha = 0.05; async-std (seed) -39.98 pp, p \\< 0.0001), by more than the \u00b11 pp equivalence "
            "margin") in md
    assert "| different by more than \u00b11 pp |" in md and "| inconclusive at \u00b11 pp |" in md
    assert "Schuirmann's two one-sided tests (TOST)" in md


@needs_v1
def test_v1_margin_option(v1, tmp_path):
    wide, off = str(tmp_path / "wide"), str(tmp_path / "off")
    # a margin of 50 pp takes in even async-std's -40 pp: real, but smaller than the margin
    run([v1["imported"], "--out", wide, "--no-plots", "--margin", "legacy_efficiency_pct=50"])
    a = analysis(wide)
    c = [c for c in a["comparisons"] if c["scope"] == "pooled" and c["metric"] == "legacy_efficiency_pct"
         and c["a"] == "async-std"][0]
    assert c["significant"] and c["equivalence"]["verdict"] == "different_within_margin"
    assert "but within the \u00b150 pp equivalence margin" in a["summary"]["text"]
    # switched off: no judgement anywhere for that metric, and none of it in the summary
    run([v1["imported"], "--out", off, "--no-plots", "--margin", "legacy_efficiency_pct=none"])
    a = analysis(off)
    assert a["settings"]["equivalence"]["margins"]["legacy_efficiency_pct"] is None
    assert all(c["equivalence"] is None for c in a["comparisons"] if c["metric"] == "legacy_efficiency_pct")
    # (other metrics keep their margins: a difference beyond one of those still leads the summary)
    assert "pp margin" not in a["summary"]["text"] and "pp equivalence margin" not in a["summary"]["text"]
    assert all(b["metric"] != "legacy_efficiency_pct" for b in a["summary"]["decision"]["beyond_margin"])
    # refused before anything is read, with the fix
    for bad, says in (("legacy_efficiency_pct=1%", "write legacy_efficiency_pct=1"),
                      ("efficiency=1", "not a metric; use one of efficiency_pct"),
                      ("ttft_ms", "write KEY=VALUE"),
                      ("ttft_ms=-5", "must be a positive number")):
        p = run([str(tmp_path / "nowhere"), "--out", str(tmp_path / "x"), "--margin", bad], check=False)
        assert p.returncode == 2 and says in p.stderr, (bad, p.returncode, p.stderr)
    assert not os.path.exists(str(tmp_path / "x"))


@needs_v1
def test_v1_outputs_load_and_figures_render(v1):
    d = v1["report"]
    for name in ("TR115.md", "analysis.json", "cells.csv", "runs.csv", "calls.csv", "comparisons.csv"):
        assert os.path.getsize(os.path.join(d, name)) > 0, name
    with open(os.path.join(d, "runs.csv"), newline="") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 150 and rows[0]["efficiency_pct"] == "" and float(rows[0]["legacy_efficiency_pct"]) > 0
    with open(os.path.join(d, "calls.csv"), newline="") as f:
        calls = list(csv.DictReader(f))
    assert len(calls) == 300
    with open(os.path.join(d, "cells.csv"), newline="") as f:
        cells = list(csv.DictReader(f))
    assert {r["scope"] for r in cells} == {"cell", "variant"}
    a = analysis(d)
    figs = {f["name"]: f for f in a["figures"]}
    # no sequential phase: no efficiency and no speedup figure, and the reason is given
    assert not figs["fig_efficiency"]["rendered"] and figs["fig_efficiency"]["problem"]
    assert not figs["fig_speedup"]["rendered"]
    if shutil.which("gnuplot"):
        for name in ("fig_legacy_efficiency", "fig_ttft_ecdf"):
            assert figs[name]["rendered"], figs[name]
            for ext in (".svg", ".png"):
                assert os.path.getsize(os.path.join(d, name + ext)) > 0
        with open(os.path.join(d, "TR115.md")) as f:
            assert "![" in f.read()


@needs_v1
def test_v1_report_is_byte_identical_twice(v1):
    one, two = tree_bytes(v1["report"]), tree_bytes(v1["report2"])
    assert sorted(one) == sorted(two)
    for name in one:
        assert one[name] == two[name], "%s differs between two runs of the report" % name


# ---------------------------------------------------------------------- second generation


@needs_v2
def test_v2_sample_imports_with_stages(tmp_path):
    imported, rep = str(tmp_path / "imported"), str(tmp_path / "report")
    out = run(["import-chimera", V2, "--out", imported]).stdout
    assert "5 seed runs" in out and "second: 5" in out
    run([imported, "--out", rep])
    a = analysis(rep)
    runs = sorted(a["runs"], key=lambda r: r["repetition"])
    assert [round(r["metrics"]["legacy_efficiency_pct"], 3) for r in runs] == README_V2_EFFICIENCY
    assert all(r["calls"] == 4 for r in runs)
    with open(os.path.join(rep, "calls.csv"), newline="") as f:
        calls = list(csv.DictReader(f))
    assert len(calls) == 20
    per_agent = {}
    for c in calls:
        per_agent.setdefault((c["repetition"], c["agent"]), []).append((c["step"], c["stage"]))
    assert len(per_agent) == 10
    assert all(v == [("0", "analysis"), ("1", "report")] for v in per_agent.values())
    with open(glob.glob(os.path.join(imported, "tokio-default", "*", "run_1", "provenance.json"))[0]) as f:
        prov = json.load(f)
    assert prov["legacy"]["generation"] == "v2"
    assert [s["name"] for s in prov["scenario"]["agents"][0]["steps"]] == ["analysis", "report"]


# ---------------------------------------------------------------------- tandem's own runs


def variant_binaries():
    out = []
    for p in sorted(glob.glob(os.path.join(bindir(), "tandem-*"))):
        name = os.path.basename(p)[len("tandem-"):]
        if name not in ("sim", "report", "sweep", "gpu-telemetry") and os.access(p, os.X_OK):
            out.append((name, p))
    return out


def measure(binary, sim, out_dir):
    p = subprocess.run([binary, "run", "--scenario", "chimera-homo", "--num-predict", "12", "--runs", "3",
                        "--output-dir", out_dir, "--collector-ollama-url", sim.url(0),
                        "--insight-ollama-url", sim.url(1), "--quiet"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=120)
    assert p.returncode == 0, p.stderr


@pytest.mark.timing
def test_tandem_runs_against_the_simulator(tmp_path):
    variants = variant_binaries()[:2]
    if not variants or not os.access(os.path.join(bindir(), "tandem-sim"), os.X_OK):
        pytest.skip("needs tandem-sim and at least one variant binary in %s" % bindir())
    results = tmp_path / "results"
    configs = {"shared-device": ["--port", "0@gpu", "--port", "0@gpu"],
               "one-device-each": ["--port", "0", "--port", "0"]}
    for config, ports in configs.items():
        with start_sim(["--decode-tps", "400", "--alpha", "1"] + ports, emit_log=False) as sim:
            for name, binary in variants:
                d = results / config / name
                measure(binary, sim, str(d))
                # as a sweep would: the cell this run directory belongs to
                with open(d / "cell.json", "w") as f:
                    json.dump({"variant": name, "configuration": config, "repetition": 1}, f)
    rep1, rep2 = str(tmp_path / "report1"), str(tmp_path / "report2")
    args = [str(results), "--baseline", "TR110 Python=99.25 (mean of 5 runs)"]
    run(args + ["--out", rep1])
    run(args + ["--out", rep2])
    a = analysis(rep1)
    assert a["configurations"] == ["one-device-each", "shared-device"]
    assert a["summary"]["primary_metric"]["tandem"] == "efficiency_pct"
    for cell in a["cells"]:
        assert cell["n_runs"] == 3
        eff = cell["stats"]["efficiency_pct"]["run"]["mean"]
        # two streams time-sliced on one device gain nothing; on two devices, nearly 2x
        if cell["configuration"] == "shared-device":
            assert eff < 75, cell
        else:
            assert eff > 80, cell
        # legacy efficiency cannot tell the two apart: both overlap fully
        assert cell["stats"]["legacy_efficiency_pct"]["run"]["mean"] > 90
        assert cell["stats"]["ttft_ms"]["concurrent"]["n"] > 0
    assert a["baselines"][0]["name"] == "TR110 Python" and a["baselines"][0]["results"]
    # every comparison of a metric with a margin carries a verdict, the others none
    verdicts = {"equivalent", "different_within_margin", "different_beyond_margin",
                "different_possibly_beyond_margin", "inconclusive", "not_testable"}
    for c in a["comparisons"]:
        if c["metric"] in ("t_seq_s", "t_conc_s", "client_cpu_us_per_token"):
            assert c["equivalence"] is None, c
        else:
            assert c["equivalence"]["verdict"] in verdicts, c
            assert c["equivalence"]["equivalent"] == (c["equivalence"]["verdict"] in
                                                      ("equivalent", "different_within_margin"))
    if shutil.which("gnuplot"):
        assert all(f["rendered"] for f in a["figures"]), a["figures"]
    assert tree_bytes(rep1) == tree_bytes(rep2)


# ---------------------------------------------------------------------- robustness


def test_malformed_results_are_skipped_with_their_path(tmp_path):
    results = tmp_path / "results"
    good = results / "good"
    bad = results / "bad"
    (good / "run_1").mkdir(parents=True)
    (bad / "run_1").mkdir(parents=True)
    (results / "worse").mkdir()
    if not os.path.isdir(V1):
        pytest.skip("fixture %s is absent" % V1)
    imported = tmp_path / "imported"
    run(["import-chimera", os.path.join(V1, "runtime-smol", "chimera_homo_gpu80_ctx512"), "--out", str(imported)])
    src = sorted(glob.glob(str(imported / "**" / "provenance.json"), recursive=True))[0]
    srcdir = os.path.dirname(src)
    shutil.copy(src, good / "provenance.json")
    shutil.copy(os.path.join(srcdir, "run_1", "records.json"), good / "run_1" / "records.json")
    shutil.copy(src, bad / "provenance.json")
    (bad / "run_1" / "records.json").write_text('{"schema": "tandem.run/1", "run": 1, "agents": [')
    (bad / "run_2").mkdir()
    (bad / "run_2" / "records.json").write_text('{"schema": "tandem.run/1", "run": 1, "agents": ["a"], '
                                                 '"calls": [{"run": 1, "phase": "concurrent", "agent": 0, '
                                                 '"step": 0, "t_begin_ns": 9223372036854775000}]}')
    (results / "worse" / "provenance.json").write_text("not json")
    p = run([str(results), "--out", str(tmp_path / "report"), "--no-plots"])
    assert "bad/run_1/records.json" in p.stderr and "worse/provenance.json" in p.stderr
    a = analysis(str(tmp_path / "report"))
    skipped = {os.path.relpath(s["path"], str(results)) for s in a["skipped"]}
    assert {"bad/run_1/records.json", "bad/run_2/records.json", "worse/provenance.json"} <= skipped
    assert len(a["runs"]) == 1
    assert any(c["kind"] == "skipped_files" for c in a["caveats"])


def test_no_runs_is_an_error(tmp_path):
    p = run([str(tmp_path), "--out", str(tmp_path / "out")], check=False)
    assert p.returncode == 1 and "no runs found" in p.stderr
    p = run(["--out", str(tmp_path / "out")], check=False)
    assert p.returncode == 2
    p = run([str(tmp_path), "--out", str(tmp_path / "o"), "--alpha", "2"], check=False)
    assert p.returncode == 2 and "--alpha" in p.stderr
