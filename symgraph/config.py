"""Global settings: `sg.config.floatX`, the default backend, the compile cache.

Assigning an attribute changes it for every thread; `config.change(...)` changes settings
for the current thread (or asyncio task) only, until its block ends. Every attribute can
also be set from the environment before import:
``SYMGRAPH_FLAGS="floatX=float64,backend=numpy"``; the compile cache lives in
``$SYMGRAPH_CACHE_DIR`` (default ``~/.cache/symgraph``).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

_CHOICES = {
    "floatX": ("float32", "float64", "float16"),
    "backend": ("auto", "numpy", "c"),
    "rewrites": ("fast_run", "fast_compile", "none"),
}

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _default_cache_dir() -> str:
    env = os.environ.get("SYMGRAPH_CACHE_DIR")
    if env:
        return env
    return os.path.join(os.path.expanduser("~"), ".cache", "symgraph")


@dataclass
class Config:
    """Settings read by graph construction and `function()`."""

    floatX: str = "float32"
    backend: str = "auto"
    rewrites: str = "fast_run"
    # The on-disk cache's folder (symgraph/cache.py); $SYMGRAPH_CACHE_DIR, read when the
    # cache is used, takes precedence.
    cache_dir: str = field(default_factory=_default_cache_dir)
    # Constant folding leaves results bigger than this many elements unfolded,
    # so `zeros((10000, 10000))` stays an allocation at run time, not a 800 MB constant.
    constant_fold_max_size: int = 1_000_000
    # A fused elementwise kernel takes at most this many inputs (Theano crashed past 32).
    fusion_max_inputs: int = 31
    # Rewrite passes stop (with a warning) past this many sweeps or this growth factor.
    rewrite_max_sweeps: int = 50
    rewrite_max_growth: float = 4.0
    # Record the user's source line for every node (cheap; turn off for huge graphs).
    trace_source: bool = True
    # Compile every function in nan_guard mode (symgraph/nan_guard.py): slow, for finding
    # the node where a NaN or inf first appears.
    nan_guard: bool = False
    # Threads of symgraph's own kernels: convolution and pooling (0: as many as NumPy's
    # BLAS uses, OPENBLAS_NUM_THREADS / OMP_NUM_THREADS; ops/threads.py) and the C
    # backend's loops (0: every core; codegen/c_backend.py).
    threads: int = 0
    # Keep freed array memory in the process for the next call (glibc), instead of
    # returning it to the system and faulting it in again. See memory.py.
    retain_memory: bool = True
    # Keep rewritten graphs of compiled functions in the cache (function_cache.py), so a
    # new process compiling the same graph skips the rewrite passes.
    function_cache: bool = True
    # The C backend's compiler command, and flags added to its own (codegen/cbuild.py).
    cxx: str = field(default_factory=lambda: os.environ.get("CC", "cc"))
    cflags: str = ""

    def __post_init__(self) -> None:
        # Settings made by `change()`: per thread and per asyncio task (a context variable),
        # so one thread's temporary floatX never leaks into another's graphs.
        object.__setattr__(self, "_local", contextvars.ContextVar(
            f"symgraph_config_{id(self)}", default=None))

    def __getattribute__(self, name: str) -> Any:
        if name[0] != "_":
            local = object.__getattribute__(self, "_local").get()
            if local is not None and name in local:
                return local[name]
        return object.__getattribute__(self, name)

    def _check_name(self, name: str) -> None:
        known = {f.name for f in fields(self)}
        if name not in known:
            raise AttributeError(
                f"sg.config has no setting {name!r}; known settings: {', '.join(sorted(known))}"
            )

    @staticmethod
    def _check_value(name: str, value: Any) -> None:
        if name in _CHOICES and value not in _CHOICES[name]:
            raise ValueError(
                f"sg.config.{name} must be one of {_CHOICES[name]}, got {value!r}"
            )

    def __setattr__(self, name: str, value: Any) -> None:
        """Set for every thread -- or, inside a `change()` block that changed `name`, for
        the rest of that block only."""
        self._check_name(name)
        self._check_value(name, value)
        local_var = self.__dict__.get("_local")
        local = local_var.get() if local_var is not None else None
        if local is not None and name in local:
            local_var.set({**local, name: value})
        else:
            object.__setattr__(self, name, value)

    @contextlib.contextmanager
    def change(self, **settings: Any) -> Iterator[Config]:
        """Temporarily change settings, in this thread (or asyncio task) only:
        ``with sg.config.change(floatX='float64'): ...``."""
        for k, v in settings.items():
            self._check_name(k)
            self._check_value(k, v)
        local_var = object.__getattribute__(self, "_local")
        token = local_var.set({**(local_var.get() or {}), **settings})
        try:
            yield self
        finally:
            local_var.reset(token)

    def apply_flags(self, flags: str) -> None:
        """Apply a ``name=value,name=value`` string (the SYMGRAPH_FLAGS format)."""
        for item in filter(None, (s.strip() for s in flags.split(","))):
            if "=" not in item:
                raise ValueError(f"SYMGRAPH_FLAGS entry {item!r} is not of the form name=value")
            name, value = (s.strip() for s in item.split("=", 1))
            self._check_name(name)
            current = getattr(self, name)
            if isinstance(current, bool):
                if value.lower() not in _TRUE + _FALSE:
                    raise ValueError(f"SYMGRAPH_FLAGS: {name}={value!r} is not a boolean "
                                     f"(use one of {', '.join(_TRUE + _FALSE)})")
                parsed: Any = value.lower() in _TRUE
            elif isinstance(current, int):
                parsed = int(value)
            elif isinstance(current, float):
                parsed = float(value)
            else:
                parsed = value
            setattr(self, name, parsed)


config = Config()
config.apply_flags(os.environ.get("SYMGRAPH_FLAGS", ""))
