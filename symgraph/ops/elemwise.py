"""THE elementwise table: one row per op.

A row is the op: its name, arity, NumPy implementation, Python rendering, C expression,
dtype rule and gradient rule. The NumPy backend, the C backend, gradients, constant
folding, fusion and the tests all read the same row, so adding an op is adding a row.

Dtype rules: None = NumPy's own promotion for the function (probed once per dtype combo);
'float' = the inputs' common dtype moved to float the way NumPy's ufuncs do (int32 ->
float64, int16 -> float32, int8/bool -> float16), inputs cast to it before the call;
'bool' = a predicate; 'switch' = the common dtype of the two branches; a dtype name = a cast.

C expressions see their inputs already converted to the computation dtype (`c_expr`):
the output dtype, except for casts and predicates (their input's dtype) and switch's
condition; tgmath.h makes `exp` generic, `sg_*` helpers are defined by the C backend's
preamble (codegen/c_backend.py). A row whose C form depends on the dtype says so in
`c_for` ({dtype name or kind ('b', 'i', 'u', 'f'): template}; None = NumPy only).

Gradient rules take (*inputs, out, g) and return one gradient per input (None = no
gradient flows to that input). They build graph nodes, never arrays; undoing
broadcasting happens once, in `Elemwise.grad`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..lazy import LazyFunction
from ..tensor import TensorType, as_operand, as_tensor, broadcast_shapes
from .allocation import zeros_like
from .grad_ops import sum_to_shape_of
from .registry import Op, RenderContext
from .shape import broadcast_shape_symbolic


@dataclass(frozen=True, eq=False)
class ScalarOp:
    """One row of the table (compared by identity: rows are singletons)."""

    name: str
    nin: int
    fn: Callable[..., Any]
    py: str
    c: str
    dtype: str | None = None
    grad: Callable[..., Any] | None = None
    commutative: bool = False
    associative: bool = False
    identity: float | None = None
    c_for: dict[str, str | None] | None = None  # C templates by dtype (module docstring)

    def to_json_ref(self) -> dict[str, str]:
        return {"scalar_op": self.name}

    def __str__(self) -> str:
        return self.name


def _row_fn(self: ScalarOp) -> Callable[..., Any]:
    fn = self.__dict__["fn"]
    if isinstance(fn, LazyFunction):  # a SciPy row: imported on first use, then kept
        fn = self.__dict__["fn"] = fn.resolve()
    return fn


def _set_row_fn(self: ScalarOp, fn: Callable[..., Any]) -> None:
    self.__dict__["fn"] = fn


# `fn` may be declared as LazyFunction('scipy.special', 'erf'): reading it imports SciPy.
ScalarOp.fn = property(_row_fn, _set_row_fn)  # type: ignore[assignment]

TABLE: dict[str, ScalarOp] = {}
_FLOAT_OF_INT = np.float16  # result_type(int, float16) is NumPy's int -> float rule


def row(name: str, nin: int, fn: Callable[..., Any], py: str, c: str, dtype: str | None = None,
        grad: Callable[..., Any] | None = None, **flags: Any) -> Elemwise:
    """Declare one elementwise op; returns the callable op."""
    scalar = ScalarOp(name, nin, fn, py, c, dtype, grad, **flags)
    TABLE[name] = scalar
    return Elemwise(scalar)


@dataclass(frozen=True)
class Elemwise(Op):
    """Applies one table row elementwise, with NumPy broadcasting."""

    scalar: ScalarOp
    elementwise: ClassVar[bool] = True
    fresh: ClassVar[bool] = True  # a new array of its own (never a view)

    @property
    def name(self) -> str:
        return self.scalar.name

    @property
    def view_map(self) -> dict[int, int]:  # type: ignore[override]
        return {0: 0} if self.scalar.name == "identity" else {}  # identity hands x through

    def __str__(self) -> str:
        return self.scalar.name

    def make_node(self, *inputs: Any) -> Apply:
        row = self.scalar
        if len(inputs) != row.nin:
            raise TypeError(f"{row.name} takes {row.nin} input(s), got {len(inputs)}")
        like = [x for x in inputs if isinstance(x, Variable)]
        if not like:
            like = [as_tensor(inputs[0])]
        xs = [as_operand(x, like) for x in inputs]
        out_dtype = output_dtype(row, [x.dtype for x in xs])
        shape = broadcast_shapes(*(x.type.shape for x in xs), op=row.name)
        return Apply(self, xs, [TensorType(out_dtype, shape)])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        from ..codegen.kernels import plain_call  # upward: codegen renders ops
        return plain_call(ctx, self.scalar, ins, [v.dtype for v in node.inputs],
                          node.outputs[0].dtype)

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        row = self.scalar
        (g,) = output_grads
        if row.grad is None:
            raise NotImplementedError(f"{row.name} has no gradient rule")
        result = row.grad(*inputs, outputs[0], g)
        if not isinstance(result, (tuple, list)):
            result = (result,)
        out = []
        for x, gx in zip(inputs, result, strict=True):
            if gx is None or not dtypes.is_differentiable(x.dtype):
                out.append(None)
                continue
            gx = sum_to_shape_of(gx, x, inputs)
            out.append(gx if gx.dtype == x.dtype else cast(gx, x.dtype))
        return out

    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                    ) -> list[list[Variable]]:
        return broadcast_infer_shape(node, input_shapes)


def broadcast_infer_shape(node: Apply, input_shapes: Sequence[Sequence[Variable]]
                          ) -> list[list[Variable]]:
    """The output shape of an elementwise node (Elemwise, Composite, InplaceElemwise):
    its inputs' shapes broadcast."""
    return [broadcast_shape_symbolic(node.inputs, input_shapes, node.outputs[0])]


