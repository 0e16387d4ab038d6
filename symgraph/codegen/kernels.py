"""The NumPy kernels of fused elementwise nodes (`Composite`): their generator, and the
NumPy renderings of one table row (`plain_call`, the expression `Elemwise.render` emits;
`out_call`, the same written into a given array).

The fusion pass turns a connected group of elementwise nodes into one `Composite` (its
scalar program lives in ops/composite.py). Its NumPy kernel runs the steps with NumPy's
`out=` into buffers of the full output shape, allocated once per call and reused as soon
as a value is dead, so a chain of k ops allocates one array (the result, fresh on every
call):

    def _fused(i0, i1):
        # exp(i0 * i1 + 1.0)
        shape = np.broadcast_shapes(np.shape(i0), np.shape(i1))
        b0 = np.empty(shape, dtype=np.float64)
        np.multiply(i0, i1, out=b0)
        np.add(b0, np.float64(1.0), out=b0)
        np.exp(b0, out=b0)
        return b0

Steps that cover only part of the broadcast shape (an op on a bias vector before it meets
the batch), and rows NumPy has no `out=` form for (switch), are plain expressions. The
row dtype rules are kept: every step has its row's output dtype.
"""

from __future__ import annotations

import itertools
import linecache
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..graph import Apply
from ..ops.composite import Composite, Ref, row_of
from ..ops.elemwise import ScalarOp, natural_dtype
from ..ops.registry import RenderContext
from ..tensor import TensorType

_kernels = itertools.count()

# Rows that are not ufuncs but have an `out=`-capable NumPy form.
OUT_FORMS = {
    "relu": "np.maximum({0}, 0, out={out})",
    "clip": "np.clip({0}, {1}, {2}, out={out})",
    "softplus": "np.logaddexp(np.{dtype}(0), {0}, out={out})",
}

def const_literal(dtype: str, text: str) -> str:
    """Python source for a typed scalar constant."""
    if dtype == "bool":
        return "np.True_" if text == "True" else "np.False_"
    if text in ("inf", "-inf", "nan"):
        text = {"inf": "np.inf", "-inf": "-np.inf", "nan": "np.nan"}[text]
    return f"np.{dtype}({text})"


def out_call(ctx: RenderContext, row: ScalarOp, args: Sequence[str], arg_dtypes: Sequence[str],
             out: str, out_dtype: str) -> str | None:
    """`row` applied to `args`, written into `out` (None: the row has no out= form)."""
    if row.name in OUT_FORMS:
        return OUT_FORMS[row.name].format(*args, out=out, dtype=out_dtype)
    if row.name.startswith("cast{"):
        return f"np.copyto({out}, {args[0]}, casting='unsafe')"
    if not isinstance(row.fn, np.ufunc):
        return None
    fn = ctx.ref(row.fn, row.name)
    # 'float' rows compute in the float dtype even on integer inputs (1 / 2 is 0.5)
    force = row.dtype == "float" and any(d != out_dtype for d in arg_dtypes)
    extra = f", dtype=np.{out_dtype}" if force else ""
    if force and natural_dtype(row, out_dtype) != out_dtype:
        # SciPy's special functions have no float16 loop to force: convert the inputs
        # instead (what Elemwise.render does), and let out= round the result.
        args = [a if d == out_dtype else f"np.asarray({a}).astype(np.{out_dtype})"
                for a, d in zip(args, arg_dtypes, strict=True)]
        extra = ""
    return f"{fn}({', '.join(args)}, out={out}{extra})"


def plain_call(ctx: RenderContext, row: ScalarOp, args: Sequence[str],
               arg_dtypes: Sequence[str], out_dtype: str) -> str:
    """`row` applied to `args` as an expression (what Elemwise.render emits)."""
    if row.dtype == "float":
        args = [a if d == out_dtype else f"np.asarray({a}).astype(np.{out_dtype})"
                for a, d in zip(args, arg_dtypes, strict=True)]
    if row.py == "@":
        expr = f"{ctx.ref(row.fn, row.name)}({', '.join(args)})"
    else:
        expr = row.py.format(*args)
    if row.dtype == "float" and natural_dtype(row, out_dtype) != out_dtype:
        return f"({expr}).astype(np.{out_dtype})"  # no float16 loop: computed wider
    return expr


