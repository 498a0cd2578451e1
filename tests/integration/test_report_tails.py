"""The report's "Tails, contention and outliers" section (src/report/tails.c and its writers)
against the shipped simulator results: the section is in the Markdown, tails.csv and
contention.csv load with their columns, runs.csv marks each run, and analysis.json carries the
same numbers."""
import csv
import json
import os
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SIM = os.path.join(REPO, "report", "reference", "sim")


def bindir():
    b = os.environ.get("TANDEM_BIN", "build/bin")
    return b if os.path.isabs(b) else os.path.join(REPO, b)


REPORT = os.path.join(bindir(), "tandem-report")

pytestmark = [
    pytest.mark.skipif(not os.access(REPORT, os.X_OK), reason="no tandem-report at %s (set TANDEM_BIN)" % REPORT),
    pytest.mark.skipif(not os.path.isdir(SIM), reason="no shipped simulator results at %s" % SIM),
]


def rows(path):
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_sim_report_has_tails_contention_and_outliers(tmp_path):
    out = tmp_path / "out"
    subprocess.run([REPORT, SIM, "--out", str(out), "--no-plots"], check=True, capture_output=True)
    md = (out / "TR115.md").read_text()
    assert "## Tails, contention and outliers" in md
    assert "| TTFT p50 | TTFT p90 | TTFT p99 |" in md
    assert "efficiency is below 75 %" in md  # the definition beside the rate
    tails = rows(out / "tails.csv")
    assert {"metric", "phase", "n", "p50", "p90", "p99"} <= set(tails[0])
    assert {r["metric"] for r in tails} == {"ttft_ms", "itl_p50_ms", "e2e_ms"}
    for r in tails:
        if r["n"] != "0":
            assert float(r["p50"]) <= float(r["p90"]) <= float(r["p99"])
    cont = rows(out / "contention.csv")
    assert len(cont) == 30 and all(0.0 <= float(r["contention_rate"]) <= 1.0 for r in cont)
    runs = rows(out / "runs.csv")
    assert {"contended", "outlier", "outlier_mads"} <= set(runs[0])
    # flagged, never dropped: every run is still there, and the flags agree with the counts
    assert len(runs) == 150
    assert sum(r["outlier"] == "true" for r in runs) == sum(int(r["n_outliers"]) for r in cont)
    doc = json.loads((out / "analysis.json").read_text())
    cell = doc["cells"][0]
    assert set(cell["tails"]) == {"sequential", "concurrent"}
    assert cell["contention"]["threshold_pct"] == 75
    assert "outlier" in doc["runs"][0]
