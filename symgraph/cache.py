"""The on-disk cache: compiled C libraries and whole compiled functions.

    python -m symgraph.cache info      # where it is, entries and bytes per kind
    python -m symgraph.cache prune     # drop least recently used entries past the limit
    python -m symgraph.cache clear     # empty it

It lives in `$SYMGRAPH_CACHE_DIR` (default `~/.cache/symgraph`), one folder per kind of
entry (`c` for shared libraries, `functions` for whole functions; `compilers` and `blas`
for two facts a warm start would otherwise spend milliseconds finding out again: the C
compiler's version, whether SciPy's BLAS may be called). There is no lock,
global or per entry: a writer builds into a unique temporary file beside the entry and
renames it into place, which is atomic on POSIX, so any number of processes building the
same entry at once all succeed and leave valid files. An entry's name carries the SHA-256
of its contents (`<key>-<digest><suffix>`); `lookup` recomputes it, so a truncated or
corrupted entry is found, removed and rebuilt, never loaded. The cache is bounded
($SYMGRAPH_CACHE_MAX_MB, default 2048): on a process's first store and every 64th after,
the least recently used entries go (`prune`; a hit marks an entry used).

Callers choose the key: a hash (`key(...)`) of everything the entry depends on (for a C
library: the source, compiler identity and version, flags, Python/NumPy ABI and CPU).
`STATS` counts hits, builds and corrupt entries in this process, in all and per kind
('c_hits', 'functions_builds', ...), so tests can assert that a second process loaded
without compiling.
"""

from __future__ import annotations

import hashlib
import os
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from .config import config

STATS: Counter[str] = Counter()
_DIGEST_LEN = 16  # hex characters of the content digest kept in the name


def cache_dir() -> Path:
    """The cache's root folder: $SYMGRAPH_CACHE_DIR as it is now, else `sg.config.cache_dir`
    (~/.cache/symgraph unless changed)."""
    return Path(os.environ.get("SYMGRAPH_CACHE_DIR") or config.cache_dir)


def key(*parts: str | bytes) -> str:
    """A cache key: the SHA-256 of the parts (each length-prefixed, so parts cannot run
    into each other), 32 hex characters."""
    h = hashlib.sha256()
    for p in parts:
        b = p.encode() if isinstance(p, str) else p
        h.update(len(b).to_bytes(8, "little") + b)
    return h.hexdigest()[:32]


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:_DIGEST_LEN]


def _count(event: str, kind: str) -> None:
    """STATS[event] over all kinds, and STATS['<kind>_<event>'] (e.g. 'c_hits')."""
    STATS[event] += 1
    STATS[f"{kind}_{event}"] += 1


def _folder(kind: str) -> Path:
    if not kind.isidentifier():
        raise ValueError(f"cache: kind must be an identifier, got {kind!r}")
    return cache_dir() / kind


def lookup(kind: str, entry_key: str, suffix: str) -> Path | None:
    """The path of a verified entry, or None. Entries whose contents no longer match the
    digest in their name are removed (and counted in STATS['corrupt'])."""
    folder = _folder(kind)
    try:
        candidates = sorted(folder.glob(f"{entry_key}-*{suffix}"))
    except OSError:
        return None
    for path in candidates:
        digest = path.name[len(entry_key) + 1:len(path.name) - len(suffix)]
        try:
            ok = len(digest) == _DIGEST_LEN and _digest(path) == digest
        except OSError:
            continue
        if ok:
            _count("hits", kind)
            _touch(path)
            return path
        _count("corrupt", kind)
        try:
            path.unlink()
        except OSError:
            pass
    return None


def store(kind: str, entry_key: str, suffix: str, build: Callable[[Path], None]) -> Path:
    """Build an entry and rename it into place. `build(path)` writes the file at `path`
    (a unique temporary name in the cache folder); if it raises, nothing is left behind."""
    folder = _folder(kind)
    folder.mkdir(parents=True, exist_ok=True)
    import tempfile  # only writers need it (a warm start reads)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{entry_key}.", suffix=suffix + ".tmp", dir=folder)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        build(tmp)
        final = folder / f"{entry_key}-{_digest(tmp)}{suffix}"
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _count("builds", kind)
    global _STORES
    _STORES += 1
    if (_STORES - 1) % _PRUNE_EVERY == 0:  # a process's first store, then every 64th
        prune(keep=final)
    return final


# Pruning lists every entry: a process checks the size on its first store and then every
# _PRUNE_EVERY stores (a test suite stores thousands of small entries).
_PRUNE_EVERY = 64
_STORES = 0


def max_bytes() -> int:
    """The cache's size limit: $SYMGRAPH_CACHE_MAX_MB megabytes (default 2048)."""
    try:
        return int(float(os.environ.get("SYMGRAPH_CACHE_MAX_MB", "2048")) * 1e6)
    except ValueError:
        return int(2048e6)