_DTYPE_CACHE: dict[tuple, str] = {}


def output_dtype(row: ScalarOp, in_dtypes: Sequence[str]) -> str:
    """Result dtype of `row` on inputs of `in_dtypes`, by the row's rule."""
    key = (row.name, tuple(in_dtypes))
    if key in _DTYPE_CACHE:
        return _DTYPE_CACHE[key]
    rule = row.dtype
    if rule == "bool":
        out = "bool"
    elif rule == "float":
        common = dtypes.upcast(*in_dtypes)
        out = common if dtypes.is_float(common) or dtypes.is_complex(common) else \
            np.result_type(common, _FLOAT_OF_INT).name
    elif rule == "switch":
        out = dtypes.upcast(*in_dtypes[1:])
    elif rule is not None:
        out = dtypes.as_dtype(rule)
    else:
        try:
            with np.errstate(all="ignore"):
                out = np.asarray(row.fn(*(np.zeros(0, d) for d in in_dtypes))).dtype.name
        except TypeError as e:
            raise TypeError(f"{row.name} is not defined for dtype(s) "
                            f"{', '.join(in_dtypes)}") from e
    _DTYPE_CACHE[key] = out
    return out


def natural_dtype(row: ScalarOp, dtype: str) -> str:
    """Dtype `row.fn` itself returns when all its inputs have `dtype` (probed once)."""
    key = (row.name, "natural", dtype)
    if key not in _DTYPE_CACHE:
        with np.errstate(all="ignore"):
            probe = row.fn(*(np.zeros(0, dtype) for _ in range(row.nin)))
        _DTYPE_CACHE[key] = np.asarray(probe).dtype.name
    return _DTYPE_CACHE[key]


# ---------------------------------------------------------------- implementations
# Small NumPy helpers for rows NumPy has no single ufunc for; each is the row's `fn`.


def _softplus(x):
    return np.logaddexp(np.zeros((), dtype=np.result_type(x, np.float16)), x)


def _softsign(x):
    return x / (1 + np.abs(x))


def _relu(x):
    return np.maximum(x, 0)


def _switch(c, a, b):
    return np.where(c, a, b)


def _identity(x):
    return x


