"""Makes the helpers beside the tests importable (simproc, engine)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "timing: asserts wall-clock bounds (efficiency, latency, token gaps) that hold on an "
        "otherwise idle machine; the Nix build's check deselects them (-m 'not timing', tests/nix/README.md)")
