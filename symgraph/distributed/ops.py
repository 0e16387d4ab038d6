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

from .. import dtypes
from ..graph import Apply, Variable
from ..ops import elemwise as ew
from ..ops.indexing import getitem
from ..ops.registry import Op
from ..ops.shape import concatenate, reshape, shape
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

    def grad(self, inputs, outputs, output_grads):
        if self.op not in ("sum", "mean"):
            raise NotImplementedError(f"allreduce{{op={self.op!r}}} ({self.label!r}) has no "
                                      f"gradient: only op='sum' and op='mean' are "
                                      f"differentiable")
        g = output_grads[0]
        return [None if g is None else AllReduce(self.op, f"{self.label}.grad")(g)]

    def infer_shape(self, node, input_shapes):
        return [list(input_shapes[0])]


def allreduce(x: Any, op: str = "sum", name: str = "allreduce") -> Variable:
    """The elementwise `op` ('sum', 'mean', 'max', 'min') of `x` over all ranks, as a
    graph node (differentiable for 'sum' and 'mean'); `name` appears in its errors."""
    return AllReduce(op, name)(x)


def _size_of(x: Variable) -> Any:
    """The number of elements of x: an int when its shape is static, else a symbol."""
    if all(d is not None for d in x.type.shape):
        n = 1
        for d in x.type.shape:
            n *= d
        return n
    return ew.cast(shape(x).prod(), "int64")


def allreduce_packed(xs: Sequence[Any], op: str = "mean", weight: Any = None,
                     dtype: str | None = None, name: str = "allreduce_packed"
                     ) -> list[Variable]:
    """Reduce several tensors over all ranks with ONE collective: they are flattened into
    one contiguous buffer, reduced, and cut back into their shapes (views).

    op: 'sum' or 'mean'. weight: a scalar per rank; with it the result is the weighted
    mean sum_r(w_r * x_r) / sum_r(w_r) (the weights travel in the same buffer), which is
    how DistributedOptimizer averages gradients of batches of different sizes exactly.
    dtype: the dtype the buffer is reduced in (e.g. 'float64' to add float32 tensors
    without rounding); default: the tensors' common dtype. Results keep each input's dtype.
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
    parts = [ew.cast(reshape(x, (-1,)), acc) for x in xs]
    if weight is not None:
        w = ew.cast(as_tensor(weight), acc)
        if w.ndim != 0:
            raise ValueError(f"allreduce_packed: the weight must be a scalar, got {w.type}")
        parts = [p * w for p in parts] + [reshape(w, (1,))]
    total = allreduce(concatenate(parts), "sum" if weight is not None else op, name)
    out, start = [], 0
    for x in xs:
        n = _size_of(x)
        piece = reshape(getitem(total, slice(start, start + n)), shape(x), ndim=x.ndim)
        if weight is not None:
            piece = piece / total[-1]   # (one fused pass with the cast below)
        out.append(ew.cast(piece, x.dtype))
        start = start + n
    return out