def render_composite(ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
    """A Composite node's NumPy kernel, compiled and bound in ctx; the call's text."""
    label = ctx.ref(node, "fused")  # reserve the kernel's name, then bind the kernel
    source = kernel_source(node.op, ctx, label, node)
    filename = f"<symgraph kernel {label}#{next(_kernels)}>"
    code = compile(source, filename, "exec")
    exec(code, ctx.namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    ctx.namespace[label].__symgraph_source__ = source
    return f"{label}({', '.join(ins)})"

def kernel_source(op: Composite, ctx: RenderContext, label: str, node: Apply) -> str:
    """Python source of the kernel function `label` for this node's input types."""
    in_types = [v.type for v in node.inputs]
    in_dtypes = [t.dtype for t in in_types]
    steps = op.step_dtypes(in_dtypes)
    out_shape = node.outputs[0].type.shape
    full = _full_steps(op, in_types, len(out_shape))
    last_use = _last_uses(op)
    params = [f"i{k}" for k in range(op.nin)]
    lines: list[str] = []
    names: list[str] = []
    slots: list[list[Any]] = []  # [name, dtype, step or input currently held, free]
    if op.inplace is not None:
        slots.append([f"i{op.inplace}", steps[-1], Ref.input(op.inplace)])
    for j, (name, args) in enumerate(op.body):
        row = row_of(name)
        arg_texts = [_ref_text(a, names) for a in args]
        arg_dtypes = [op.ref_dtype(a, in_dtypes, steps) for a in args]
        slot = _free_slot(slots, steps[j], j, last_use) if full[j] else None
        call = None
        if full[j]:
            target = slot[0] if slot is not None else f"b{len(slots)}"
            call = out_call(ctx, row, arg_texts, arg_dtypes, target, steps[j])
        if call is None:
            var = f"t{j}"
            lines.append(f"    {var} = {plain_call(ctx, row, arg_texts, arg_dtypes, steps[j])}")
            names.append(var)
            continue
        if slot is None:
            slot = [f"b{len(slots)}", steps[j], None]
            slots.append(slot)
            lines.append(f"    {slot[0]} = np.empty(shape, dtype=np.{steps[j]})")
        slot[2] = Ref.step(j)
        lines.append(f"    {call}")
        names.append(slot[0])
    lines.append(f"    return {names[-1]}")
    head = [f"def {label}({', '.join(params)}):", f"    # {op.expression()}"]
    if any("np.empty(shape" in line for line in lines):
        head += _shape_lines(params, in_types)
    return "\n".join(head + lines) + "\n"

def _ref_text(ref: Ref, names: Sequence[str]) -> str:
    if ref.is_input:
        return f"i{ref.number}"
    if ref.is_step:
        return names[ref.number]
    return const_literal(ref.dtype, ref.text)

def _last_uses(op: Composite) -> dict[Ref, int]:
    """The last step reading each input and step (the output is read by the caller)."""
    last: dict[Ref, int] = {Ref.step(len(op.body) - 1): len(op.body)}
    for j, (_, args) in enumerate(op.body):
        for a in args:
            if a.is_input or a.is_step:
                last[a] = j
    return last

def _free_slot(slots: list[list[Any]], dtype: str, j: int,
               last_use: dict[Ref, int]) -> list[Any] | None:
    """A buffer of `dtype` whose value is dead by step j (read at most by step j)."""
    for slot in slots:
        if slot[1] == dtype and (slot[2] is None or last_use.get(slot[2], -1) <= j):
            return slot
    return None

def _full_steps(op: Composite, in_types: Sequence[TensorType], ndim: int) -> list[bool]:
    """Which steps have the whole output shape, so they can be written into full
    buffers: those that read an input known to have it, or that depend on every
    input that may be larger than 1 along each axis."""
    deps: list[set[int]] = []
    for _, args in op.body:
        d: set[int] = set()
        for a in args:
            if a.is_input:
                d.add(a.number)
            elif a.is_step:
                d |= deps[a.number]
        deps.append(d)
    read = set().union(*deps)  # an input no step reads (a buffer to write into)
    needed: list[set[int]] = []
    for axis in range(ndim):
        s = set()
        for k, t in enumerate(in_types):
            pos = axis - ndim + t.ndim
            if pos >= 0 and t.shape[pos] != 1 and k in read:
                s.add(k)
        needed.append(s)
    full = set(op.full_inputs)
    return [bool(d & full) or (bool(d) and all(s <= d for s in needed)) for d in deps]


def _shape_lines(params: Sequence[str], in_types: Sequence[TensorType]) -> list[str]:
    """Kernel lines computing the output shape. Inputs known to be 0-d broadcast to
    anything, so they are left out; when the rest agree (the usual case) their shape is
    the answer, and np.broadcast_shapes (a few microseconds) runs only when they differ."""
    arrays = [p for p, t in zip(params, in_types, strict=True) if t.ndim > 0] or list(params)
    if len(arrays) == 1:
        return [f"    shape = np.shape({arrays[0]})"]
    first, rest = arrays[0], arrays[1:]
    same = " and ".join(f"np.shape({p}) == shape" for p in rest)
    everything = ", ".join(f"np.shape({p})" for p in arrays)
    return [f"    shape = np.shape({first})",
            f"    if not ({same}):",
            f"        shape = np.broadcast_shapes({everything})"]
