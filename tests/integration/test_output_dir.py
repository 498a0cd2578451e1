"""Two experiments never share a folder: `run` refuses an --output-dir that already holds
results (provenance.json or run_*) with exit 2 and a message naming the fix, leaves the
old results as they were, and with --force deletes them first; the default timestamped
folder gets -2, -3, ... when that name is taken. Every built variant, python-httpx
included, against tandem-sim."""

import datetime
import json
import os
import subprocess

import pytest

from engine import bindir, scenario_yaml, variants
from simproc import start_sim


@pytest.fixture(scope="module")
def sim():
    with start_sim(["--decode-tps", "5000", "--prefill-tps", "100000"]) as s:
        yield s


def run(variant, scen, args, cwd=None):
    cmd = [os.path.join(bindir(), "tandem-" + variant), "run", "--scenario-file", scen, "--quiet"] + list(args)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=cwd)


def write_scenario(tmp_path, sim, runs):
    scen = os.path.join(str(tmp_path), "scenario-%d.yaml" % runs)
    with open(scen, "w") as f:
        f.write(scenario_yaml([sim.url(0)], num_predict=4, steps=1, runs=runs, warmup=False))
    return scen


def entries(d):
    return sorted(os.listdir(d))


@pytest.mark.parametrize("variant", variants())
def test_a_folder_with_results_is_refused_then_forced(sim, variant, tmp_path):
    out = os.path.join(str(tmp_path), "out")
    first = run(variant, write_scenario(tmp_path, sim, 2), ["--output-dir", out])
    assert first.returncode == 0, first.stderr
    assert {"run_1", "run_2", "provenance.json", "summary.json"} <= set(entries(out))
    with open(os.path.join(out, "provenance.json")) as f:
        before = f.read()

    again = run(variant, write_scenario(tmp_path, sim, 1), ["--output-dir", out])
    assert again.returncode == 2, again.stderr
    assert "already holds" in again.stderr and "--force" in again.stderr and "another folder" in again.stderr
    with open(os.path.join(out, "provenance.json")) as f:
        assert f.read() == before  # untouched
    assert {"run_1", "run_2"} <= set(entries(out))

    forced = run(variant, write_scenario(tmp_path, sim, 1), ["--output-dir", out, "--force"])
    assert forced.returncode == 0, forced.stderr
    assert "run_2" not in entries(out) and "run_1" in entries(out)
    with open(os.path.join(out, "summary.json")) as f:
        assert json.load(f)["runs_recorded"] == 1


@pytest.mark.parametrize("variant", variants())
def test_a_folder_with_only_a_run_dir_is_refused(sim, variant, tmp_path):
    out = os.path.join(str(tmp_path), "out")
    os.makedirs(os.path.join(out, "run_3"))
    res = run(variant, write_scenario(tmp_path, sim, 1), ["--output-dir", out])
    assert res.returncode == 2, res.stderr
    assert "run_3" in res.stderr
    assert entries(out) == ["run_3"]


@pytest.mark.parametrize("variant", variants())
def test_an_empty_or_new_folder_is_used(sim, variant, tmp_path):
    out = os.path.join(str(tmp_path), "empty")
    os.makedirs(out)
    res = run(variant, write_scenario(tmp_path, sim, 1), ["--output-dir", out])
    assert res.returncode == 0, res.stderr
    assert "run_1" in entries(out)


@pytest.mark.parametrize("variant", variants())
def test_the_default_folder_is_numbered_when_taken(sim, variant, tmp_path):
    # the default name is results/<variant>/<scenario>-<UTC second>: take the names of the
    # next seconds beforehand, so the run finds its own name taken whenever it starts
    base = os.path.join(str(tmp_path), "results", variant)
    now = datetime.datetime.now(datetime.timezone.utc)
    taken = []
    for s in range(0, 30):
        stamp = (now + datetime.timedelta(seconds=s)).strftime("%Y%m%dT%H%M%SZ")
        d = os.path.join(base, "test-" + stamp)
        os.makedirs(d)
        with open(os.path.join(d, "provenance.json"), "w") as f:
            f.write("{}")
        taken.append(d)
    res = run(variant, write_scenario(tmp_path, sim, 1), [], cwd=str(tmp_path))
    assert res.returncode == 0, res.stderr
    made = [os.path.join(base, n) for n in entries(base) if os.path.join(base, n) not in taken]
    assert len(made) == 1 and made[0].endswith("-2"), entries(base)
    assert "run_1" in entries(made[0])
    for d in taken:  # the folders that were there are untouched
        assert entries(d) == ["provenance.json"]
