"""tandem-sweep end to end: small experiments against tandem-sim on OS-picked ports.

What must hold for a sweep to be trusted with a night of GPU time:
- every cell runs exactly once, as its own child process, and says so in cell.json;
- killed with SIGKILL mid-cell, the same command continues: every cell exists once,
  nothing finished is touched, the half-done cell is run again;
- a server that is down for one configuration fails those cells (retried, then recorded
  with the reason) while the rest of the sweep goes on;
- a server whose version differs from the pin is refused, naming both versions, unless
  --allow-unpinned, and then every cell records the mismatch;
- --dry-run lists the TR115 matrix's 150 cells; --validate reports every problem at once;
  --emit-jobs writes one independent command per cell.
"""

import hashlib
import http.client
import json
import os
import signal
import subprocess
import time

import pytest

from engine import bindir, variants
from simproc import REPO, start_sim

SWEEP = os.path.join(bindir(), "tandem-sweep")
if not os.access(SWEEP, os.X_OK):
    pytest.skip("no tandem-sweep at %s (build it, or set TANDEM_BIN)" % SWEEP, allow_module_level=True)
BUILT = variants()
VARIANTS = [v for v in ("smol", "tokio-localset", "tokio-default", "async-std", "smol-1kb") if v in BUILT][:2]
if len(VARIANTS) < 2:
    pytest.skip("tandem-sweep tests need two variant binaries built", allow_module_level=True)

FAST = ["--decode-tps", "2000", "--prefill-tps", "100000"]


def sim_digest(sim, port_index=0):
    conn = http.client.HTTPConnection("127.0.0.1", sim.ports[port_index], timeout=5)
    conn.request("GET", "/api/tags")
    doc = json.loads(conn.getresponse().read())
    conn.close()
    return [m["digest"] for m in doc["models"] if m["name"] == "gemma3:latest"][0]


def write_experiment(path, collector, insight, configs, digest, reps=2, version="0.11.4", run=None,
                     variants_=None, name="t"):
    """configs: YAML flow mappings, one per configuration."""
    settings = {"num_predict": 5, "warmup": "false", "cooldown_ms": 0, "retries": 1, "retry_backoff_ms": 50,
                "http_timeout_ms": 3000, "cell_timeout_ms": 60000}
    settings.update(run or {})
    lines = [
        "name: %s" % name,
        "repetitions: %d" % reps,
        "pins: {ollama_version: '%s', model: gemma3:latest, model_digest: 'sha256:%s'}" % (version, digest),
        "endpoints: {collector: '%s', insight: '%s'}" % (collector, insight),
        "variants: [%s]" % ", ".join(variants_ or VARIANTS),
        "run: {%s}" % ", ".join("%s: %s" % kv for kv in settings.items()),
        "configurations:",
    ] + ["  - %s" % c for c in configs]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    return path


def sweep(exp, out, *args, timeout=300):
    return subprocess.run([SWEEP, exp, "--out", out, "--bin-dir", bindir()] + list(args),
                          capture_output=True, text=True, timeout=timeout)


def manifest(out):
    with open(os.path.join(out, "manifest.json")) as f:
        return json.load(f)


def cell_dirs(out):
    """{id: dir} of every finished cell directory (cell.json present, not hidden)."""
    found = {}
    for root, dirs, files in os.walk(out):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        if "cell.json" in files:
            with open(os.path.join(root, "cell.json")) as f:
                cid = json.load(f)["id"]
            assert cid not in found, "cell %s exists twice: %s and %s" % (cid, found[cid], root)
            found[cid] = root
    return found


def hidden_dirs(out, suffix):
    hits = []
    for root, dirs, _ in os.walk(out):
        hits += [os.path.join(root, d) for d in dirs if d.startswith(".") and d.endswith(suffix)]
    return hits


def tree_hash(path):
    h = {}
    for root, _, files in os.walk(path):
        for n in files:
            p = os.path.join(root, n)
            with open(p, "rb") as f:
                h[os.path.relpath(p, path)] = hashlib.sha256(f.read()).hexdigest()
    return h


