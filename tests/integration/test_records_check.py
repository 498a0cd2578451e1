"""`tandem-report check` and `tandem-report finalize` on run directories ($TANDEM_BIN).

- finalize: a C variant and python-httpx each run the same scenario against tandem-sim
  (two ports, one call failing mid-stream, two runs); their summary.json and report.md
  are deleted from a copy and `tandem-report finalize` writes them again from the raw
  records and provenance with the core's code. For both clients they must come out
  byte-identical (summary.json holds no timestamp; report.md's start time is taken from
  provenance.json), and the table printed must be the one the run printed: the Python
  client writes only raw files and calls finalize itself.
- check: a good directory passes (exit 0); copies with one field broken each (a wrong
  type, a missing required key, a token event before the call began, a negative count,
  a bad schema id, a provenance key missing) fail (exit 1) with a message naming the
  file, the run, the call index and the field. A bad command line exits 2.
"""

import copy
import json
import os
import shutil
import subprocess

import pytest

from engine import bindir, scenario_yaml, variants
from simproc import start_sim


def report_bin():
    return os.path.join(bindir(), "tandem-report")


def c_variant():
    for v in ("smol", "tokio-localset", "tokio-default", "async-std", "blocking", "smol-1kb", "curl-1kb", "smol-8kb"):
        if v in variants():
            return v
    return None


needs_bins = pytest.mark.skipif(
    not (os.access(report_bin(), os.X_OK) and os.access(os.path.join(bindir(), "tandem-sim"), os.X_OK)),
    reason="needs tandem-report and tandem-sim in $TANDEM_BIN (default build/bin)")


