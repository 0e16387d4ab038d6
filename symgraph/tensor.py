"""Tensor types and the user-facing symbolic tensor: operators, methods, NumPy protocols."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import dtypes
from .graph import Apply, Constant, SharedVariable, Variable

Shape = tuple[int | None, ...]


@dataclass(frozen=True)
class TensorType:
    """dtype + static shape; a dimension is an int when known at graph-build time, else None."""

    dtype: str
    shape: Shape

    def __post_init__(self) -> None:
        object.__setattr__(self, "dtype", dtypes.as_dtype(self.dtype))
        shape = tuple(None if d is None else int(d) for d in self.shape)
        if any(d is not None and d < 0 for d in shape):
            raise ValueError(f"static shape {shape} has a negative dimension")
        object.__setattr__(self, "shape", shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def make_variable(self, owner: Apply | None = None, index: int = 0,
                      name: str | None = None) -> TensorVariable:
        return TensorVariable(self, owner, index, name)

    def __str__(self) -> str:
        dims = ",".join("?" if d is None else str(d) for d in self.shape)
        return f"{dtypes.short(self.dtype)}[{dims}]"

    def with_shape(self, shape: Shape) -> TensorType:
        return TensorType(self.dtype, shape)

    def with_dtype(self, dtype: str) -> TensorType:
        return TensorType(dtype, self.shape)

    def accepts_shape(self, shape: tuple[int, ...]) -> bool:
        """True when a runtime shape agrees with the static one."""
        return len(shape) == self.ndim and all(
            s is None or s == d for s, d in zip(self.shape, shape, strict=True))

    def filter(self, value: Any, var: Variable | None = None, strict: bool = False,
               downcast: bool = False) -> np.ndarray:
        """Validate `value` for storage in a variable of this type (shared variables).

        A value of another dtype converts when the cast is safe or changes no value
        (the rule compiled functions apply to their arguments); `downcast` (an explicit
        dtype at creation) also lets floats round, never integers wrap around.
        """
        label = "value" if var is None else \
            f"shared variable {var.name!r}" if var.name else "the shared variable"
        if is_masked(value):
            raise TypeError(f"{label}: cannot store a masked array (its mask would be "
                            f"ignored); pass value.filled(fill) or value.data")
        try:
            arr = np.asarray(value)
        except ValueError as e:  # ragged nested lists
            raise ValueError(f"{label}: the value is not a rectangular array ({e})") from None
        if arr.dtype.name != self.dtype:
            if arr.dtype.kind not in "biufc":
                raise TypeError(f"{label} has dtype {self.dtype}; cannot store a value of "
                                f"dtype {arr.dtype.name} ({type(value).__name__}) in it")
            ok = not strict and (np.can_cast(arr.dtype, self.dtype, casting="safe") or
                                 dtypes.casts_exactly(arr, self.dtype))
            if not ok and downcast and not strict:
                ok = np.can_cast(arr.dtype, self.dtype, casting="same_kind") and \
                    (np.dtype(self.dtype).kind == "f" or dtypes.casts_exactly(arr, self.dtype))
            if not ok:
                raise TypeError(f"{label} has dtype {self.dtype}; cannot store a value of "
                                f"dtype {arr.dtype.name} in it{_value_change(arr, self.dtype)}")
            arr = arr.astype(self.dtype)
        if not self.accepts_shape(arr.shape):
            raise ValueError(f"{label} has static shape {_fmt_shape(self.shape)}; cannot store "
                             f"a value of shape {arr.shape} in it (create it with "
                             f"shape=(None, ...) to allow other sizes)")
        return arr


def _value_change(arr: np.ndarray, dtype: str) -> str:
    """Which value a cast would change, and how to cast on purpose (for the message)."""
    if arr.dtype.kind == "c":
        return ""
    with np.errstate(all="ignore"):
        cast = arr.astype(dtype)
        differ = np.flatnonzero(~((cast == arr) | ((cast != cast) & (arr != arr))))
    if differ.size == 0:
        return ""
    k = differ[0]
    return (f" without changing its values ({arr.reshape(-1)[k].item()!r} would become "
            f"{cast.reshape(-1)[k].item()!r}); cast it first (np.asarray(value, "
            f"dtype={dtype!r})) if that is what you mean")


def is_masked(value: Any) -> bool:
    """True for a NumPy masked array (whose mask an array conversion silently drops)."""
    ma = sys.modules.get("numpy.ma")  # no masked array exists unless numpy.ma was imported
    return ma is not None and isinstance(value, ma.MaskedArray)


def _fmt_shape(shape: Shape) -> str:
    inner = ", ".join("?" if d is None else str(d) for d in shape)
    return f"({inner},)" if len(shape) == 1 else f"({inner})"


def broadcast_shapes(*shapes: Shape, op: str = "elementwise op") -> Shape:
    """NumPy broadcasting on static shapes; raises naming the op and all shapes on conflict."""
    ndim = max((len(s) for s in shapes), default=0)
    out: list[int | None] = []
    for axis in range(ndim):
        dims = [s[axis - ndim + len(s)] for s in shapes if axis - ndim + len(s) >= 0]
        known = {d for d in dims if d is not None and d != 1}
        if len(known) > 1:
            raise ValueError(f"{op}: shapes {', '.join(_fmt_shape(s) for s in shapes)} "
                             f"cannot be broadcast together (axis {axis - ndim})")
        if known:
            out.append(known.pop())
        elif any(d is None for d in dims):
            out.append(None)
        else:
            out.append(1)
    return tuple(out)


# ---------------------------------------------------------------- conversion


def as_tensor(x: Any, dtype: str | None = None, name: str | None = None) -> TensorVariable:
    """A symbolic tensor for `x`: variables pass through, values become constants."""
    if isinstance(x, TensorVariable):
        if dtype is not None and x.dtype != dtypes.as_dtype(dtype):
            from .ops.elemwise import cast  # tensor-operator cycle: ops build on tensor
            return cast(x, dtype)
        return x
    if isinstance(x, Variable):
        raise TypeError(f"{x!r} is a {type(x).__name__}, not a tensor")
    if isinstance(x, (list, tuple)) and any(isinstance(e, Variable) for e in _flat(x)):
        from .ops.shape import stack  # tensor-operator cycle: ops build on tensor
        return stack([as_tensor(e, dtype) for e in x])
    return constant(x, dtype=dtype, name=name)


def _flat(x: Any) -> list:
    if isinstance(x, (list, tuple)):
        return [y for e in x for y in _flat(e)]
    return [x]


def as_operand(x: Any, like: Sequence[TensorVariable]) -> TensorVariable:
    """Convert an operand of a mixed expression; Python scalars take NumPy's weak dtype."""
    if isinstance(x, Variable):
        return as_tensor(x)
    # Only Python scalars are weak; NumPy scalars (np.float64(2)) keep their dtype (NEP 50).
    if isinstance(x, (bool, int, float, complex)) and not isinstance(x, np.generic) and like:
        dt = dtypes.upcast(*(v.dtype for v in like))
        target = dtypes.result_dtype_with_scalar(dt, x)
        try:
            return constant(x, dtype=target)
        except OverflowError as e:  # NumPy 2 (NEP 50) refuses too: int8 tensor + 300
            raise OverflowError(f"Python integer {x} is out of bounds for the {target} tensor "
                                f"it is combined with; cast the tensor first (x.astype(...))"
                                ) from e
    return constant(x)