def expected_ids(configs, reps, variants_=None):
    return {"%s/%s/rep%d" % (c, v, r) for c in configs for v in (variants_ or VARIANTS) for r in range(1, reps + 1)}


TWO_CONFIGS = ["{name: homo, scenario: chimera-homo, chimera: {num_ctx: 1024}}",
               "{name: het, scenario: chimera-hetero, chimera2: {num_gpu: 100}}"]


# --- (1) a sweep completes ------------------------------------------------------------

def test_sweep_completes_every_cell_once(tmp_path):
    out = str(tmp_path / "out")
    with start_sim(FAST + ["--port", "0@gpu0", "--port", "0@gpu0"]) as sim:
        exp = write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1), TWO_CONFIGS, sim_digest(sim))
        res = sweep(exp, out, "--seed", "5")
        assert res.returncode == 0, res.stderr
        # the same command again: nothing to run, nothing touched
        before = tree_hash(out)
        again = sweep(exp, out)
        assert again.returncode == 0, again.stderr
        assert "nothing to run" in again.stderr
    cells = cell_dirs(out)
    assert set(cells) == expected_ids(["homo", "het"], 2)
    for cid, d in cells.items():
        with open(os.path.join(d, "cell.json")) as f:
            cj = json.load(f)
        assert cj["status"] == "ok" and cj["exit_status"] == 0 and cj["attempts"] == 1, cj
        assert cj["pins_ok"] is True and cj["pin_mismatches"] == []
        assert cj["command"].startswith(os.path.join(bindir(), "tandem-" + cj["variant"]) + " run ")
        assert d.endswith(cid)
        # the variant's own run directory, with its raw records
        assert os.path.exists(os.path.join(d, "run_1", "records.json"))
        with open(os.path.join(d, "provenance.json")) as f:
            prov = json.load(f)
        assert prov["variant"] == cj["variant"]
        assert prov["pins"]["matched"] is True
    m = manifest(out)
    assert m["counts"]["ok"] == 8 and m["seed"] == "5"
    assert [c["state"] for c in m["cells"]] == ["ok"] * 8
    # blocks: each block of 4 holds every (variant, configuration) once
    for b in range(2):
        block = m["cells"][4 * b:4 * b + 4]
        assert {c["id"].rsplit("/", 1)[0] for c in block} == {"%s/%s" % (c, v) for c in ("homo", "het")
                                                                for v in VARIANTS}
        assert all(c["id"].endswith("rep%d" % (b + 1)) for c in block)
    assert not hidden_dirs(out, ".tmp")
    for rel, h in before.items():
        if not rel.endswith((".sweep.lock", "manifest.json")):
            assert tree_hash(out).get(rel) == h, rel
    assert "tandem-report %s --out %s/report" % (out, out) in res.stdout

    # a changed experiment is refused on resume
    with open(exp, "a") as f:
        f.write("# edited\n")
    res = sweep(exp, out)
    assert res.returncode == 1
    assert "changed since this sweep started" in res.stderr and "another --out" in res.stderr


# --- (2) SIGKILL mid-cell, then the same command -------------------------------------------

