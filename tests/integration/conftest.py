"""Makes the helpers beside the tests importable (simproc, engine)."""
import os
import shutil
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "timing: asserts wall-clock bounds (efficiency, latency, token gaps) that hold on an "
        "otherwise idle machine; the Nix build's check deselects them (-m 'not timing', tests/nix/README.md)")


_OWN_LOCK_DIR = []


def pytest_sessionstart(session):
    """Runs and sweep cells lock their servers host-wide (src/core/endpoint_lock.c). The
    simulators here listen on fresh ports nobody else measures, so their lock files go to a
    folder of the session's own rather than into the host's /tmp/tandem-locks, one file per
    port; a test about the lock sets TANDEM_LOCK_DIR itself."""
    if "TANDEM_LOCK_DIR" not in os.environ:
        _OWN_LOCK_DIR.append(tempfile.mkdtemp(prefix="tandem-test-locks-"))
        os.environ["TANDEM_LOCK_DIR"] = _OWN_LOCK_DIR[0]


def pytest_sessionfinish(session, exitstatus):
    for d in _OWN_LOCK_DIR:
        shutil.rmtree(d, ignore_errors=True)
