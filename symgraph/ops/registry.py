"""The op contract: what every operation declares, in one place.

An op is an immutable, hashable value (a frozen dataclass); two ops with equal parameters
are equal, which is what lets the merge pass find identical subexpressions. Each op
declares:

- `make_node(*inputs)`: input conversion and checks, plus the output types (dtype and
  static shape rule) -- errors name the op, the shapes and the dtypes;
- `render(ctx, ins)`: a Python expression of NumPy calls computing the output(s) from the
  input names (the NumPy backend pastes these into one function), or `perform(*arrays)`;
- `grad(inputs, outputs, output_grads)`: the gradient rule, built from graph nodes;
- `infer_shape(node, input_shapes)`: the output shapes as symbolic scalars, when cheap;
- optionally a C template (`c_code`), used by the C backend.

Every subclass registers itself by class name so `from_json` can rebuild it.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from ..graph import Apply, Variable
from ..lazy import LazyModule

# Op classes by the name graph documents use (`op_key`): from_json rebuilds ops from it.
OPS: dict[str, type[Op]] = {}
_SP, _SLA = LazyModule("scipy.special"), LazyModule("scipy.linalg")


def op_key(cls: type) -> str:
    """The name a graph document stores for an op class: the class name for symgraph's
    own ops, `module.QualName` for any other, so a user's `class Reduce(Op)` is a new op
    instead of silently replacing the built-in one."""
    if cls.__module__.split(".")[0] == "symgraph":
        return cls.__name__
    return f"{cls.__module__}.{cls.__qualname__}"


def find_op_class(key: str) -> type[Op] | None:
    """The op class a document names: by `op_key`, or (documents written before keys
    were qualified) by a class name that exactly one registered class has."""
    cls = OPS.get(key)
    if cls is None and "." not in key:
        same = [c for c in OPS.values() if c.__name__ == key]
        cls = same[0] if len(same) == 1 else None
    return cls


class FreshNames:
    """Hands out names not taken yet: `base`, then `base<sep>1`, `base<sep>2`, ... One
    counter per base, so the 2,000th kernel named _fused does not retry 1,999 names.
    `taken` is the collection to check (a namespace dict, a set of used names)."""

    def __init__(self, taken: Any, sep: str = "") -> None:
        self.taken = taken
        self.sep = sep
        self._next: dict[str, int] = {}

    def fresh(self, base: str) -> str:
        name, n = base, self._next.get(base, 1)
        while name in self.taken:
            name, n = f"{base}{self.sep}{n}", n + 1
        self._next[base] = n
        return name


class RenderContext:
    """Names the objects generated code refers to, so the code reads `np.exp(x)`."""

    def __init__(self) -> None:
        # SciPy is imported when generated code first uses it (symgraph/lazy.py).
        self.namespace: dict[str, Any] = {"np": np, "sp": _SP, "sla": _SLA}
        self._by_id: dict[int, str] = {}
        self._names = FreshNames(self.namespace)

    def ref(self, obj: Any, hint: str = "obj") -> str:
        """A name bound to `obj` in the generated code's globals."""
        if isinstance(obj, np.ufunc) and getattr(np, obj.__name__, None) is obj:
            return f"np.{obj.__name__}"
        mod = getattr(obj, "__module__", "") or ""
        name = getattr(obj, "__name__", None)
        if name and mod.startswith("scipy.special") and \
                getattr(self.namespace["sp"], name, None) is obj:
            return f"sp.{name}"
        if name and mod.startswith("numpy") and getattr(np, name, None) is obj:
            return f"np.{name}"
        key = id(obj)
        if key in self._by_id:
            return self._by_id[key]
        label = self._names.fresh("_" + "".join(c if c.isalnum() else "_" for c in hint))
        self.namespace[label] = obj
        self._by_id[key] = label
        return label