def test_sigkill_mid_cell_then_resume(tmp_path):
    out = str(tmp_path / "out")
    # slow enough that a cell takes ~1 s: 4 calls per phase at 40 tokens, 200 tok/s
    with start_sim(["--decode-tps", "200", "--prefill-tps", "100000"], ports=2) as sim:
        exp = write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1), TWO_CONFIGS, sim_digest(sim),
                               run={"num_predict": 40})
        cmd = [SWEEP, exp, "--out", out, "--bin-dir", bindir(), "--seed", "11"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        running = None
        deadline = time.monotonic() + 60
        try:
            while time.monotonic() < deadline:
                try:
                    m = manifest(out)
                except (OSError, ValueError):
                    time.sleep(0.02)
                    continue
                states = [c["state"] for c in m["cells"]]
                run = [c for c in m["cells"] if c["state"] == "running" and c.get("child_pid")]
                if states.count("ok") >= 1 and run:
                    running = run[0]
                    break
                time.sleep(0.02)
            assert running, "the sweep never had a finished cell and a running one"
            os.kill(proc.pid, signal.SIGKILL)
            try:
                os.killpg(running["child_pid"], signal.SIGKILL)
            except ProcessLookupError:
                pass  # already gone with its parent (PR_SET_PDEATHSIG)
        finally:
            proc.kill()
            proc.wait()
        finished_before = {cid: tree_hash(d) for cid, d in cell_dirs(out).items()}
        assert finished_before and running["id"] not in finished_before

        res = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        assert res.returncode == 0, res.stderr
        assert "half-done" in res.stderr or "resuming" in res.stderr
    cells = cell_dirs(out)  # raises if any cell exists twice
    assert set(cells) == expected_ids(["homo", "het"], 2)
    for cid, h in finished_before.items():
        assert tree_hash(cells[cid]) == h, "finished cell %s changed on resume" % cid
    m = manifest(out)
    assert m["counts"]["ok"] == 8
    by_id = {c["id"]: c for c in m["cells"]}
    assert by_id[running["id"]]["attempts"] == 2  # killed once, then run again from scratch
    for cid in finished_before:
        assert by_id[cid]["attempts"] == 1
    assert not hidden_dirs(out, ".tmp")


# --- (3) one endpoint down for one configuration ------------------------------------------

def test_endpoint_down_for_one_configuration(tmp_path):
    out = str(tmp_path / "out")
    with start_sim(FAST + ["--port", "0", "--port", "0", "--port", "0", "--fault", "#2:refuse"]) as sim:
        down = sim.url(2)
        configs = ["{name: good, scenario: chimera-homo}",
                   "{name: bad, scenario: chimera-homo, endpoints: {insight: '%s'}}" % down]
        exp = write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1), configs, sim_digest(sim))
        res = sweep(exp, out)
        assert res.returncode == 3, res.stderr
        assert "unreachable" in res.stderr  # said before measuring
        good = cell_dirs(out)
        assert set(good) == expected_ids(["good"], 2)
        m = manifest(out)
        by_id = {c["id"]: c for c in m["cells"]}
        for cid in expected_ids(["bad"], 2):
            c = by_id[cid]
            assert c["state"] == "failed" and c["attempts"] == 2, c  # one retry (run.retries 1)
            assert "cannot reach Ollama at %s" % down in c["reason"], c["reason"]
            cfg, var, rep = cid.split("/")
            with open(os.path.join(out, cfg, var, "." + rep + ".failed", "cell.json")) as f:
                cj = json.load(f)
            assert cj["status"] == "failed" and cj["exit_status"] == 1
            assert down in cj["reason"]
            assert any(down in x for x in cj["pin_mismatches"])
        assert "failed: bad/" in res.stdout and "--retry-failed" in res.stdout

        # without --retry-failed nothing runs again; with it only the failed cells do
        good_hashes = {cid: tree_hash(d) for cid, d in good.items()}
        res = sweep(exp, out)
        assert res.returncode == 3 and "nothing to run" in res.stderr
        res = sweep(exp, out, "--retry-failed")
        assert res.returncode == 3
        m = manifest(out)
        for c in m["cells"]:
            assert c["attempts"] == (4 if c["id"].startswith("bad/") else 1), c
        assert {cid: tree_hash(d) for cid, d in cell_dirs(out).items()} == good_hashes
        ports = list(sim.ports)

    # the server comes back (same ports, all healthy): --retry-failed now finishes the
    # failed cells, and their failed directories go
    args = FAST
    for p in ports:
        args = args + ["--port", str(p)]
    with start_sim(args):
        res = sweep(exp, out, "--retry-failed")
        assert res.returncode == 0, res.stderr
    assert set(cell_dirs(out)) == expected_ids(["good", "bad"], 2)
    assert not hidden_dirs(out, ".failed")
    m = manifest(out)
    assert m["counts"]["ok"] == 8
    for c in m["cells"]:
        assert c["attempts"] == (5 if c["id"].startswith("bad/") else 1), c


# --- (4) the server's version differs from the pin ----------------------------------------