def report(*args):
    return subprocess.run([report_bin()] + list(args), capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """{variant: (run directory, stdout of the run)} for a C variant and python-httpx."""
    tmp = tmp_path_factory.mktemp("records")
    wanted = [v for v in (c_variant(), "python-httpx") if v and v in variants()]
    out = {}
    args = ["--decode-tps", "1000", "--prefill-tps", "100000", "--port", "0", "--port", "0",
            "--fault", "#1:error-line:3"]
    with start_sim(args) as sim:
        scen = tmp / "s.yaml"
        scen.write_text(scenario_yaml([sim.url(0), sim.url(1)], num_predict=25, steps=2, runs=2))
        for v in wanted:
            d = str(tmp / v)
            p = subprocess.run([os.path.join(bindir(), "tandem-" + v), "run", "--scenario-file", str(scen),
                                "--output-dir", d], capture_output=True, text=True, timeout=120)
            assert p.returncode == 3, (v, p.stderr)  # the injected failure makes the run incomplete
            out[v] = (d, p.stdout)
    return out


def finalized_copy(src, dst):
    shutil.copytree(src, dst)
    for name in ("summary.json", "report.md"):
        os.unlink(os.path.join(dst, name))
    return report("finalize", dst)


@needs_bins
@pytest.mark.parametrize("which", ["c", "python-httpx"])
def test_finalize_reproduces_each_clients_files_byte_for_byte(runs, tmp_path, which):
    """Both clients' summary.json and report.md come from the core's finalize: a copy
    finalized again is byte-identical, and the table the run printed is finalize's."""
    v = c_variant() if which == "c" else which
    if v not in runs:
        pytest.skip("tandem-%s is not in $TANDEM_BIN" % (v or "<C variant>"))
    src, stdout = runs[v]
    dst = str(tmp_path / "copy")
    q = finalized_copy(src, dst)
    assert q.returncode == 0, q.stderr
    for name in ("summary.json", "report.md"):
        with open(os.path.join(src, name), "rb") as f, open(os.path.join(dst, name), "rb") as g:
            assert f.read() == g.read(), name
    assert q.stdout.replace(dst, src) in stdout
    q = report("finalize", "--quiet", dst)
    assert q.returncode == 0 and q.stdout == "", q.stderr
    q = report("finalize", "--json", dst)
    with open(os.path.join(dst, "summary.json")) as f:
        assert q.returncode == 0 and q.stdout == f.read(), q.stderr


@needs_bins
def test_python_httpx_and_a_c_variant_summarise_alike(runs):
    """The same scenario on the same simulator: the two summaries have the same shape
    (one writer) and agree on what the scenario fixes."""
    if "python-httpx" not in runs or c_variant() not in runs:
        pytest.skip("needs tandem-python-httpx and a C variant in $TANDEM_BIN")
    with open(os.path.join(runs["python-httpx"][0], "summary.json")) as f, \
            open(os.path.join(runs[c_variant()][0], "summary.json")) as g:
        py, c = json.load(f), json.load(g)

    def shape(o):
        return {k: shape(v) for k, v in o.items()} if isinstance(o, dict) else type(o).__name__

    assert shape(py) == shape(c)
    assert py["variant"] == "python-httpx" and c["variant"] == c_variant()
    for key in ("runs_recorded", "failed_calls", "scenario"):
        assert py[key] == c[key], key


@needs_bins
def test_check_passes_what_the_clients_wrote(runs):
    for v, (d, _) in runs.items():
        q = report("check", d)
        assert q.returncode == 0, (v, q.stderr)
        assert "valid" in q.stdout and q.stderr == ""


def _broken(runs, tmp_path, name, edit, run=1, file="records"):
    src = runs[c_variant() or "python-httpx"][0]
    dst = str(tmp_path / name)
    shutil.copytree(src, dst)
    path = os.path.join(dst, "provenance.json") if file == "provenance" else \
        os.path.join(dst, "run_%d" % run, "records.json")
    with open(path) as f:
        doc = json.load(f)
    edit(doc)
    with open(path, "w") as f:
        json.dump(doc, f)
    q = report("check", dst)
    assert q.returncode == 1, q.stdout + q.stderr
    return q.stderr, path


def _first_call_with_events(doc):
    return next(i for i, c in enumerate(doc["calls"]) if c["events"]["dt_ns"])


CASES = {
    # name: (run, edit, call index or None, field named, words of the expectation)
    "wrong-type": (1, lambda d: d["calls"][2].__setitem__("bytes", "444"), 2, "'bytes'", "is a string"),
    "missing-key": (2, lambda d: d["calls"][1].pop("t_done_ns"), 1, "'t_done_ns'", "is missing"),
    "event-before-start": (1, lambda d: d["calls"][_first_call_with_events(d)]["events"]["dt_ns"].__setitem__(0, -5),
                           "events", "'events.dt_ns[0]'", "before the call began"),
    "negative-count": (2, lambda d: d["calls"][3].__setitem__("reads", -1), 3, "'reads'", "is -1"),
    "bad-schema": (1, lambda d: d.__setitem__("schema", "tandem.run/2"), None, "'schema'", "tandem.run/1"),
}


@needs_bins
@pytest.mark.parametrize("case", sorted(CASES))
def test_check_names_file_run_call_and_field(runs, tmp_path, case):
    run, edit, call, field, words = CASES[case]
    holder = {}

    def recording_edit(doc):
        holder["doc"] = copy.deepcopy(doc)
        edit(doc)

    err, path = _broken(runs, tmp_path, case, recording_edit, run=run)
    lines = [l for l in err.splitlines() if l.startswith(path)]
    assert len(lines) == 1, err  # the one broken field, and nothing else
    line = lines[0]
    assert ("run %d" % run) in line and field in line and words in line, line
    if call == "events":
        call = _first_call_with_events(holder["doc"])
    if call is not None:
        assert ("calls[%d]" % call) in line, line
    assert "problem(s)" in err.splitlines()[-1]


@needs_bins
def test_check_names_a_missing_provenance_key(runs, tmp_path):
    err, path = _broken(runs, tmp_path, "prov", lambda d: d.pop("variant"), file="provenance")
    assert path in err and "'variant'" in err and "missing" in err, err


@needs_bins
def test_finalize_refuses_a_broken_directory_and_writes_nothing(runs, tmp_path):
    src = runs[c_variant() or "python-httpx"][0]
    dst = str(tmp_path / "bad")
    shutil.copytree(src, dst)
    for name in ("summary.json", "report.md"):
        os.unlink(os.path.join(dst, name))
    rec = os.path.join(dst, "run_1", "records.json")
    with open(rec) as f:
        doc = json.load(f)
    doc["calls"][0]["ok"] = "yes"
    with open(rec, "w") as f:
        json.dump(doc, f)
    q = report("finalize", dst)
    assert q.returncode == 1 and "calls[0]" in q.stderr and "'ok'" in q.stderr, q.stderr
    assert not os.path.exists(os.path.join(dst, "summary.json"))


@needs_bins
def test_usage_and_help():
    assert report("check").returncode == 2
    assert report("finalize", "a", "b").returncode == 2
    assert report("check", "--bogus", "x").returncode == 2
    h = report("--help")
    assert h.returncode == 0
    for words in ("tandem-report check RUN_DIR", "tandem-report finalize RUN_DIR", "docs/records.md"):
        assert words in h.stdout, words
    q = report("check", "/nonexistent/run-dir")
    assert q.returncode == 1 and "provenance.json" in q.stderr


@needs_bins
def test_the_json_schema_accepts_what_the_clients_wrote(runs):
    """docs/records.schema.json describes what the C variant and python-httpx write (run with
    the jsonschema package when it is installed)."""
    jsonschema = pytest.importorskip("jsonschema")
    from simproc import REPO
    with open(os.path.join(REPO, "docs", "records.schema.json")) as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    records = jsonschema.Draft202012Validator(schema)
    prov = jsonschema.Draft202012Validator({"$defs": schema["$defs"], "$ref": "#/$defs/provenance"})
    for v, (d, _) in runs.items():
        with open(os.path.join(d, "provenance.json")) as f:
            prov.validate(json.load(f))
        for k in (1, 2):
            with open(os.path.join(d, "run_%d" % k, "records.json")) as f:
                doc = json.load(f)
            records.validate(doc)
            bad = copy.deepcopy(doc)
            bad["calls"][0]["reads"] = -1
            assert not records.is_valid(bad)