def constant(value: Any, dtype: str | None = None, name: str | None = None) -> TensorConstant:
    """A constant tensor. Python floats default to `floatX`, Python ints to int64."""
    if isinstance(value, Variable):
        raise TypeError(f"sg.constant() takes a value, not the symbolic {value!r}")
    if dtype is None:
        if isinstance(value, (bool, int, float, complex, np.generic)):
            dtype = dtypes.python_scalar_dtype(value)
        else:
            arr = np.asarray(value)
            if arr.dtype == object:
                raise TypeError(f"cannot make a constant from {value!r}: not a numeric array")
            if arr.dtype.kind == "f" and not isinstance(value, np.ndarray) and \
                    not isinstance(value, np.generic) and arr.dtype.name == "float64":
                dtype = dtypes.as_dtype(None)  # nested Python floats -> floatX
            else:
                dtype = arr.dtype.name
    arr = np.asarray(value)
    if arr.dtype.kind not in "biufc":
        raise TypeError(f"cannot make a constant from {_short_repr(value)}: not a numeric "
                        f"array (NumPy makes it {arr.dtype.name})")
    dtype = dtypes.as_dtype(dtype)
    if arr.dtype.kind in "fc" and np.dtype(dtype).kind in "iub" and not np.all(
            np.isfinite(arr) & (arr == np.round(arr))):
        raise TypeError(f"constant {value!r} does not fit dtype {dtype}")
    if arr.dtype.kind in "iub" and np.dtype(dtype).kind in "iu" and arr.size and \
            not np.array_equal(arr.astype(dtype), arr):
        # NumPy would wrap silently (int32(2**40) == 0); NEP 50 raises OverflowError here.
        raise OverflowError(f"constant {_short_repr(value)} is out of bounds for {dtype}")
    return TensorConstant(TensorType(dtype, arr.shape), arr, name)


