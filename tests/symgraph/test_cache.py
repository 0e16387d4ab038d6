"""The on-disk cache's store: atomic entries, corruption found by digest, many writers."""

from __future__ import annotations

import subprocess
import sys

import pytest

from symgraph import cache


@pytest.fixture(autouse=True)
def _own_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMGRAPH_CACHE_DIR", str(tmp_path / "cache"))
    cache.STATS.clear()


def test_store_then_lookup_returns_the_same_bytes():
    k = cache.key("source", b"flags")
    assert cache.read_bytes("t", k) is None
    cache.write_bytes("t", k, b"hello")
    assert cache.read_bytes("t", k) == b"hello"
    assert cache.STATS["builds"] == 1 and cache.STATS["hits"] == 1


def test_key_parts_do_not_run_into_each_other():
    assert cache.key("ab", "c") != cache.key("a", "bc")
    assert cache.key("ab", "c") == cache.key("ab", "c")


def test_corrupt_entry_is_removed_and_rebuilt():
    k = cache.key("x")
    path = cache.write_bytes("t", k, b"0123456789")
    path.write_bytes(b"01234")  # truncated
    assert cache.read_bytes("t", k) is None
    assert cache.STATS["corrupt"] == 1 and not path.exists()
    built = []
    cache.lookup_or_store("t", k, ".bin", lambda p: built.append(p.write_bytes(b"new")))
    assert built and cache.read_bytes("t", k) == b"new"


def test_failed_build_leaves_nothing_behind():
    def boom(p):
        p.write_bytes(b"half")
        raise RuntimeError("compiler died")
    with pytest.raises(RuntimeError, match="compiler died"):
        cache.store("t", cache.key("y"), ".so", boom)
    assert list((cache.cache_dir() / "t").iterdir()) == []


def test_bad_kind_is_refused():
    with pytest.raises(ValueError, match="kind must be an identifier"):
        cache.lookup("../etc", "k", ".bin")


def test_eight_processes_storing_one_entry_all_succeed(tmp_path):
    code = ("import sys, time; from symgraph import cache; k = cache.key('same');"
            "p = cache.lookup_or_store('t', k, '.bin', lambda p: (time.sleep(0.2), "
            "p.write_bytes(b'x' * 100000))); print(len(p.read_bytes()))")
    procs = [subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
             for _ in range(8)]
    outs = [p.communicate(timeout=60)[0].strip() for p in procs]
    assert [p.returncode for p in procs] == [0] * 8 and outs == ["100000"] * 8
    entries = [p for p in (cache.cache_dir() / "t").iterdir()]
    assert entries and all(not p.name.startswith(".") for p in entries)
    assert cache.read_bytes("t", cache.key("same")) == b"x" * 100000


def test_cli_info_and_clear(capsys):
    cache.write_bytes("functions", cache.key("f"), b"abc")
    assert cache.main(["info"]) == 0
    out = capsys.readouterr().out
    assert "functions" in out and "1 entries" in out
    assert cache.main(["clear"]) == 0
    assert "removed 1 files" in capsys.readouterr().out
    assert cache.info() == {}
    assert cache.main(["bogus"]) == 2