def test_version_pin_refused_then_allowed(tmp_path):
    out = str(tmp_path / "out")
    with start_sim(FAST + ["--version-string", "9.9.9"], ports=2) as sim:
        exp = write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1),
                               ["{name: homo, scenario: chimera-homo}"], sim_digest(sim), reps=1)
        res = sweep(exp, out)
        assert res.returncode == 1
        assert "refusing to measure" in res.stderr
        assert "runs Ollama 9.9.9, but the experiment pins Ollama 0.11.4" in res.stderr
        assert "--allow-unpinned" in res.stderr
        assert cell_dirs(out) == {}

        res = sweep(exp, out, "--allow-unpinned")
        assert res.returncode == 0, res.stderr
    cells = cell_dirs(out)
    assert set(cells) == expected_ids(["homo"], 1)
    for d in cells.values():
        with open(os.path.join(d, "cell.json")) as f:
            cj = json.load(f)
        assert cj["status"] == "ok" and cj["pins_ok"] is False and cj["allow_unpinned"] is True
        assert any("9.9.9" in x and "0.11.4" in x for x in cj["pin_mismatches"]), cj["pin_mismatches"]
        with open(os.path.join(d, "provenance.json")) as f:
            prov = json.load(f)
        assert prov["pins"]["matched"] is False and prov["pins"]["mismatch"]


# --- (5) --dry-run on the TR115 matrix -------------------------------------------------------

