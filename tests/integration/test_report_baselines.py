"""ARTIFACT.md's report commands reproduce the shipped reports byte for byte.

The commands are read from ARTIFACT.md itself (each `just report ... --out DIR  #
regenerates report/X` line), run with --out pointed at a temporary directory, and every
file of the result is compared with the committed report/X: a report that drifts from the
command documented to make it fails here. `just report` passes experiments/baselines.yaml,
so the shipped reports carry the seed's baselines (TR110, TR114) on the legacy metric.
"""
import filecmp
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = os.environ.get("TANDEM_BIN", str(ROOT / "build" / "bin"))
# where the shipped reports are compared from: the checkout, or a copy regenerated elsewhere
SHIPPED = Path(os.environ.get("TANDEM_SHIPPED_ROOT", str(ROOT)))
LINE = re.compile(r"^(just report .*?--out (\S+).*?)\s+# regenerates (report/[\w.-]+)")


def artifact_commands():
    """(command words, the --out value, the shipped report) for each regenerating line."""
    found = []
    for line in (ROOT / "ARTIFACT.md").read_text(encoding="utf-8").splitlines():
        m = LINE.match(line.strip())
        if m:
            found.append((shlex.split(m.group(1)), m.group(2), m.group(3)))
    return found


def test_artifact_names_every_shipped_report():
    """Every report shipped under report/ (all but report/reference, the raw data) has its
    regenerating command in ARTIFACT.md, so the test below covers it."""
    shipped = {c[2] for c in artifact_commands()}
    on_disk = {"report/" + d.name for d in (ROOT / "report").iterdir() if d.is_dir() and d.name != "reference"}
    assert shipped == on_disk and {"report/sim", "report/seed-v1"} <= shipped


@pytest.mark.skipif(shutil.which("just") is None, reason="just is not installed")
@pytest.mark.parametrize("words,out,shipped", artifact_commands(), ids=lambda v: v if isinstance(v, str) else None)
def test_artifact_command_reproduces_shipped_report(tmp_path, words, out, shipped):
    target = tmp_path / "out"
    words = [str(target) if w == out else w for w in words]
    env = dict(os.environ, TANDEM_BIN=BIN)
    r = subprocess.run(words, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    want = SHIPPED / shipped
    got_files = sorted(p.relative_to(target) for p in target.rglob("*") if p.is_file())
    want_files = sorted(p.relative_to(want) for p in want.rglob("*") if p.is_file())
    assert got_files == want_files
    differ = [str(f) for f in got_files if not filecmp.cmp(target / f, want / f, shallow=False)]
    assert differ == [], f"{shipped}: regenerate it with the command in ARTIFACT.md; differs: {differ}"


def test_baselines_file_reaches_the_report(tmp_path):
    """The seed's baselines, with their provenance, and the note on the legacy metric."""
    out = tmp_path / "r"
    r = subprocess.run([f"{BIN}/tandem-report", "--baselines", str(ROOT / "experiments" / "baselines.yaml"),
                        str(ROOT / "report" / "reference" / "seed-v1"), "--out", str(out), "--no-plots"],
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    md = (out / "TR115.md").read_text(encoding="utf-8")
    assert "### TR110 Python" in md and "### TR114 Rust" in md
    assert "Value 99.25% (mean of 5 runs; source: the seed harness's technical report TR110" in md
    assert "Compared on legacy_efficiency_pct" in md
    assert "It cannot show whether running together was faster" in md


@pytest.mark.parametrize("text,why", [
    ("baselines:\n  - name: X\n    value: abc\n    metric: legacy_efficiency_pct\n    source: s\n    measured: m\n",
     "not a number"),
    ("baselines:\n  - name: X\n    value: 1\n    metric: ttft_ms\n    source: s\n    measured: m\n",
     "not a run-level metric"),
    ("baselines:\n  - name: X\n    value: 1\n    metric: legacy_efficiency_pct\n    measured: m\n", "source: missing"),
    ("baselines:\n  - name: X\n    value: 1\n    metric: legacy_efficiency_pct\n    source: s\n    measured: m\n"
     "    colour: red\n", "colour"),
    ("baselines: []\n", "no baselines"),
])
def test_bad_baselines_file_exits_2(tmp_path, text, why):
    f = tmp_path / "b.yaml"
    f.write_text(text)
    r = subprocess.run([f"{BIN}/tandem-report", "--baselines", str(f), str(ROOT / "report" / "reference" / "seed-v1"),
                        "--out", str(tmp_path / "r"), "--no-plots"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 2 and why in r.stderr, r.stderr


def test_other_metric_than_the_baselines_is_refused(tmp_path):
    r = subprocess.run([f"{BIN}/tandem-report", "--baselines", str(ROOT / "experiments" / "baselines.yaml"),
                        "--baseline-metric", "efficiency_pct", str(ROOT / "report" / "reference" / "seed-v1"),
                        "--out", str(tmp_path / "r"), "--no-plots"], capture_output=True, text=True, timeout=600)
    assert r.returncode == 2 and "measured with legacy_efficiency_pct" in r.stderr, r.stderr
