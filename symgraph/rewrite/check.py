"""Check mode: `sg.function(..., check_rewrites=True)` verifies every pass numerically.

Before rewriting, the graph is run once on random inputs; after each pass, the rewritten
graph is run on the same inputs and compared. On a mismatch the passes run again on a
fresh copy, one rewrite at a time, and the error names the FIRST rewrite that changed a
value (with what it replaced and the user's line).

Inputs are drawn with a fixed seed: floats uniform in [0.5, 1.5] (positive, away from 0,
so log, sqrt and division are defined), integers 0 or 1, booleans at random. Unknown dims
get small sizes (2, 3, 4...), the same size wherever the graph forces two dims to agree
(broadcasting elementwise ops, the inner dim of a dot); if the graph still cannot run on
them, every unknown dim gets one size. Graphs are evaluated node by node with each op's
`perform`, on copies of inputs and shared values, so a wrong in-place rewrite cannot
corrupt the caller's data.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from .. import dtypes
from ..fgraph import FunctionGraph
from ..graph import Apply, Constant, SharedVariable, Variable, _copy, toposort
from ..ops.linalg import Dot
from ..ops.nnet import LogSoftmax, Softmax
from ..ops.reduce import Reduce
from ..ops.shape import DimShuffle
from ..tensor import TensorType
from . import rewrite_graph
from .driver import RewriteLog, RewriteRecord
from .shape_info import is_elementwise


class RewriteCheckError(AssertionError):
    """A rewrite changed the value a compiled function computes."""


class _Found(Exception):
    """Stops the replay at the first rewrite that changed a value."""


# ---------------------------------------------------------------- evaluation


def evaluate(outputs: Sequence[Variable], givens: dict[Variable, Any],
             order: Sequence[Apply] | None = None) -> list[Any]:
    """Values of `outputs` computed node by node (copies of `givens` and shared values),
    in `order` when given (a FunctionGraph's order honours in-place constraints)."""
    values: dict[Variable, Any] = {k: np.array(v, copy=True) for k, v in givens.items()}

    def value(v: Variable) -> Any:
        if v not in values:
            if isinstance(v, Constant):
                return v.data
            if isinstance(v, SharedVariable):
                values[v] = _copy(v.container.value)
            else:
                raise ValueError(f"check_rewrites: no value for input {v!r}")
        return values[v]

    for node in toposort(outputs) if order is None else order:
        result = node.op.perform(node, *(value(v) for v in node.inputs))
        if len(node.outputs) > 1 or (isinstance(result, tuple) and len(result) == 1):
            results = list(result)
        else:
            results = [result]
        for o, r in zip(node.outputs, results, strict=True):
            values[o] = r
    return [value(o) for o in outputs]


_TOLERANCE = {16: (1e-2, 1e-3), 32: (1e-4, 1e-5), 64: (1e-7, 1e-9)}


def _mismatch(expected: Sequence[Any], got: Sequence[Any], bits: int = 64,
              exact_ints: bool = True) -> tuple[int, str] | None:
    """(output index, description) of the first output that differs, or None.

    Floats compare within the tolerance of `bits`, the narrowest float the graph computes
    in (a float64 result of float32 work is only as exact as float32). Where the expected
    value is inf or nan, the rewritten graph may give anything: that is where the
    documented domain choices (x * 0 -> 0, x / x -> 1, exp(log(x)) -> x) differ; for the
    same reason integer results are compared only when `exact_ints` (no inf or nan was
    computed on the way).
    """
    for i, (a, b) in enumerate(zip(expected, got, strict=True)):
        if not isinstance(a, (np.ndarray, np.generic)):
            continue
        a, b = np.asarray(a), np.asarray(b)
        if a.shape != b.shape or a.dtype != b.dtype:
            return i, f"expected {a.dtype}{list(a.shape)}, got {b.dtype}{list(b.shape)}"
        if a.dtype.kind in "fc":
            rtol, atol = _TOLERANCE[min(bits, np.finfo(a.dtype).bits)]
            finite = np.isfinite(a)
            with np.errstate(all="ignore"):
                close = np.isclose(a, b, rtol=rtol, atol=atol, equal_nan=True) | ~finite
            if not np.all(close):
                with np.errstate(all="ignore"):
                    diff = np.abs(a.astype("float64") - b.astype("float64"))
                worst = diff[~close].max()
                return i, f"largest difference {worst:.3g}"
        elif exact_ints and not np.array_equal(a, b):
            return i, "integer values differ"
    return None


def _has_nonfinite(v: Any) -> bool:
    return isinstance(v, (np.ndarray, np.generic)) and np.asarray(v).dtype.kind in "fc" and \
        not bool(np.all(np.isfinite(v)))


def narrowest_float_bits(outputs: Sequence[Variable]) -> int:
    """Bits of the narrowest float dtype any node under `outputs` computes (64 if none)."""
    bits = [np.finfo(o.type.dtype).bits for node in toposort(outputs) for o in node.outputs
            if isinstance(o.type, TensorType) and dtypes.is_float(o.type.dtype)]
    return min(bits, default=64)


# ---------------------------------------------------------------- random inputs


class _Dims:
    """Union-find over unknown dims, each class with its size once known."""

    def __init__(self) -> None:
        self.parent: list[int] = []
        self.size: list[int | None] = []

    def new(self, size: int | None = None) -> int:
        self.parent.append(len(self.parent))
        self.size.append(size)
        return len(self.parent) - 1

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> int:
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[b] = a
            if self.size[a] is None:
                self.size[a] = self.size[b]
        return a


def _dim_classes(inputs: Sequence[Variable], outputs: Sequence[Variable]
                 ) -> tuple[_Dims, dict[Variable, list[int]]]:
    """A dim class for every axis of every variable, unified where the graph forces it."""
    dims = _Dims()
    atoms: dict[Variable, list[int]] = {}

    def of(v: Variable) -> list[int]:
        if v not in atoms:
            shape = v.type.shape if isinstance(v.type, TensorType) else ()
            if isinstance(v, SharedVariable) and isinstance(v.type, TensorType):
                shape = np.shape(v.container.value)
            elif isinstance(v, Constant):
                shape = v.data.shape
            atoms[v] = [dims.new(d) for d in shape]
        return atoms[v]

    for v in inputs:
        of(v)
    for node in toposort(outputs):
        ins = [of(v) for v in node.inputs]
        outs = [of(o) for o in node.outputs]
        op = node.op
        if is_elementwise(node):
            out = outs[0]
            for x, a in zip(node.inputs, ins, strict=True):
                for k, atom in enumerate(a):
                    if x.type.shape[k] != 1:
                        dims.union(out[k - len(a) + len(out)], atom)
        elif isinstance(op, Dot) and len(ins[1]):
            a, b = ins
            dims.union(a[-1], b[0] if len(b) == 1 else b[-2])
            for o, d in zip(outs[0], a[:-1] + (b[:-2] + b[-1:] if len(b) > 1 else []),
                            strict=False):
                dims.union(o, d)
        elif isinstance(op, (Softmax, LogSoftmax)):
            for o, d in zip(outs[0], ins[0], strict=True):
                dims.union(o, d)
        elif isinstance(op, DimShuffle):
            for o, p in zip(outs[0], op.pattern, strict=True):
                if p != "x":
                    dims.union(o, ins[0][p])
        elif isinstance(op, Reduce):
            axes = set(range(len(ins[0]))) if op.axis is None else set(op.axis)
            kept = [d for k, d in enumerate(ins[0]) if k not in axes]
            targets = [o for k, o in enumerate(outs[0]) if k not in axes] if op.keepdims \
                else outs[0]
            for o, d in zip(targets, kept, strict=True):
                dims.union(o, d)
    return dims, atoms


def random_inputs(inputs: Sequence[Variable], outputs: Sequence[Variable], seed: int,
                  one_size: int | None = None) -> list[np.ndarray]:
    """Deterministic random arguments of the right dtypes and consistent shapes."""
    rng = np.random.default_rng(seed)
    dims, atoms = _dim_classes(inputs, outputs)
    sizes: dict[int, int] = {}
    args = []
    for v in inputs:
        if not isinstance(v.type, TensorType):
            raise TypeError(f"check_rewrites: cannot make a random value for {v!r}")
        shape = []
        for a in atoms[v]:
            root = dims.find(a)
            if dims.size[root] is None:
                sizes.setdefault(root, one_size or 2 + len(sizes) % 4)
                dims.size[root] = sizes[root]
            shape.append(dims.size[root])
        dt = v.dtype
        if dtypes.is_float(dt) or dtypes.is_complex(dt):
            arr = rng.uniform(0.5, 1.5, shape).astype(dt)
        elif dt == "bool":
            arr = rng.random(shape) < 0.5
        else:
            arr = rng.integers(0, 2, shape).astype(dt)
        args.append(arr)
    return args


# ---------------------------------------------------------------- the checker


class RewriteChecker:
    """`after_pass` hook: compares the graph after each pass with the unrewritten one."""

    def __init__(self, inputs: Sequence[Variable], values: Sequence[Variable], seed: int = 0):
        self.inputs, self.values = list(inputs), list(values)
        self.passes: list[str] = []
        self.givens: dict[Variable, Any] | None = None
        self.expected: list[Any] = []
        self.bits = narrowest_float_bits(self.values)
        self.exact_ints = True
        errors = []
        for one_size in (None, 3, 1):
            try:
                args = random_inputs(self.inputs, self.values, seed, one_size)
                givens = dict(zip(self.inputs, args, strict=True))
                every = [o for n in toposort(self.values) for o in n.outputs]
                with np.errstate(all="ignore"):
                    computed = evaluate(every + self.values, givens)
                self.expected = computed[len(every):]
                self.exact_ints = not any(_has_nonfinite(v) for v in computed)
                self.givens = givens
                break
            except Exception as e:  # shapes the graph rejects: try plainer sizes
                errors.append(e)
        if self.givens is None:
            warnings.warn(f"check_rewrites: cannot run the unrewritten graph on random "
                          f"inputs ({errors[-1]}); rewrites are not checked",
                          RuntimeWarning, stacklevel=3)

    def _compare(self, fgraph: FunctionGraph) -> tuple[int, str] | None:
        assert self.givens is not None
        try:
            with np.errstate(all="ignore"):
                got = evaluate(fgraph.outputs, self.givens, fgraph.toposort())
        except Exception as e:
            return -1, f"the rewritten graph fails: {type(e).__name__}: {e}"
        return _mismatch(self.expected, got, self.bits, self.exact_ints)

    def __call__(self, pass_name: str, fgraph: FunctionGraph, log: RewriteLog) -> None:
        self.passes.append(pass_name)
        if self.givens is None:
            return
        bad = self._compare(fgraph)
        if bad is None:
            return
        record, bad = self._first_bad_rewrite(log, bad)
        out, what = bad
        where = f"output {out}" if out >= 0 else "the graph"
        if record is None:
            raise RewriteCheckError(f"check_rewrites: pass {pass_name!r} changed {where}: "
                                    f"{what}")
        raise RewriteCheckError(
            f"check_rewrites: rewrite {record.rewrite!r} (pass {record.pass_name!r}) "
            f"changed {where}: {what}; it replaced {record.before} by {record.after} "
            f"[{record.source}]")

    def _first_bad_rewrite(self, log: RewriteLog, bad: tuple[int, str]
                           ) -> tuple[RewriteRecord | None, tuple[int, str]]:
        """Replay the passes so far, one rewrite at a time, on a fresh copy of the graph."""
        found: list[Any] = []

        def after_rewrite(pass_name: str, record: RewriteRecord, fg: FunctionGraph) -> None:
            result = self._compare(fg)
            if result is not None:
                found.append((record, result))
                raise _Found

        fgraph = FunctionGraph(self.inputs, self.values)
        # The rewrites that fired, and the passes that ran (whole-graph passes log under
        # other names): rewrites that never fired cannot change what the others see.
        only = set(log.names()) | set(self.passes)
        try:
            rewrite_graph(fgraph, self.passes, only=only, after_rewrite=after_rewrite)
        except _Found:
            return found[0]
        return None, bad
