"""The report's summary says what the data says (tandem-report on report/reference/seed-v1,
the seed harness's 150 imported runs, and on report/reference/sim, tandem's own runs):

- every difference beyond its margin reaches the summary first, whatever the metric: on
  the seed's data smol-1kb's client TTFT is >100 ms above tokio-default's (Welch t > 13);
- the recommendation lists only variants shown equivalent (or better); inconclusive ones
  are named as inconclusive, with the runs a power calculation asks for, and never
  recommended; the same decision is in analysis.json (summary.decision);
- a variant whose agents never overlapped (the seed's async-std) is the sequential
  baseline: the summary says so and gives every other variant's speedup against it with
  a CI that contains the point estimate;
- the verdict grid under the summary has a row per variant and a column per metric with
  a margin.
"""

import json
import os
import re
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bindir():
    b = os.environ.get("TANDEM_BIN", "build/bin")
    return b if os.path.isabs(b) else os.path.join(REPO, b)


REPORT = os.path.join(bindir(), "tandem-report")
pytestmark = pytest.mark.skipif(not os.access(REPORT, os.X_OK), reason="no tandem-report in $TANDEM_BIN")


def report(src, out, *extra):
    p = subprocess.run([REPORT, os.path.join(REPO, src), "--out", str(out), "--no-plots"] + list(extra),
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    with open(os.path.join(str(out), "analysis.json")) as f:
        an = json.load(f)
    md = [n for n in os.listdir(str(out)) if n.endswith(".md")][0]
    with open(os.path.join(str(out), md)) as f:
        return an, f.read()


@pytest.fixture(scope="module")
def seed(tmp_path_factory):
    return report("report/reference/seed-v1", tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="module")
def sim(tmp_path_factory):
    return report("report/reference/sim", tmp_path_factory.mktemp("sim"))


def summary_text(md):
    return md.split("## Summary", 1)[1].split("## Method", 1)[0]


def test_a_large_ttft_difference_is_in_the_summary_first(seed):
    an, md = seed
    s = summary_text(md)
    assert s.lstrip().startswith("Differences beyond their margins")
    m = re.search(r"smol-1kb \(seed\)'s client TTFT higher by ([0-9.]+) ms \(beyond the ±5 ms margin", s)
    assert m and float(m.group(1)) > 100
    beyond = an["summary"]["decision"]["beyond_margin"]
    ttft = [b for b in beyond if b["variant"] == "smol-1kb (seed)" and b["metric"] == "ttft_ms"]
    assert ttft and ttft[0]["difference"] > 100 and ttft[0]["verdict"] == "different_beyond_margin"


def test_the_recommendation_never_lists_an_inconclusive_variant(seed, sim):
    for an, md in (seed, sim):
        d = an["summary"]["decision"]
        incon = [x["variant"] for x in d["inconclusive"]]
        assert not set(incon) & set(d["recommended"])
        rec = an["summary"]["recommendation"]
        listed = rec.split("inconclusive", 1)[0]
        for v in incon:
            assert v + " " not in listed and v + "," not in listed, (v, rec)
    d = seed[0]["summary"]["decision"]
    assert sorted(x["variant"] for x in d["inconclusive"]) == ["smol (seed)", "smol-1kb (seed)",
                                                               "tokio-localset (seed)"]
    assert d["recommended"] == [] and "Recommendation: none yet" in seed[0]["summary"]["recommendation"]
    assert "runs per variant would settle it" in seed[0]["summary"]["recommendation"]


def test_shown_equivalent_variants_are_recommended_as_such(sim):
    d = sim[0]["summary"]["decision"]
    assert d["reference"] in d["recommended"] and len(d["recommended"]) == len(d["shown_equivalent"])
    assert "shown equivalent within the" in sim[0]["summary"]["recommendation"]
    assert "simplest" not in sim[0]["summary"]["recommendation"]


def test_serial_agents_are_the_sequential_baseline(seed):
    an, md = seed
    d = an["summary"]["decision"]["serial_baseline"]
    assert d["variant"] == "async-std (seed)"
    names = sorted(g["variant"] for g in d["speedups_against_it"])
    assert names == ["smol (seed)", "smol-1kb (seed)", "tokio-default (seed)", "tokio-localset (seed)"]
    for g in d["speedups_against_it"]:
        assert g["configurations"] >= 1 and g["ci_lo"] <= g["speedup"] <= g["ci_hi"]
    s = summary_text(md)
    assert "async-std (seed)'s agents never overlapped" in s and "sequential baseline" in s
    assert "not because its runtime is faster or slower" in s


def test_no_serial_baseline_where_agents_overlapped(sim):
    an, md = sim
    assert an["summary"]["decision"]["serial_baseline"] is None and "sequential baseline" not in summary_text(md)


def test_the_grid_has_every_margin_metric(seed):
    _, md = seed
    s = summary_text(md)
    assert "| variant | legacy efficiency (±1 pp) | client TTFT (±5 ms) |" in s
    for v in ("async-std (seed)", "smol (seed)", "smol-1kb (seed)", "tokio-localset (seed)"):
        assert re.search(r"^\| %s \|" % re.escape(v), s, re.M), v


def test_mann_whitney_too_few_runs_is_said_not_does_not(seed):
    """With 5 runs a side and Holm over the configurations' family, Mann-Whitney cannot
    reach alpha: those rows say so, instead of "does not"; it is said "does not" only
    where it could have found a difference (the pooled TTFT of 53 calls a side)."""
    an, md = seed
    rows = [line for line in md.splitlines() if "Mann" in line and line.startswith("|")]
    too_few = [r for r in rows if "too few runs for Mann–Whitney at this correction" in r]
    does_not = [r for r in rows if "(Mann-Whitney does not)" in r]
    assert len(too_few) >= 20 and all(" 5 / 5 " in r for r in too_few)
    assert does_not and all(" 5 / 5 " not in r for r in does_not)
    unreachable = [c for c in an["comparisons"] if c["mw_reachable"] is False]
    assert unreachable and all(c["n_a"] <= 5 for c in unreachable if c["scope"] == "configuration")
