"""engine — run a tandem variant binary against tandem-sim from a test.

    with start_sim([...], ports=2) as sim:
        res = run_variant("tokio-localset", scenario_yaml(sim, num_predict=40), tmp_path)
        res.summary["runs"][0]["efficiency_pct"]

Variants under test are the tandem-<variant> binaries in $TANDEM_BIN (default build/bin)
other than the tools. Standard library only.
"""

import glob
import json
import os
import subprocess

from simproc import REPO

TOOLS = {"tandem-sim", "tandem-report", "tandem-sweep", "tandem-calibrate", "tandem-gpu-telemetry"}


def bindir():
    d = os.environ.get("TANDEM_BIN", os.path.join(REPO, "build", "bin"))
    return d if os.path.isabs(d) else os.path.join(REPO, d)


# Clients that speak only OpenAI's API: every scenario the looped tests write is Ollama's
# (api generate or chat), which they refuse by design; test_sdk_clients.py and
# test_openai_api.py test them.
OPENAI_ONLY = {"openai-python"}


def variants():
    """Names of the variant binaries built that speak Ollama's API, sorted."""
    names = []
    for path in glob.glob(os.path.join(bindir(), "tandem-*")):
        base = os.path.basename(path)
        if base not in TOOLS and os.access(path, os.X_OK) and base[len("tandem-"):] not in OPENAI_ONLY:
            names.append(base[len("tandem-"):])
    return sorted(names)


def scenario_yaml(urls, num_predict=40, steps=2, runs=1, warmup=True, model="gemma3:latest",
                  timeouts=None, max_line_bytes=None, extra=""):
    """A scenario with one agent per URL, each making `steps` calls."""
    lines = ["name: test", "runs: %d" % runs, "seed: 7", "warmup: %s" % ("true" if warmup else "false")]
    if timeouts:
        lines.append("timeouts: {%s}" % ", ".join("%s: %d" % kv for kv in sorted(timeouts.items())))
    if max_line_bytes:
        lines.append("max_line_bytes: %d" % max_line_bytes)
    lines += ["defaults:", "  model: %s" % model, "  options: {num_predict: %d, temperature: 0}" % num_predict,
              "agents:"]
    for i, url in enumerate(urls):
        lines += ["  - name: agent%d" % i, "    url: %s" % url, "    steps:"]
        lines.append("      - {name: analysis, prompt: \"Describe the data set %d in detail.\"}" % i)
        for k in range(1, steps):
            lines.append("      - {name: step%d, prompt: \"Summarise: {previous}\"}" % (k + 1))
    return "\n".join(lines) + "\n" + extra


class Result:
    def __init__(self, proc, outdir):
        self.returncode = proc.returncode
        self.stdout = proc.stdout
        self.stderr = proc.stderr
        self.outdir = outdir

    def _load(self, name):
        with open(os.path.join(self.outdir, name)) as f:
            return json.load(f)

    @property
    def summary(self):
        return self._load("summary.json")

    @property
    def provenance(self):
        return self._load("provenance.json")

    def records(self, run=1):
        return self._load(os.path.join("run_%d" % run, "records.json"))

    def calls(self, phase=None):
        out = []
        k = 1
        while os.path.exists(os.path.join(self.outdir, "run_%d" % k, "records.json")):
            out += [c for c in self.records(k)["calls"] if phase is None or c["phase"] == phase]
            k += 1
        return out


def run_variant(variant, yaml_text, tmp_path, args=(), timeout=120):
    """Writes the scenario, runs `tandem-<variant> run`, returns a Result."""
    tmp_path = str(tmp_path)
    scen = os.path.join(tmp_path, "scenario.yaml")
    with open(scen, "w") as f:
        f.write(yaml_text)
    outdir = os.path.join(tmp_path, "out-" + variant)
    cmd = [os.path.join(bindir(), "tandem-" + variant), "run", "--scenario-file", scen,
           "--output-dir", outdir, "--quiet"] + list(args)
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    return Result(proc, outdir)