def _short_repr(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def shared(value: Any, name: str | None = None, dtype: str | None = None,
           shape: Shape | None = None, borrow: bool = False) -> TensorSharedVariable:
    """A variable whose value persists between calls; compiled functions may update it.

    Its static shape is the value's shape unless `shape` (with None dims) says otherwise.
    """
    if isinstance(value, Variable):
        raise TypeError("sg.shared() takes a value, not a symbolic variable")
    # np.float64 subclasses float; only true Python scalars take the floatX / int64 default.
    is_py_scalar = isinstance(value, (int, float, bool)) and not isinstance(value, np.generic)
    arr = np.asarray(value) if is_py_scalar else np.array(value, copy=not borrow)
    if dtype is None:
        dtype = dtypes.python_scalar_dtype(value) if is_py_scalar else arr.dtype.name
    static = tuple(arr.shape) if shape is None else tuple(shape)
    if len(static) != arr.ndim:
        raise ValueError(f"shared {name!r}: shape {static} has {len(static)} dims, "
                         f"the value has {arr.ndim}")
    return TensorSharedVariable(TensorType(dtype, static), arr, name)


# ---------------------------------------------------------------- the variable


class TensorVariable(Variable):
    """A symbolic tensor: behaves like an array, builds graph instead of computing."""

    __slots__ = ()
    # NumPy defers binary operators on ndarray to us (ndarray + var -> var.__radd__).
    __array_priority__ = 1000

    # ---- static facts
    @property
    def dtype(self) -> str:
        return self.type.dtype

    @property
    def ndim(self) -> int:
        return self.type.ndim

    @property
    def shape(self) -> TensorVariable:
        """The runtime shape as a symbolic int64 vector (`x.shape[0]` is a symbolic scalar)."""
        return _m().shape(self)

    @property
    def T(self) -> TensorVariable:
        return _m().transpose(self)

    def __bool__(self) -> bool:
        raise TypeError("a symbolic variable has no truth value: use sg.switch(cond, a, b) or "
                        "sg.ifelse(cond, a, b) for conditions, sg.eq(a, b) for equality")

    def __len__(self) -> int:
        n = self.type.shape[0] if self.ndim else None
        if n is None:
            raise TypeError(f"len() of a symbolic tensor needs a known first dimension; "
                            f"{self!r} has static shape {_fmt_shape(self.type.shape)}")
        return n

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    # ---- arithmetic
    def _bin(self, name: str, other: Any, reverse: bool = False) -> TensorVariable:
        if not _is_operand(other):
            return NotImplemented
        fn = getattr(_m(), name)
        return fn(other, self) if reverse else fn(self, other)

    def __add__(self, o): return self._bin("add", o)
    def __radd__(self, o): return self._bin("add", o, True)
    def __sub__(self, o): return self._bin("sub", o)
    def __rsub__(self, o): return self._bin("sub", o, True)
    def __mul__(self, o): return self._bin("mul", o)
    def __rmul__(self, o): return self._bin("mul", o, True)
    def __truediv__(self, o): return self._bin("true_div", o)
    def __rtruediv__(self, o): return self._bin("true_div", o, True)
    def __floordiv__(self, o): return self._bin("floor_div", o)
    def __rfloordiv__(self, o): return self._bin("floor_div", o, True)
    def __mod__(self, o): return self._bin("mod", o)
    def __rmod__(self, o): return self._bin("mod", o, True)
    def __pow__(self, o): return self._bin("pow", o)
    def __rpow__(self, o): return self._bin("pow", o, True)
    def __matmul__(self, o): return self._bin("matmul", o)
    def __rmatmul__(self, o): return self._bin("matmul", o, True)
    def __and__(self, o): return self._bin("and_", o)
    def __rand__(self, o): return self._bin("and_", o, True)
    def __or__(self, o): return self._bin("or_", o)
    def __ror__(self, o): return self._bin("or_", o, True)
    def __xor__(self, o): return self._bin("xor", o)
    def __rxor__(self, o): return self._bin("xor", o, True)
    def __lt__(self, o): return self._bin("lt", o)
    def __le__(self, o): return self._bin("le", o)
    def __gt__(self, o): return self._bin("gt", o)
    def __ge__(self, o): return self._bin("ge", o)
    def __neg__(self): return _m().neg(self)
    def __pos__(self): return self
    def __abs__(self): return _m().abs(self)
    def __invert__(self): return _m().invert(self)
    # `==` stays identity so variables can be dict keys (as in Theano); use sg.eq / np.equal.
    __hash__ = Variable.__hash__

    # ---- indexing
    def __getitem__(self, key: Any) -> TensorVariable:
        return _m().getitem(self, key)

    # ---- methods
    def reshape(self, *shape: Any, ndim: int | None = None) -> TensorVariable:
        if len(shape) == 1 and isinstance(shape[0], (list, tuple, Variable)):
            shape = shape[0]
        return _m().reshape(self, shape)

    def flatten(self, ndim: int = 1) -> TensorVariable:
        return _m().flatten(self, ndim)

    def dimshuffle(self, *pattern: Any) -> TensorVariable:
        if len(pattern) == 1 and isinstance(pattern[0], (list, tuple)):
            pattern = tuple(pattern[0])
        return _m().dimshuffle(self, pattern)

    def transpose(self, *axes: Any) -> TensorVariable:
        if len(axes) == 1 and isinstance(axes[0], (list, tuple)):
            axes = tuple(axes[0])
        return _m().transpose(self, axes or None)

    def squeeze(self, axis: Any = None) -> TensorVariable:
        return _m().squeeze(self, axis)

    def astype(self, dtype: Any) -> TensorVariable:
        return _m().cast(self, dtype)

    def clip(self, a_min: Any, a_max: Any) -> TensorVariable:
        return _m().clip(self, a_min, a_max)

    def dot(self, other: Any) -> TensorVariable:
        return _m().dot(self, other)

    def repeat(self, repeats: Any, axis: int | None = None) -> TensorVariable:
        return _m().repeat(self, repeats, axis)

    def copy(self, name: str | None = None) -> TensorVariable:
        out = _m().identity(self)
        out.name = name
        return out

    def norm(self, L: int = 2, axis: Any = None) -> TensorVariable:
        m = _m()
        if L == 1:
            return m.sum(m.abs(self), axis=axis)
        if L == 2:
            return m.sqrt(m.sum(m.square(self), axis=axis))
        return m.pow(m.sum(m.pow(m.abs(self), L), axis=axis), 1.0 / L)

    def sum(self, axis=None, keepdims=False, dtype=None):
        return _m().sum(self, axis, keepdims, dtype)

    def prod(self, axis=None, keepdims=False): return _m().prod(self, axis, keepdims)
    def mean(self, axis=None, keepdims=False): return _m().mean(self, axis, keepdims)
    def max(self, axis=None, keepdims=False): return _m().max(self, axis, keepdims)
    def min(self, axis=None, keepdims=False): return _m().min(self, axis, keepdims)
    def argmax(self, axis=None, keepdims=False): return _m().argmax(self, axis, keepdims)
    def argmin(self, axis=None, keepdims=False): return _m().argmin(self, axis, keepdims)
    def var(self, axis=None, keepdims=False, ddof=0): return _m().var(self, axis, keepdims, ddof)
    def std(self, axis=None, keepdims=False, ddof=0): return _m().std(self, axis, keepdims, ddof)
    def all(self, axis=None, keepdims=False): return _m().all(self, axis, keepdims)
    def any(self, axis=None, keepdims=False): return _m().any(self, axis, keepdims)

    def eval(self, inputs: dict | None = None) -> np.ndarray:
        """Compile (once per input set) and run this expression: `x.eval({x: value})`."""
        from .function import eval_expression  # upward: .eval() compiles a function
        return eval_expression(self, inputs or {})

    # ---- NumPy protocols
    def __array_ufunc__(self, ufunc: np.ufunc, method: str, *inputs: Any, **kwargs: Any):
        from .ops import numpy_protocol  # tensor-operator cycle: ops build on tensor
        return numpy_protocol.array_ufunc(ufunc, method, inputs, kwargs)

    def __array_function__(self, func: Any, types: Any, args: Any, kwargs: Any):
        from .ops import numpy_protocol  # tensor-operator cycle: ops build on tensor
        return numpy_protocol.array_function(func, args, kwargs)

    def __array__(self, dtype: Any = None, copy: Any = None):
        raise TypeError(f"{self!r} is symbolic: it has no value until compiled; "
                        "use sg.function([...], expr) or expr.eval({...})")

    def __float__(self) -> float:
        return self.__array__()

    def __int__(self) -> int:
        return self.__array__()

    def __complex__(self) -> complex:
        return self.__array__()


class TensorConstant(TensorVariable, Constant):
    """A constant tensor."""

    __slots__ = ()

    def __init__(self, type: TensorType, data: Any, name: str | None = None):
        Constant.__init__(self, type, data, name)

    @property
    def value(self) -> np.ndarray:
        return self.data

    def __repr__(self) -> str:
        if self.data.size <= 4:
            return f"<TensorConstant {self.data.tolist()!r}: {self.type}>"
        return super().__repr__()


class TensorSharedVariable(TensorVariable, SharedVariable):
    """A shared tensor: `.get_value()`, `.set_value(v)`."""

    __slots__ = ()

    def __init__(self, type: TensorType, value: Any, name: str | None = None):
        SharedVariable.__init__(self, type, value, name)


def register_attribute(name: str, getter: Any, setter: Any = None) -> None:
    """Give every symbolic tensor a named attribute kept outside the (slotted, immutable)
    node, e.g. by a library built on symgraph: `x.name_` reads `getter(x)` and, with a
    setter, `x.name_ = v` calls `setter(x, v)`. keras_front uses it for Keras 1's
    `x._keras_shape` / `_keras_history` / `_uses_learning_phase`."""
    if hasattr(TensorVariable, name) and name not in _REGISTERED:
        raise ValueError(f"register_attribute: {name!r} is already a TensorVariable member")
    _REGISTERED.add(name)
    setattr(TensorVariable, name, property(getter, setter))


_REGISTERED: set[str] = set()  # names given by register_attribute (may be registered again)


def _is_operand(x: Any) -> bool:
    return isinstance(x, (Variable, bool, int, float, complex, np.ndarray, np.generic, list,
                          tuple))


def _m():
    """The math namespace (symgraph.ops), imported late: ops import this module."""
    from . import ops  # tensor-operator cycle: ops build on tensor
    return ops


# ---------------------------------------------------------------- constructors


def _make(ndim: int):
    def make(name: str | None = None, dtype: Any = None, shape: Shape | None = None
             ) -> TensorVariable:
        shape = (None,) * ndim if shape is None else tuple(shape)
        if len(shape) != ndim:
            raise ValueError(f"a {ndim}-d tensor needs a shape of length {ndim}, got {shape}")
        return TensorType(dtypes.as_dtype(dtype), shape).make_variable(name=name)
    return make


scalar = _make(0)
vector = _make(1)
matrix = _make(2)
tensor3 = _make(3)
tensor4 = _make(4)
tensor5 = _make(5)
for _n, _f in (("scalar", scalar), ("vector", vector), ("matrix", matrix),
               ("tensor3", tensor3), ("tensor4", tensor4), ("tensor5", tensor5)):
    _f.__name__ = _n
    _f.__doc__ = f"A symbolic {_n} input (dtype defaults to config.floatX)."


def tensor(name: str | None = None, dtype: Any = None, shape: Shape = (),
           ndim: int | None = None) -> TensorVariable:
    """A symbolic input of any rank: `sg.tensor('x', dtype='float32', shape=(None, 784))`."""
    if ndim is not None and not shape:
        shape = (None,) * ndim
    return TensorType(dtypes.as_dtype(dtype), tuple(shape)).make_variable(name=name)


def _typed(maker, dtype: str):
    def make(name: str | None = None, shape: Shape | None = None) -> TensorVariable:
        return maker(name, dtype, shape)
    make.__doc__ = f"A symbolic {maker.__name__} of dtype {dtype}."
    return make


fscalar, dscalar, iscalar, lscalar, bscalar = (
    _typed(scalar, d) for d in ("float32", "float64", "int32", "int64", "bool"))
fvector, dvector, ivector, lvector, bvector = (
    _typed(vector, d) for d in ("float32", "float64", "int32", "int64", "bool"))
fmatrix, dmatrix, imatrix, lmatrix, bmatrix = (
    _typed(matrix, d) for d in ("float32", "float64", "int32", "int64", "bool"))
ftensor3, dtensor3, itensor3 = (_typed(tensor3, d) for d in ("float32", "float64", "int32"))
ftensor4, dtensor4, itensor4 = (_typed(tensor4, d) for d in ("float32", "float64", "int32"))
