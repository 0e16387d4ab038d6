"""What the inspection tools show: the roots of a variable, a list or a compiled Function,
and how leaves are labelled. Shared by printing.py, drawing.py and serialize.py so a
constant, an input or an update reads the same in a listing, a picture and a JSON file.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .fgraph import FunctionGraph
from .function import Function
from .graph import Apply, Constant, SharedVariable, Variable

# Constants with at most this many elements show their value; bigger ones show `const`.
SMALL_CONSTANT = 6


@dataclass
class View:
    """The variables to show, with a note per root (`update of W`) and the Function, if any."""

    roots: list[Variable]
    notes: dict[int, str] = field(default_factory=dict)
    function: Any = None
    # How the caller passed the roots: 'single', 'list' or 'tuple' (from_json keeps it).
    structure: str = "single"

    @property
    def n_outputs(self) -> int:
        """Roots that are outputs (the rest, for a Function, are update values)."""
        if self.function is None:
            return len(self.roots)
        return len(self.function.outputs)


def is_function(obj: Any) -> bool:
    """True for a compiled Function."""
    return isinstance(obj, Function)


def view_of(obj: Any, who: str, before: bool = False) -> View:
    """The roots of `obj`: a variable, a list/tuple of variables, or a compiled Function.

    For a Function the roots are its rewritten outputs then its update values (or, with
    `before=True`, the same values before rewriting); each update value is noted.
    """
    if is_function(obj):
        values = list(obj.original[1]) if before else list(obj.fgraph.outputs)
        n_out = len(obj.outputs)
        notes = {n_out + k: f"update of {shared_label(s)}"
                 for k, (s, _) in enumerate(obj.updates)}
        return View(values, notes, obj, "single" if obj.single else "list")
    if isinstance(obj, Variable):
        return View([obj])
    if isinstance(obj, FunctionGraph):  # f.graph
        return View(list(obj.outputs), structure="list")
    if isinstance(obj, (list, tuple)):
        for i, v in enumerate(obj):
            if not isinstance(v, Variable):
                raise TypeError(f"{who}() takes symbolic variables; item {i} of the "
                                f"{type(obj).__name__} is a {type(v).__name__}")
        return View(list(obj), structure=type(obj).__name__)
    raise TypeError(f"{who}() takes a symbolic variable, a list of them or a compiled "
                    f"Function, got {type(obj).__name__}")


# ---------------------------------------------------------------- leaves


def leaf_kind(v: Variable) -> str:
    """'constant', 'shared' or 'input' for a leaf; 'computed' for an op's output."""
    if v.owner is not None:
        return "computed"
    if isinstance(v, Constant):
        return "constant"
    if isinstance(v, SharedVariable):
        return "shared"
    return "input"


def shared_label(v: Variable) -> str:
    """A shared variable's name, or `<shared>`."""
    return v.name or "<shared>"


def constant_value_text(c: Constant, limit: int = SMALL_CONSTANT) -> str | None:
    """The value as short text (`1.0`, `[2, 3]`), or None when it is too big to show."""
    d = c.data
    if d.size > limit or (d.size == 0 and d.ndim > 1):
        return None

    def fmt(a: np.ndarray) -> str:
        if a.ndim == 0:
            return str(a[()])  # NumPy's shortest text for the dtype: float32 0.1 is "0.1"
        return "[" + ", ".join(fmt(e) for e in a) + "]"

    return fmt(d)


def leaf_label(v: Variable) -> str:
    """How a leaf reads in listings: its name, its value, or `<input>` / `const`."""
    kind = leaf_kind(v)
    if kind == "constant":
        text = constant_value_text(v)  # type: ignore[arg-type]
        if text is not None:
            return text
        return f"const {v.name}" if v.name else "const"
    if kind == "shared":
        return shared_label(v)
    return v.name or "<input>"


def op_label(node: Apply, index: int) -> str:
    """The op as listings show it, with `.k` for output k of a multi-output op."""
    text = str(node.op)
    return f"{text}.{index}" if len(node.outputs) > 1 else text


def source_of(trace: tuple[str, int] | None, short: bool = False) -> str | None:
    """`file:line` of the user's code that built a node (basename only when `short`)."""
    if trace is None:
        return None
    fname, line = trace
    return f"{os.path.basename(fname) if short else fname}:{line}"


def type_parts(v: Variable) -> tuple[str, list[int | None]]:
    """(dtype, static shape) of any variable's type (random generators: ('rng', []))."""
    t = v.type
    return str(getattr(t, "dtype", "?")), list(getattr(t, "shape", ()))


def to_scalar(x: Any) -> Any:
    """A NumPy scalar as the plain Python value (for JSON and attributes)."""
    return x.item() if isinstance(x, np.generic) else x
