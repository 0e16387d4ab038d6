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


def _aged(path, seconds_ago: float) -> None:
    import os
    import time
    t = time.time() - seconds_ago
    os.utime(path, (t, t))


def test_the_least_recently_used_entries_go_when_the_cache_passes_its_limit(monkeypatch):
    monkeypatch.setenv("SYMGRAPH_CACHE_MAX_MB", "0.001")  # 1,000 bytes
    monkeypatch.setattr(cache, "_PRUNE_EVERY", 1)  # check on every store
    keys = [cache.key(str(i)) for i in range(3)]
    paths = [cache.write_bytes("t", k, bytes(300)) for k in keys]  # 900 bytes: all kept
    for path, age in zip(paths, (300, 200, 100), strict=True):
        _aged(path, age)
    assert cache.STATS["evicted"] == 0 and all(p.exists() for p in paths)
    assert cache.read_bytes("t", keys[0]) == bytes(300)  # a hit: now the most recent
    newest = cache.write_bytes("u", cache.key("new"), bytes(300))  # 1,200 > 1,000
    # Down to 80% (800 bytes): the two least recently used go, never the one just stored.
    assert cache.STATS["evicted"] == 2
    assert newest.exists() and paths[0].exists()
    assert not paths[1].exists() and not paths[2].exists()
    assert cache.read_bytes("t", keys[1]) is None  # gone means a miss, then a rebuild
    assert sum(p.stat().st_size for p in cache.cache_dir().rglob("*") if p.is_file()) <= 800


def test_a_process_checks_the_size_on_its_first_store_then_every_so_often(monkeypatch):
    checked = []
    monkeypatch.setattr(cache, "prune", lambda keep=None: checked.append(keep))
    monkeypatch.setattr(cache, "_STORES", 0)
    monkeypatch.setattr(cache, "_PRUNE_EVERY", 3)
    paths = [cache.write_bytes("t", cache.key(str(i)), b"x") for i in range(7)]
    assert checked == [paths[0], paths[3], paths[6]]


def test_prune_leaves_a_cache_under_its_limit_alone_and_skips_temporaries(monkeypatch):
    path = cache.write_bytes("t", cache.key("a"), bytes(500))
    tmp = path.parent / ".someone-elses.bin.tmp"
    tmp.write_bytes(bytes(5000))
    assert cache.prune(limit=1000) == 0 and path.exists() and tmp.exists()
    assert cache.prune(limit=100) == 1 and not path.exists() and tmp.exists()


def test_the_command_line_prunes_and_reports_the_limit(tmp_path, monkeypatch):
    monkeypatch.setenv("SYMGRAPH_CACHE_MAX_MB", "5")
    cache.write_bytes("t", cache.key("a"), b"x")
    out = subprocess.run([sys.executable, "-m", "symgraph.cache", "info"], text=True,
                         capture_output=True, check=True).stdout
    assert "(limit 5 MB)" in out and "1 entries" in out
    out = subprocess.run([sys.executable, "-m", "symgraph.cache", "prune"], text=True,
                         capture_output=True, check=True).stdout
    assert out.startswith("removed 0 least recently used entries")


def test_a_remembered_fact_is_computed_once_and_checked_when_read():
    k = cache.key("fact")
    calls = []

    def compute() -> str:
        calls.append(1)
        return "42"

    def valid(text: str) -> bool:
        return text.isdigit()

    assert cache.remembered("facts", k, compute, valid) == "42" and len(calls) == 1
    assert cache.remembered("facts", k, compute, valid) == "42" and len(calls) == 1
    cache.discard("facts", k)
    cache.write_bytes("facts", k, b"not a number")  # refused by `valid`: computed again
    assert cache.remembered("facts", k, compute, valid) == "42" and len(calls) == 2
    def fail() -> str:
        raise RuntimeError("no answer")

    other = cache.key("fails")
    with pytest.raises(RuntimeError, match="no answer"):
        cache.remembered("facts", other, fail, valid)
    assert cache.read_bytes("facts", other) is None  # a failure is not remembered
