"""symgraph: a symbolic graph compiler in the style of Theano.

    import symgraph as sg
    x = sg.vector('x'); w = sg.shared(np.ones(3), 'w')
    f = sg.function([x], sg.sum(x * w))
"""

from . import linalg_api as linalg
from .config import config
from .function import Function, function
from .grad import (
    DisconnectedInputError,
    GradientError,
    Lop,
    Rop,
    disconnected_grad,
    grad,
    hessian,
    jacobian,
    stop_gradient,
    verify_grad,
)
from .graph import Apply, Constant, SharedVariable, Variable, ancestors, clone_replace, toposort
from .lazy import lazy_attributes
from .nan_guard import NanGuard, NanGuardError
from .ops import *  # noqa: F403  (the math namespace)
from .ops import ifelse
from .ops.random import RandomStream
from .tensor import (
    TensorConstant,
    TensorSharedVariable,
    TensorType,
    TensorVariable,
    as_tensor,
    bmatrix,
    bscalar,
    bvector,
    constant,
    dmatrix,
    dscalar,
    dtensor3,
    dtensor4,
    dvector,
    fmatrix,
    fscalar,
    ftensor3,
    ftensor4,
    fvector,
    imatrix,
    iscalar,
    itensor3,
    itensor4,
    ivector,
    lmatrix,
    lscalar,
    lvector,
    matrix,
    scalar,
    shared,
    tensor,
    tensor3,
    tensor4,
    tensor5,
    vector,
)

as_tensor_variable = as_tensor
RandomStreams = RandomStream
__version__ = "0.1.0"

# Imported on first use (`import symgraph` stays quick): the printers, pictures and JSON
# (printing.py, drawing.py, serialize.py), scan and the collectives (symgraph.distributed).
_LAZY = {"debugprint": "printing", "from_json": "printing", "pprint": "printing",
         "render": "printing", "to_dot": "printing", "to_json": "printing",
         "to_networkx": "printing", "GraphFormatError": "serialize_checks",
         "scan": "ops.scan", "distributed": None}


# `sg.debugprint`, `sg.to_json`, `sg.distributed`, ...: imported when first used.
__getattr__ = lazy_attributes(globals(), _LAZY)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