class Op:
    """Base class of every operation (subclasses are frozen dataclasses)."""

    nout: ClassVar[int] = 1
    # Random ops draw fresh numbers: never merged, never constant-folded.
    nondeterministic: ClassVar[bool] = False
    # Outputs that are views of an input {output index: input index}, for in-place safety.
    view_map: ClassVar[dict[int, int]] = {}
    # Outputs that overwrite an input {output index: input index}.
    destroy_map: ClassVar[dict[int, int]] = {}
    # Inputs are computed only when needed (ifelse): code generation emits a branch, and
    # output k passes input 1 + k or 1 + n + k through (`alias_sources`).
    lazy: ClassVar[bool] = False
    # Computes each output element from the same-position input elements (Elemwise rows,
    # fused kernels): shape rules and nan_guard treat these alike.
    elementwise: ClassVar[bool] = False
    # Every output is a new array of the op's own (never a view): a buffer the in-place
    # pass may let a later node overwrite once nothing else reads it.
    fresh: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        OPS[op_key(cls)] = cls

    # ---- construction
    @property
    def name(self) -> str:
        return type(self).__name__.lower()

    def make_node(self, *inputs: Any) -> Apply:
        raise NotImplementedError(f"{type(self).__name__}.make_node")

    def __call__(self, *inputs: Any) -> Any:
        node = self.make_node(*inputs)
        return node.outputs[0] if self.nout == 1 else list(node.outputs)

    # ---- evaluation
    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        """Python expression of the output(s) (a tuple when nout > 1) from input names.

        By default, a call to `perform` bound to this node.
        """
        fn = ctx.ref(functools.partial(self.perform, node), self.name)
        return f"{fn}({', '.join(ins)})"

    def perform(self, node: Apply, *inputs: Any) -> Any:
        """Compute the output(s) from NumPy arrays; by default, evaluates `render`."""
        key = (self, tuple(v.type for v in node.inputs), tuple(v.type for v in node.outputs))
        fn = _PERFORM_CACHE.get(key)
        if fn is None:
            if type(self).render is Op.render:
                raise NotImplementedError(f"{type(self).__name__} defines neither render "
                                          f"nor perform")
            ctx = RenderContext()
            names = [f"i{k}" for k in range(len(inputs))]
            expr = self.render(ctx, node, names)
            fn = eval(f"lambda {', '.join(names)}: {expr}", ctx.namespace)
            _PERFORM_CACHE[key] = fn
        return fn(*inputs)

    def without_inplace(self) -> Op:
        """The op computing the same values into fresh buffers (self unless it has a
        destroy_map): function() starts from these and lets the inplace pass decide."""
        return self

    # ---- differentiation
    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        """Gradients of the cost w.r.t. each input (None = no gradient flows there)."""
        raise NotImplementedError(f"{self} has no gradient rule")

    def connection_pattern(self, node: Apply) -> list[list[bool]] | None:
        """[input][output] -> does the output depend differentiably on the input."""
        return None

    # ---- shapes
    def infer_shape(self, node: Apply, input_shapes: Sequence[Sequence[Variable]],
                    ) -> list[list[Variable]] | None:
        """Output shapes as symbolic int64 scalars, from the input shapes (None = unknown)."""
        return None

    # ---- printing / serialization
    def params(self) -> dict[str, Any]:
        if dataclasses.is_dataclass(self):
            return {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        return {}

    def __str__(self) -> str:
        shown = {k: v for k, v in self.params().items() if not _is_default(self, k, v)}
        if not shown:
            return self.name
        inner = ", ".join(f"{k}={_fmt(v)}" for k, v in shown.items())
        return f"{self.name}{{{inner}}}"

    def to_json_params(self) -> dict[str, Any]:
        return {k: _jsonable(v) for k, v in self.params().items()}

    @classmethod
    def from_json_params(cls, params: dict[str, Any]) -> Op:
        return cls(**{k: _from_jsonable(v) for k, v in params.items()})


_PERFORM_CACHE: dict[tuple, Any] = {}


def keep_input_shape(self: Op, node: Apply, input_shapes: Sequence[Sequence[Variable]]
                     ) -> list[list[Variable]]:
    """`infer_shape` of an op whose one output has its first input's shape (identity-like
    ops, softmax, gradients of such): `infer_shape = keep_input_shape` in the class."""
    return [list(input_shapes[0])]


def _is_default(op: Op, key: str, value: Any) -> bool:
    for f in dataclasses.fields(op) if dataclasses.is_dataclass(op) else ():
        if f.name == key:
            return f.default is not dataclasses.MISSING and f.default == value
    return False


def _fmt(v: Any) -> str:
    if isinstance(v, tuple) and len(v) == 1:
        return f"({_fmt(v[0])},)"
    if isinstance(v, tuple):
        return "(" + ", ".join(_fmt(e) for e in v) + ")"
    return str(v)


def _jsonable(v: Any) -> Any:
    if isinstance(v, tuple):
        return {"tuple": [_jsonable(e) for e in v]}
    if isinstance(v, (np.integer, np.floating)):
        return v.item()
    if isinstance(v, float) and not np.isfinite(v):
        return {"float": repr(v)}
    if hasattr(v, "to_json_ref"):
        return v.to_json_ref()
    return v


def _from_jsonable(v: Any) -> Any:
    if isinstance(v, dict) and "tuple" in v:
        return tuple(_from_jsonable(e) for e in v["tuple"])
    if isinstance(v, dict) and "float" in v:
        return float(v["float"])
    if isinstance(v, dict) and "scalar_op" in v:
        from .elemwise import scalar_op_from_json  # cycle: elemwise builds on the contract
        return scalar_op_from_json(v)
    if isinstance(v, list):
        return [_from_jsonable(e) for e in v]
    return v


def alias_sources(node: Apply, index: int) -> list[int]:
    """Input positions whose buffer output `index` of `node` may share: views
    (view_map), in-place results (destroy_map), and ifelse passing a branch through."""
    op = node.op
    if op.lazy:
        return [1 + index, 1 + op.n + index]
    found = {**op.view_map, **op.destroy_map}
    return [found[index]] if index in found else []


def normalize_axis(axis: Any, ndim: int, op: str) -> tuple[int, ...] | None:
    """Axis spec (None, int, or tuple; negatives allowed) -> sorted tuple of non-negative ints."""
    if axis is None:
        return None
    if isinstance(axis, (int, np.integer)):
        axes: tuple = (axis,)
    elif isinstance(axis, (tuple, list)):
        axes = tuple(axis)
    else:
        raise TypeError(f"{op}: axis must be an int, a tuple of ints or None, got {axis!r}")
    out = []
    for a in axes:
        if not isinstance(a, (int, np.integer)):
            raise TypeError(f"{op}: axis must be an int or tuple of ints, got {axis!r}")
        if not -ndim <= a < ndim:
            raise ValueError(f"{op}: axis {a} is out of range for a {ndim}-d input")
        out.append(int(a) % ndim)
    if len(set(out)) != len(out):
        raise ValueError(f"{op}: repeated axis in {axis!r}")
    return tuple(sorted(out))
