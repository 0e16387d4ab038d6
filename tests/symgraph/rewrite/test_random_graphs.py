"""Differential tests of the rewrite pipeline on random graphs.

A seeded builder grows random expressions out of THE elementwise table, reductions,
dot / matmul / tensordot, dimshuffle / reshape / tile / repeat, basic and advanced
indexing, set/inc_subtensor, switch, ifelse, softmax / log_softmax, scan, shared
variables and the stabilize / canonicalize patterns, over float32 / float64 / int32 /
bool inputs whose unknown dims may be 1 (or 0) at run time. Each graph is compiled with
rewrites='fast_run' and 'none' and both are run on the same arrays:

- values, dtypes and shapes agree (floats within the tolerance of the narrowest float
  the graph computes in; where the unrewritten value is inf or nan, the documented
  domain choices of canonicalize allow anything);
- the caller's arrays are never modified, and repeated calls give the same results;
- with shared variables updated by values of the graph, outputs and shared values agree
  over repeated calls (the in-place pass overwrites old values once nobody reads them);
- gradients of a scalar cost agree between the two modes, and for float64 graphs of
  smooth ops they agree with central finite differences.

A failure names the seed, prints the graph, and says which rewrite check mode
(`check_rewrites=True`) blames. The bugs these tests found are pinned down by named
regression tests in the test files of the modules at fault.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import pytest

import symgraph as sg
from symgraph.graph import graph_inputs, toposort
from symgraph.ops.elemwise import TABLE, elemwise_op
from symgraph.printing import debugprint
from symgraph.rewrite.check import RewriteCheckError, evaluate, narrowest_float_bits

SIZES = (2, 3, 4)
# Rows that jump: applied to computed floats they would turn a last-bit rounding
# difference between two correct graphs into a different result, so they only see
# inputs, integers and booleans.
JUMPS = {"eq", "neq", "lt", "gt", "le", "ge", "floor", "ceil", "round", "sign",
         "floor_div", "mod", "isnan", "isinf", "not_", "and_", "or_", "xor", "invert"}
UNARY = sorted(n for n, r in TABLE.items() if r.nin == 1 and not n.startswith("cast"))
BINARY = sorted(n for n, r in TABLE.items() if r.nin == 2)
SMOOTH_UNARY = ["neg", "exp", "tanh", "sin", "cos", "sigmoid", "softplus", "square", "arctan"]
TOLERANCE = {16: 5e-2, 32: 1e-3, 64: 1e-6}
SKIP = (TypeError, ValueError, IndexError, OverflowError, NotImplementedError)


class GraphBuilder:
    """Grows one random graph; every value it adds is evaluated once, node by node, so
    later steps can pick operands whose run-time shapes fit."""

    def __init__(self, seed: int, smooth: bool = False):
        self.rng = np.random.default_rng(seed)
        self.smooth = smooth
        self.inputs: list[sg.Variable] = []
        self.values: dict[sg.Variable, np.ndarray] = {}
        self.pool: list[sg.Variable] = []

    def choice(self, seq):
        return seq[int(self.rng.integers(len(seq)))]

    def new_input(self, shape=None, dtype=None) -> sg.Variable:
        r = self.rng
        if shape is None:
            shape = tuple(1 if r.random() < 0.2 else 0 if r.random() < 0.02 else
                          self.choice(SIZES) for _ in range(int(r.integers(0, 4))))
        static = tuple(d if r.random() < 0.3 else None for d in shape)
        dtype = "float64" if self.smooth else dtype or self.choice(
            ["float64", "float64", "float32", "float32", "int32", "bool"])
        v = sg.tensor(f"x{len(self.inputs)}", dtype=dtype, shape=static)
        if dtype == "bool":
            val = r.random(shape) < 0.5
        elif dtype == "int32":
            val = r.integers(-3, 4, shape).astype(dtype)
        else:
            val = r.uniform(-2, 2, shape).astype(dtype)
        self.inputs.append(v)
        self.values[v] = val
        self.pool.append(v)
        return v

    def value(self, v: sg.Variable) -> np.ndarray:
        with np.errstate(all="ignore"):
            return evaluate([v], self.values)[0]

    def pick(self) -> sg.Variable:
        """A value of the pool, the recent ones more often (graphs grow deep)."""
        n = len(self.pool)
        return self.pool[n - min(n, int(self.rng.geometric(0.3)))]

    def may_jump(self, v: sg.Variable) -> bool:
        return v.owner is None or v.dtype in ("bool", "int32", "int64")

    # ---- the steps
    def step(self, kind: str) -> sg.Variable | None:
        r, x = self.rng, self.pick()
        if kind == "input":
            return self.new_input()
        if kind == "unary":
            name = self.choice(SMOOTH_UNARY if self.smooth else UNARY)
            return None if name in JUMPS and not self.may_jump(x) else elemwise_op(name)(x)
        if kind == "binary":
            y = self.pick() if r.random() < 0.7 else self.new_input()
            x, y = (y, x) if r.random() < 0.5 else (x, y)
            name = self.choice(["add", "sub", "mul"] if self.smooth else BINARY)
            if name in JUMPS and not (self.may_jump(x) and self.may_jump(y)):
                return None
            return elemwise_op(name)(x, y)
        if kind == "python_scalar":
            c = self.choice([0, 1, 2, -1, 0.5, 2.0, 3])
            fn = elemwise_op(self.choice(["add", "sub", "mul", "true_div", "pow", "maximum"]))
            return fn(x, c) if r.random() < 0.5 else fn(c, x)
        if kind == "cast":
            dtype = self.choice(["float32", "float64", "float16", "int32", "bool"])
            return None if dtype in ("int32", "bool") and not self.may_jump(x) else \
                sg.cast(x, dtype)
        if kind == "reduce":
            fns = ["sum", "mean", "logsumexp", "prod"] if self.smooth else \
                ["sum", "mean", "max", "min", "prod", "all", "any", "var", "std", "logsumexp"]
            fn = getattr(sg, self.choice(fns))
            axis = None if x.ndim == 0 else self.choice([None, 0, -1, (0, x.ndim - 1)])
            return fn(x, axis=axis, keepdims=bool(r.random() < 0.4))
        if kind == "arg":
            if x.ndim == 0 or not self.may_jump(x):
                return None
            idx = sg.argmin(x, axis=0) if r.random() < 0.5 else sg.argmax(x, axis=-1)
            return idx if idx.ndim == 0 else sg.take(x, sg.clip(idx, 0, 0), axis=0)
        if kind == "dimshuffle":
            pattern = [int(i) for i in r.permutation(x.ndim)]
            for _ in range(int(r.integers(0, 2))):
                pattern.insert(int(r.integers(0, len(pattern) + 1)), "x")
            return x.dimshuffle(*pattern)
        if kind == "reshape":
            if x.ndim == 0:
                return x.reshape((1, 1))
            return self.choice([x.flatten(), x.reshape((-1,)), x.reshape((x.shape[0], -1))])
        if kind == "shape_ops":
            return self.choice([
                lambda: sg.repeat(x, 2, axis=0) if x.ndim else sg.repeat(x, 2),
                lambda: sg.tile(x, (2,) * max(x.ndim, 1)),
                lambda: sg.stack([x, x * 2], axis=int(r.integers(x.ndim + 1))),
                lambda: sg.expand_dims(x, int(r.integers(x.ndim + 1))),
                lambda: x.T,
                lambda: sg.concatenate([x, x * 2], axis=0) if x.ndim else None,
            ])()
        if kind == "index":
            n = self.value(x).shape[0] if x.ndim else 0
            if n == 0:
                return None
            return self.choice([
                lambda: x[int(r.integers(n))], lambda: x[1:], lambda: x[::-1],
                lambda: x[:, None], lambda: x[np.array(r.integers(0, n, 3))],
                lambda: x[..., 0] if self.value(x).shape[-1] else None])()
        if kind == "set_subtensor":
            if x.ndim == 0:
                return None
            y = self.pick()
            y = sg.sum(y) if y.ndim >= x.ndim else y
            return (sg.set_subtensor if r.random() < 0.5 else sg.inc_subtensor)(x[1:], y)
        if kind == "switch":
            c = self.pick()
            if c.dtype != "bool":
                if not self.may_jump(c):
                    return None
                c = c > 0
            return sg.switch(c, x, self.pick())
        if kind == "ifelse":
            y = self.pick()
            if y.ndim != x.ndim:
                return None
            c = self.pick()
            cond = sg.gt(sg.sum(c), 0) if self.may_jump(c) else sg.constant(True)
            return sg.ifelse(cond, x, y)
        if kind == "dot":
            if x.ndim not in (1, 2) or x.dtype == "bool":
                return None
            k = self.value(x).shape[-1]
            shape = (k, self.choice(SIZES)) if r.random() < 0.7 else (k,)
            return sg.dot(x, self.new_input(shape, self.choice(["float32", "float64"])))
        if kind == "linalg":
            if x.dtype not in ("float32", "float64") or x.ndim == 0:
                return None
            shp = self.value(x).shape
            return self.choice([
                lambda: sg.matmul(x, self.new_input(shp[:-2] + (shp[-1], 2), x.dtype))
                if x.ndim >= 2 else None,
                lambda: sg.tensordot(x, self.new_input((shp[-1], 3), x.dtype), axes=1),
                lambda: sg.outer(x, x * 2) if x.ndim == 1 else None,
                lambda: sg.dot(x.T, x) if x.ndim == 2 else None,
                lambda: 2 * sg.dot(x, x.T) - 3 * x[:, :1] if x.ndim == 2 else None,
            ])()
        if kind == "softmax":
            if x.ndim == 0 or x.dtype == "bool":
                return None
            return self.choice([sg.nnet.softmax, sg.nnet.log_softmax])(x)
        if kind == "nnet":
            return self.choice([
                sg.nnet.relu, sg.nnet.elu, sg.nnet.hard_sigmoid,
                lambda v: sg.nnet.binary_crossentropy(sg.sigmoid(v), sg.sigmoid(v * 3)),
                lambda v: sg.nnet.categorical_crossentropy(sg.nnet.softmax(v),
                                                           sg.nnet.softmax(v * 2))
                if v.ndim == 2 else None,
            ])(x)
        if kind == "pattern":  # what canonicalize / stabilize / specialize look for
            return self.choice(PATTERNS)(x, self.pick)
        if kind == "shared":
            val = self.value(x)
            if val.dtype.kind not in "biuf":
                return None
            s = sg.shared(np.array(val), name=f"s{len(self.pool)}")
            return s * 1 + x if r.random() < 0.5 else s
        if kind == "scan":
            if x.dtype not in ("float32", "float64") or x.ndim == 0:
                return None
            outs, _ = sg.scan(lambda a, acc: acc + a * 2, sequences=[x],
                              outputs_info=[sg.zeros_like(x[0])])
            return outs
        raise AssertionError(kind)

    def build(self, n_steps: int) -> list[sg.Variable]:
        kinds = (["unary", "binary", "binary", "reduce", "dimshuffle", "dot", "softmax",
                  "index", "set_subtensor", "pattern", "input", "shape_ops", "ifelse",
                  "linalg"] if self.smooth else
                 ["unary", "unary", "binary", "binary", "binary", "python_scalar", "cast",
                  "reduce", "arg", "dimshuffle", "reshape", "shape_ops", "index",
                  "set_subtensor", "switch", "ifelse", "dot", "linalg", "softmax", "nnet",
                  "pattern", "pattern", "shared", "scan", "input"])
        for _ in range(int(self.rng.integers(1, 3))):
            self.new_input()
        for _ in range(n_steps):
            try:
                with np.errstate(all="ignore"), warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    v = self.step(self.choice(kinds))
                    if v is None or v in self.pool:
                        continue
                    self.value(v)  # refuse values that fail to compute
            except SKIP:
                continue
            self.pool.append(v)
        outs = [self.pool[-1]]
        if len(self.pool) > 3 and self.rng.random() < 0.5:
            outs.append(self.pool[int(self.rng.integers(len(self.pool)))])
        return list(dict.fromkeys(outs))


def _stable(build: Callable) -> Callable:
    """A pattern stabilize rewrites, on float64 values only: in float32 the unrewritten
    form is the inexact one (1 - sigmoid(16) rounds to 1.2e-7), so comparing the stable
    result with it would flag the rewrite for being right."""
    return lambda v, p: build(v) if v.dtype == "float64" else None


PATTERNS: list[Callable] = [
    lambda v, p: v * 1, lambda v, p: v + 0, lambda v, p: 0 - v, lambda v, p: v / 1,
    lambda v, p: sg.neg(-v), lambda v, p: v - v, lambda v, p: v / v,
    lambda v, p: sg.log(sg.exp(v)), lambda v, p: sg.exp(sg.log(v)),
    _stable(lambda v: sg.log(1 + v)), _stable(lambda v: sg.exp(v) - 1),
    _stable(lambda v: 1 - sg.sigmoid(v)), _stable(lambda v: sg.log(sg.sigmoid(v))),
    _stable(lambda v: sg.log(1 - sg.sigmoid(v))), _stable(lambda v: sg.log1p(sg.exp(v))),
    _stable(lambda v: sg.log(sg.sum(sg.exp(v)))),
    _stable(lambda v: sg.log(sg.nnet.softmax(v)) if v.ndim else None),
    lambda v, p: v ** 2, lambda v, p: v ** 0.5, lambda v, p: v ** 3, lambda v, p: v ** -1,
    lambda v, p: v ** -0.5, lambda v, p: v * 2 * 3, lambda v, p: (v + 1) + 2,
    lambda v, p: v / p() * p(), lambda v, p: sg.switch(v > 0, v, v),
    lambda v, p: sg.sum(sg.sum(v, axis=0)) if v.ndim else None,
    lambda v, p: v + sg.zeros_like(p()), lambda v, p: v * sg.zeros_like(p()),
    lambda v, p: (v + 1) * (v - 1), lambda v, p: v - v * 0.5,
]


# ---------------------------------------------------------------- comparing


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """NumPy's warnings (log of a negative, overflow) are part of the game here."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _mismatch(ref, got, bits: int, exact_ints: bool) -> str | None:
    ref, got = np.asarray(ref), np.asarray(got)
    if ref.shape != got.shape or ref.dtype != got.dtype:
        return f"expected {ref.dtype}{list(ref.shape)}, got {got.dtype}{list(got.shape)}"
    if ref.dtype.kind in "fc":
        tol = TOLERANCE[min(bits, np.finfo(ref.dtype).bits)]
        with np.errstate(all="ignore"):
            finite = np.isfinite(ref)
            scale = np.max(np.abs(ref[finite]), initial=1.0)
            bad = finite & ~(np.abs(got - ref) <= tol * (np.abs(ref) + 1 + 1e-2 * scale))
        if bad.any():
            k = int(np.argmax(bad))
            return f"value {got.ravel()[k]!r} where the unrewritten graph gives " \
                   f"{ref.ravel()[k]!r}"
    elif exact_ints and not np.array_equal(ref, got):
        return "integer values differ"
    return None


