"""constant folding: nodes whose inputs are all constants are computed at compile time.

Not folded: random draws (fresh numbers each call), and results larger than
`config.constant_fold_max_size` elements -- or, for ops that only allocate (alloc, eye,
arange), larger than `_ALLOC_FOLD_MAX` (64) elements, so `zeros((784, 512))` stays a cheap
allocation instead of a baked-in 1.6 MB constant. Sizes are judged from static shapes
(re-inferred on the constant inputs) before anything is computed: a result whose size
cannot be known in advance is left for run time.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config import config
from ..fgraph import FunctionGraph
from ..graph import Apply, Constant, Variable
from ..ops.allocation import Alloc, Arange, Eye
from ..ops.shape import Shape, ShapeI
from ..tensor import TensorType, constant
from .driver import Rewrite
from .pattern import P, rule

_ALLOCATING = (Alloc, Eye, Arange)
_ALLOC_FOLD_MAX = 64


def _fold(fgraph: FunctionGraph, node: Apply) -> Any:
    """op(c1, c2, ...) -> its value, computed now."""
    if node.op.nondeterministic:
        return None
    if not all(isinstance(v, Constant) for v in node.inputs):
        return None
    if not all(isinstance(o.type, TensorType) for o in node.outputs):
        return None
    limit = _ALLOC_FOLD_MAX if isinstance(node.op, _ALLOCATING) else \
        config.constant_fold_max_size
    if not _small_enough(node, limit):
        return None
    try:
        with np.errstate(all="ignore"):
            value = node.op.perform(node, *(v.data for v in node.inputs))
    except Exception:
        return None  # leave it for run time, where the error names the user's line
    values = value if len(node.outputs) > 1 else [value]
    out = []
    for o, val in zip(node.outputs, values, strict=True):
        arr = np.asarray(val)
        if arr.size > limit or arr.dtype.name != o.dtype or not o.type.accepts_shape(arr.shape):
            return None
        c = constant(arr, dtype=o.dtype)
        c.type = TensorType(o.dtype, tuple(arr.shape))
        out.append(c)
    return out


def _small_enough(node: Apply, limit: int) -> bool:
    """Every output provably has at most `limit` elements, judged before computing it.

    The node's static shapes were inferred when it was built, often before its inputs
    became constants (zeros((n, n)) with n = 2 * 10000 folded later): rebuilt on the
    constants, it knows them. A result whose size stays unknown is not computed (a
    never-called function once allocated 1.9 GB to compile).
    """
    shapes = [o.type.shape for o in node.outputs]
    if any(None in s for s in shapes):
        try:
            shapes = [o.type.shape for o in node.op.make_node(*node.inputs).outputs]
        except Exception:
            return False  # it would fail at run time too, where the error names the line
    for shape in shapes:
        size = 1
        for d in shape:
            if d is None:
                return False
            size *= d
            if size > limit:
                return False
    return True


def _static_shape(x: Variable, out: Variable) -> Variable | None:
    """shape(x) / shape_i(x) as a constant when x's static shape (or that dim) is known."""
    op = out.owner.op
    if isinstance(op, Shape) and None not in x.type.shape:
        return constant(np.array(x.type.shape, dtype=np.int64))
    if isinstance(op, ShapeI) and x.type.shape[op.i] is not None:
        return constant(x.type.shape[op.i], "int64")
    return None


FOLDING = [
    Rewrite("constant_fold", _fold, None, "op(constants) -> constant"),
    rule("shape_of_static", P.op(("shape", "shape_i"), P.var("x")), _static_shape,
         doc="shape(x) -> constant when x's static shape is known"),
]
