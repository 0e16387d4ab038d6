"""The IR: variables, constants, shared variables and op applications; traversal and cloning.

A graph is a DAG of `Apply` nodes. Each `Apply` holds an op, its input variables and
its output variables; a `Variable` with no owner is a leaf (an input, a constant, or a
shared variable). User graphs are never mutated: `function()` clones them into a
`FunctionGraph` (fgraph.py) and rewrites the clone.
"""

from __future__ import annotations

import itertools
import os
import sys
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np

from .config import config

_uids = itertools.count()

# Frames from these directories are library code, not the user's line.
_INTERNAL_DIRS: list[str] = [os.path.dirname(os.path.abspath(__file__)) + os.sep,
                             os.path.dirname(os.path.abspath(np.__file__)) + os.sep]
_trace_override: list[tuple[str, int] | None] = []
# Files inside those directories that are written as user code (symgraph/demo.py).
_USER_FILES: set[str] = set()


def register_internal_package(path: str) -> None:
    """Treat frames under `path` as library code when finding the user's source line."""
    d = os.path.dirname(os.path.abspath(path)) + os.sep
    if d not in _INTERNAL_DIRS:
        _INTERNAL_DIRS.append(d)


def register_user_file(path: str) -> None:
    """Treat `path` as user code even inside a library directory (for demos and examples)."""
    _USER_FILES.add(os.path.abspath(path))


def user_source_line() -> tuple[str, int] | None:
    """(file, line) of the innermost frame outside symgraph/keras_front/numpy."""
    if _trace_override:
        return _trace_override[-1]
    if not config.trace_source:
        return None
    frame = sys._getframe(1)
    dirs = tuple(_INTERNAL_DIRS)
    while frame is not None:
        fname = frame.f_code.co_filename
        if (not fname.startswith(dirs) and not fname.startswith("<frozen")) or \
                fname in _USER_FILES:
            return (fname, frame.f_lineno)
        frame = frame.f_back
    return None


class trace_as:  # noqa: N801 (used as a function: `with trace_as(node.trace):`)
    """Nodes built inside this block carry `trace` (rewrites keep the user's line).

    A class, not a generator context manager: the rewrite driver enters one for every
    rewrite it tries, and this is a third of the cost."""

    __slots__ = ("trace",)

    def __init__(self, trace: tuple[str, int] | None) -> None:
        self.trace = trace

    def __enter__(self) -> None:
        _trace_override.append(self.trace)

    def __exit__(self, *exc: object) -> None:
        _trace_override.pop()


def format_trace(trace: tuple[str, int] | None) -> str:
    """'file:line' of a trace, or '<unknown>'."""
    if trace is None:
        return "<unknown>"
    fname, line = trace
    return f"{fname}:{line}"


class Variable:
    """A value in the graph: the output of an `Apply`, or a leaf when `owner` is None."""

    __slots__ = ("type", "owner", "index", "name", "uid", "trace", "__weakref__")

    def __init__(self, type: Any, owner: Apply | None = None, index: int = 0,
                 name: str | None = None):
        self.type = type
        self.owner = owner
        self.index = index
        self.name = name
        self.uid = next(_uids)
        self.trace = owner.trace if owner is not None else user_source_line()

    def clone(self) -> Variable:
        """A new leaf of the same type and name (a distinct input)."""
        return type(self)(self.type, None, 0, self.name)

    @property
    def is_leaf(self) -> bool:
        return self.owner is None

    def __repr__(self) -> str:
        label = self.name or (self.owner.op.name if self.owner else "input")
        return f"<{type(self).__name__} {label}: {self.type}>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> Any:
        """Jupyter shows a computed variable as a picture of its graph (display.py)."""
        from .display import variable_bundle  # display.py draws graphs of this module
        return variable_bundle(self)

    # Variables are graph nodes: identity, not value, decides equality and hashing.
    __hash__ = object.__hash__


