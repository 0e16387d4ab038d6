"""symgraph: a symbolic graph compiler in the style of Theano.

    import symgraph as sg
    x = sg.vector('x'); w = sg.shared(np.ones(3), 'w')
    f = sg.function([x], sg.sum(x * w))
"""

from . import distributed  # collectives over MPI (mpi4py imported only on demand)
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
from .nan_guard import NanGuard, NanGuardError
from .ops import *  # noqa: F403  (the math namespace)
from .ops import ifelse
from .ops.random import RandomStream
from .ops.scan import scan
from .printing import (
    debugprint,
    from_json,
    pprint,
    render,
    to_dot,
    to_json,
    to_networkx,
)
from .serialize_checks import GraphFormatError
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
