"""The op library: the math namespace re-exported at `symgraph` top level."""

from types import ModuleType as _ModuleType

from . import nnet
from .allocation import alloc, arange, broadcast_to, eye, ones, ones_like, zeros, zeros_like
from .control import IfElse, ifelse
from .elemwise import (
    TABLE,
    Elemwise,
    ScalarOp,
    absolute,
    add,
    and_,
    arccos,
    arcsin,
    arctan,
    cast,
    ceil,
    clip,
    cos,
    cosh,
    eq,
    erf,
    erfc,
    exp,
    exp2,
    expm1,
    floor,
    floor_div,
    ge,
    gt,
    identity,
    invert,
    isinf,
    isnan,
    le,
    log,
    log1p,
    log2,
    log10,
    lt,
    maximum,
    minimum,
    mod,
    mul,
    neg,
    neq,
    not_,
    or_,
    power,
    reciprocal,
    relu,
    rint,
    sigmoid,
    sign,
    sin,
    sinh,
    softplus,
    softsign,
    sqrt,
    square,
    sub,
    switch,
    tan,
    tanh,
    true_div,
    where,
    xor,
)
from .indexing import getitem, inc_subtensor, set_subtensor, take
from .linalg import dot, matmul, outer, tensordot
from .reduce import all, any, argmax, argmin, logsumexp, max, mean, min, prod, std, sum, var
from .registry import OPS, Op
from .shape import (
    concatenate,
    dimshuffle,
    expand_dims,
    flatten,
    reshape,
    shape,
    shape_i,
    squeeze,
    stack,
    transpose,
)
from .tiling import repeat, tile

# The table names these rows absolute/power/rint so that its module never shadows
# Python's builtins; the public namespace uses NumPy's names (sg.abs, sg.pow, sg.round).
abs, pow, round = absolute, power, rint  # noqa: A001

# Theano's and NumPy's other spellings.
true_divide = div = true_div
int_div = floor_div
ne = neq

__all__ = [n for n, v in dict(globals()).items()
           if not n.startswith("_") and not isinstance(v, _ModuleType)] + ["nnet"]