def _report(seed: int, what: str, inputs, outs) -> str:
    """The failure, the graph, and the rewrite check mode blames."""
    try:
        with np.errstate(all="ignore"):
            sg.function(inputs, outs, on_unused_input="ignore", check_rewrites=True)
        blame = "check_rewrites found no wrong rewrite on its own inputs"
    except RewriteCheckError as e:
        blame = str(e)
    except Exception as e:  # noqa: BLE001 -- the report must not hide the failure
        blame = f"check_rewrites failed: {type(e).__name__}: {e}"
    return f"seed {seed}: {what}\n{debugprint(outs, file='str')}\n{blame}"


def _run(f, args):
    with quiet():
        return f(*[a.copy() for a in args])


def check_graph(seed: int) -> None:
    """fast_run and none agree on values, gradients and repeated calls (see the module doc)."""
    b = GraphBuilder(seed)
    outs = b.build(int(b.rng.integers(3, 20)))
    args = [b.values[v] for v in b.inputs]
    every = [o for n in toposort(outs) for o in n.outputs]
    with quiet():
        computed = evaluate(every, b.values)
        plain = sg.function(b.inputs, outs, rewrites="none", on_unused_input="ignore")
        try:  # every 4th graph in check mode, which verifies each pass on its own inputs
            fast = sg.function(b.inputs, outs, on_unused_input="ignore",
                               check_rewrites=seed % 4 == 0)
        except RewriteCheckError as e:
            raise AssertionError(f"seed {seed}: {e}\n{debugprint(outs, file='str')}") from e
    exact_ints = all(np.asarray(v).dtype.kind not in "fc" or np.all(np.isfinite(v))
                     for v in computed)
    bits = narrowest_float_bits(outs)
    other = [(a * 0.5 - 0.25).astype(a.dtype) if a.dtype.kind == "f" else a for a in args]
    kept = [a.copy() for a in args]
    for call_args in (args, other, args):  # again: in-place buffers must not leak state
        try:
            want = _run(plain, call_args)
        except SKIP:  # other values change the shapes (an ifelse picking another branch)
            continue
        try:
            with quiet():
                got = fast(*call_args)
        except Exception as e:  # noqa: BLE001 -- reported with the graph
            raise AssertionError(_report(seed, f"fast_run raised {e!r}", b.inputs,
                                         outs)) from e
        for k, (w, g) in enumerate(zip(want, got, strict=True)):
            msg = _mismatch(w, g, bits, exact_ints and call_args is args)
            assert msg is None, _report(seed, f"output {k}: {msg}", b.inputs, outs)
    for a, k in zip(args, kept, strict=True):
        assert np.array_equal(a, k, equal_nan=True), f"seed {seed}: an argument was modified"
    _check_gradients(seed, b, outs, bits)


