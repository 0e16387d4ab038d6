"""The C compiler driver: probe the compiler once per process, compile a CPython extension
module through the on-disk cache (`symgraph/cache.py`), load it.

A generated module is a CPython extension (not a ctypes library): a kernel call is one
`METH_FASTCALL` call that reads the arrays' data, shapes and strides itself, so calling
C costs what calling a NumPy ufunc costs (ctypes needs a pointer and a stride array per
argument: several microseconds per call).

The cache key holds everything the binary depends on: the source, the compiler's
identity and version, the flags, the Python and NumPy ABI and the CPU's features (the
flags say -march=native). The cache renames finished files into place, so any number of
processes compiling one module at once all succeed, and a corrupt entry is rebuilt.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.machinery
import importlib.util
import os
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType

from .. import cache
from ..config import config

# -O2 with the vectorizer's cheap cost model: the kernels' `#pragma omp simd` loops
# vectorize (including the softmax's exp-and-sum) at half the compile time of -O3.
# -fno-math-errno lets the vectorizer call glibc's SIMD math (libmvec); NaN and inf keep
# their IEEE meaning (no -ffast-math). -fwrapv: integer overflow wraps, as in NumPy.
BASE_FLAGS = ("-O2", "-fvect-cost-model=cheap", "-march=native", "-fopenmp-simd",
              "-fno-math-errno", "-fwrapv", "-fPIC", "-shared", "-pthread",
              "-fvisibility=hidden", "-w")
STATS: Counter[str] = Counter()   # compiles, loads: tests assert on them


class CompileError(RuntimeError):
    """The C compiler failed (its message and the generated file's path are in the text)."""


_PROBED: dict[str, str | CompileError] = {}
# Version lines of compilers probed by earlier processes, keyed by the binary's path, size
# and modification time (ccache's check): a warm start runs no subprocess.
_PROBE_KIND = "compilers"


def _probe(cxx: str) -> str:
    """`cxx --version`'s first line (asked once per compiler binary, remembered on disk);
    raises CompileError when the compiler does not run."""
    if cxx not in _PROBED:
        try:
            key = _binary_key(cxx)
            _PROBED[cxx] = _run_probe(cxx) if key is None else cache.remembered(
                _PROBE_KIND, key, lambda: _run_probe(cxx),
                lambda line: line.isprintable() and 0 < len(line) < 500)
        except CompileError as e:
            _PROBED[cxx] = e
    found = _PROBED[cxx]
    if isinstance(found, CompileError):
        raise CompileError(str(found))
    return found


def _run_probe(cxx: str) -> str:
    import subprocess  # only a first probe or a compile runs a process (import time)
    try:
        out = subprocess.run([cxx, "--version"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError) as e:
        raise CompileError(f"C compiler {cxx!r} cannot be run: {e}") from None
    if out.returncode != 0:
        raise CompileError(f"C compiler {cxx!r} --version failed: {out.stderr.strip()}")
    return (out.stdout.splitlines() or ["?"])[0]


def _binary_key(cxx: str) -> str | None:
    """A key naming the compiler binary `cxx` resolves to (on $PATH, symlinks followed)
    as it is now, or None when it is not found."""
    folders = [""] if os.sep in cxx else os.environ.get("PATH", os.defpath).split(os.pathsep)
    for folder in folders:
        path = os.path.join(folder, cxx)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return cache.key("compiler", cxx, *cache.stamp(os.path.realpath(path)))
    return None


def compiler() -> tuple[str, str]:
    """(command, version line) of the configured compiler (`sg.config.cxx`)."""
    return config.cxx, _probe(config.cxx)


def flags() -> tuple[str, ...]:
    """The compile flags: the base set plus `sg.config.cflags` (split on spaces)."""
    return BASE_FLAGS + tuple(config.cflags.split())


@functools.lru_cache(maxsize=1)
def _cpu_features() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as f:
            for line in f:
                if line.startswith("flags"):
                    return cache.key(line)[:16]
    except OSError:
        pass
    import platform
    return platform.processor() or platform.machine()


def _abi() -> str:
    import numpy as np
    soabi = importlib.machinery.EXTENSION_SUFFIXES[0]  # '.cpython-311-x86_64-linux-gnu.so'
    return f"{sys.implementation.cache_tag} {soabi} numpy {np.__version__}"


def module_name(body: str) -> str:
    """The extension's name: a hash of its code (PyInit_<name> must match it)."""
    return "sgk_" + hashlib.sha256(body.encode()).hexdigest()[:20]


_LOADED: dict[str, ModuleType] = {}


def build(name: str, sources: list[str]) -> ModuleType:
    """Compile (or find in the cache) and load the extension module `name` made of the
    C files `sources` (compiled at once, then linked)."""
    if name in _LOADED:
        return _LOADED[name]
    cxx, version = compiler()
    fl = flags()
    key = cache.key(*sources, cxx, version, " ".join(fl), _abi(), _cpu_features())
    path = cache.lookup_or_store("c", key, ".so", lambda out: _compile(sources, out, cxx, fl))
    try:
        module = _load(name, path)
    except ImportError:  # a valid-looking entry that does not load: rebuild it once
        path.unlink(missing_ok=True)
        path = cache.store("c", key, ".so", lambda out: _compile(sources, out, cxx, fl))
        module = _load(name, path)
    _LOADED[name] = module
    return module


def _load(name: str, path: Path) -> ModuleType:
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, str(path), loader=loader)
    if spec is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    STATS["loads"] += 1
    return module


def _compile(sources: list[str], out: Path, cxx: str, fl: tuple[str, ...]) -> None:
    """Compile the C files into the shared library `out`: each file by its own compiler
    process, all at once, then linked. The files go to a private folder under names that
    depend on the code only, compiled from there: the binary does not depend on the
    process, so concurrent builds of one module write identical entries."""
    import sysconfig  # noqa: I001 -- these three only when compiling (import time)
    import tempfile

    import numpy as np
    work = Path(tempfile.mkdtemp(prefix="symgraph-c-"))
    names = [f"{module_name(src)}.c" for src in sources]
    for name, src in zip(names, sources, strict=True):
        (work / name).write_text(src)
    inc = [f"-I{sysconfig.get_paths()['include']}", f"-I{np.get_include()}"]
    if len(sources) == 1:
        jobs = [[cxx, *fl, *inc, names[0], "-o", str(out.resolve()), "-lm"]]
    else:
        jobs = [[cxx, *fl, *inc, "-c", name, "-o", name + ".o"] for name in names]
    _run(jobs, work, cxx)
    if len(sources) > 1:
        _run([[cxx, *fl, *(n + ".o" for n in names), "-o", str(out.resolve()), "-lm"]],
             work, cxx)
    STATS["compiles"] += 1
    for p in work.iterdir():
        p.unlink()
    work.rmdir()


def _run(jobs: list[list[str]], work: Path, cxx: str) -> None:
    """Run compiler commands at once in `work`; a failure raises CompileError naming the
    generated file and the compiler's message."""
    import subprocess
    try:
        procs = [subprocess.Popen(cmd, cwd=work, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for cmd in jobs]
    except OSError as e:
        raise CompileError(f"C compiler {cxx!r} failed to run in {work}: {e}") from None
    results = [(cmd, *p.communicate(timeout=300), p.returncode)
               for cmd, p in zip(jobs, procs, strict=True)]
    for cmd, _, err, code in results:
        if code != 0:
            src = next((a for a in cmd if a.endswith(".c")), cmd[-3])
            msg = "\n".join(err.strip().splitlines()[:30])
            raise CompileError(f"C compilation failed (generated file: {work / src}):\n{msg}")
