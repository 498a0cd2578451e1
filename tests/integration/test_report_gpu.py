"""Integration tests of tandem-report's GPU telemetry ($TANDEM_BIN/tandem-report).

A cell of the shipped simulator sweep (report/reference/sim) is copied and each run is given
a run_<k>/gpu.csv written here: samples placed exactly on the ends of the run's phase spans
(read from its records.json as the report defines them), constant power and utilisation
inside each phase, so each phase's energy is power x span and its J per output token is
known exactly. Two runs carry the driver's energy counter and three do not, so both ways of
measuring energy are exercised and must agree with the same hand value.

- The GPU table, analysis.json and runs.csv show those values (J/token within 1e-6
  relative); the timeline figure is rendered when gnuplot is installed.
- Without gpu.csv the report says "no GPU telemetry" once, writes no GPU figure and leaves
  the GPU columns empty.
- A malformed gpu.csv does not stop the report: that run's GPU numbers are skipped, the
  file is listed with the line and the problem, and a caveat says so.
"""

import csv
import json
import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SOURCE = os.path.join(REPO, "report", "reference", "sim", "chimera_hetero")
HEADER = "t_mono_ns,gpu,util_pct,mem_used_mib,power_w,sm_clock_mhz,temp_c,energy_mj"
GPU_COLUMNS = ["gpu_util_seq_pct", "gpu_util_conc_pct", "energy_seq_j", "energy_conc_j",
               "j_per_token_seq", "j_per_token_conc"]

# power (W) and utilisation (%) inside each phase, and outside both
P_SEQ, U_SEQ = 120.0, 30.0
P_CONC, U_CONC = 250.0, 85.0
P_IDLE, U_IDLE = 50.0, 0.0


def bindir():
    b = os.environ.get("TANDEM_BIN", "build/bin")
    return b if os.path.isabs(b) else os.path.join(REPO, b)


REPORT = os.path.join(bindir(), "tandem-report")

pytestmark = [
    pytest.mark.skipif(not os.access(REPORT, os.X_OK),
                       reason="no tandem-report at %s (build it, or set TANDEM_BIN)" % REPORT),
    pytest.mark.skipif(not os.path.isdir(SOURCE), reason="%s is absent" % SOURCE),
]


def run(args):
    p = subprocess.run([REPORT] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=300)
    assert p.returncode == 0, "tandem-report %s exited %d:\n%s" % (" ".join(args), p.returncode, p.stderr)
    return p


def copy_cells(dest, variants=("tokio-default", "smol")):
    """The chimera_hetero cells of the given variants, as a results tree of its own."""
    for v in variants:
        shutil.copytree(os.path.join(SOURCE, v), os.path.join(dest, "chimera_hetero", v))
    return dest


def run_dirs(root, variant):
    base = os.path.join(root, "chimera_hetero", variant)
    return [os.path.join(base, d, "run_1") for d in sorted(os.listdir(base))]


def phases(records):
    """(t0, t1) of each phase and its server-counted output tokens, as the report defines them."""
    def span(agents):
        ran = [a for a in agents if a["release_ns"] > 0 and a["end_ns"] > 0]
        return min(a["release_ns"] for a in ran), max(a["end_ns"] for a in ran)

    tokens = {"sequential": 0, "concurrent": 0}
    for c in records["calls"]:
        s = c.get("server")
        if c["phase"] in tokens and s and s.get("eval_count", 0) > 0:
            tokens[c["phase"]] += s["eval_count"]
    return {"sequential": span(records["sequential"]["agents"]),
            "concurrent": span(records["concurrent"]["agents"])}, tokens