def _clip_grad(x, lo, hi, g):
    """np.clip is minimum(maximum(x, lo), hi): ties go to x, and lo > hi gives hi."""
    below_hi = le(maximum(x, lo), hi)
    return (g * and_(ge(x, lo), below_hi), g * and_(lt(x, lo), below_hi), g * not_(below_hi))


_LN2, _LN10 = math.log(2.0), math.log(10.0)
_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)


# ---------------------------------------------------------------- the table
# name, nin, NumPy function, Python rendering, C expression, dtype rule, gradient rule

# arithmetic
add = row("add", 2, np.add, "{0} + {1}", "({0} + {1})", None,
          lambda x, y, out, g: (g, g), commutative=True, associative=True, identity=0)
sub = row("sub", 2, np.subtract, "{0} - {1}", "({0} - {1})", None,
          lambda x, y, out, g: (g, -g))
mul = row("mul", 2, np.multiply, "{0} * {1}", "({0} * {1})", None,
          lambda x, y, out, g: (g * y, g * x), commutative=True, associative=True, identity=1)
true_div = row("true_div", 2, np.true_divide, "{0} / {1}", "({0} / {1})", None,
               lambda x, y, out, g: (g / y, -g * out / y))
floor_div = row("floor_div", 2, np.floor_divide, "{0} // {1}", "sg_floordiv_i({0}, {1})",
                None,
                lambda x, y, out, g: (zeros_like(x), zeros_like(y)),
                c_for={"float64": "sg_floordiv_d({0}, {1})",
                       "float32": "sg_floordiv_f({0}, {1})", "u": "sg_div_u({0}, {1})"})
mod = row("mod", 2, np.remainder, "{0} % {1}", "sg_mod_i({0}, {1})", None,
          lambda x, y, out, g: (g, -g * floor_div(x, y)),
          c_for={"float64": "sg_mod_d({0}, {1})", "float32": "sg_mod_f({0}, {1})",
                 "u": "sg_mod_u({0}, {1})"})
power = row("pow", 2, np.power, "{0} ** {1}", "pow({0}, {1})", None,
            # d/dy x^y = x^y log x, which tends to 0 where x^y = 0 (not 0 * -inf = nan at 0)
            lambda x, y, out, g: (g * y * power(x, y - 1),
                                  g * switch(eq(out, 0), 0, out * log(x))),
            c_for={"b": None, "i": None, "u": None})  # integer powers stay on NumPy
neg = row("neg", 1, np.negative, "-{0}", "(-{0})", None, lambda x, out, g: -g)
# d|x|/dx = 0 at 0, as NumPy's sign and Theano
absolute = row("abs", 1, np.absolute, "np.abs({0})", "({0} < 0 ? -{0} : {0})", None,
               lambda x, out, g: g * sign(x), c_for={"f": "fabs({0})"})
reciprocal = row("reciprocal", 1, np.reciprocal, "np.reciprocal({0})", "(1 / {0})", "float",
                 lambda x, out, g: -g * out * out)
square = row("square", 1, np.square, "np.square({0})", "({0} * {0})", None,
             lambda x, out, g: g * 2 * x)
maximum = row("maximum", 2, np.maximum, "np.maximum({0}, {1})", "sg_max({0}, {1})", None,
              lambda x, y, out, g: (g * ge(x, y), g * lt(x, y)),  # ties go to x
              commutative=True, associative=True)
minimum = row("minimum", 2, np.minimum, "np.minimum({0}, {1})", "sg_min({0}, {1})", None,
              lambda x, y, out, g: (g * le(x, y), g * gt(x, y)),
              commutative=True, associative=True)
identity = row("identity", 1, _identity, "{0}", "{0}", None, lambda x, out, g: g)

# exponentials and logarithms
exp = row("exp", 1, np.exp, "np.exp({0})", "exp({0})", "float", lambda x, out, g: g * out)
exp2 = row("exp2", 1, np.exp2, "np.exp2({0})", "exp2({0})", "float",
           lambda x, out, g: g * out * _LN2)