def _check_gradients(seed: int, b: GraphBuilder, outs, bits: int) -> None:
    floats = [v for v in b.inputs if v.dtype in ("float32", "float64")]
    fouts = [o for o in outs if o.dtype in ("float32", "float64")]
    if not floats or not fouts:
        return
    cost = sum(sg.sum(sg.cast(o, "float64") * (k + 1.5)) for k, o in enumerate(fouts))
    with quiet():
        gs = sg.grad(cost, floats, disconnected_inputs="ignore")
        plain = sg.function(b.inputs, gs, rewrites="none", on_unused_input="ignore")
        fast = sg.function(b.inputs, gs, on_unused_input="ignore")
    args = [b.values[v] for v in b.inputs]
    want = _run(plain, args)
    try:
        got = _run(fast, args)
    except Exception as e:  # noqa: BLE001 -- reported with the graph
        raise AssertionError(_report(seed, f"the gradient raised {e!r}", b.inputs,
                                     gs)) from e
    for v, w, g in zip(floats, want, got, strict=True):
        msg = _mismatch(w, g, bits, False)
        assert msg is None, _report(seed, f"d cost / d {v.name}: {msg}", b.inputs, gs)


def check_finite_differences(seed: int) -> None:
    """For float64 graphs of smooth ops, sg.grad (fast_run) matches central differences."""
    b = GraphBuilder(seed, smooth=True)
    outs = [o for o in b.build(int(b.rng.integers(2, 9))) if o.dtype == "float64"]
    if not outs:
        return
    cost = sum(sg.sum(o * (k + 1.5)) for k, o in enumerate(outs))
    args = [b.values[v].copy() for v in b.inputs]
    with quiet():
        gs = sg.grad(cost, b.inputs, disconnected_inputs="ignore")
        f_cost = sg.function(b.inputs, cost, rewrites="none", on_unused_input="ignore")
        f_grad = sg.function(b.inputs, gs, on_unused_input="ignore")
        c0 = f_cost(*args)
        if not np.isfinite(c0) or abs(c0) > 1e6:
            return
        got = f_grad(*args)
        if not all(np.all(np.isfinite(g)) for g in got):
            # 0 * inf where an ifelse branch not taken is differentiated with zeros (as
            # in Theano): a known limit of ifelse gradients, not a rewrite's doing
            plain = sg.function(b.inputs, gs, rewrites="none", on_unused_input="ignore")
            assert not all(np.all(np.isfinite(g)) for g in plain(*args)), \
                _report(seed, "the rewritten gradient is not finite", b.inputs, gs)
            return
        eps = 1e-6
        for k, a in enumerate(args):
            num = np.zeros(a.shape)
            flat = a.reshape(-1)
            for i in range(flat.size):
                orig = flat[i]
                flat[i] = orig + eps
                up = f_cost(*args)
                flat[i] = orig - eps
                down = f_cost(*args)
                flat[i] = orig
                num.reshape(-1)[i] = (up - down) / (2 * eps)
            ok = np.allclose(got[k], num, rtol=1e-4, atol=1e-4 * max(1, np.abs(num).max(initial=0)))
            assert ok, _report(seed, f"d cost / d {b.inputs[k].name} = {got[k]}, finite "
                               f"differences give {num}", b.inputs, gs)


