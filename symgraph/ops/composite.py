"""Fused and in-place elementwise kernels: `Composite` and `InplaceElemwise`.

The fusion pass turns a connected group of elementwise nodes into one `Composite`: a small
scalar expression DAG over THE table's rows (each step names a row and its arguments:
inputs `i0, i1, ...`, earlier steps, or inline scalar constants). The NumPy kernel it
renders runs the steps with NumPy's `out=` into buffers of the full output shape,
allocated once per call and reused as soon as a value is dead, so a chain of k ops
allocates one array (the result, fresh on every call):

    def _fused(i0, i1):
        # exp(i0 * i1 + 1.0)
        shape = np.broadcast_shapes(np.shape(i0), np.shape(i1))
        b0 = np.empty(shape, dtype=np.float64)
        np.multiply(i0, i1, out=b0)
        np.add(b0, np.float64(1.0), out=b0)
        np.exp(b0, out=b0)
        return b0

Steps that cover only part of the broadcast shape (an op on a bias vector before it meets
the batch), and rows NumPy has no `out=` form for (switch), are plain expressions. The row
dtype rules are kept: every step has its row's output dtype. `c_code` composes the rows'
C templates into one loop body for the C backend; the gradient expands the expression back
into elementwise nodes.

`InplaceElemwise` is one row writing into one of its inputs (`np.add(a, b, out=a)`); the
inplace pass uses it (and `Composite(inplace=k)`) only where that input is dead.
"""

from __future__ import annotations

import dataclasses
import itertools
import linecache
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor, broadcast_shapes
from .elemwise import (
    TABLE,
    Elemwise,
    ScalarOp,
    c_expr,
    c_temp,
    cast_op,
    dtypes_c,
    natural_dtype,
    output_dtype,
)
from .registry import Op, RenderContext

Ref = tuple  # ("i", k) input k | ("t", j) step j | ("c", dtype, repr) scalar constant
_kernels = itertools.count()

# Rows that are not ufuncs but have an `out=`-capable NumPy form.
_OUT_FORMS = {
    "relu": "np.maximum({0}, 0, out={out})",
    "clip": "np.clip({0}, {1}, {2}, out={out})",
    "softplus": "np.logaddexp(np.{dtype}(0), {0}, out={out})",
}
# Python operator precedence, for the readable expression in comments and names.
_PREC = {"pow": 8, "neg": 7, "invert": 7, "mul": 6, "true_div": 6, "floor_div": 6, "mod": 6,
         "add": 5, "sub": 5, "and_": 4, "xor": 3, "or_": 2}


def row_of(name: str) -> ScalarOp:
    """The table row called `name` (cast rows are made on first use)."""
    if name.startswith("cast{") and name not in TABLE:
        cast_op(name[5:-1])
    return TABLE[name]


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
    if row.name in _OUT_FORMS:
        return _OUT_FORMS[row.name].format(*args, out=out, dtype=out_dtype)
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


