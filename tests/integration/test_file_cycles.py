"""No circles between the files of one src/ module: tests/tools/check_file_cycles.py run
against the objects of the build under test ($TANDEM_BIN/../obj) and the sources, and
against small made-up modules to show that it finds a cycle and names it."""
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
SCRIPT = os.path.join(ROOT, "tests", "tools", "check_file_cycles.py")


def run_check(*args):
    return subprocess.run([sys.executable, SCRIPT, *args], capture_output=True, text=True, timeout=300)


def obj_dir():
    return os.path.abspath(os.path.join(os.environ.get("TANDEM_BIN", os.path.join(ROOT, "build", "bin")), "..", "obj"))


def test_src_has_no_cycle_between_files_of_one_module(tmp_path):
    obj = obj_dir()
    if not os.path.isdir(os.path.join(obj, "core")):
        pytest.skip(f"no objects under {obj}: build first (TANDEM_BIN names the build's bin/)")
    dot = tmp_path / "src.dot"
    r = run_check("--src", os.path.join(ROOT, "src"), "--obj", obj, "--dot", str(dot))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "check_file_cycles: ok" in r.stdout
    assert dot.read_text().startswith("digraph src {")


def write(path, text):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))


def test_an_include_cycle_fails_and_is_printed(tmp_path):
    write(tmp_path / "src/m/a.h", '#include "m/b.h"\n')
    write(tmp_path / "src/m/b.h", '#include "m/a.h"\n')
    write(tmp_path / "src/m/c.c", '#include "m/a.h"\n')
    r = run_check("--src", str(tmp_path / "src"))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "includes cycle in m/ between 2 files: m/a.h m/b.h" in r.stdout
    assert "-> m/b.h   (#include)" in r.stdout


def cc():
    for name in (os.environ.get("CC"), "cc", "gcc", "clang"):
        if name and subprocess.run(["sh", "-c", f"command -v {name}"], capture_output=True).returncode == 0:
            return name
    return None


def test_a_call_cycle_fails_and_names_the_symbols(tmp_path):
    compiler = cc()
    if not compiler:
        pytest.skip("no C compiler")
    src, obj = tmp_path / "src", tmp_path / "obj"
    write(src / "m/hub.c", "int m_leaf(int); int m_hub(int x) { return m_leaf(x) + 1; }\n")
    write(src / "m/leaf.c", "int m_hub(int); int m_leaf(int x) { return x > 0 ? m_hub(x - 1) : 0; }\n")
    write(src / "m/low.c", "int m_low(void); int m_low(void) { return 0; }\n")
    (obj / "m").mkdir(parents=True)
    for name in ("hub", "leaf", "low"):
        subprocess.run([compiler, "-c", "-o", str(obj / "m" / f"{name}.o"), str(src / "m" / f"{name}.c")], check=True)
    r = run_check("--src", str(src), "--obj", str(obj))
    assert r.returncode == 1, r.stdout + r.stderr
    assert "calls cycle in m/ between 2 files: m/hub.c m/leaf.c" in r.stdout
    assert "-> m/leaf.c   (m_leaf)" in r.stdout
    assert "-> m/hub.c   (m_hub)" in r.stdout
    assert "m/low.c" not in r.stdout.split("check_file_cycles:")[0]
