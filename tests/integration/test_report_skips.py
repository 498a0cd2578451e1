"""tandem-report says what it left out: a run directory whose records lack provenance.json
is counted as skipped, named with the reason and the fix, on the console and in the
report's skipped list; the count is the real one."""

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