expm1 = row("expm1", 1, np.expm1, "np.expm1({0})", "expm1({0})", "float",
            lambda x, out, g: g * (out + 1))
log = row("log", 1, np.log, "np.log({0})", "log({0})", "float", lambda x, out, g: g / x)
log2 = row("log2", 1, np.log2, "np.log2({0})", "log2({0})", "float",
           lambda x, out, g: g / (x * _LN2))
log10 = row("log10", 1, np.log10, "np.log10({0})", "log10({0})", "float",
            lambda x, out, g: g / (x * _LN10))
log1p = row("log1p", 1, np.log1p, "np.log1p({0})", "log1p({0})", "float",
            lambda x, out, g: g / (x + 1))
sqrt = row("sqrt", 1, np.sqrt, "np.sqrt({0})", "sqrt({0})", "float",
           lambda x, out, g: g / (out * 2))  # inf at 0, as Theano and the math say

# trigonometry
sin = row("sin", 1, np.sin, "np.sin({0})", "sin({0})", "float", lambda x, out, g: g * cos(x))
cos = row("cos", 1, np.cos, "np.cos({0})", "cos({0})", "float", lambda x, out, g: -g * sin(x))
tan = row("tan", 1, np.tan, "np.tan({0})", "tan({0})", "float",
          lambda x, out, g: g * (square(out) + 1))
arcsin = row("arcsin", 1, np.arcsin, "np.arcsin({0})", "asin({0})", "float",
             lambda x, out, g: g / sqrt(1 - square(x)))
arccos = row("arccos", 1, np.arccos, "np.arccos({0})", "acos({0})", "float",
             lambda x, out, g: -g / sqrt(1 - square(x)))
arctan = row("arctan", 1, np.arctan, "np.arctan({0})", "atan({0})", "float",
             lambda x, out, g: g / (square(x) + 1))
sinh = row("sinh", 1, np.sinh, "np.sinh({0})", "sinh({0})", "float",
           lambda x, out, g: g * cosh(x))
cosh = row("cosh", 1, np.cosh, "np.cosh({0})", "cosh({0})", "float",
           lambda x, out, g: g * sinh(x))
tanh = row("tanh", 1, np.tanh, "np.tanh({0})", "tanh({0})", "float",
           lambda x, out, g: g * (1 - square(out)))

# special functions and activations
def _special(name: str) -> Any:
    return LazyFunction("scipy.special", name)


erf = row("erf", 1, _special("erf"), "sp.erf({0})", "erf({0})", "float",
          lambda x, out, g: g * _TWO_OVER_SQRT_PI * exp(-square(x)))
erfc = row("erfc", 1, _special("erfc"), "sp.erfc({0})", "erfc({0})", "float",
           lambda x, out, g: -g * _TWO_OVER_SQRT_PI * exp(-square(x)))
sigmoid = row("sigmoid", 1, _special("expit"), "sp.expit({0})", "sg_sigmoid({0})", "float",
              lambda x, out, g: g * out * (1 - out))
softplus = row("softplus", 1, _softplus, "@", "sg_softplus({0})", "float",
               lambda x, out, g: g * sigmoid(x))  # log(1 + e^x), stable for |x| = 1000
softsign = row("softsign", 1, _softsign, "@", "({0} / (1 + fabs({0})))", "float",
               lambda x, out, g: g / square(1 + absolute(x)))
relu = row("relu", 1, _relu, "np.maximum({0}, 0)", "sg_max({0}, 0)", None,
           lambda x, out, g: g * gt(out, 0))  # out > 0 iff x > 0; x itself can then die

# rounding: piecewise constant, so the gradient is zero almost everywhere
sign = row("sign", 1, np.sign, "np.sign({0})", "(({0} > 0) - ({0} < 0))", None,
           lambda x, out, g: zeros_like(x),
           c_for={"f": "({0} != {0} ? {0} : ({0} > 0) - ({0} < 0))"})  # sign(nan) = nan
floor = row("floor", 1, np.floor, "np.floor({0})", "floor({0})", None,
            lambda x, out, g: zeros_like(x))