class Constant(Variable):
    """A leaf holding a fixed, read-only NumPy value."""

    __slots__ = ("data", "_signature")

    def __init__(self, type: Any, data: Any, name: str | None = None):
        super().__init__(type, None, 0, name)
        arr = np.array(data, dtype=type.dtype)
        arr.setflags(write=False)
        self.data = arr
        self._signature: tuple | None = None

    def clone(self) -> Constant:
        return type(self)(self.type, self.data, self.name)

    def signature(self) -> tuple:
        """Hashable key: equal constants (same type, same bytes) merge into one."""
        if self._signature is None:
            self._signature = (self.type, self.data.shape, self.data.tobytes())
        return self._signature


class StorageCell:
    """The mutable storage behind a shared variable; compiled functions read and write it.

    `lock` serializes the calls of compiled functions that update the variable (each call
    takes the locks of every variable it updates, in creation order, so no two calls can
    wait for each other); reading needs no lock, since a call never writes the array a
    variable holds, it replaces it (ops/buffers.py).
    """

    __slots__ = ("value", "lock", "uid")

    def __init__(self, value: Any):
        self.value = value
        self.lock = threading.RLock()
        self.uid = next(_uids)


class SharedVariable(Variable):
    """A leaf whose value lives between calls (weights, counters, random generators)."""

    __slots__ = ("container",)

    def __init__(self, type: Any, value: Any, name: str | None = None):
        super().__init__(type, None, 0, name)
        self.container = StorageCell(type.filter(value, self, downcast=True))

    def clone(self) -> SharedVariable:
        raise TypeError("shared variables are shared: they are never cloned")

    def get_value(self, borrow: bool = False) -> Any:
        """The current value (a copy unless `borrow=True`)."""
        v = self.container.value
        return v if borrow else _copy(v)

    def set_value(self, value: Any, borrow: bool = False) -> None:
        """Replace the value; it must keep the variable's dtype (a value of another dtype
        converts only when no value changes) and static shape."""
        v = self.type.filter(value, self)
        self.container.value = v if borrow or v is not value else _copy(v)


