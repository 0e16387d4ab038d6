"""The compiler driver and the disk cache of compiled modules: a second process loads
without compiling, a corrupt entry is rebuilt, 8 processes compiling one function at
once all succeed; no compiler -> 'auto' falls back with one warning, 'c' raises with the
compiler's message and the generated file's path."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import symgraph as sg
from symgraph.codegen import cbuild
from tests.helpers import needs_cc

ROOT = Path(__file__).resolve().parents[3]
function_module = importlib.import_module("symgraph.function")

# A function no other test compiles (its own constant), so the cache starts cold.
SCRIPT = textwrap.dedent("""
    import json, sys
    import numpy as np
    import symgraph as sg
    from symgraph import cache
    from symgraph.codegen import cbuild
    x = sg.dvector("x")
    f = sg.function([x], sg.exp(x) * {c} + sg.tanh(x), backend="c")
    v = np.linspace(-1, 1, 5)
    ok = bool(np.allclose(f(v), np.exp(v) * {c} + np.tanh(v), rtol=1e-12))
    print(json.dumps({{"ok": ok, "compiles": cbuild.STATS["compiles"],
                      "hits": cache.STATS["c_hits"], "corrupt": cache.STATS["c_corrupt"]}}))
""")


def _run(tmp: Path, c: float, n: int = 1) -> list[dict]:
    import json
    env = dict(os.environ, SYMGRAPH_CACHE_DIR=str(tmp), PYTHONPATH=str(ROOT))
    code = SCRIPT.format(c=c)
    procs = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(n)]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    return results


@needs_cc
def test_second_process_loads_without_compiling_and_corrupt_entry_is_rebuilt(
        tmp_path: Path) -> None:
    (first,) = _run(tmp_path, 1.25)
    assert first == {"ok": True, "compiles": 1, "hits": 0, "corrupt": 0}
    (second,) = _run(tmp_path, 1.25)
    assert second == {"ok": True, "compiles": 0, "hits": 1, "corrupt": 0}
    (entry,) = (tmp_path / "c").glob("*.so")
    entry.write_bytes(entry.read_bytes()[:1000])  # truncated
    (third,) = _run(tmp_path, 1.25)
    assert third == {"ok": True, "compiles": 1, "hits": 0, "corrupt": 1}
    assert len(list((tmp_path / "c").glob("*.so"))) == 1


@needs_cc
def test_eight_processes_compiling_one_function_all_succeed(tmp_path: Path) -> None:
    results = _run(tmp_path, 2.5, n=8)
    assert all(r["ok"] for r in results)
    assert sum(r["compiles"] for r in results) >= 1
    entries = list((tmp_path / "c").glob("*.so"))
    assert len(entries) == 1  # same name, renamed into place by each writer
    assert not list((tmp_path / "c").glob(".*.tmp"))  # no temporary left behind


def test_no_compiler_auto_falls_back_with_one_warning(monkeypatch) -> None:
    monkeypatch.setattr(function_module, "AUTO_USES_C", True)
    monkeypatch.setattr(function_module, "_WARNED", set())
    x = sg.dvector("x")
    with sg.config.change(cxx="/nonexistent/cc"), warnings.catch_warnings(record=True) as w:
        warnings.simplefilter("always")
        f = sg.function([x], x * 2 + 1, backend="auto")
        g = sg.function([x], x * 3 + 1, backend="auto")
    assert f.backend == "numpy" and g.backend == "numpy"
    msgs = [str(m.message) for m in w if "NumPy backend" in str(m.message)]
    assert len(msgs) == 1 and "/nonexistent/cc" in msgs[0]
    np.testing.assert_array_equal(f(np.ones(3)), np.full(3, 3.0))


def test_no_compiler_c_raises_naming_it() -> None:
    x = sg.dvector("x")
    with sg.config.change(cxx="/nonexistent/cc"), \
            pytest.raises(cbuild.CompileError, match="/nonexistent/cc"):
        sg.function([x], x * 2 + 1, backend="c")


@needs_cc
def test_compile_error_names_the_message_and_the_generated_file(monkeypatch,
                                                                tmp_path: Path) -> None:
    monkeypatch.setenv("SYMGRAPH_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(function_module, "AUTO_USES_C", True)
    monkeypatch.setattr(function_module, "_WARNED", set())
    x = sg.dvector("x")
    with sg.config.change(cflags="-fno-such-flag-for-sure"):
        with pytest.raises(cbuild.CompileError) as info:
            sg.function([x], sg.exp(x) + 1, backend="c")
        msg = str(info.value)
        assert "no-such-flag" in msg and "generated file:" in msg
        path = msg.split("generated file: ")[1].split(")")[0]
        assert Path(path).read_text().startswith("/* symgraph's C backend")
        with pytest.warns(RuntimeWarning, match="NumPy backend: C compilation failed"):
            f = sg.function([x], sg.exp(x) + 1, backend="auto")
    assert f.backend == "numpy"


@needs_cc
def test_source_shows_the_c_module_next_to_the_python_driver() -> None:
    x = sg.dvector("x")
    f = sg.function([x], sg.exp(x) * 2, backend="c")
    src = f.source
    assert src.index("/* C module */") < src.index("# Python driver") < src.index("def f(x)")
    assert "SG_KERNEL PyObject *k0" in src and "_ck" in src.split("# Python driver")[1]


@needs_cc
def test_auto_is_c_with_a_compiler() -> None:
    # A fresh process with the user's default settings (the suite pins 'auto' to NumPy).
    code = textwrap.dedent("""
        import numpy as np, symgraph as sg
        x = sg.vector('x')
        f = sg.function([x], sg.exp(x) + 1)
        print(sg.config.backend, f.backend, '/* C module */' in f.source,
              float(f(np.zeros(3, dtype='float32'))[0]))
    """)
    env = {k: v for k, v in os.environ.items() if k != "SYMGRAPH_FLAGS"}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                         text=True, check=True, cwd=ROOT).stdout.split()
    assert out == ["auto", "c", "True", "2.0"]


def _fake_compiler(path: Path, version: str) -> None:
    path.write_text(f"#!/bin/sh\necho '{version}'\n")
    path.chmod(0o755)


def test_compiler_version_is_remembered_on_disk_until_the_binary_changes(
        tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("SYMGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cbuild, "_PROBED", {})
    runs = []
    real = cbuild._run_probe
    monkeypatch.setattr(cbuild, "_run_probe", lambda cxx: runs.append(cxx) or real(cxx))
    cc = tmp_path / "fakecc"
    _fake_compiler(cc, "fakecc (Fake) 1.0")
    with sg.config.change(cxx=str(cc)):
        assert cbuild.compiler() == (str(cc), "fakecc (Fake) 1.0")
        assert len(runs) == 1
        cbuild._PROBED.clear()  # a new process: the version comes from the cache
        assert cbuild.compiler()[1] == "fakecc (Fake) 1.0" and len(runs) == 1
        _fake_compiler(cc, "fakecc (Fake) 2.0 -- upgraded")  # another size: probed again
        cbuild._PROBED.clear()
        assert cbuild.compiler()[1] == "fakecc (Fake) 2.0 -- upgraded" and len(runs) == 2
    # Found on $PATH by name, through a symlink, like gcc -> gcc-12.
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "cc-link").symlink_to(cc)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ['PATH']}")
    cbuild._PROBED.clear()
    with sg.config.change(cxx="cc-link"):
        assert cbuild.compiler()[1] == "fakecc (Fake) 2.0 -- upgraded" and len(runs) == 3
        cbuild._PROBED.clear()
        assert cbuild.compiler()[1] == "fakecc (Fake) 2.0 -- upgraded" and len(runs) == 3


def test_a_tampered_or_failed_probe_is_never_trusted(tmp_path: Path, monkeypatch) -> None:
    from symgraph import cache
    monkeypatch.setenv("SYMGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(cbuild, "_PROBED", {})
    cc = tmp_path / "fakecc"
    _fake_compiler(cc, "fakecc 1.0")
    key = cbuild._binary_key(str(cc))
    cache.write_bytes(cbuild._PROBE_KIND, key, b"evil\x1b[2J\nline")  # not one clean line
    with sg.config.change(cxx=str(cc)):
        assert cbuild.compiler()[1] == "fakecc 1.0"
    broken = tmp_path / "brokencc"
    broken.write_text("#!/bin/sh\necho 'no such option' >&2\nexit 1\n")
    broken.chmod(0o755)
    cbuild._PROBED.clear()
    with sg.config.change(cxx=str(broken)), pytest.raises(cbuild.CompileError,
                                                          match="--version failed"):
        cbuild.compiler()
    assert cache.read_bytes(cbuild._PROBE_KIND, cbuild._binary_key(str(broken))) is None
