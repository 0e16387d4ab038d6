"""`scan`: loops as graph nodes, with gradients by backpropagation through time.

    outputs, updates = sg.scan(fn, sequences=[x], outputs_info=[h0], non_sequences=[W])

`fn` is called once, on symbolic step variables: one slice per sequence, the previous
value of each recurrent output, then the non-sequences (passed as themselves, as in
Theano). What `fn` builds is the step graph. Everything in it that does not change from
step to step (weights, or any subexpression of them) is hoisted out and computed once,
as an input of the loop. The step graph is compiled once (with the full rewrite
pipeline) and run by a Python loop; recurrent outputs come back stacked over time,
without the initial value, as in Theano.

The gradient of a scan is another scan, running backwards in time, whose step is the
vector-Jacobian product (Lop) of the forward step: backpropagation through time.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .. import dtypes
from ..graph import Apply, Constant, Variable, clone_replace, toposort
from ..tensor import TensorType, as_tensor, constant
from .allocation import zeros, zeros_like
from .elemwise import cast_same_kind, minimum
from .indexing import getitem, inc_subtensor, set_subtensor
from .registry import Op, RenderContext
from .shape import concatenate, expand_dims, shape_i, static_int


class StepGraph:
    """The step graph of a scan: placeholders in, step outputs out; compiled on first use."""

    def __init__(self, inputs: list[Variable], outputs: list[Variable], name: str):
        self.inputs, self.outputs, self.name = inputs, outputs, name
        self._fn: Any = None

    def compiled(self) -> Any:
        if self._fn is None:
            from ..function import function  # upward: the step is compiled like a function
            self._fn = function(self.inputs, self.outputs, on_unused_input="ignore",
                                name=f"{self.name}_step", trust_input=True)
        return self._fn

    # Step graphs compare by identity: two scans are one only if they share the graph.
    __hash__ = object.__hash__

    def __eq__(self, other: object) -> bool:
        return self is other


@dataclass(frozen=True)
class Scan(Op):
    """A loop: inputs (n_steps, *sequences, *initial_states, *constants); outputs the
    stacked recurrent outputs, then the stacked per-step (map) outputs.

    `last_only[i]` makes recurrent output i return only its final value (used by the
    gradient's accumulators, so they do not keep one copy per step).
    """

    step: StepGraph = field(compare=True)
    n_seqs: int
    n_states: int
    n_maps: int
    go_backwards: bool = False
    last_only: tuple[bool, ...] = ()
    label: str = "scan"

    @property
    def name(self) -> str:
        return "scan"

    @property
    def nout(self) -> int:  # type: ignore[override]
        return self.n_states + self.n_maps

    def __str__(self) -> str:
        back = ", backwards" if self.go_backwards else ""
        return f"scan{{{self.label}, seqs={self.n_seqs}, states={self.n_states}, " \
               f"maps={self.n_maps}{back}}}"

    def _last(self, i: int) -> bool:
        return bool(self.last_only) and self.last_only[i]

    def make_node(self, n_steps: Any, *inputs: Any) -> Apply:
        n = as_tensor(n_steps)
        ins = [v if isinstance(v, Variable) else as_tensor(v) for v in inputs]
        step_outs = self.step.outputs
        steps = static_int(n)
        types = []
        for i, o in enumerate(step_outs):
            if i < self.n_states and self._last(i):
                types.append(o.type)
            else:
                types.append(TensorType(o.type.dtype, (steps,) + o.type.shape))
        return Apply(self, [n, *ins], types)

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(self._run, self.label)
        return f"{fn}({', '.join(ins)})"

    def perform(self, node: Apply, n_steps: Any, *args: Any) -> Any:
        return self._run(n_steps, *args)

    def _run(self, n_steps: Any, *args: Any) -> Any:
        ns, nst = self.n_seqs, self.n_states
        seqs = list(args[:ns])
        states = list(args[ns:ns + nst])
        consts = list(args[ns + nst:])
        n = int(n_steps)
        for s in seqs:
            if len(s) < n:
                raise ValueError(f"{self.label}: a sequence has {len(s)} steps, "
                                 f"n_steps is {n}")
        if self.go_backwards:
            seqs = [s[::-1] for s in seqs]
        fn = self.step.compiled()
        outs: list[np.ndarray | None] = [None] * (nst + self.n_maps)
        last: list[Any] = list(states)
        for t in range(n):
            res = fn(*[s[t] for s in seqs], *last, *consts)
            res = res if isinstance(res, list) else [res]
            for i, r in enumerate(res):
                if i < nst:
                    last[i] = r
                    if self._last(i):
                        continue
                if outs[i] is None:
                    outs[i] = np.empty((n,) + np.shape(r), dtype=self.step.outputs[i].dtype)
                outs[i][t] = r
        result = []
        for i, o in enumerate(self.step.outputs):
            if i < nst and self._last(i):
                result.append(np.asarray(last[i], dtype=o.dtype))
            elif outs[i] is None:
                shape = (0,) + tuple(0 if d is None else d for d in o.type.shape)
                if i < nst:
                    shape = (0,) + np.shape(states[i])
                result.append(np.empty(shape, dtype=o.dtype))
            else:
                result.append(outs[i])
        return tuple(result) if len(result) > 1 else result[0]

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return _scan_grad(self, inputs, outputs, output_grads)


# ---------------------------------------------------------------- building


def _step_vars(xs: Sequence[Variable], drop_first: bool, label: str) -> list[Variable]:
    out = []
    for i, x in enumerate(xs):
        shape = x.type.shape[1:] if drop_first else x.type.shape
        out.append(TensorType(x.dtype, shape).make_variable(name=f"{label}{i}"))
    return out


def _hoist(outputs: list[Variable], varying: list[Variable]
           ) -> tuple[list[Variable], list[Variable], list[Variable]]:
    """Split out what does not change per step: returns (outer values, their step
    placeholders, step outputs rewritten to use the placeholders)."""
    vary = set(varying)
    # The step variables are made just before the step function runs: a node older than
    # them was built outside the step, and its value is the same at every step.
    born = min((v.uid for v in varying), default=-1)
    order = toposort(outputs, stop=vary)
    for node in order:
        # Random draws made by the step stay in the loop: each step draws fresh numbers
        # (a draw made outside the step, e.g. a dropout mask, is one value for all steps).
        fresh = node.op.nondeterministic and node.outputs[0].uid > born
        if fresh or any(i in vary for i in node.inputs):
            vary.update(node.outputs)
    outer: list[Variable] = []
    seen: set[Variable] = set()

    def take(v: Variable) -> None:
        if v not in vary and not isinstance(v, Constant) and v not in seen:
            seen.add(v)
            outer.append(v)

    for node in order:
        if node.outputs[0] in vary:
            for i in node.inputs:
                take(i)
    for o in outputs:
        take(o)
    phs = [v.type.make_variable(name=v.name or f"c{k}") for k, v in enumerate(outer)]
    new_outputs = clone_replace(outputs, dict(zip(outer, phs, strict=True)))
    return outer, phs, new_outputs


def _as_initial(info: Any) -> Variable | None:
    if info is None:
        return None
    if isinstance(info, dict):
        taps = info.get("taps", [-1])
        if list(taps) != [-1]:
            raise NotImplementedError(f"scan: only taps [-1] are supported for outputs_info, "
                                      f"got {taps}")
        return None if info.get("initial") is None else as_tensor(info["initial"])
    return as_tensor(info)


def scan(fn: Callable[..., Any], sequences: Any = None, outputs_info: Any = None,
         non_sequences: Any = None, n_steps: Any = None, go_backwards: bool = False,
         name: str | None = None, truncate_gradient: int = -1, strict: bool = False,
         return_list: bool = False) -> tuple[Any, OrderedDict]:
    """Theano's scan: returns (outputs, updates); updates is always empty here, because
    random draws inside the step advance their generators in place."""
    if not callable(fn):
        raise TypeError(f"scan: fn must be a function building the step, got "
                        f"{type(fn).__name__} {fn!r}")
    seqs = _listify(sequences)
    for k, s in enumerate(seqs):
        if isinstance(s, dict):
            if list(s.get("taps", [0])) != [0]:
                raise NotImplementedError("scan: only taps [0] are supported for sequences")
            seqs[k] = s["input"]
    seqs = [as_tensor(s) for s in seqs]
    for s in seqs:
        if s.ndim == 0:
            raise ValueError(f"scan: a sequence must have at least 1 dim, got {s.type}")
    infos = _listify(outputs_info)
    consts = [as_tensor(c) for c in _listify(non_sequences)]
    label = name or "scan"

    inits = [_as_initial(i) for i in infos]
    state_inits = [i for i in inits if i is not None]
    seq_vars = _step_vars(seqs, True, "s")
    state_vars = _step_vars(state_inits, False, "h")

    res = fn(*seq_vars, *state_vars, *consts)
    if isinstance(res, tuple) and len(res) == 2 and isinstance(res[1], dict):
        res, upd = res
        if upd:
            raise NotImplementedError("scan: updates returned by the step function are not "
                                      "supported")
    outs = [as_tensor(o) for o in _listify(res)]
    if infos and len(outs) != len(infos):
        raise ValueError(f"scan: the step function returned {len(outs)} outputs, "
                         f"outputs_info has {len(infos)} entries")
    if not infos:
        inits = [None] * len(outs)

    # Order: recurrent outputs first, then per-step outputs; remember the user's order.
    state_idx = [k for k, i in enumerate(inits) if i is not None]
    map_idx = [k for k, i in enumerate(inits) if i is None]
    step_outs = []
    for j, k in enumerate(state_idx):
        o, h = outs[k], state_vars[j]
        if o.ndim != h.ndim:
            raise ValueError(f"scan: output {k} of the step is {o.type} but its initial "
                             f"value is {h.type}: they must have the same rank")
        o = cast_same_kind(o, h.dtype, f"scan: output {k} of the step has dtype {o.dtype}, "
                           f"its initial value {h.dtype}")
        step_outs.append(o)
    step_outs += [outs[k] for k in map_idx]

    n = _n_steps(n_steps, seqs)
    outer, const_phs, step_outs = _hoist(step_outs, seq_vars + state_vars)
    step = StepGraph(seq_vars + state_vars + const_phs, step_outs, label)
    op = Scan(step, len(seqs), len(state_idx), len(map_idx), go_backwards, (), label)
    results = op(n, *seqs, *state_inits, *outer)
    results = results if isinstance(results, list) else [results]
    ordered: list[Any] = [None] * len(outs)
    for j, k in enumerate(state_idx + map_idx):
        ordered[k] = results[j]
    if len(ordered) == 1 and not return_list:
        return ordered[0], OrderedDict()
    return ordered, OrderedDict()


def _listify(x: Any) -> list:
    if x is None:
        return []
    if isinstance(x, (list, tuple)):
        return list(x)
    return [x]


def _n_steps(n_steps: Any, seqs: Sequence[Variable]) -> Variable:
    if n_steps is not None:
        n = as_tensor(n_steps)
        if n.ndim != 0 or not dtypes.is_int(n.dtype):
            raise TypeError(f"scan: n_steps must be an integer scalar, got {n.type}")
        if isinstance(n, Constant) and int(n.data) < 0:
            raise ValueError(f"scan: n_steps must be >= 0, got {int(n.data)}")
        return n.astype("int64")
    if not seqs:
        raise ValueError("scan: give sequences or n_steps")
    static = [s.type.shape[0] for s in seqs]
    if None not in static:  # all lengths known: the number of steps is too
        return constant(min(static), "int64")
    n = shape_i(seqs[0], 0)
    for s in seqs[1:]:
        n = minimum(n, shape_i(s, 0))
    return n if isinstance(n, Variable) else constant(n, "int64")


# ---------------------------------------------------------------- gradient (BPTT)


def _scan_grad(op: Scan, inputs: list[Variable], outputs: list[Variable],
               output_grads: list[Variable | None]) -> list[Variable | None]:
    from ..grad import Lop  # upward: grad builds on the ops
    n, *rest = inputs
    ns, nst = op.n_seqs, op.n_states
    seqs, inits, consts = rest[:ns], rest[ns:ns + nst], rest[ns + nst:]
    step = op.step
    seq_ph = step.inputs[:ns]
    state_ph = step.inputs[ns:ns + nst]
    const_ph = step.inputs[ns + nst:]
    diff = dtypes.is_differentiable

    # Full per-step gradients of every output (zeros where none flows).
    g_full = []
    for i, (o, g) in enumerate(zip(outputs, output_grads, strict=True)):
        if not diff(o.dtype):
            g_full.append(None)
        elif i < nst and op._last(i):
            base = zeros([n] + [shape_i(inits[i], k) for k in range(inits[i].ndim)],
                         dtype=o.dtype)
            g_full.append(set_subtensor(getitem(base, -1), g) if g is not None else base)
        else:
            g_full.append(g if g is not None else zeros_like(o))

    # Step-aligned inputs: sequences as iterated, and the previous state at each step.
    seqs_eff = [getitem(s, slice(None, None, -1)) if op.go_backwards else s for s in seqs]
    seqs_eff = [getitem(s, slice(None, n)) for s in seqs_eff]
    prev = []
    for i in range(nst):
        if op._last(i):
            prev.append(None)  # recomputed below from a full forward pass
            continue
        stacked = outputs[i]
        prev.append(concatenate([expand_dims(inits[i], 0), getitem(stacked, slice(None, -1))]))
    if any(p is None for p in prev):
        full = Scan(step, ns, nst, op.n_maps, op.go_backwards, (), op.label)(n, *rest)
        full = full if isinstance(full, list) else [full]
        prev = [concatenate([expand_dims(inits[i], 0), getitem(full[i], slice(None, -1))])
                for i in range(nst)]

    wrt_seq = [k for k in range(ns) if diff(seqs[k].dtype)]
    wrt_state = [k for k in range(nst) if diff(inits[k].dtype)]
    wrt_const = [k for k in range(len(consts)) if diff(consts[k].dtype)]
    g_states = [g_full[i] for i in wrt_state]
    g_maps = [g_full[nst + j] for j in range(op.n_maps)]
    map_diff = [j for j in range(op.n_maps) if g_maps[j] is not None]

    def back_step(*args: Variable) -> list[Variable]:
        it = iter(args)
        xs = [next(it) for _ in range(ns)]
        hs = [next(it) for _ in range(nst)]
        gh = [next(it) for _ in wrt_state]
        gy = [next(it) for _ in map_diff]
        carry = [next(it) for _ in wrt_state]
        acc = [next(it) for _ in wrt_const]
        cs = list(it)
        fwd = clone_replace(step.outputs, dict(zip(seq_ph + state_ph + const_ph, xs + hs + cs,
                                                   strict=True)))
        lam = [a + b for a, b in zip(gh, carry, strict=True)]
        f_outs = [fwd[i] for i in wrt_state] + [fwd[nst + j] for j in map_diff]
        wrt = [xs[k] for k in wrt_seq] + [hs[k] for k in wrt_state] + \
            [cs[k] for k in wrt_const]
        if not wrt:
            return []
        gs = Lop(f_outs, wrt, lam + gy, disconnected_inputs="ignore")
        g_x = gs[:len(wrt_seq)]
        g_h = gs[len(wrt_seq):len(wrt_seq) + len(wrt_state)]
        g_c = gs[len(wrt_seq) + len(wrt_state):]
        return g_x + g_h + [a + g for a, g in zip(acc, g_c, strict=True)]

    sequences = seqs_eff + prev + g_states + [g_maps[j] for j in map_diff]
    info = [None] * len(wrt_seq) + [zeros_like(inits[k]) for k in wrt_state] + \
        [zeros_like(consts[k]) for k in wrt_const]
    if not info:
        return [None] * len(inputs)
    res, _ = _scan_last(back_step, sequences, info, consts, n, op.label + "_grad",
                        n_carry=len(wrt_state) + len(wrt_const))
    res = res if isinstance(res, list) else [res]
    g_seq_stacked = res[:len(wrt_seq)]
    g_init = res[len(wrt_seq):len(wrt_seq) + len(wrt_state)]
    g_consts = res[len(wrt_seq) + len(wrt_state):]

    grads: list[Variable | None] = [None] * len(inputs)
    for j, k in enumerate(wrt_seq):
        g = getitem(g_seq_stacked[j], slice(None, None, -1))  # back to step order
        if op.go_backwards:
            g = getitem(g, slice(None, None, -1))
        grads[1 + k] = _pad_to(g, seqs[k], n, op.go_backwards)
    for j, k in enumerate(wrt_state):
        grads[1 + ns + k] = g_init[j]
    for j, k in enumerate(wrt_const):
        grads[1 + ns + nst + k] = g_consts[j]
    return grads


def _pad_to(g: Variable, seq: Variable, n: Variable, from_end: bool) -> Variable:
    """A gradient for the n steps of seq the loop used (the first n, or the last n when
    it ran backwards), zero for the rest."""
    if seq.type.shape[0] is not None and g.type.shape[0] == seq.type.shape[0]:
        return g
    region = slice(shape_i(seq, 0) - n, None) if from_end else slice(None, n)
    return inc_subtensor(getitem(zeros_like(seq), region), g)


def _scan_last(fn: Callable[..., Any], sequences: list[Variable], info: list[Any],
               consts: list[Variable], n: Variable, label: str, n_carry: int
               ) -> tuple[Any, OrderedDict]:
    """A backwards scan whose last `n_carry` recurrent outputs keep only their final value."""
    seq_vars = _step_vars(sequences, True, "s")
    inits = [i for i in info if i is not None]
    state_vars = _step_vars(inits, False, "h")
    outs = [as_tensor(o) for o in fn(*seq_vars, *state_vars, *consts)]
    state_idx = [k for k, i in enumerate(info) if i is not None]
    map_idx = [k for k, i in enumerate(info) if i is None]
    step_outs = [outs[k].astype(state_vars[j].dtype) for j, k in enumerate(state_idx)]
    step_outs += [outs[k] for k in map_idx]
    outer, phs, step_outs = _hoist(step_outs, seq_vars + state_vars)
    step = StepGraph(seq_vars + state_vars + phs, step_outs, label)
    last = tuple([True] * len(state_idx))  # carries and accumulators: final value only
    op = Scan(step, len(sequences), len(state_idx), len(map_idx), True, last, label)
    results = op(n, *sequences, *inits, *outer)
    results = results if isinstance(results, list) else [results]
    ordered: list[Any] = [None] * len(outs)
    for j, k in enumerate(state_idx + map_idx):
        ordered[k] = results[j]
    del n_carry
    return ordered, OrderedDict()