def _copy(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        return v.copy()
    if isinstance(v, np.random.Generator):
        g = np.random.Generator(type(v.bit_generator)())
        g.bit_generator.state = v.bit_generator.state
        return g
    return v


class Apply:
    """One application of an op: `outputs = op(*inputs)`, with the user's source line."""

    __slots__ = ("op", "inputs", "outputs", "trace", "__weakref__")

    def __init__(self, op: Any, inputs: Sequence[Variable], output_types: Sequence[Any]):
        self.op = op
        self.inputs = list(inputs)
        self.trace = user_source_line()
        self.outputs = [t.make_variable(owner=self, index=i) for i, t in enumerate(output_types)]

    @property
    def out(self) -> Variable:
        """The single output (ops with one output)."""
        return self.outputs[0]

    def clone_with_inputs(self, inputs: Sequence[Variable]) -> Apply:
        """A copy of this node on new inputs, keeping op, output types and source line."""
        new = Apply.__new__(Apply)
        new.op = self.op
        new.inputs = list(inputs)
        new.trace = self.trace
        new.outputs = [o.type.make_variable(owner=new, index=o.index, name=o.name)
                       for o in self.outputs]
        return new

    def __repr__(self) -> str:
        return f"<Apply {self.op} ({len(self.inputs)} inputs)>"

    __hash__ = object.__hash__


# ---------------------------------------------------------------- traversal


def as_list(x: Any) -> list:
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def toposort(outputs: Iterable[Variable], stop: Iterable[Variable] = (),
             after: dict[Apply, set[Apply]] | None = None) -> list[Apply]:
    """Apply nodes needed by `outputs`, each after its inputs' owners (iterative DFS).

    `after` adds ordering constraints: node -> nodes that must come before it (used when
    an in-place op must wait for the other readers of the buffer it overwrites).
    """
    stop_set = set(stop)
    order: list[Apply] = []
    seen: set[Apply] = set()

    def deps(node: Apply) -> list[Apply | None]:
        owners = [None if inp in stop_set else inp.owner for inp in node.inputs]
        if after and node in after:
            owners.extend(after[node])
        return owners

    for out in outputs:
        if out.owner is None or out in stop_set or out.owner in seen:
            continue
        stack: list[tuple[Apply, list, int]] = [(out.owner, deps(out.owner), 0)]
        seen.add(out.owner)
        while stack:
            node, node_deps, i = stack.pop()
            if i < len(node_deps):
                stack.append((node, node_deps, i + 1))
                owner = node_deps[i]
                if owner is not None and owner not in seen:
                    seen.add(owner)
                    stack.append((owner, deps(owner), 0))
            else:
                order.append(node)
    return order


def ancestors(outputs: Iterable[Variable], stop: Iterable[Variable] = ()) -> list[Variable]:
    """Every variable `outputs` depend on (including themselves), inputs before users."""
    outputs = list(outputs)
    stop_set = set(stop)
    result: list[Variable] = []
    seen: set[Variable] = set()

    def add(v: Variable) -> None:
        if v not in seen:
            seen.add(v)
            result.append(v)

    for node in toposort(outputs, stop_set):
        for v in node.inputs:
            if v.owner is None or v in stop_set:
                add(v)
        for v in node.outputs:
            add(v)
    for v in outputs:
        add(v)
    return result


def graph_inputs(outputs: Iterable[Variable], stop: Iterable[Variable] = ()) -> list[Variable]:
    """Leaves `outputs` depend on (inputs, constants and shared variables), in first-use order."""
    return [v for v in ancestors(outputs, stop) if v.owner is None or v in set(stop)]


def free_inputs(outputs: Iterable[Variable]) -> list[Variable]:
    """Leaves that must be supplied: not constants, not shared variables."""
    return [v for v in graph_inputs(outputs)
            if not isinstance(v, (Constant, SharedVariable))]


def is_ancestor(var: Variable, of: Iterable[Variable]) -> bool:
    """True when some variable in `of` depends on `var`."""
    return var in set(ancestors(of))


def clone_replace(outputs: Sequence[Variable], replace: dict[Variable, Variable] | None = None,
                  ) -> list[Variable]:
    """Copies of `outputs` with each key of `replace` swapped for its value.

    Only nodes that depend on a replaced variable are rebuilt; the rest of the graph
    is shared with the original (graphs are never mutated, so sharing is safe).
    """
    replace = dict(replace or {})
    memo: dict[Variable, Variable] = dict(replace)
    for node in toposort(outputs, stop=replace):
        new_inputs = [memo.get(v, v) for v in node.inputs]
        if all(a is b for a, b in zip(new_inputs, node.inputs, strict=True)):
            continue
        for v_old, v_new in zip(node.inputs, new_inputs, strict=True):
            if v_old is not v_new and v_old.type != v_new.type:
                _check_replace_types(v_old, v_new)
        new_node = node.op.make_node(*new_inputs)
        for old, new in zip(node.outputs, new_node.outputs, strict=True):
            new.name = old.name
            new.trace = old.trace
            memo[old] = new
        new_node.trace = node.trace
    return [memo.get(o, o) for o in outputs]


def _check_replace_types(old: Variable, new: Variable) -> None:
    if old.type.dtype != new.type.dtype or old.type.ndim != new.type.ndim:
        raise TypeError(
            f"cannot replace {old!r} by {new!r}: types differ ({old.type} vs {new.type})")


def clone_graph(outputs: Sequence[Variable], copy_inputs: bool = False,
                ) -> tuple[list[Variable], dict[Variable, Variable]]:
    """A fresh copy of every Apply node under `outputs`; returns (new outputs, memo).

    Leaves are kept (or copied as new inputs when `copy_inputs`); constants and shared
    variables are always kept.
    """
    memo: dict[Variable, Variable] = {}
    nodes = toposort(outputs)
    if copy_inputs:
        for v in graph_inputs(outputs):
            if not isinstance(v, (Constant, SharedVariable)):
                memo[v] = v.clone()
    for node in nodes:
        new = node.clone_with_inputs([memo.get(v, v) for v in node.inputs])
        for old, nv in zip(node.outputs, new.outputs, strict=True):
            nv.trace = old.trace
            memo[old] = nv
    return [memo.get(o, o) for o in outputs], memo