def test_dry_run_tr115_lists_150_cells(tmp_path):
    out = str(tmp_path / "never-created")
    res = subprocess.run([SWEEP, os.path.join(REPO, "experiments", "tr115.yaml"), "--dry-run", "--out", out,
                          "--bin-dir", bindir()], capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert "cells: 150 (5 variants x 6 configurations x 5 repetitions)" in res.stdout
    assert "estimated duration:" in res.stdout
    heads = [l for l in res.stdout.splitlines() if l.startswith("[")]
    cmds = [l.strip() for l in res.stdout.splitlines() if l.startswith("    ")]
    assert len(heads) == 150 and len(cmds) == 150
    assert heads[0].startswith("[1/150] block 1") and heads[-1].startswith("[150/150] block 5")
    assert len({h.split()[3] for h in heads}) == 150  # 150 distinct cells
    for c in cmds:
        assert " run --scenario " in c and "--output-dir %s/" % out in c and c.endswith("--quiet --no-lock")
        assert " --gpu-telemetry=auto " in c  # every cell samples the GPU wherever there is one
    assert "model_digest 'FILL-IN-ON-THE-GPU-HOST' is not a digest yet" in res.stdout
    assert not os.path.exists(out)
    # the order is the recorded seed's: the same every time
    again = subprocess.run([SWEEP, os.path.join(REPO, "experiments", "tr115.yaml"), "--dry-run", "--out", out,
                            "--bin-dir", bindir()], capture_output=True, text=True, timeout=60)
    assert again.stdout == res.stdout


# --- (6) --validate reports every problem at once -------------------------------------------

def test_validate_reports_all_problems(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    with start_sim(FAST + ["--port", "0", "--port", "0", "--fault", "#1:refuse"]) as bad, \
            start_sim(FAST + ["--version-string", "9.9.9"], ports=1) as old:
        configs = ["{name: homo, scenario: chimera-homo}",
                   "{name: other, scenario: chimera-homo, endpoints: {collector: '%s'}}" % old.url(0)]
        exp = write_experiment(str(tmp_path / "e.yaml"), bad.url(0), bad.url(1), configs, "0123456789ab",
                               variants_=[VARIANTS[0], "no-such-variant"])
        res = subprocess.run([SWEEP, exp, "--validate", "--out", str(blocker / "out"), "--bin-dir", bindir()],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 1, res.stdout + res.stderr
        problems = [l for l in res.stdout.splitlines() if l.startswith("  - ")]
        text = "\n".join(problems)
        assert "variant no-such-variant: no executable" in text
        assert "server %s: unreachable" % bad.url(1) in text
        assert "runs Ollama 9.9.9, but the experiment pins Ollama 0.11.4" in text
        assert "but the experiment pins digest sha256:0123456789ab (pins.model_digest)" in text  # wrong digest on the healthy servers
        assert "is a file, not a directory" in text
        assert len(problems) >= 5, res.stdout

        # and a sound experiment validates
        good = write_experiment(str(tmp_path / "g.yaml"), bad.url(0), bad.url(0),
                                ["{name: homo, scenario: chimera-homo}"], sim_digest(bad))
        res = subprocess.run([SWEEP, good, "--validate", "--out", str(tmp_path / "o"), "--bin-dir", bindir()],
                             capture_output=True, text=True, timeout=60)
        assert res.returncode == 0, res.stdout + res.stderr
        assert "is ready to run" in res.stdout


# --- (7) --emit-jobs ----------------------------------------------------------------------

def test_emit_jobs_one_command_per_cell(tmp_path):
    out = str(tmp_path / "out")
    jobs_dir = str(tmp_path / "jobs")
    with start_sim(FAST, ports=2) as sim:
        exp = write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1), TWO_CONFIGS, sim_digest(sim))
        res = sweep(exp, out, "--emit-jobs", jobs_dir, "--seed", "3")
        assert res.returncode == 0, res.stderr
        with open(os.path.join(jobs_dir, "jobs.sh")) as f:
            lines = [l.rstrip("\n") for l in f if l.strip() and not l.startswith("#")]
        with open(os.path.join(jobs_dir, "slurm-array.sh")) as f:
            slurm = f.read()
        assert len(lines) == 8
        ids = [l.split("--cell ")[1] for l in lines]
        assert set(ids) == expected_ids(["homo", "het"], 2)
        assert "#SBATCH --array=1-8" in slurm and "jobs.sh" in slurm
        assert os.access(os.path.join(jobs_dir, "jobs.sh"), os.X_OK)
        # the plan's order, as --dry-run shows it
        dry = sweep(exp, out, "--dry-run", "--seed", "3")
        assert ids == [l.split()[3] for l in dry.stdout.splitlines() if l.startswith("[")]
        # a line runs its cell on its own; run again, it is skipped
        for _ in range(2):
            r = subprocess.run(["sh", "-c", lines[0]], capture_output=True, text=True, timeout=120)
            assert r.returncode == 0, r.stdout + r.stderr
        assert "already" in r.stdout
        # the slurm script runs line i as task i
        r = subprocess.run(["sh", os.path.join(jobs_dir, "slurm-array.sh")], capture_output=True, text=True,
                           timeout=120, env=dict(os.environ, SLURM_ARRAY_TASK_ID="2"))
        assert r.returncode == 0, r.stdout + r.stderr
    assert set(cell_dirs(out)) == {ids[0], ids[1]}
    assert not os.path.exists(os.path.join(out, "manifest.json"))  # jobs share no manifest


# --- SIGTERM: the child is stopped, the cell marked interrupted, not failed ----------------

def test_sigterm_marks_cell_interrupted(tmp_path):
    out = str(tmp_path / "out")
    with start_sim(["--decode-tps", "100", "--prefill-tps", "100000"], ports=2) as sim:
        exp = write_experiment(str(tmp_path / "e.yaml"), sim.url(0), sim.url(1),
                               ["{name: homo, scenario: chimera-homo}"], sim_digest(sim), reps=1,
                               run={"num_predict": 60})
        cmd = [SWEEP, exp, "--out", out, "--bin-dir", bindir()]
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 30
        child = None
        while time.monotonic() < deadline and not child:
            try:
                child = [c for c in manifest(out)["cells"] if c["state"] == "running" and c.get("child_pid")]
            except (OSError, ValueError):
                pass
            time.sleep(0.02)
        assert child
        proc.send_signal(signal.SIGTERM)
        stdout, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 143, stderr
        assert "re-run the same command" in stdout
        c = {x["id"]: x for x in manifest(out)["cells"]}[child[0]["id"]]
        assert c["state"] == "interrupted" and "SIGTERM" in c["reason"]
        with pytest.raises(ProcessLookupError):
            os.kill(child[0]["child_pid"], 0)  # the child is gone too
        assert not hidden_dirs(out, ".tmp")
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert res.returncode == 0, res.stderr
    assert set(cell_dirs(out)) == expected_ids(["homo"], 1)