ceil = row("ceil", 1, np.ceil, "np.ceil({0})", "ceil({0})", None,
           lambda x, out, g: zeros_like(x))
rint = row("round", 1, np.round, "np.round({0})", "nearbyint({0})", None,  # half to even
           lambda x, out, g: zeros_like(x), c_for={"b": "{0}", "i": "{0}", "u": "{0}"})

# comparisons and logic: bool results carry no gradient
eq = row("eq", 2, np.equal, "{0} == {1}", "({0} == {1})", "bool", commutative=True)
neq = row("neq", 2, np.not_equal, "{0} != {1}", "({0} != {1})", "bool", commutative=True)
lt = row("lt", 2, np.less, "{0} < {1}", "({0} < {1})", "bool")
gt = row("gt", 2, np.greater, "{0} > {1}", "({0} > {1})", "bool")
le = row("le", 2, np.less_equal, "{0} <= {1}", "({0} <= {1})", "bool")
ge = row("ge", 2, np.greater_equal, "{0} >= {1}", "({0} >= {1})", "bool")
and_ = row("and_", 2, np.bitwise_and, "{0} & {1}", "({0} & {1})", None,
           commutative=True, associative=True)
or_ = row("or_", 2, np.bitwise_or, "{0} | {1}", "({0} | {1})", None,
          commutative=True, associative=True)
xor = row("xor", 2, np.bitwise_xor, "{0} ^ {1}", "({0} ^ {1})", None, commutative=True)
invert = row("invert", 1, np.invert, "~{0}", "(~{0})", None, c_for={"b": "(!{0})"})
not_ = row("not_", 1, np.logical_not, "np.logical_not({0})", "(!{0})", "bool")
isnan = row("isnan", 1, np.isnan, "np.isnan({0})", "isnan({0})", "bool",
            c_for={"b": "0", "i": "0", "u": "0"})
isinf = row("isinf", 1, np.isinf, "np.isinf({0})", "isinf({0})", "bool",
            c_for={"b": "0", "i": "0", "u": "0"})

# selection
try:  # np.clip's own ufunc: the np.clip wrapper costs 3-4 us more per call on scalars
    from numpy._core.umath import clip as _CLIP
except ImportError:  # NumPy 1.x
    _CLIP = np.clip
switch = row("switch", 3, _switch, "np.where({0}, {1}, {2})", "({0} ? {1} : {2})", "switch",
             lambda c, a, b, out, g: (None, switch(c, g, 0), switch(c, 0, g)))
clip = row("clip", 3, _CLIP, "@", "sg_clip({0}, {1}, {2})", None,
           lambda x, lo, hi, out, g: _clip_grad(x, lo, hi, g))
where = switch


_CAST_ROWS: dict[str, Elemwise] = {}


def cast_op(dtype: str) -> Elemwise:
    """The cast row for one target dtype (rows are made on first use)."""
    dtype = dtypes.as_dtype(dtype)
    if dtype not in _CAST_ROWS:
        c = "({0} != 0)" if dtype == "bool" else f"(({dtypes_c(dtype)}){{0}})"
        scalar = ScalarOp(f"cast{{{dtype}}}", 1, lambda x, _d=dtype: np.asarray(x).astype(_d),
                          f"{{0}}.astype(np.{dtype})", c, dtype, lambda x, out, g: g)
        TABLE[scalar.name] = scalar
        _CAST_ROWS[dtype] = Elemwise(scalar)
    return _CAST_ROWS[dtype]


def dtypes_c(dtype: str) -> str:
    """The C type for a dtype."""
    return {"bool": "npy_bool", "int8": "npy_int8", "int16": "npy_int16", "int32": "npy_int32",
            "int64": "npy_int64", "uint8": "npy_uint8", "uint16": "npy_uint16",
            "uint32": "npy_uint32", "uint64": "npy_uint64", "float16": "npy_half",
            "float32": "npy_float32", "float64": "npy_float64"}.get(dtype, dtype)


