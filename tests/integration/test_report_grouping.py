"""Which runs tandem-report groups together, and what it leaves out:
- a run directory whose records lack provenance.json is counted as skipped, named with
  the reason and the fix, on the console and in the report's skipped list; the count is
  the real one;
- a sweep cell's axes (cell.json "axes") are part of its configuration, so runs at
  different operating points are never pooled."""

import json
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bindir():
    b = os.environ.get("TANDEM_BIN", "build/bin")
    return b if os.path.isabs(b) else os.path.join(REPO, b)


REPORT = os.path.join(bindir(), "tandem-report")
pytestmark = pytest.mark.skipif(not os.access(REPORT, os.X_OK), reason="no tandem-report in $TANDEM_BIN")


def test_records_without_provenance_are_counted_and_named(tmp_path):
    src = str(tmp_path / "sim")
    shutil.copytree(os.path.join(REPO, "report", "reference", "sim"), src)
    dirs = sorted(os.path.dirname(os.path.join(r, "provenance.json")) for r, _, f in os.walk(src)
                  if "provenance.json" in f)
    os.unlink(os.path.join(dirs[0], "provenance.json"))
    out = str(tmp_path / "out")
    p = subprocess.run([REPORT, src, "--out", out, "--no-plots"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    text = p.stdout + p.stderr
    assert "skipped %s: run_1/records.json without provenance.json" % dirs[0] in text
    assert "%d runs" % (len(dirs) - 1) in text and "1 skipped" in text
    an = json.load(open(os.path.join(out, "analysis.json")))
    skipped = json.dumps(an.get("skipped", an))
    assert dirs[0] in skipped


def test_sweep_points_are_configurations_of_their_own(tmp_path):
    """A sweep cell's axes ("axes": {"agents": 4} in cell.json) are part of its
    configuration: runs at different operating points are never pooled into one cell."""
    src = str(tmp_path / "sim")
    shutil.copytree(os.path.join(REPO, "report", "reference", "sim", "chimera_homo_gpu80_ctx512"), src)
    cells = sorted(os.path.join(r, "cell.json") for r, _, f in os.walk(src) if "cell.json" in f)
    for i, path in enumerate(cells):
        with open(path) as f:
            cell = json.load(f)
        cell["axes"] = {"agents": 2, "num_parallel": 1 + i % 2}
        with open(path, "w") as f:
            json.dump(cell, f)
    out = str(tmp_path / "out")
    p = subprocess.run([REPORT, src, "--out", out, "--no-plots"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    an = json.load(open(os.path.join(out, "analysis.json")))
    assert sorted(an["configurations"]) == ["chimera_homo_gpu80_ctx512, agents=2, num_parallel=1",
                                            "chimera_homo_gpu80_ctx512, agents=2, num_parallel=2"]


def test_an_interrupted_run_is_skipped_and_named(tmp_path):
    src = str(tmp_path / "sim")
    shutil.copytree(os.path.join(REPO, "report", "reference", "sim", "chimera_homo_gpu80_ctx512"), src)
    recs = sorted(os.path.join(r, "records.json") for r, _, f in os.walk(src) if "records.json" in f)
    with open(recs[0]) as f:
        doc = json.load(f)
    doc["interrupted"] = True
    with open(recs[0], "w") as f:
        json.dump(doc, f)
    out = str(tmp_path / "out")
    p = subprocess.run([REPORT, src, "--out", out, "--no-plots"], capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    text = p.stdout + p.stderr
    assert "skipped %s: interrupted (partial run" % recs[0] in text
    assert "%d runs" % (len(recs) - 1) in text and "1 skipped" in text