@dataclass(frozen=True)
class Composite(Op):
    """Several elementwise rows fused into one kernel (one output, numpy broadcasting)."""

    nin: int
    body: tuple  # ((row name, (Ref, ...)), ...); the last step is the output
    inplace: int | None = None  # input index whose buffer receives the result
    full_inputs: tuple[int, ...] = ()  # inputs known to have the whole output shape
    elementwise: ClassVar[bool] = True

    @property
    def name(self) -> str:
        return "composite"

    @property
    def destroy_map(self) -> dict[int, int]:  # type: ignore[override]
        return {0: self.inplace} if self.inplace is not None else {}

    def without_inplace(self) -> Composite:
        return dataclasses.replace(self, inplace=None)

    def __str__(self) -> str:
        text = self.expression(limit=70)
        suffix = f", inplace=i{self.inplace}" if self.inplace is not None else ""
        return f"composite{{{text}{suffix}}}"

    # ---- the scalar program
    def step_dtypes(self, in_dtypes: Sequence[str]) -> list[str]:
        """Output dtype of every step, by its row's dtype rule."""
        out: list[str] = []
        for name, args in self.body:
            out.append(output_dtype(row_of(name), [self._dtype(a, in_dtypes, out)
                                                   for a in args]))
        return out

    @staticmethod
    def _dtype(ref: Ref, in_dtypes: Sequence[str], steps: Sequence[str]) -> str:
        if ref[0] == "i":
            return in_dtypes[ref[1]]
        if ref[0] == "t":
            return steps[ref[1]]
        return ref[1]

    def expression(self, limit: int = 400) -> str:
        """The fused computation as one readable line, e.g. `exp(i0 * i1 + 1.0)`, cut to
        `limit` characters (ending in `…`). Every step's text is cut too: a chain of
        40,000 steps would otherwise hold 40,000 ever longer strings (gigabytes)."""
        texts: list[tuple[str, int]] = []

        def arg(ref: Ref, prec: int, right: bool = False) -> str:
            if ref[0] == "i":
                return f"i{ref[1]}"
            if ref[0] == "c":
                return ref[2]
            text, p = texts[ref[1]]
            return f"({text})" if p < prec or (right and p == prec) else text

        for name, args in self.body:
            row = row_of(name)
            p = _PREC.get(name, 9)
            if name in _PREC and row.nin == 2:
                op = row.py.replace("{0}", "").replace("{1}", "").strip()
                text = f"{arg(args[0], p)} {op} {arg(args[1], p, right=True)}"
            elif name in _PREC:
                op = row.py.replace("{0}", "").strip()
                text = f"{op}{arg(args[0], p)}"
            elif name.startswith("cast{"):
                text = f"{name[5:-1]}({arg(args[0], 0)})"
            else:
                text = f"{name}({', '.join(arg(a, 0) for a in args)})"
            texts.append((text if len(text) <= limit else text[:limit - 1] + "…", p))
        return texts[-1][0]

    # ---- the op contract
    def make_node(self, *inputs: Any) -> Apply:
        if len(inputs) != self.nin:
            raise TypeError(f"composite{{{self.expression()}}} takes {self.nin} inputs, got "
                            f"{len(inputs)}")
        xs = [as_tensor(v) for v in inputs]
        out_dtype = self.step_dtypes([v.dtype for v in xs])[-1]
        shape = broadcast_shapes(*(v.type.shape for v in xs), op="composite")
        if self.inplace is not None:
            target = xs[self.inplace]
            if not can_hold(target.type, TensorType(out_dtype, shape)):
                raise TypeError(f"composite: cannot write a {out_dtype}{list(shape)} result "
                                f"into input {self.inplace} ({target.type})")
        return Apply(self, xs, [TensorType(out_dtype, shape)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        label = ctx.ref(node, "fused")  # reserve the kernel's name, then bind the kernel
        source = self.kernel_source(ctx, label, node)
        filename = f"<symgraph kernel {label}#{next(_kernels)}>"
        code = compile(source, filename, "exec")
        exec(code, ctx.namespace)
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        ctx.namespace[label].__symgraph_source__ = source
        return f"{label}({', '.join(ins)})"

    def kernel_source(self, ctx: RenderContext, label: str, node: Apply) -> str:
        """Python source of the kernel function `label` for this node's input types."""
        in_types = [v.type for v in node.inputs]
        in_dtypes = [t.dtype for t in in_types]
        steps = self.step_dtypes(in_dtypes)
        out_shape = node.outputs[0].type.shape
        full = self._full_steps(in_types, len(out_shape))
        last_use = self._last_uses()
        params = [f"i{k}" for k in range(self.nin)]
        lines: list[str] = []
        names: list[str] = []
        slots: list[list[Any]] = []  # [name, dtype, step or input currently held, free]
        if self.inplace is not None:
            slots.append([f"i{self.inplace}", steps[-1], ("i", self.inplace)])
        for j, (name, args) in enumerate(self.body):
            row = row_of(name)
            arg_texts = [self._ref_text(a, names) for a in args]
            arg_dtypes = [self._dtype(a, in_dtypes, steps) for a in args]
            slot = self._free_slot(slots, steps[j], j, last_use) if full[j] else None
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
            slot[2] = ("t", j)
            lines.append(f"    {call}")
            names.append(slot[0])
        lines.append(f"    return {names[-1]}")
        head = [f"def {label}({', '.join(params)}):", f"    # {self.expression()}"]
        if any("np.empty(shape" in line for line in lines):
            head += _shape_lines(params, in_types)
        return "\n".join(head + lines) + "\n"

    @staticmethod
    def _ref_text(ref: Ref, names: Sequence[str]) -> str:
        if ref[0] == "i":
            return f"i{ref[1]}"
        if ref[0] == "t":
            return names[ref[1]]
        return const_literal(ref[1], ref[2])

    def _last_uses(self) -> dict[Ref, int]:
        """The last step reading each input and step (the output is read by the caller)."""
        last: dict[Ref, int] = {("t", len(self.body) - 1): len(self.body)}
        for j, (_, args) in enumerate(self.body):
            for a in args:
                if a[0] in "it":
                    last[(a[0], a[1])] = j
        return last

    @staticmethod
    def _free_slot(slots: list[list[Any]], dtype: str, j: int,
                   last_use: dict[Ref, int]) -> list[Any] | None:
        """A buffer of `dtype` whose value is dead by step j (read at most by step j)."""
        for slot in slots:
            if slot[1] == dtype and (slot[2] is None or last_use.get(slot[2], -1) <= j):
                return slot
        return None

    def _full_steps(self, in_types: Sequence[TensorType], ndim: int) -> list[bool]:
        """Which steps have the whole output shape, so they can be written into full
        buffers: those that read an input known to have it, or that depend on every
        input that may be larger than 1 along each axis."""
        deps: list[set[int]] = []
        for _, args in self.body:
            d: set[int] = set()
            for a in args:
                if a[0] == "i":
                    d.add(a[1])
                elif a[0] == "t":
                    d |= deps[a[1]]
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
        full = set(self.full_inputs)
        return [bool(d & full) or (bool(d) and all(s <= d for s in needed)) for d in deps]

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        from ..grad import grad as grad_
        out = self.expand(inputs)
        wrt = [v for v in inputs if dtypes.is_differentiable(v.dtype)]
        if not wrt:
            return [None] * len(inputs)
        gs = grad_(None, wrt, known_grads={out: output_grads[0]},
                   disconnected_inputs="ignore")
        by_input = dict(zip(wrt, gs, strict=True))
        return [by_input.get(v) for v in inputs]

    def expand(self, inputs: Sequence[Variable]) -> Variable:
        """The fused expression rebuilt as elementwise nodes on `inputs`."""
        from ..tensor import constant
        vals: list[Variable] = []
        for name, args in self.body:
            xs = [inputs[a[1]] if a[0] == "i" else vals[a[1]] if a[0] == "t" else
                  constant(np.array(a[2] if a[2] not in ("inf", "-inf", "nan") else
                                    float(a[2])).astype(a[1]), a[1])
                  for a in args]
            vals.append(Elemwise(row_of(name))(*xs))
        return vals[-1]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        from .shape import broadcast_shape_symbolic
        return [broadcast_shape_symbolic(node.inputs, input_shapes, node.outputs[0])]

    def c_code(self, in_names: Sequence[str], in_dtypes: Sequence[str]
               ) -> tuple[list[str], str] | None:
        """C statements computing one element, and the C expression of the result (None
        when a step has no C form for its dtypes: the kernel stays on NumPy).

        Each step becomes `<ctype> t<j> = <row's C expression>;` (`elemwise.c_expr`: its
        arguments converted to the step's computation dtype).
        """
        steps = self.step_dtypes(in_dtypes)
        lines: list[str] = []
        for j, (name, args) in enumerate(self.body):
            texts, dts = [], []
            for a in args:
                if a[0] == "i":
                    texts.append(in_names[a[1]])
                    dts.append(in_dtypes[a[1]])
                elif a[0] == "t":
                    texts.append(f"t{a[1]}")
                    dts.append(steps[a[1]])
                else:
                    texts.append(_c_literal(a[1], a[2]))
                    dts.append(a[1])
            expr = c_expr(row_of(name), texts, dts, steps[j])
            if expr is None:
                return None
            lines.append(f"{c_temp(steps[j])} t{j} = {expr};")
        return lines, f"t{len(self.body) - 1}"


def can_hold(target: TensorType, result: TensorType) -> bool:
    """A buffer of type `target` may receive a `result`: same dtype and rank, and no static
    dim that differs (the in-place pass proves the run-time shapes equal; one side may
    know a dim statically that the other does not)."""
    return target.dtype == result.dtype and target.ndim == result.ndim and all(
        a is None or b is None or a == b
        for a, b in zip(target.shape, result.shape, strict=True))


def _c_literal(dtype: str, text: str) -> str:
    if text in ("inf", "-inf", "nan"):
        return {"inf": "INFINITY", "-inf": "(-INFINITY)", "nan": "NAN"}[text]
    if dtype == "bool":
        return "1" if text == "True" else "0"
    if dtype.startswith(("int", "uint")):
        text += "ULL" if dtype.startswith("uint") else "LL"
    return f"(({dtypes_c(dtype)}){text})"


@dataclass(frozen=True)
class InplaceElemwise(Op):
    """One elementwise row writing its result into input `destroy` (NumPy's `out=`)."""

    row: ScalarOp
    destroy: int
    elementwise: ClassVar[bool] = True

    @property
    def name(self) -> str:
        return f"{self.row.name}_inplace"

    @property
    def destroy_map(self) -> dict[int, int]:  # type: ignore[override]
        return {0: self.destroy}

    def without_inplace(self) -> Elemwise:
        return Elemwise(self.row)

    def __str__(self) -> str:
        return f"{self.row.name}{{inplace=i{self.destroy}}}"

    @staticmethod
    def supports(row: ScalarOp) -> bool:
        """True when the row has a NumPy form that writes into a given array."""
        return isinstance(row.fn, np.ufunc) or row.name in _OUT_FORMS or \
            row.name.startswith("cast{")

    def make_node(self, *inputs: Any) -> Apply:
        node = Elemwise(self.row).make_node(*inputs)
        target = node.inputs[self.destroy]
        out = node.outputs[0]
        if not can_hold(target.type, out.type):
            raise TypeError(f"{self}: cannot write a {out.type} result into input "
                            f"{self.destroy} ({target.type})")
        return Apply(self, node.inputs, [out.type])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        call = out_call(ctx, self.row, ins, [v.dtype for v in node.inputs], ins[self.destroy],
                        node.outputs[0].dtype)
        if call is None:
            raise TypeError(f"{self}: the row has no out= form")
        return call

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return Elemwise(self.row).grad(inputs, outputs, output_grads)

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        from .shape import broadcast_shape_symbolic
        return [broadcast_shape_symbolic(node.inputs, input_shapes, node.outputs[0])]

    def to_json_params(self) -> dict[str, Any]:
        return {"row": self.row.to_json_ref(), "destroy": self.destroy}

    @classmethod
    def from_json_params(cls, params: dict[str, Any]) -> InplaceElemwise:
        return cls(row_of(params["row"]["scalar_op"]), int(params["destroy"]))


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