# dtypes the C backend computes in (float16 and complex stay on NumPy)
C_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
            "float32", "float64")


def c_expr(row: ScalarOp, args: Sequence[str], arg_dtypes: Sequence[str],
           out_dtype: str) -> str | None:
    """The C expression of `row` on C expressions `args` (None: no C form for these
    dtypes). Arguments are converted to the computation dtype first (see the module
    docstring): `true_div` on integers divides in float64, as NumPy does."""
    if out_dtype not in C_DTYPES or any(d not in C_DTYPES for d in arg_dtypes):
        return None
    if row.name.startswith("cast{") or row.dtype == "bool":
        compute = dtypes.upcast(*arg_dtypes)
        texts = list(args)
    else:
        compute = out_dtype
        texts = [a if i == 0 and row.dtype == "switch" else c_convert(a, d, compute)
                 for i, (a, d) in enumerate(zip(args, arg_dtypes, strict=True))]
    template = row.c
    if row.c_for:
        kind = np.dtype(compute).kind
        template = row.c_for.get(compute, row.c_for.get(kind, template))
    if template is None:
        return None
    return template.format(*texts)


def c_temp(dtype: str) -> str:
    """The C type of a computed value: bool values are `int` in registers (a char among
    floats keeps GCC from vectorizing the loop), arrays keep npy_bool."""
    return "int" if dtype == "bool" else dtypes_c(dtype)


def c_convert(text: str, dtype: str, to: str) -> str:
    """C expression converting `text` of `dtype` to `to` (to bool: nonzero, as NumPy)."""
    if dtype == to:
        return text
    if to == "bool":
        return f"({text} != 0)"
    return f"(({dtypes_c(to)}){text})"


def cast(x: Any, dtype: Any) -> Variable:
    """`x` converted to `dtype` (a no-op when it already has it)."""
    x = as_tensor(x)
    dtype = dtypes.as_dtype(dtype)
    if x.dtype == dtype:
        return x
    return cast_op(dtype)(x)


def cast_like(x: Any, like: Variable) -> Variable:
    """x in like's dtype (a gradient keeps the dtype of the input it belongs to)."""
    return cast(x, like.dtype)


def cast_same_kind(x: Variable, dtype: str, refuse: str) -> Variable:
    """x in `dtype` when NumPy's same_kind casting allows it (float64 -> float32, int ->
    float), else TypeError(refuse): a new value must fit the variable it replaces."""
    if x.dtype == dtype:
        return x
    if not np.can_cast(x.dtype, dtype, casting="same_kind"):
        raise TypeError(refuse)
    return cast(x, dtype)


def scalar_op_from_json(ref: dict[str, str]) -> ScalarOp:
    """The table row a JSON graph names (cast rows are made on demand)."""
    name = ref["scalar_op"]
    if name.startswith("cast{"):
        cast_op(name[5:-1])
    if name not in TABLE:
        raise ValueError(f"unknown elementwise op {name!r} in JSON graph")
    return TABLE[name]


def elemwise_op(name: str) -> Elemwise:
    """The op for a row name."""
    if name.startswith("cast{"):
        return cast_op(name[5:-1])
    return Elemwise(TABLE[name])


def is_elemwise(var_or_node: Any, name: str | None = None) -> bool:
    """True when the variable's owner (or the node) applies the row `name` (any row if None)."""
    node = getattr(var_or_node, "owner", var_or_node)
    return node is not None and isinstance(node.op, Elemwise) and (
        name is None or node.op.scalar.name == name)


def rows_by_ufunc() -> dict[Any, ScalarOp]:
    """NumPy function -> row, for the NumPy protocol (np.exp(x) on a symbolic x)."""
    import sys
    # A SciPy row can only be asked for once SciPy is imported (scipy.special.erf(x)).
    rows = [r for r in TABLE.values() if not isinstance(r.__dict__["fn"], LazyFunction)
            or r.__dict__["fn"].module in sys.modules]
    return {r.fn: r for r in rows if isinstance(r.fn, np.ufunc)}
