"""nan_guard: find the node where a NaN or an infinity is born (Theano's NanGuardMode).

    f = sg.function([x, y], loss, updates=..., nan_guard=True)
    # or, for a whole program (keras_front models too): SYMGRAPH_FLAGS=nan_guard=true
    f(xs, ys)   # NanGuardError: nan_guard: NaN in the output of log, node built at
                # train.py:12, from finite inputs: log(-0.5) = nan at [3] ...

A guarded function evaluates its graph node by node and checks every float result. The
error names the FIRST node that turns finite inputs into NaN (or inf, or, with `big=`,
a value larger than that) -- the op, its input shapes, the values at the first bad
position, and the user's line -- instead of the node where the NaN was finally noticed.
Compared with Theano's mode:

- the graph keeps every rewrite the normal function has (stabilizations included, so
  what is guarded is what runs) except fusion and in-place, so each node is one op with
  its own user line;
- only values that are actually computed are checked: ifelse evaluates the branch taken;
- an argument or a shared value that already holds NaN is named as the source;
- updates apply only when the whole call succeeded (a NaN found leaves every shared
  variable as it was).

Guarding costs a check per node, and runs without the generated code: for debugging.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .graph import Apply, Constant, SharedVariable, Variable, format_trace
from .ops.control import is_lazy

# Rewrites a guarded function leaves out: they merge nodes (and their user lines).
EXCLUDED_PASSES = ("fusion", "inplace")


class NanGuardError(FloatingPointError):
    """A guarded function computed a NaN or infinity (or a value past `big`)."""


@dataclass(frozen=True)
class NanGuard:
    """What a guarded function refuses: NaN, +-inf, and (when set) |values| > big."""

    nan: bool = True
    inf: bool = True
    big: float | None = None

    def problem(self, value: Any) -> tuple[str, tuple[int, ...]] | None:
        """(what, index of the first bad element) for a float array breaking the rules."""
        if not isinstance(value, (np.ndarray, np.generic)):
            return None
        arr = np.asarray(value)
        if arr.dtype.kind not in "fc" or arr.size == 0:
            return None
        with np.errstate(all="ignore"):
            checks = []
            if self.nan:
                checks.append(("NaN", np.isnan(arr)))
            if self.inf:
                checks.append(("inf", np.isinf(arr)))
            if self.big is not None:
                checks.append((f"a value beyond {self.big:g}", np.abs(arr) > self.big))
        for what, bad in checks:
            if bad.any():
                return what, tuple(int(i) for i in np.unravel_index(int(np.argmax(bad)),
                                                                     arr.shape))
        return None


def as_guard(setting: Any) -> NanGuard | None:
    """A `nan_guard=` argument (True, False, None or a NanGuard) as a NanGuard or None."""
    if setting is None or setting is False:
        return None
    if setting is True:
        return NanGuard()
    if isinstance(setting, NanGuard):
        return setting
    raise TypeError(f"nan_guard must be True, False or sg.NanGuard(...), got {setting!r}")


def guarded_runner(fgraph: Any, n_outputs: int, updates: Sequence[SharedVariable],
                   single: bool, guard: NanGuard) -> Callable[..., Any]:
    """A callable with the generated function's signature that evaluates `fgraph` node by
    node under `guard`, then applies the updates (all at once, after every check)."""
    names = {v: v.name or f"input {i}" for i, v in enumerate(fgraph.inputs)}

    def run(*args: Any) -> Any:
        values: dict[Variable, Any] = {}
        for v, a in zip(fgraph.inputs, args, strict=True):
            _check_leaf(guard, f"argument {names[v]!r}", a, "the caller's data")
            values[v] = a
        results = _evaluate(fgraph.outputs, values, guard)
        outs = [np.array(r, copy=True) if isinstance(r, np.ndarray) else np.asarray(r)
                if isinstance(r, np.generic) else r for r in results[:n_outputs]]
        for shared, value in zip(updates, results[n_outputs:], strict=True):
            shared.container.value = np.array(value, copy=True) \
                if isinstance(value, (np.ndarray, np.generic)) else value
        if single and n_outputs == 1:
            return outs[0]
        return outs

    return run


def _check_leaf(guard: NanGuard, label: str, value: Any, origin: str) -> None:
    found = guard.problem(value)
    if found is not None:
        what, idx = found
        raise NanGuardError(f"nan_guard: {label} holds {what} at {list(idx)}: it comes from "
                            f"{origin}, not from a node of this function")


def _evaluate(outputs: Sequence[Variable], values: dict[Variable, Any],
              guard: NanGuard) -> list[Any]:
    """Values of `outputs`, computing a node only when its value is needed (the branch an
    ifelse takes), each result checked as soon as it is computed. Iterative: a chain of
    100,000 nodes needs no deep Python stack."""
    stack = list(reversed(outputs))
    while stack:
        v = stack[-1]
        if v in values:
            stack.pop()
            continue
        node = v.owner
        if node is None:
            values[v] = _leaf_value(v, guard)
            stack.pop()
            continue
        if is_lazy(node):
            cond = node.inputs[0]
            if cond not in values:
                stack.append(cond)
                continue
            n = node.op.n
            chosen = node.inputs[1:1 + n] if bool(values[cond]) else node.inputs[1 + n:]
            missing = [u for u in chosen if u not in values]
            if missing:
                stack.extend(reversed(missing))
                continue
            for out, u in zip(node.outputs, chosen, strict=True):
                values[out] = values[u]
            stack.pop()
            continue
        missing = [u for u in node.inputs if u not in values]
        if missing:
            stack.extend(reversed(missing))
            continue
        _run_node(node, values, guard)
        stack.pop()
    return [values[o] for o in outputs]


def _leaf_value(v: Variable, guard: NanGuard) -> Any:
    if isinstance(v, Constant):
        return v.data
    if isinstance(v, SharedVariable):
        value = v.container.value
        _check_leaf(guard, f"shared variable {v.name or '?'!r}", value,
                    "its value before this call (an earlier call or set_value)")
        return value
    raise ValueError(f"nan_guard: no value for input {v!r}")


def _run_node(node: Apply, values: dict[Variable, Any], guard: NanGuard) -> None:
    ins = [values[u] for u in node.inputs]
    try:
        with np.errstate(all="ignore"):  # the guard reports what NumPy would warn about
            result = node.op.perform(node, *ins)
    except Exception as e:
        e.add_note(f"in {node.op} (inputs {_shapes(ins)}), node built at "
                   f"{format_trace(node.trace)}")
        raise
    results = list(result) if len(node.outputs) > 1 else [result]
    for out, r in zip(node.outputs, results, strict=True):
        found = guard.problem(r)
        if found is not None:
            raise NanGuardError(_report(node, out, ins, r, found))
        values[out] = r


def _shapes(ins: Sequence[Any]) -> str:
    return ", ".join(f"{np.asarray(a).dtype.name}{list(np.shape(a))}"
                     if isinstance(a, (np.ndarray, np.generic, int, float)) else
                     type(a).__name__ for a in ins)


def _report(node: Apply, out: Variable, ins: Sequence[Any], result: Any,
            found: tuple[str, tuple[int, ...]]) -> str:
    """The op, the user's line, and (for elementwise ops) the inputs at the bad element."""
    what, idx = found
    which = f" (output {out.index})" if len(node.outputs) > 1 else ""
    msg = (f"nan_guard: {what} in the output{which} of {node.op}, node built at "
           f"{format_trace(node.trace)} (the first value of this call with {what}; inputs "
           f"{_shapes(ins)})")
    at = _elementwise_inputs(node, ins, np.shape(result), idx)
    if at is not None:
        value = np.asarray(result)[idx].item()
        msg += f": {node.op}({at}) = {value!r} at {list(idx)}"
    else:
        msg += f" (first at {list(idx)})"
    return msg


def _elementwise_inputs(node: Apply, ins: Sequence[Any], shape: tuple[int, ...],
                        idx: tuple[int, ...]) -> str | None:
    """The inputs of an elementwise node at output position `idx` (broadcasting them)."""
    if not node.op.elementwise:
        return None
    try:
        parts = [np.broadcast_to(np.asarray(a), shape)[idx].item() for a in ins]
    except (ValueError, IndexError, TypeError):
        return None
    return ", ".join(repr(p) for p in parts)
