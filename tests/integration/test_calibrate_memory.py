"""tandem-calibrate reports the client's memory beside its efficiency: the peak resident
set of the client process (wait4's ru_maxrss) and that divided by the agent count, per
N in the JSON and at the largest N in the table (docs/variants.md, "Reproducing the
numbers")."""

import json
import os
import subprocess

import pytest

from engine import bindir, variants


def test_memory_per_agent_is_reported(tmp_path):
    if "smol" not in variants():
        pytest.skip("tandem-smol not built")
    work = str(tmp_path / "cal")
    cmd = [os.path.join(bindir(), "tandem-calibrate"), "--variants", "smol", "--no-raw", "--agents", "2,4",
           "--eff-runs", "1", "--eff-tokens", "3", "--tp-tokens", "50", "--tp-repeat", "1", "--tp-runs", "1",
           "--work", work, "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "KB/agent @4" in proc.stdout and "RSS MB @4" in proc.stdout
    with open(os.path.join(work, "calibrate.json")) as f:
        doc = json.load(f)
    (row,) = doc["rows"]
    for e in row["efficiency"]:
        assert e["max_rss_kb"] > 0, e
        assert e["rss_per_agent_kb"] == pytest.approx(e["max_rss_kb"] / e["n"])
    # no 512-agent run asked: no scale goal judged
    assert "efficiency_at_512_ge_99" not in doc["goals"]["per_variant"].get("smol", {})
