"""The allreduce op: a graph node that sums (or averages, max, min) a tensor over all ranks.

    y = sg.distributed.allreduce(x, op='mean')      # every rank gets the mean of the x's
    g = sg.grad(cost, w)                            # gradients flow through it
    avg = sg.distributed.allreduce_packed(grads, op='mean')   # N tensors, ONE collective

Semantics are SPMD: every rank runs the same compiled function, and each call of it makes
one MPI collective per allreduce node, in the graph's order. The gradient of a sum is the
allreduce (sum) of the output gradients, of a mean their allreduce mean: the cost being
differentiated is the sum of every rank's cost (Horovod's rule).

The op is marked `nondeterministic` (like a random draw): it is never merged, constant-
folded or hoisted out of a scan, so each call of a function runs each collective exactly
once on every rank. On a single process it passes its input through.
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..ops import elemwise as ew
from ..ops.allocation import zeros_like
from ..ops.registry import Op, keep_input_shape
from ..tensor import TensorType, as_tensor
from . import comm

# Nodes whose first call has checked that all ranks agree on what they reduce.
_agreed: weakref.WeakSet[Apply] = weakref.WeakSet()


@dataclass(frozen=True)
class AllReduce(Op):
    """out = reduction `op` ('sum', 'mean', 'max', 'min') of the input over all ranks.

    `label` names the collective in errors (a timeout, ranks that disagree).
    """

    op: str = "sum"
    label: str = "allreduce"
    nondeterministic = True
    view_map = {0: 0}  # a single process returns its input

    @property
    def name(self) -> str:
        return "allreduce"

    def make_node(self, x: Any) -> Apply:
        comm.check_op(self.op, "allreduce")
        x = as_tensor(x)
        if self.op == "mean" and not dtypes.is_float(x.dtype):
            raise TypeError(f"allreduce{{op='mean'}} ({self.label!r}): needs a float tensor, "
                            f"got {x.type}; cast it first or use op='sum'")
        if x.dtype == "bool":
            raise TypeError(f"allreduce ({self.label!r}): cannot reduce a bool tensor "
                            f"({x.type}); cast it to an integer or float dtype first")
        return Apply(self, [x], [TensorType(x.dtype, x.type.shape)])

    def perform(self, node: Apply, x: Any) -> Any:
        first = node not in _agreed
        if first:
            _agreed.add(node)
        return comm.allreduce_array(x, self.op, self.label, check=first)

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        if self.op not in ("sum", "mean"):
            raise NotImplementedError(f"allreduce{{op={self.op!r}}} ({self.label!r}) has no "
                                      f"gradient: only op='sum' and op='mean' are "
                                      f"differentiable")
        g = output_grads[0]
        return [None if g is None else AllReduce(self.op, f"{self.label}.grad")(g)]

    infer_shape = keep_input_shape


def allreduce(x: Any, op: str = "sum", name: str = "allreduce") -> Variable:
    """The elementwise `op` ('sum', 'mean', 'max', 'min') of `x` over all ranks, as a
    graph node (differentiable for 'sum' and 'mean'); `name` appears in its errors."""
    return AllReduce(op, name)(x)


@dataclass(frozen=True)
class AllReducePacked(Op):
    """n tensors reduced over all ranks in ONE collective, through one buffer of `dtype`.

    Inputs x_1..x_n (and, when `weighted`, this rank's scalar weight w); outputs y_1..y_n
    in the inputs' dtypes and shapes, and, when weighted, W = the sum of the weights.
    op 'sum': y = sum_r x_r; 'mean': y = sum_r x_r / ranks, or with weights
    sum_r w_r x_r / W. (comm.allreduce_packed_arrays does the work, in a reused buffer.)
    """

    n: int
    op: str = "mean"
    dtype: str = "float64"
    weighted: bool = False
    label: str = "allreduce_packed"
    nondeterministic = True

    @property
    def nout(self) -> int:  # type: ignore[override]
        return self.n + self.weighted

    @property
    def name(self) -> str:
        return "allreduce_packed"

    def make_node(self, *inputs: Any) -> Apply:
        xs = [as_tensor(x) for x in inputs]
        if len(xs) != self.n + self.weighted:
            raise TypeError(f"allreduce_packed ({self.label!r}): expected {self.n} tensors"
                            f"{' and a weight' if self.weighted else ''}, got {len(xs)} inputs")
        for x in xs:
            if not (dtypes.is_float(x.dtype) or dtypes.is_int(x.dtype)):
                raise TypeError(f"allreduce_packed ({self.label!r}): cannot reduce a "
                                f"{x.type} tensor; cast it to a number dtype first")
        outs = [TensorType(x.dtype, x.type.shape) for x in xs[:self.n]]
        if self.weighted:
            if xs[-1].ndim != 0:
                raise ValueError(f"allreduce_packed ({self.label!r}): the weight must be a "
                                 f"scalar, got {xs[-1].type}")
            outs.append(TensorType(self.dtype, ()))
        return Apply(self, xs, outs)

    def perform(self, node: Apply, *arrays: Any) -> Any:
        first = node not in _agreed
        if first:
            _agreed.add(node)
        weight = float(arrays[-1]) if self.weighted else None
        outs, total = comm.allreduce_packed_arrays(list(arrays[:self.n]), self.op, self.dtype,
                                                   weight, self.label, check=first)
        if self.weighted:
            outs.append(np.asarray(total, dtype=self.dtype))
        return tuple(outs)

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        xs = inputs[:self.n]
        gs = [zeros_like(x) if g is None else g for x, g in zip(xs, output_grads, strict=False)]
        if not self.weighted:
            back = AllReducePacked(self.n, self.op, self.dtype, False, f"{self.label}.grad")
            reduced = back(*gs)
            return list(reduced) if self.n > 1 else [reduced]
        # y = sum_r w_r x_r / W: dy/dx_r = w_r / W, dy/dw_r = (x_r - y) / W, dW/dw_r = 1,
        # each summed over the ranks' output gradients (the cost is every rank's cost).
        w, total = inputs[-1], outputs[-1]
        summed = AllReducePacked(self.n, "sum", self.dtype, False, f"{self.label}.grad")(*gs)
        summed = list(summed) if self.n > 1 else [summed]
        grad_xs = [ew.cast(g * (w / total), x.dtype) for g, x in zip(summed, xs, strict=True)]
        grad_w = sum(((g * (x - y)).sum() for g, x, y in
                      zip(summed, xs, outputs[:self.n], strict=True)), start=0) / total
        if output_grads[-1] is not None:
            grad_w = grad_w + AllReduce("sum", f"{self.label}.grad")(output_grads[-1])
        return grad_xs + [ew.cast(grad_w, w.dtype)]

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        return [list(shp) for shp in input_shapes[:self.n]] + ([[]] if self.weighted else [])


def allreduce_packed(xs: Sequence[Any], op: str = "mean", weight: Any = None,
                     dtype: str | None = None, name: str = "allreduce_packed"
                     ) -> list[Variable]:
    """Reduce several tensors over all ranks with ONE collective: they travel in one
    contiguous buffer (the AllReducePacked op) and come back in their shapes and dtypes.

    op: 'sum' or 'mean'. weight: a scalar per rank; with it the result is the weighted
    mean sum_r(w_r * x_r) / sum_r(w_r) (the weights travel in the same buffer), which is
    how DistributedOptimizer averages gradients of batches of different sizes exactly.
    dtype: the dtype the buffer is summed in (e.g. 'float64' to add float32 tensors
    without rounding); default: the tensors' common dtype.
    """
    comm.check_op(op, "allreduce_packed")
    if op not in ("sum", "mean"):
        raise ValueError(f"allreduce_packed: op must be 'sum' or 'mean', got {op!r}")
    if weight is not None and op != "mean":
        raise ValueError("allreduce_packed: a weight makes a weighted mean; use op='mean'")
    xs = [as_tensor(x) for x in xs]
    if not xs:
        return []
    acc = dtypes.as_dtype(dtype) if dtype is not None else \
        dtypes.upcast(*[x.dtype for x in xs])
    inputs = xs + ([as_tensor(weight)] if weight is not None else [])
    outs = AllReducePacked(len(xs), op, acc, weight is not None, name)(*inputs)
    outs = outs if isinstance(outs, list) else [outs]
    return outs[:len(xs)]
