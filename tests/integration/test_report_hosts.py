"""Results merged from several hosts (a sweep spread by emitted jobs or Slurm): the report
pools them only when the hosts are alike (src/report/hosts.c), and then shows each run's
host and whether the host matters as much as the variant."""
import csv
import json
import os
import shutil
import subprocess

from engine import bindir
from simproc import REPO

FIXTURE = os.path.join(REPO, "report", "reference", "workflows-sim")


def two_hosts(tmp_path, edit_b=None):
    """The shipped workflow results, with every rep2 cell moved to a second host."""
    root = str(tmp_path / "results")
    shutil.copytree(FIXTURE, root)
    for dirpath, _, files in os.walk(root):
        if "provenance.json" in files and os.path.basename(dirpath) == "rep2":
            p = os.path.join(dirpath, "provenance.json")
            with open(p) as f:
                prov = json.load(f)
            prov["host"]["hostname"] = "node-b"
            if edit_b:
                edit_b(prov)
            with open(p, "w") as f:
                json.dump(prov, f)
    return root


def report(root, out, *args):
    return subprocess.run([os.path.join(bindir(), "tandem-report"), root, "--out", out, "--no-plots"] + list(args),
                          capture_output=True, text=True, timeout=300)


def test_alike_hosts_pool_with_a_host_column_and_an_effect_line(tmp_path):
    root = two_hosts(tmp_path)
    out = str(tmp_path / "r")
    r = report(root, out)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(out, "TR115.md")) as f:
        md = f.read()
    assert "## Hosts" in md and "| node-b | 9 |" in md and "| vm | 9 |" in md
    assert "Host effect on" in md and "3 variants measured on two or more" in md
    with open(os.path.join(out, "runs.csv")) as f:
        hosts = {row["host"] for row in csv.DictReader(f)}
    assert hosts == {"vm", "node-b"}
    with open(os.path.join(out, "analysis.json")) as f:
        h = json.load(f)["hosts"]
    assert h["identities"] == 1 and not h["pooled"] and len(h["hosts"]) == 2
    assert h["effect"]["variants_on_two_or_more_hosts"] == 3
    assert h["effect"]["host_effect"] >= 0 and h["effect"]["variant_effect"] >= 0


def test_hosts_that_differ_are_refused_unless_pooled(tmp_path):
    def other_gpu(prov):
        prov["host"]["cpu_model"] = "Some Other CPU"
        prov["servers"][0]["version"] = "0.12.0"
    root = two_hosts(tmp_path, other_gpu)
    r = report(root, str(tmp_path / "r"))
    assert r.returncode == 1
    assert "2 kinds of host" in r.stderr and "node-b (9 runs)" in r.stderr and "Some Other CPU" in r.stderr
    assert "server version: 0.12.0" in r.stderr and "--pool-hosts" in r.stderr
    assert not os.path.exists(tmp_path / "r" / "TR115.md")
    out = str(tmp_path / "pooled")
    r = report(root, out, "--pool-hosts")
    assert r.returncode == 0, r.stderr
    with open(os.path.join(out, "TR115.md")) as f:
        md = f.read()
    assert "**These hosts differ** (2 identities) and were pooled" in md


def test_one_host_adds_no_section(tmp_path):
    out = str(tmp_path / "r")
    r = report(FIXTURE, out)
    assert r.returncode == 0, r.stderr
    with open(os.path.join(out, "TR115.md")) as f:
        assert "## Hosts" not in f.read()
    with open(os.path.join(out, "analysis.json")) as f:
        h = json.load(f)["hosts"]
    assert [x["host"] for x in h["hosts"]] == ["vm"] and h["effect"] is None
