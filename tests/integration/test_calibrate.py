"""What tandem-calibrate's client-cost numbers stand on, and the tool itself.

- every variant (python-httpx too) records the CPU it spent in each measured phase,
  and that CPU is part of, never more than, what the whole process used (wait4);
- the simulator sends the tokens one device run makes for a stream in one write when
  tokens are due faster than its loop turns ("instant" tokens), so the client, not the
  simulator, sets the pace; at a real decode rate every token is still its own write;
- a short tandem-calibrate run writes its JSON with the fields the docs describe and
  judges the goals on the streaming CPU.
"""

import json
import os
import resource
import subprocess

import pytest

from engine import bindir, run_variant, scenario_yaml, variants
from simproc import start_sim

VARIANTS = variants()


def children_cpu():
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


@pytest.mark.parametrize("variant", VARIANTS)
def test_each_phase_records_the_client_cpu(variant, tmp_path):
    with start_sim(["--decode-tps", "1e6", "--prefill-tps", "1e8", "--max-tokens", "100000"], ports=2) as sim:
        before = children_cpu()
        res = run_variant(variant, scenario_yaml([sim.url(0), sim.url(1)], num_predict=3000, steps=1, runs=2),
                          tmp_path)
        process_cpu = children_cpu() - before
    assert res.returncode == 0, res.stderr
    phases = 0.0
    for run in (1, 2):
        rec = res.records(run)
        for phase in ("sequential", "concurrent"):
            cpu = rec[phase]["client_cpu"]
            assert set(cpu) == {"user_ns", "sys_ns"}
            assert all(isinstance(v, int) and v >= 0 for v in cpu.values())
            phases += (cpu["user_ns"] + cpu["sys_ns"]) / 1e9
    # 24,000 token events cannot be read for nothing, and the phases are part of the
    # process (the two come from the same kernel accounting; 1 ms for its rounding).
    assert phases > 0
    assert phases <= process_cpu + 1e-3


def one_stream(tmp_path, decode_tps, num_predict):
    """One generate call alone against a fresh simulator: the run's result, and the
    number of distinct write instants and of tokens in the emission log."""
    variant = "smol" if "smol" in VARIANTS else VARIANTS[0]
    with start_sim(["--decode-tps", str(decode_tps), "--prefill-tps", "1e8"], ports=1) as sim:
        res = run_variant(variant, scenario_yaml([sim.url(0)], num_predict=num_predict, steps=1, warmup=False,
                                                 extra="phases: [sequential]\n"), tmp_path)
        sim.stop()
        toks = [e for e in sim.emit_log() if e.get("port") == sim.ports[0] and "i" in e]
    assert res.returncode == 0, res.stderr
    return res, len({e["t_ns"] for e in toks}), len(toks)


def test_overdue_tokens_leave_in_few_writes(tmp_path):
    res, writes, tokens = one_stream(tmp_path, "1e6", 5000)
    assert tokens == 5000
    calls = res.calls("sequential")
    assert len(calls) == 1 and calls[0]["server"]["eval_count"] == 5000
    assert len(calls[0]["events"]["dt_ns"]) == 5000  # every token still arrives, once
    assert writes < tokens / 4


def test_tokens_held_back_still_precede_a_disconnect(tmp_path):
    """At instant rates tokens 1..3 of a run wait for its end; a disconnect fault after
    4 tokens must still deliver all 4 before the connection drops."""
    variant = "smol" if "smol" in VARIANTS else VARIANTS[0]
    for attempt in range(3):  # each attempt a fresh simulator, run and output folder
        out = tmp_path / ("attempt%d" % attempt)
        out.mkdir()
        with start_sim(["--decode-tps", "1e6", "--prefill-tps", "1e8", "--port", "0",
                        "--fault", "#0:disconnect:4"]) as sim:
            res = run_variant(variant, scenario_yaml([sim.url(0)], num_predict=50, steps=1, warmup=False,
                                                     extra="phases: [sequential]\n"), out)
        assert res.returncode == 3, res.stderr
        call = res.calls("sequential")[0]
        assert call["error"]["kind"] == "disconnected", call["error"]
        assert len(call["events"]["dt_ns"]) == 4


@pytest.mark.timing
def test_real_rate_tokens_are_each_their_own_write(tmp_path):
    _, writes, tokens = one_stream(tmp_path, 200, 30)
    assert tokens == 30 and writes == 30


def test_short_calibration_run(tmp_path):
    chosen = [v for v in ("smol", "python-httpx") if v in VARIANTS]
    if "smol" not in chosen:
        pytest.skip("tandem-smol not built")
    work = str(tmp_path / "cal")
    cmd = [os.path.join(bindir(), "tandem-calibrate"), "--variants", ",".join(chosen + ["raw-reader"]),
           "--agents", "2", "--eff-runs", "1", "--eff-tokens", "5", "--tp-tokens", "500", "--tp-repeat", "1",
           "--tp-runs", "1", "--work", work, "--quiet"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "events/cpu-s" in proc.stdout and "=== goals ===" in proc.stdout
    with open(os.path.join(work, "calibrate.json")) as f:
        doc = json.load(f)
    assert doc["schema"] == "tandem.calibrate/1"
    rows = {r["variant"]: r for r in doc["rows"]}
    assert set(rows) == set(chosen) | {"raw-reader"}
    for name, row in rows.items():
        tp = row["throughput"]
        assert tp["ok"], tp
        # 4 agents, one sequential and one concurrent call each, 500 tokens per call
        assert tp["events"] == 4 * 2 * 500, name
        assert 0 < tp["stream_cpu_s"] <= tp["process_cpu_s"] + 1e-3, name
        assert tp["events_per_cpu_s"] == pytest.approx(tp["events"] / tp["stream_cpu_s"])
        assert tp["process_events_per_cpu_s"] == pytest.approx(tp["events"] / tp["process_cpu_s"])
    goals = doc["goals"]
    assert goals["best_c_variant"] == "smol"
    assert goals["best_c_events_per_cpu_s"] == pytest.approx(rows["smol"]["throughput"]["events_per_cpu_s"])
    raw = rows["raw-reader"]["throughput"]["events_per_cpu_s"]
    assert goals["vs_raw_reader"]["ratio"] == pytest.approx(goals["best_c_events_per_cpu_s"] / raw)
    assert goals["vs_raw_reader"]["met"] == (goals["vs_raw_reader"]["ratio"] >= 0.5)
    # The call that ended each efficiency run is split into the client's and the
    # simulator's parts, each measured on the one clock and so never negative.
    eff = rows["smol"]["efficiency"][0]
    split = eff["end_split_ms"]
    assert split["runs"] == 1
    for part in ("dispatch", "reach", "sim_late", "read"):
        assert split[part] >= 0, (part, split)
    assert 0 <= eff["sim_late_ms"]["p50"] <= eff["sim_late_ms"]["p99"]
    assert "=== where the last call's time went, N=2" in proc.stdout
