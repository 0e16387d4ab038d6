"""Helpers shared by the rewrite tests: compile with and without rewrites, inspect the result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

import symgraph as sg
from symgraph.rewrite.driver import node_key


def op_names(f: sg.Function) -> list[str]:
    """The op of every node of the compiled graph (elementwise rows by row name)."""
    return sorted(node_key(n) for n in f.graph.apply_nodes)


def compile_both(inputs: Sequence[Any], outputs: Any, **kwargs: Any
                 ) -> tuple[sg.Function, sg.Function]:
    """The function with the given rewrites (default fast_run) and with none."""
    kwargs.setdefault("on_unused_input", "ignore")
    plain = {k: v for k, v in kwargs.items() if k not in ("rewrites", "include", "exclude")}
    return sg.function(list(inputs), outputs, **kwargs), \
        sg.function(list(inputs), outputs, rewrites="none", **plain)


def assert_same(f: sg.Function, g: sg.Function, *args: Any, rtol: float = 1e-6,
                atol: float = 1e-12) -> Any:
    """f and g give the same values (and dtypes, shapes) on `args`; returns f's."""
    a, b = f(*args), g(*args)
    for x, y in zip(a if isinstance(a, list) else [a], b if isinstance(b, list) else [b],
                    strict=True):
        x, y = np.asarray(x), np.asarray(y)
        assert x.dtype == y.dtype and x.shape == y.shape, (x.dtype, x.shape, y.dtype, y.shape)
        np.testing.assert_allclose(x, y, rtol=rtol, atol=atol)
    return a


def fired(f: sg.Function, name: str) -> int:
    """How often the rewrite `name` was applied while compiling f."""
    return f.rewrite_log.counts()[name]