def check_updates(seed: int) -> None:
    """With shared variables updated by values of the graph (the in-place pass overwrites
    their old buffers once no one else reads them), three calls in a row leave the same
    outputs and shared values with and without rewrites."""
    b = GraphBuilder(seed)
    s0 = sg.shared(np.ones(3), "s")  # at least one shared variable to update
    b.pool.append(s0 * 1.0)
    b.values[s0] = np.ones(3)
    outs = b.build(int(b.rng.integers(4, 20)))
    shared = [v for v in graph_inputs(outs + b.pool) if isinstance(v, sg.SharedVariable)]
    updates = []
    for s in shared:
        fits = [v for v in b.pool if v.dtype == s.dtype and
                b.value(v).shape == s.get_value(borrow=True).shape]
        if fits:
            # often a value another shared variable also gets (each must own its buffer)
            taken = [v for _, v in updates if v in fits]
            pick = taken if taken and b.rng.random() < 0.5 else fits
            updates.append((s, pick[int(b.rng.integers(len(pick)))]))
    start = {s: s.get_value() for s in shared}
    args = [b.values[v] for v in b.inputs]
    runs = {}
    for mode in ("none", "fast_run"):
        for s, value in start.items():
            s.set_value(value)
        with quiet():
            f = sg.function(b.inputs, outs, updates=updates, rewrites=mode,
                            on_unused_input="ignore")
            try:
                runs[mode] = [[np.array(v) for v in f(*[a.copy() for a in args])] +
                              [s.get_value() for s in shared] for _ in range(3)]
            except SKIP as e:
                if mode == "none":
                    return  # the updated values no longer fit the graph (random program)
                raise AssertionError(_report(seed, f"fast_run raised {e!r}", b.inputs,
                                             outs)) from e
    bits = narrowest_float_bits(outs + [v for _, v in updates])
    for call, (want, got) in enumerate(zip(runs["none"], runs["fast_run"], strict=True)):
        for k, (w, g) in enumerate(zip(want, got, strict=True)):
            msg = _mismatch(w, g, bits, False)
            what = f"output {k}" if k < len(outs) else f"shared {shared[k - len(outs)].name}"
            assert msg is None, _report(seed, f"call {call}, {what}: {msg}", b.inputs, outs)


