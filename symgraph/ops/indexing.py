"""Indexing: basic (slices, ints, None, Ellipsis) and advanced (int arrays, boolean masks),
plus `set_subtensor` / `inc_subtensor`.

An index is stored in the op as a tuple of entries; constant parts live in the entry,
symbolic parts are inputs and show as `$`:

    ("int", 3)  ("int", "$")  ("slice", 1, "$", None)  ("new",)  ("adv",)

so `x[1:n, None, i]` prints as `subtensor{1:$, None, $}` and renders as `x[1:v2, None, v3]`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor, broadcast_shapes, constant
from .allocation import arange, zeros_like
from .elemwise import cast, cast_same_kind, clip, eq, lt, maximum, switch
from .grad_ops import sum_to_shape_of
from .reduce import prod
from .registry import Op, RenderContext, keep_input_shape, normalize_axis
from .shape import reshape, shape, static_int

SYM = "$"
Entry = tuple


# ---------------------------------------------------------------- parsing a key


def _is_array_index(k: Any) -> bool:
    if isinstance(k, Variable):
        return k.ndim > 0 or k.dtype == "bool"
    return isinstance(k, (list, np.ndarray)) and not (
        isinstance(k, np.ndarray) and k.ndim == 0 and k.dtype != bool)


def parse_key(x: Variable, key: Any) -> tuple[tuple[Entry, ...], list[Variable], bool]:
    """Key -> (entries, symbolic inputs in order, is_advanced)."""
    if not isinstance(key, tuple):
        key = (key,)
    advanced = any(_is_array_index(k) for k in key)
    n_ellipsis = sum(1 for k in key if k is Ellipsis)
    if n_ellipsis > 1:
        raise IndexError("an index can only have a single ellipsis ('...')")
    consumed = 0
    for k in key:
        if k is None or k is Ellipsis:
            continue
        if _is_array_index(k):
            arr = k if isinstance(k, Variable) else np.asarray(k)
            consumed += arr.ndim if arr.dtype == bool else 1
        else:
            consumed += 1
    if consumed > x.ndim:
        raise IndexError(f"too many indices for {x.type}: {consumed} dims indexed")
    entries: list[Entry] = []
    inputs: list[Variable] = []

    def scalar_part(v: Any) -> int | str | None:
        if v is None:
            return None
        if isinstance(v, (bool, np.bool_)):
            raise IndexError(f"a boolean {v!r} is not a valid slice bound")
        if isinstance(v, (int, np.integer)):
            return int(v)
        s = as_tensor(v)
        if s.ndim != 0 or not dtypes.is_int(s.dtype):
            raise IndexError(f"a slice bound or index must be an integer scalar, got {s.type}")
        c = static_int(s)
        if c is not None and not isinstance(s, Variable) or (c is not None and s.owner is None):
            return c
        inputs.append(s)
        return SYM

    for k in key:
        if k is Ellipsis:
            entries.extend([("slice", None, None, None)] * (x.ndim - consumed))
        elif k is None:
            entries.append(("new",))
        elif isinstance(k, slice):
            if isinstance(k.step, (int, np.integer)) and k.step == 0:
                raise ValueError("slice step cannot be zero")
            entries.append(("slice", scalar_part(k.start), scalar_part(k.stop),
                            scalar_part(k.step)))
        elif _is_array_index(k):
            arr = as_tensor(k) if not isinstance(k, Variable) else k
            if arr.dtype != "bool" and not dtypes.is_int(arr.dtype):
                raise IndexError(f"arrays used as indices must be of integer or boolean type, "
                                 f"got {arr.type}")
            entries.append(("adv",))
            inputs.append(arr)
        else:
            entries.append(("int", scalar_part(k)))
    if not any(e[0] == "adv" for e in entries) and advanced:
        advanced = False
    return tuple(entries), inputs, advanced


# ---------------------------------------------------------------- static shapes


def _slice_len(dim: int | None, e: Entry) -> int | None:
    _, start, stop, step = e
    if dim is None or SYM in (start, stop, step):
        return None
    return len(range(*slice(start, stop, step).indices(dim)))


def _check_int(dim: int | None, i: Any, x: Variable, axis: int) -> None:
    if isinstance(i, int) and dim is not None and not -dim <= i < dim:
        raise IndexError(f"index {i} is out of bounds for axis {axis} with size {dim} "
                         f"(indexing {x.type})")


def slice_length(n: Variable, start: Any, stop: Any, step: int) -> Variable:
    """len(range(n)[start:stop:step]) as a symbolic int64 (Python's slice rules, step known)."""

    def bound(i: Any, low: int, high: Variable) -> Variable:
        i = as_tensor(i) if isinstance(i, Variable) else constant(int(i), "int64")
        i = i if i.dtype == "int64" else cast(i, "int64")
        return clip(switch(lt(i, 0), i + n, i), low, high)

    if step > 0:
        lo = constant(0, "int64") if start is None else bound(start, 0, n)
        hi = n if stop is None else bound(stop, 0, n)
        return maximum((hi - lo + (step - 1)) // step, 0)
    lo = n - 1 if start is None else bound(start, -1, n - 1)
    hi = constant(-1, "int64") if stop is None else bound(stop, -1, n - 1)
    return maximum((lo - hi + (-step - 1)) // -step, 0)


def _check_int_array(dim: int | None, arr: Variable, x: Variable, axis: int) -> None:
    """A constant index array is checked against a known dimension at build time."""
    data = getattr(arr, "data", None)
    if dim is None or data is None or data.size == 0:
        return
    lo, hi = int(data.min()), int(data.max())
    if lo < -dim or hi >= dim:
        bad = lo if lo < -dim else hi
        raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {dim} "
                         f"(indexing {x.type} with an index array)")


def _basic_shape(x: Variable, entries: Sequence[Entry]) -> tuple[int | None, ...]:
    out: list[int | None] = []
    axis = 0
    for e in entries:
        if e[0] == "new":
            out.append(1)
            continue
        dim = x.type.shape[axis]
        if e[0] == "int":
            _check_int(dim, e[1], x, axis)
        else:
            out.append(_slice_len(dim, e))
        axis += 1
    out.extend(x.type.shape[axis:])
    return tuple(out)


def _advanced_shape(x: Variable, entries: Sequence[Entry],
                    inputs: Sequence[Variable]) -> tuple[int | None, ...]:
    """NumPy's rule: broadcast advanced indices; their dims go where the first one was
    when all advanced indices are adjacent, else to the front."""
    it = iter(inputs)
    adv_shapes: list[tuple[int | None, ...]] = []
    adv_pos: list[int] = []
    parts: list[Any] = []  # per entry: tuple of dims (basic) or 'ADV'
    axis = 0
    for pos, e in enumerate(entries):
        if e[0] == "new":
            parts.append((1,))
            continue
        if e[0] == "adv":
            arr = next(it)
            if arr.dtype == "bool":
                k = arr.ndim
                for j in range(k):
                    d, m = x.type.shape[axis + j], arr.type.shape[j]
                    if d is not None and m is not None and d != m:
                        raise IndexError(f"boolean index of shape {arr.type.shape} does not "
                                         f"match {x.type} at axis {axis + j}")
                count = None
                if hasattr(arr, "data"):
                    count = int(np.count_nonzero(arr.data))
                adv_shapes.append((count,))
                axis += k
            else:
                _check_int_array(x.type.shape[axis], arr, x, axis)
                adv_shapes.append(arr.type.shape)
                axis += 1
            adv_pos.append(pos)
            parts.append("ADV")
            continue
        dim = x.type.shape[axis]
        if e[0] == "int":
            if e[1] == SYM:
                next(it)
            _check_int(dim, e[1], x, axis)
            adv_shapes.append(())
            adv_pos.append(pos)
            parts.append("ADV")
        else:
            for b in e[1:]:
                if b == SYM:
                    next(it)
            parts.append((_slice_len(dim, e),))
        axis += 1
    rest = tuple(x.type.shape[axis:])
    bshape = broadcast_shapes(*adv_shapes, op="advanced indexing")
    adjacent = adv_pos == list(range(adv_pos[0], adv_pos[0] + len(adv_pos)))
    out: list[int | None] = []
    placed = False
    if not adjacent:
        out.extend(bshape)
        placed = True
    for p in parts:
        if p == "ADV":
            if not placed:
                out.extend(bshape)
                placed = True
        else:
            out.extend(p)
    return tuple(out) + rest


# ---------------------------------------------------------------- rendering


def render_index(entries: Sequence[Entry], names: Sequence[str], as_tuple: bool = False) -> str:
    """The index as Python source: `1:v2, None, v3` (or a tuple expression of slices)."""
    it = iter(names)
    parts: list[str] = []

    def part(v: Any) -> str:
        if v is None:
            return "None" if as_tuple else ""
        return next(it) if v == SYM else str(v)

    for e in entries:
        if e[0] == "new":
            parts.append("None")
        elif e[0] == "adv":
            parts.append(next(it))
        elif e[0] == "int":
            parts.append(part(e[1]))
        else:
            a, b, c = part(e[1]), part(e[2]), part(e[3])
            if as_tuple:
                parts.append(f"slice({a}, {b}, {c})")
            else:
                parts.append(f"{a}:{b}" + (f":{c}" if c else ""))
    if as_tuple:
        return "(" + ", ".join(parts) + ("," if len(parts) == 1 else "") + ")"
    return ", ".join(parts) if parts else "()"


def format_index(entries: Sequence[Entry]) -> str:
    """The index as shown in listings: `1:$, None, $`."""
    def p(v: Any) -> str:
        return "" if v is None else str(v)
    out = []
    for e in entries:
        if e[0] == "new":
            out.append("None")
        elif e[0] == "adv":
            out.append("[$]")
        elif e[0] == "int":
            out.append(p(e[1]))
        else:
            s = f"{p(e[1])}:{p(e[2])}"
            out.append(s + (f":{p(e[3])}" if e[3] is not None else ""))
    return ", ".join(out)


# ---------------------------------------------------------------- ops


class _SubtensorBase(Op):
    """What basic and advanced indexing share: x[idx] renders as itself, and the gradient
    puts g back at idx in zeros shaped like x (the matching inc_subtensor)."""

    idx: tuple

    def _inc(self) -> type[_IncBase]:
        return IncSubtensor if isinstance(self, Subtensor) else AdvancedIncSubtensor

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        return f"{ins[0]}[{render_index(self.idx, ins[1:])}]"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        x, *rest = inputs
        if not dtypes.is_differentiable(x.dtype):
            return [None] * len(inputs)
        gx = self._inc()(self.idx, False)(zeros_like(x), output_grads[0], *rest)
        return [gx] + [None] * len(rest)


@dataclass(frozen=True)
class Subtensor(_SubtensorBase):
    """Basic indexing x[...] (a view in NumPy)."""

    idx: tuple
    view_map = {0: 0}

    def __str__(self) -> str:
        return f"subtensor{{{format_index(self.idx)}}}"

    def make_node(self, x: Any, *scalars: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x, *scalars], [TensorType(x.dtype, _basic_shape(x, self.idx))])

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        scalars = iter(node.inputs[1:])
        shp = input_shapes[0]
        out, axis = [], 0
        for e in self.idx:
            if e[0] == "new":
                out.append(constant(1, "int64"))
                continue
            if e[0] == "int":
                if e[1] == SYM:
                    next(scalars)
                axis += 1
                continue
            start, stop, step = (next(scalars) if v == SYM else v for v in e[1:])
            if isinstance(step, Variable):
                return None  # the sign of the step decides the rule: unknown here
            out.append(slice_length(shp[axis], start, stop, 1 if step is None else step))
            axis += 1
        return [out + list(shp[axis:])]


@dataclass(frozen=True)
class AdvancedSubtensor(_SubtensorBase):
    """Indexing with integer arrays or boolean masks (a copy in NumPy)."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    idx: tuple

    def __str__(self) -> str:
        return f"advanced_subtensor{{{format_index(self.idx)}}}"

    def make_node(self, x: Any, *inputs: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x, *inputs],
                     [TensorType(x.dtype, _advanced_shape(x, self.idx, inputs))])


def _set_subtensor(x: np.ndarray, idx: tuple, y: Any) -> np.ndarray:
    out = x.copy()
    out[idx] = y
    return out


def _inc_subtensor(x: np.ndarray, idx: tuple, y: Any) -> np.ndarray:
    out = x.copy()
    out[idx] += y
    return out


def _expand_masks(x: np.ndarray, idx: tuple) -> tuple:
    """Boolean masks -> their nonzero() int arrays (np.add.at wants ints)."""
    out: list[Any] = []
    for k in idx:
        if isinstance(k, np.ndarray) and k.dtype == bool:
            out.extend(np.nonzero(k))
        else:
            out.append(k)
    return tuple(out)


def _advanced_inc(x: np.ndarray, idx: tuple, y: Any) -> np.ndarray:
    """x with y added at idx; repeated indices accumulate (np.add.at)."""
    out = x.copy()
    np.add.at(out, _expand_masks(out, idx), y)
    return out


class _IncBase(Op):
    idx: tuple
    set_instead_of_inc: bool

    def _check(self, x: Variable, y: Variable, sub_shape: tuple) -> None:
        opname = "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"
        if y.ndim > len(sub_shape):
            raise ValueError(f"{opname}: value {y.type} has more dims than the indexed "
                             f"region {sub_shape}")
        broadcast_shapes(sub_shape, y.type.shape, op=opname)
        if not np.can_cast(y.dtype, x.dtype, casting="same_kind"):
            raise TypeError(f"{opname}: cannot store {y.dtype} values in a {x.dtype} tensor")

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        idx = render_index(self.idx, ins[2:], as_tuple=True)
        if isinstance(self, AdvancedIncSubtensor) and not self.set_instead_of_inc:
            fn = ctx.ref(_advanced_inc, "advanced_inc_subtensor")
        elif self.set_instead_of_inc:
            fn = ctx.ref(_set_subtensor, "set_subtensor")
        else:
            fn = ctx.ref(_inc_subtensor, "inc_subtensor")
        return f"{fn}({ins[0]}, {idx}, {ins[1]})"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        x, y, *rest = inputs
        g = output_grads[0]
        sub = (AdvancedSubtensor if isinstance(self, AdvancedIncSubtensor) else Subtensor)(
            self.idx)
        if self.set_instead_of_inc:
            gx = type(self)(self.idx, True)(g, constant(0, g.dtype), *rest)
        else:
            gx = g
        gy = None
        if dtypes.is_differentiable(y.dtype):
            g_sub = sub(g, *rest)
            if self.set_instead_of_inc and isinstance(self, AdvancedIncSubtensor):
                g_sub = g_sub * self._surviving_writes(x, g_sub, rest)
            gy = sum_to_shape_of(g_sub, y)
        return [gx if dtypes.is_differentiable(x.dtype) else None, gy] + [None] * len(rest)

    def _surviving_writes(self, x: Variable, g_sub: Variable, rest: Sequence[Variable],
                          ) -> Variable:
        """True where a value written by set_subtensor is still there afterwards.

        With repeated indices only the last write to an element survives, so only it gets
        a gradient: write distinct marks with the same index and see which ones stayed.
        """
        dims = shape(g_sub)
        marks = reshape(arange(1, prod(dims) + 1, dtype="int64"), dims, ndim=g_sub.ndim)
        written = AdvancedIncSubtensor(self.idx, True)(zeros_like(x, "int64"), marks, *rest)
        return eq(AdvancedSubtensor(self.idx)(written, *rest), marks)


@dataclass(frozen=True)
class IncSubtensor(_IncBase):
    """x with x[idx] set to (or incremented by) y; returns a new array."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    idx: tuple
    set_instead_of_inc: bool = False

    def __str__(self) -> str:
        kind = "set_subtensor" if self.set_instead_of_inc else "inc_subtensor"
        return f"{kind}{{{format_index(self.idx)}}}"

    def make_node(self, x: Any, y: Any, *scalars: Any) -> Apply:
        x, y = as_tensor(x), as_tensor(y)
        self._check(x, y, _basic_shape(x, self.idx))
        return Apply(self, [x, y, *scalars], [x.type])

    infer_shape = keep_input_shape


@dataclass(frozen=True)
class AdvancedIncSubtensor(_IncBase):
    """x with x[idx] set to (or incremented by) y, advanced indices; repeats accumulate."""

    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    idx: tuple
    set_instead_of_inc: bool = False

    def __str__(self) -> str:
        kind = "advanced_set_subtensor" if self.set_instead_of_inc else \
            "advanced_inc_subtensor"
        return f"{kind}{{{format_index(self.idx)}}}"

    def make_node(self, x: Any, y: Any, *inputs: Any) -> Apply:
        x, y = as_tensor(x), as_tensor(y)
        self._check(x, y, _advanced_shape(x, self.idx, inputs))
        return Apply(self, [x, y, *inputs], [x.type])

    infer_shape = keep_input_shape


# ---------------------------------------------------------------- user API


def getitem(x: Any, key: Any) -> Variable:
    """x[key] with NumPy semantics."""
    x = as_tensor(x)
    entries, inputs, advanced = parse_key(x, key)
    if not advanced and all(e == ("slice", None, None, None) for e in entries):
        return x
    if advanced:
        return AdvancedSubtensor(entries)(x, *inputs)
    return Subtensor(entries)(x, *inputs)


def _inc_or_set(x_sub: Any, y: Any, set_: bool, name: str) -> Variable:
    owner = getattr(x_sub, "owner", None)
    if owner is None or not isinstance(owner.op, (Subtensor, AdvancedSubtensor)):
        raise TypeError(f"{name}: the first argument must be an indexed tensor such as "
                        f"x[1:3] or x[idx], got {x_sub!r}")
    x, *rest = owner.inputs
    op_cls = IncSubtensor if isinstance(owner.op, Subtensor) else AdvancedIncSubtensor
    y = as_tensor(y)
    y = cast_same_kind(y, x.dtype, f"{name}: cannot store {y.dtype} values in a {x.dtype} "
                                   f"tensor")
    return op_cls(owner.op.idx, set_)(x, y, *rest)


def set_subtensor(x_sub: Any, y: Any) -> Variable:
    """A copy of x with x[idx] = y, where x_sub is x[idx] (Theano's set_subtensor)."""
    return _inc_or_set(x_sub, y, True, "set_subtensor")


def inc_subtensor(x_sub: Any, y: Any) -> Variable:
    """A copy of x with x[idx] += y; repeated advanced indices accumulate."""
    return _inc_or_set(x_sub, y, False, "inc_subtensor")


def take(x: Any, indices: Any, axis: int = 0) -> Variable:
    """Elements of x at `indices` along `axis` (np.take, used by Keras' gather)."""
    x = as_tensor(x)
    (axis,) = normalize_axis(axis, x.ndim, "take")
    return getitem(x, (slice(None),) * axis + (as_tensor(indices),))
