"""Strict inputs of tandem-report: a name the user gives must name something in the data.

- An unknown --reference exits 2 and lists the variants; the label as the report prints it
  ("smol-1kb (seed)") means that variant; the default reference may be absent (a caveat
  then names the stand-in), a named one may not.
- A --group-by key that no run holds exits 2 and names keys the runs hold, instead of
  merging every configuration into one; a key the runs hold is accepted.
- A malformed --baseline or --baseline-dir, or a --margin on no metric, exits 2 with the
  form to write, before any data is read.
- import-chimera, check, finalize and plan each print their own usage for --help.
- The console line on figures says why figures were not rendered, and "figures: none
  (--no-plots)" with --no-plots.

Inputs are the imported seed runs committed under report/reference/seed-v1.
"""

import json
import os
import shutil
import sys

import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from test_report import REPO, run  # noqa: E402

SEED = os.path.join(REPO, "report", "reference", "seed-v1")
SEED_LABELS = ["async-std (seed)", "smol (seed)", "smol-1kb (seed)", "tokio-default (seed)",
               "tokio-localset (seed)"]
FAST = ["--resamples", "100", "--no-plots"]

pytestmark = pytest.mark.skipif(not os.path.isdir(SEED), reason="%s is absent" % SEED)


def report(tmp_path, *args, check=True):
    out = str(tmp_path / "out")
    p = run([SEED, "--out", out] + FAST + list(args), check=check)
    return p, out


def analysis(out):
    with open(os.path.join(out, "analysis.json")) as f:
        return json.load(f)


def test_unknown_reference_exits_2_and_lists_the_variants(tmp_path):
    p, out = report(tmp_path, "--reference", "nosuch", check=False)
    assert p.returncode == 2, p.stderr
    assert "'nosuch'" in p.stderr and "--reference" in p.stderr
    for label in SEED_LABELS:
        assert label in p.stderr, label
    assert not os.path.exists(os.path.join(out, "analysis.json"))


@pytest.mark.parametrize("given", ["smol-1kb (seed)", "smol-1kb"])
def test_reference_by_name_or_as_printed_means_that_variant(tmp_path, given):
    _, out = report(tmp_path, "--reference", given)
    a = analysis(out)
    assert a["settings"]["reference"] == "smol-1kb"
    assert a["variants"][0]["label"] == "smol-1kb (seed)"
    assert {v["reference"] for v in a["variants"]} == {"smol-1kb (seed)"}
    assert "reference_missing" not in {c["kind"] for c in a["caveats"]}


def test_the_default_reference_may_be_absent(tmp_path):
    data = tmp_path / "smol-only"
    shutil.copytree(os.path.join(SEED, "smol"), str(data / "smol"))
    shutil.copytree(os.path.join(SEED, "async-std"), str(data / "async-std"))
    out = str(tmp_path / "out")
    run([str(data), "--out", out] + FAST)
    a = analysis(out)
    assert a["settings"]["reference"] == "tokio-default"
    assert "reference_missing" in {c["kind"] for c in a["caveats"]}
    # named, the same absent variant is refused
    p = run([str(data), "--out", out, "--reference", "tokio-default"] + FAST, check=False)
    assert p.returncode == 2 and "async-std (seed), smol (seed)" in p.stderr, p.stderr


def test_unknown_group_by_key_exits_2_and_names_keys_that_exist(tmp_path):
    p, out = report(tmp_path, "--group-by", "cell.nosuch", check=False)
    assert p.returncode == 2, p.stderr
    assert "'cell.nosuch'" in p.stderr
    for key in ("cell.repetition", "cell.configuration", "scenario.runs", "scenario.agents.0.model"):
        assert key in p.stderr, key
    assert not os.path.exists(os.path.join(out, "analysis.json"))
    # one unknown key among known ones is still refused
    p, _ = report(tmp_path, "--group-by", "variant,scenario.nosuch.path", check=False)
    assert p.returncode == 2 and "'scenario.nosuch.path'" in p.stderr, p.stderr


def test_a_group_by_key_the_runs_hold_is_accepted(tmp_path):
    _, out = report(tmp_path, "--group-by", "scenario.agents.0.options.num_ctx, cell.configuration")
    a = analysis(out)
    assert a["settings"]["group_by"] == "scenario.agents.0.options.num_ctx, cell.configuration"
    assert len(a["configurations"]) == 6


@pytest.mark.parametrize("spec", ["=99.25", "TR110 Python=abc", "TR110 Python"])
def test_malformed_baseline_names_the_fix_before_reading_data(tmp_path, spec):
    p = run(["/nonexistent/results", "--out", str(tmp_path / "out"), "--baseline", spec], check=False)
    assert p.returncode == 2, p.stderr
    assert "write NAME=VALUE" in p.stderr and "TR110 Python=99.25" in p.stderr, p.stderr


def test_malformed_baseline_dir_and_margin_exit_2_before_reading_data(tmp_path):
    p = run(["/nonexistent/results", "--out", str(tmp_path / "out"), "--baseline-dir", "seed"], check=False)
    assert p.returncode == 2 and "write NAME=DIR" in p.stderr, p.stderr
    p = run(["/nonexistent/results", "--out", str(tmp_path / "out"), "--margin", "nosuch=1"], check=False)
    assert p.returncode == 2 and "efficiency_pct" in p.stderr and "not a metric" in p.stderr, p.stderr


@pytest.mark.parametrize("sub,usage", [
    ("import-chimera", "usage: tandem-report import-chimera LEGACY_DIR --out DIR"),
    ("check", "usage: tandem-report check RUN_DIR"),
    ("finalize", "usage: tandem-report finalize RUN_DIR [--quiet | --json]"),
    ("plan", "Usage: tandem-report plan [--variant NAME]"),
])
def test_each_subcommand_has_its_own_help(sub, usage):
    for flag in ("--help", "-h"):
        p = run([sub, flag])
        assert p.stdout.startswith(usage), p.stdout[:200]
        assert "--baseline-metric" not in p.stdout  # not the report's general help
    general = run(["--help"]).stdout
    assert general.startswith("usage: tandem-report RESULTS_DIR")
    assert "--baseline-metric" in general


def test_no_plots_says_so_on_the_console(tmp_path):
    p, _ = report(tmp_path)
    assert "figures: none (--no-plots)" in p.stderr, p.stderr
    assert "0 of 0 figures" not in p.stderr


def test_the_console_says_why_figures_were_not_rendered(tmp_path):
    out = str(tmp_path / "out")
    p = run([SEED, "--out", out, "--resamples", "100", "--plots-dir", str(tmp_path / "no-scripts")])
    figs = analysis(out)["figures"]
    missing = [f for f in figs if not f["rendered"]]
    assert missing, figs
    line = next(ln for ln in p.stderr.splitlines() if "figures (SVG and PNG)" in ln)
    assert "%d of %d figures" % (len(figs) - len(missing), len(figs)) in line
    assert "not rendered: " in line
    for f in missing:
        assert f["name"] in line and f["problem"].strip()[:30] in line, (f, line)