# ---------------------------------------------------------------- the tests

GRAPHS_PER_CASE = 40


@pytest.mark.parametrize("start", range(0, 800, GRAPHS_PER_CASE))
def test_fast_run_agrees_with_no_rewrites(start):
    for seed in range(start, start + GRAPHS_PER_CASE):
        check_graph(seed)


@pytest.mark.parametrize("start", range(0, 200, GRAPHS_PER_CASE))
def test_updates_agree_with_no_rewrites_over_repeated_calls(start):
    for seed in range(start, start + GRAPHS_PER_CASE):
        check_updates(seed)


@pytest.mark.parametrize("start", range(0, 320, GRAPHS_PER_CASE))
def test_gradients_agree_with_finite_differences(start):
    for seed in range(start, start + GRAPHS_PER_CASE):
        check_finite_differences(seed)


def test_the_builder_covers_the_op_families():
    """The random graphs reach every op family named in the module docstring (so a
    change to the builder cannot quietly stop testing one)."""
    seen: set[str] = set()
    for seed in range(0, 400, 4):
        b = GraphBuilder(seed)
        for node in toposort(b.build(int(b.rng.integers(3, 20)))):
            seen.add(type(node.op).__name__)
    assert {"Elemwise", "Reduce", "Dot", "Matmul", "Tensordot", "DimShuffle", "Reshape",
            "Subtensor", "AdvancedSubtensor", "IncSubtensor", "IfElse", "Softmax",
            "LogSoftmax", "Scan", "Tile", "Repeat", "Concatenate", "Stack"} <= seen
