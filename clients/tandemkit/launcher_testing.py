"""What the tests of every Python client share (clients/*/test_*.py): where the built
tools are, the client's launcher loaded as a module, and the launcher run as a program
with the tandem-report it needs. Test code only; no client imports it."""

import importlib.machinery
import importlib.util
import os
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def bindir():
    d = os.environ.get("TANDEM_BIN", os.path.join(REPO, "build", "bin"))
    return d if os.path.isabs(d) else os.path.join(REPO, d)


REPORT = os.path.join(bindir(), "tandem-report")


def load_launcher(path, name):
    """The launcher script at path as a module named name (it has no .py ending)."""
    loader = importlib.machinery.SourceFileLoader(name, path)
    spec = importlib.util.spec_from_loader(loader.name, loader)
    mod = importlib.util.module_from_spec(spec)
    loader.exec_module(mod)
    return mod


def run_launcher(path, *args, python=sys.executable):
    return subprocess.run([python, path] + list(args), capture_output=True, text=True, timeout=60,
                          env=dict(os.environ, TANDEM_REPORT=REPORT))