def _touch(path: Path) -> None:
    """Mark an entry used now (its modification time orders eviction)."""
    try:
        os.utime(path)
    except OSError:  # a read-only cache still serves hits
        pass


def prune(limit: int | None = None, keep: Path | None = None) -> int:
    """Remove the least recently used entries (found or stored longest ago) until the
    cache holds at most 80% of `limit` bytes (default `max_bytes()`), once it holds more
    than `limit`; returns how many were removed. `keep` is never removed. Theano's
    compiledir only grew; this runs on a process's first store and every 64th after. A process
    that loses an entry to another's pruning finds it missing and rebuilds it."""
    limit = max_bytes() if limit is None else limit
    root = cache_dir()
    entries = []
    try:
        for folder in (p for p in root.iterdir() if p.is_dir()):
            for path in folder.iterdir():
                if path.name.startswith("."):  # another writer's temporary file
                    continue
                try:
                    st = path.stat()
                except OSError:
                    continue
                entries.append((st.st_mtime_ns, st.st_size, path))
    except OSError:
        return 0
    total = sum(size for _, size, _ in entries)
    if total <= limit:
        return 0
    removed = 0
    for _, size, path in sorted(entries, key=lambda e: e[0]):
        if total <= 0.8 * limit:
            break
        if path == keep:
            continue
        try:
            path.unlink()
        except OSError:
            continue
        total -= size
        removed += 1
    STATS["evicted"] += removed
    return removed


def lookup_or_store(kind: str, entry_key: str, suffix: str,
                    build: Callable[[Path], None]) -> Path:
    """A verified entry, built first when missing or corrupt."""
    return lookup(kind, entry_key, suffix) or store(kind, entry_key, suffix, build)


def read_bytes(kind: str, entry_key: str) -> bytes | None:
    """The contents of a verified `.bin` entry, or None."""
    path = lookup(kind, entry_key, ".bin")
    try:
        return path.read_bytes() if path else None
    except OSError:
        return None


def write_bytes(kind: str, entry_key: str, data: bytes) -> Path:
    """Store `data` as a `.bin` entry."""
    return store(kind, entry_key, ".bin", lambda p: p.write_bytes(data))


def stamp(path: str) -> list[str]:
    """A file as installed now -- its path, size and modification time -- for keys of facts
    that hold until the file is replaced (ccache's check of a compiler). Raises OSError."""
    st = os.stat(path)
    return [path, str(st.st_size), str(st.st_mtime_ns)]


def remembered(kind: str, entry_key: str, compute: Callable[[], str],
               valid: Callable[[str], bool]) -> str:
    """A small fact found out once and kept: the stored text when `valid` accepts it, else
    `compute()`, stored for the next process (a read-only cache only means computing it
    again). An exception from `compute` propagates and nothing is stored."""
    known = read_bytes(kind, entry_key)
    text = known.decode("utf-8", "replace") if known is not None else None
    if text is not None and valid(text):
        return text
    text = compute()
    try:
        write_bytes(kind, entry_key, text.encode())
    except OSError:
        pass
    return text


def discard(kind: str, entry_key: str, suffix: str = ".bin") -> None:
    """Remove every entry of a key (one that loaded but was refused by its reader)."""
    try:
        for path in _folder(kind).glob(f"{entry_key}-*{suffix}"):
            path.unlink(missing_ok=True)
    except OSError:
        pass


def info() -> dict[str, tuple[int, int]]:
    """{kind: (entries, bytes)} for every kind present."""
    out: dict[str, tuple[int, int]] = {}
    root = cache_dir()
    if not root.is_dir():
        return out
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        files = [p for p in folder.iterdir() if p.is_file() and not p.name.startswith(".")]
        out[folder.name] = (len(files), sum(p.stat().st_size for p in files))
    return out


def clear() -> int:
    """Remove every entry; returns how many files were removed."""
    root = cache_dir()
    if not root.is_dir():
        return 0
    n = sum(1 for p in root.rglob("*") if p.is_file())
    import shutil
    for folder in (p for p in root.iterdir() if p.is_dir()):
        shutil.rmtree(folder, ignore_errors=True)
    return n


def main(argv: list[str] | None = None) -> int:
    """`python -m symgraph.cache info|prune|clear`."""
    args = sys.argv[1:] if argv is None else argv
    if args == ["info"]:
        print(f"symgraph cache: {cache_dir()} (limit {max_bytes() / 1e6:.0f} MB)")
        entries = info()
        for kind, (n, size) in entries.items():
            print(f"  {kind:<10} {n:6d} entries {size / 1e6:10.2f} MB")
        if not entries:
            print("  (empty)")
        return 0
    if args == ["prune"]:
        print(f"removed {prune()} least recently used entries from {cache_dir()} "
              f"(limit {max_bytes() / 1e6:.0f} MB, $SYMGRAPH_CACHE_MAX_MB)")
        return 0
    if args == ["clear"]:
        print(f"removed {clear()} files from {cache_dir()}")
        return 0
    print("usage: python -m symgraph.cache info|prune|clear", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