def write_gpu_csv(run_dir, counter):
    """Writes run_dir/gpu.csv; returns the hand values {phase: (util, energy_j, j_per_token)}."""
    with open(os.path.join(run_dir, "records.json")) as f:
        spans, tokens = phases(json.load(f))
    (s0, s1), (c0, c1) = spans["sequential"], spans["concurrent"]
    assert s0 < s1 < c0 < c1
    samples = []  # (t_ns, util, power)
    step = 100_000_000
    for i in range(10, 0, -1):  # a second before, idle
        samples.append((s0 - i * step, U_IDLE, P_IDLE))
    for t0, t1, u, p in ((s0, s1, U_SEQ, P_SEQ), (c0, c1, U_CONC, P_CONC)):
        for i in range(21):  # both ends sampled exactly
            samples.append((t0 + (t1 - t0) * i // 20, u, p))
    for i in range(1, 4):
        samples.append((c1 + i * step, U_IDLE, P_IDLE))
    lines = [HEADER]
    energy_mj = 1_000_000.0
    for i, (t, u, p) in enumerate(samples):
        if i:  # the counter a driver would show: the running integral (exact for these lines)
            tp, _, pp = samples[i - 1]
            energy_mj += 0.5 * (p + pp) * (t - tp) / 1e9 * 1000.0
        lines.append("%d,0,%d,20000,%.3f,1980,61,%s" % (t, u, p, "%.3f" % energy_mj if counter else ""))
    with open(os.path.join(run_dir, "gpu.csv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    out = {}
    for ph, (t0, t1), u, p in (("sequential", (s0, s1), U_SEQ, P_SEQ), ("concurrent", (c0, c1), U_CONC, P_CONC)):
        e = p * (t1 - t0) / 1e9
        out[ph] = (u, e, e / tokens[ph])
    return out


def close(got, want, rel=1e-6):
    return got is not None and abs(got - want) <= rel * abs(want)


def read_runs_csv(out):
    with open(os.path.join(out, "runs.csv")) as f:
        return list(csv.DictReader(f))


def test_gpu_numbers_from_gpu_csv(tmp_path):
    results = copy_cells(str(tmp_path / "results"))
    want = {}
    for k, d in enumerate(run_dirs(results, "tokio-default")):
        want[d] = write_gpu_csv(d, counter=k < 2)
        # the provenance the runner writes with telemetry on (interface: "gpu")
        prov_path = os.path.join(os.path.dirname(d), "provenance.json")
        with open(prov_path) as f:
            prov = json.load(f)
        prov["gpu"] = {"source": "nvml", "driver_version": "550.54.15", "cuda_driver_version": "12.4",
                       "gpus": [{"index": 0, "name": "NVIDIA H100 80GB HBM3", "uuid": "GPU-0",
                                 "memory_total_mib": 81559, "compute_cap": "9.0", "power_limit_w": 700.0}],
                       "telemetry": "on", "interval_ms": 100}
        with open(prov_path, "w") as f:
            json.dump(prov, f)
    out = str(tmp_path / "report")
    run([results, "--out", out])
    with open(os.path.join(out, "analysis.json")) as f:
        a = json.load(f)
    assert a["gpu"]["runs_with_telemetry"] == 5
    methods = []
    for r in a["runs"]:
        if r["variant"] != "tokio-default":
            assert r["gpu"] is None
            continue
        w = want[os.path.join(r["dir"], "run_1")]
        for ph in ("sequential", "concurrent"):
            g = r["gpu"][ph]
            assert close(g["util_pct"], w[ph][0]) and close(g["energy_j"], w[ph][1]), (ph, g, w[ph])
            assert close(g["j_per_token"], w[ph][2]), (ph, g, w[ph])
            methods.append(g["energy_method"])
    assert sorted(set(methods)) == ["counter", "trapezoid"]
    # the cell: means over its five runs
    cell = next(c for c in a["cells"] if c["variant"] == "tokio-default")
    mean = {ph: sum(w[ph][2] for w in want.values()) / len(want) for ph in ("sequential", "concurrent")}
    for ph in ("sequential", "concurrent"):
        assert cell["gpu"]["n_runs"] == 5
        assert close(cell["gpu"][ph]["j_per_token"], mean[ph]), (ph, cell["gpu"], mean)
    assert next(c for c in a["cells"] if c["variant"] == "smol")["gpu"] is None
    # runs.csv: the six columns, filled for the runs with telemetry and empty for the others
    rows = read_runs_csv(out)
    for row in rows:
        if row["variant"] == "smol":
            assert all(row[c] == "" for c in GPU_COLUMNS), row
            continue
        w = want[os.path.join(row["dir"], "run_1")]
        assert close(float(row["j_per_token_seq"]), w["sequential"][2])
        assert close(float(row["j_per_token_conc"]), w["concurrent"][2])
        assert close(float(row["energy_conc_j"]), w["concurrent"][1])
        assert close(float(row["gpu_util_seq_pct"]), U_SEQ) and close(float(row["gpu_util_conc_pct"]), U_CONC)
    # the Markdown GPU section: the cell's means, and the change in words
    with open(os.path.join(out, "TR115.md")) as f:
        md = f.read()
    section = md.split("## GPU\n", 1)[1].split("\n## ", 1)[0]
    row = next(line for line in section.splitlines() if line.startswith("| tokio-default"))
    cells = [c.strip() for c in row.strip("|").split("|")]
    assert cells[2] == "5" and cells[3] == "30.0" and cells[4] == "85.0", cells
    assert cells[5] == "%.4g" % mean["sequential"] and cells[6] == "%.4g" % mean["concurrent"], cells
    change = 100 * (mean["concurrent"] / mean["sequential"] - 1)
    assert cells[7] == ("%.1f%% %s" % (abs(change), "lower" if change < 0 else "higher")), cells
    assert "no GPU telemetry" not in md
    assert ("GPU (provenance.json, 5 run directories): NVIDIA H100 80GB HBM3 (GPU 0); driver 550.54.15, CUDA 12.4; "
            "telemetry on (nvml, every 100 ms).") in md
    assert all(p["gpu"]["driver_version"] == "550.54.15" for p in a["provenance"] if p["variant"] == "tokio-default")
    assert all("gpu" not in p for p in a["provenance"] if p["variant"] == "smol")
    # the timeline figure, of the first run with telemetry
    fig = next(f for f in a["figures"] if f["name"] == "fig_gpu_timeline")
    assert "tokio-default" in fig["caption"] and "rep1" in fig["caption"]
    assert os.path.getsize(os.path.join(out, "fig_gpu_timeline.dat")) > 0
    if shutil.which("gnuplot"):
        assert fig["rendered"], fig
        for ext in ("svg", "png"):
            assert os.path.getsize(os.path.join(out, "fig_gpu_timeline." + ext)) > 0


def test_no_gpu_telemetry(tmp_path):
    results = copy_cells(str(tmp_path / "results"), variants=("smol",))
    out = str(tmp_path / "report")
    run([results, "--out", out])
    with open(os.path.join(out, "TR115.md")) as f:
        md = f.read()
    assert md.count("no GPU telemetry") == 1
    assert not any(n.startswith("fig_gpu") for n in os.listdir(out))
    assert all(all(row[c] == "" for c in GPU_COLUMNS) for row in read_runs_csv(out))
    with open(os.path.join(out, "analysis.json")) as f:
        a = json.load(f)
    assert a["gpu"]["runs_with_telemetry"] == 0
    assert all(r["gpu"] is None for r in a["runs"]) and all(c["gpu"] is None for c in a["cells"])
    assert not any(c["kind"].startswith("gpu_") for c in a["caveats"])


def test_malformed_gpu_csv_skips_that_runs_gpu_numbers(tmp_path):
    results = copy_cells(str(tmp_path / "results"), variants=("tokio-default",))
    dirs = run_dirs(results, "tokio-default")
    for d in dirs:
        write_gpu_csv(d, counter=False)
    bad = os.path.join(dirs[1], "gpu.csv")
    with open(bad) as f:
        lines = f.read().splitlines()
    lines[5] = lines[5].replace(",0,", ",zero,", 1)
    with open(bad, "w") as f:
        f.write("\n".join(lines) + "\n")
    out = str(tmp_path / "report")
    p = run([results, "--out", out])
    assert bad in p.stderr and "line 6" in p.stderr
    with open(os.path.join(out, "analysis.json")) as f:
        a = json.load(f)
    assert len(a["runs"]) == 5 and a["gpu"]["runs_with_telemetry"] == 4
    skipped = [s for s in a["skipped"] if s["path"] == bad]
    assert skipped and "line 6" in skipped[0]["reason"] and "gpu" in skipped[0]["reason"]
    assert any(c["kind"] == "gpu_telemetry_unreadable" for c in a["caveats"])
    bad_run = next(r for r in a["runs"] if os.path.join(r["dir"], "run_1") == dirs[1])
    assert bad_run["gpu"] is None and bad_run["metrics"]["efficiency_pct"] is not None
    cell = a["cells"][0]
    assert cell["gpu"]["n_runs"] == 4
    with open(os.path.join(out, "TR115.md")) as f:
        md = f.read()
    assert "The gpu.csv of 1 run could not be read" in md


def test_phase_not_covered_by_samples_has_no_energy(tmp_path):
    """A gpu.csv whose samples begin only at the concurrent release: the sequential phase is
    not covered (it begins more than 2 sampling intervals before the first sample), so it has
    no energy and the report says why; the concurrent phase keeps its exact value."""
    results = copy_cells(str(tmp_path / "results"), variants=("tokio-default",))
    d = run_dirs(results, "tokio-default")[0]
    want = write_gpu_csv(d, counter=False)
    with open(os.path.join(d, "records.json")) as f:
        c0 = phases(json.load(f))[0]["concurrent"][0]
    path = os.path.join(d, "gpu.csv")
    with open(path) as f:
        lines = f.read().splitlines()
    kept = [lines[0]] + [ln for ln in lines[1:] if int(ln.split(",")[0]) >= c0]
    with open(path, "w") as f:
        f.write("\n".join(kept) + "\n")
    out = str(tmp_path / "report")
    run([results, "--out", out, "--no-plots"])
    with open(os.path.join(out, "analysis.json")) as f:
        a = json.load(f)
    g = next(r for r in a["runs"] if os.path.join(r["dir"], "run_1") == d)["gpu"]
    assert g["sequential"]["energy_j"] is None and g["sequential"]["j_per_token"] is None
    assert "start" in g["sequential"]["no_energy_reason"]
    assert close(g["concurrent"]["j_per_token"], want["concurrent"][2])
    assert any(c["kind"] == "gpu_telemetry_uncovered" for c in a["caveats"])
    row = next(r for r in read_runs_csv(out) if os.path.join(r["dir"], "run_1") == d)
    assert row["energy_seq_j"] == "" and row["j_per_token_seq"] == "" and row["j_per_token_conc"] != ""
