"""simproc — start tandem-sim for a test and find out where it listens.

    sim = start_sim(["--decode-tps", "200"], ports=2)
    conn = http.client.HTTPConnection("127.0.0.1", sim.ports[0])
    ...
    sim.stop()
    events = sim.emit_log()

The binary is $TANDEM_BIN/tandem-sim, else build/bin/tandem-sim in the repository.
Ports are always chosen by the OS (--port 0) unless the caller passes --port itself;
readiness is the --ready-file appearing (written atomically by the simulator once every
port listens), never a sleep. Standard library only.
"""

import json
import os
import signal
import subprocess
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def sim_binary():
    """Path of the tandem-sim binary under test."""
    bindir = os.environ.get("TANDEM_BIN")
    if bindir:
        if not os.path.isabs(bindir):
            bindir = os.path.join(REPO, bindir)
        return os.path.join(bindir, "tandem-sim")
    return os.path.join(REPO, "build", "bin", "tandem-sim")


class SimError(RuntimeError):
    pass


class Sim:
    """A running tandem-sim process."""

    def __init__(self, proc, tmpdir, ports, devices, host, emit_path, stderr_path):
        self.proc = proc
        self.tmpdir = tmpdir
        self.ports = ports          # real port numbers, in --port order
        self.devices = devices      # device name of each port
        self.host = host
        self.emit_path = emit_path
        self.stderr_path = stderr_path
        self.returncode = None

    def url(self, i=0):
        return "http://%s:%d" % (self.host, self.ports[i])

    def stderr(self):
        with open(self.stderr_path, "r", errors="replace") as f:
            return f.read()

    def alive(self):
        return self.proc.poll() is None

    def stop(self, timeout=10.0):
        """SIGTERM, then wait; returns the exit code (SIGKILL after timeout, then raises)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise SimError("tandem-sim did not exit within %.0fs of SIGTERM" % timeout)
        self.returncode = self.proc.returncode
        return self.returncode

    def emit_log(self, min_ends=0, timeout=5.0):
        """The emission log as a list of dicts. While the simulator runs it writes the log
        at quiet moments, so this waits (up to timeout) for at least min_ends "end"
        events; after stop() everything is there."""
        if not self.emit_path:
            raise SimError("started without an emission log")
        deadline = time.monotonic() + timeout
        while True:
            events = []
            if os.path.exists(self.emit_path):
                with open(self.emit_path, "r") as f:
                    for line in f:
                        if line.endswith("\n"):
                            events.append(json.loads(line))
            ends = sum(1 for e in events if e.get("ev") == "end")
            if ends >= min_ends or time.monotonic() >= deadline:
                return events
            time.sleep(0.02)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        try:
            self.stop()
        finally:
            self.cleanup()

    def cleanup(self):
        for name in os.listdir(self.tmpdir):
            try:
                os.unlink(os.path.join(self.tmpdir, name))
            except OSError:
                pass
        try:
            os.rmdir(self.tmpdir)
        except OSError:
            pass


def start_sim(args=(), ports=1, timeout=10.0, emit_log=True, host="127.0.0.1"):
    """Starts tandem-sim with args; adds --port 0 `ports` times unless args has --port,
    plus --ready-file (and --emit-log) in a fresh temp dir. Returns a Sim once every port
    listens; raises SimError (with the simulator's stderr) otherwise."""
    args = list(args)
    binary = sim_binary()
    if not os.access(binary, os.X_OK):
        raise SimError("no tandem-sim at %s (build it, or set TANDEM_BIN)" % binary)
    tmpdir = tempfile.mkdtemp(prefix="tandem-sim-")
    ready = os.path.join(tmpdir, "ready")
    emit_path = os.path.join(tmpdir, "emit.ndjson") if emit_log else None
    stderr_path = os.path.join(tmpdir, "stderr")
    if not any(a == "--port" or a.startswith("--port=") for a in args):
        for _ in range(ports):
            args += ["--port", "0"]
    args += ["--host", host, "--ready-file", ready]
    if emit_path:
        args += ["--emit-log", emit_path]
    with open(stderr_path, "wb") as err:
        proc = subprocess.Popen([binary] + args, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
    deadline = time.monotonic() + timeout
    while not os.path.exists(ready):
        if proc.poll() is not None:
            with open(stderr_path, "r", errors="replace") as f:
                msg = f.read()
            raise SimError("tandem-sim exited with %d before it was ready:\n%s" % (proc.returncode, msg))
        if time.monotonic() >= deadline:
            proc.kill()
            proc.wait()
            raise SimError("tandem-sim was not ready within %.0fs" % timeout)
        time.sleep(0.005)
    found, devices = [], []
    with open(ready) as f:
        for line in f:
            port, device = line.split()
            found.append(int(port))
            devices.append(device)
    return Sim(proc, tmpdir, found, devices, host, emit_path, stderr_path)
