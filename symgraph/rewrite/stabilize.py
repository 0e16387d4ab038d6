"""stabilize: expressions that overflow or lose precision become their stable forms.

Values: log(softmax) -> log_softmax, log(sigmoid(x)) -> -softplus(-x),
log(1 - sigmoid(x)) -> -softplus(x), log(1 + x) -> log1p(x), exp(x) - 1 -> expm1(x),
log(1 + exp(x)) -> softplus(x), log(sum(exp(x))) -> logsumexp (shifted by the max).
With these, -sum(y * log(softmax(x))), its integer-target form -log(softmax(x))[i, t] and
the binary cross-entropy of a sigmoid written out by hand are finite for inputs of +-1000.

Gradients are built before rewriting, so their unstable patterns are rewritten too:
- d log(softmax(x)): canonicalize cancels g/sm*sm, then (g/sm - s) * sm -> g - s * sm;
- d log(sigmoid(x)) and d log(1 - sigmoid(x)): canonicalize cancels the division by
  sigmoid(x) (or 1 - sigmoid(x)); when both appear (binary cross-entropy),
  (a/s - b/(1-s)) * s * (1-s) -> a * sigmoid(-x) - b * s;
- d log(sum(exp(x))): (g / sum(exp(x))) * exp(x) -> g * exp(x - logsumexp(x)).
The builders `sg.nnet.categorical_crossentropy` and `binary_crossentropy` already build the
stable forms when given a softmax / sigmoid, so their graphs need none of this.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..fgraph import FunctionGraph
from ..graph import Apply, Variable, clone_replace
from ..ops import elemwise as ew
from ..ops.nnet import LogSoftmax, Softmax
from ..ops.reduce import Reduce
from ..ops.shape import DimShuffle, dimshuffle
from .canonicalize import is_zeros
from .constant_fold import constant_fold
from .driver import Pass, Rewrite
from .pattern import P, fit_to, rule

x = P.var("x")


def as_float(x: Variable) -> Variable:
    """x in the float dtype sigmoid computes in (negating a bool or unsigned x first would
    fail or wrap around)."""
    return ew.cast(x, ew.output_dtype(ew.TABLE["sigmoid"], [x.dtype]))


def _owner_is(v: Variable, op_type: type) -> bool:
    return v.owner is not None and isinstance(v.owner.op, op_type)


def _is_sigmoid(v: Variable) -> bool:
    return ew.is_elemwise(v, "sigmoid")


def _is_softmax(v: Variable) -> bool:
    return _owner_is(v, Softmax)


def _log_softmax(fgraph: FunctionGraph, node: Apply) -> Any:
    """log(softmax(x)) -> log_softmax(x)."""
    (sm,) = node.inputs
    if not _is_softmax(sm):
        return None
    return [fit_to(LogSoftmax(sm.owner.op.axis)(sm.owner.inputs[0]), node.outputs[0])]


def stable_logsumexp(v: Variable, axis: tuple[int, ...] | None, keepdims: bool) -> Variable:
    """log(sum(exp(v), axis)) shifted by the max (a max of -inf or inf shifts by 0).

    The max starts at -inf, so an empty axis gives log(0) = -inf as the unshifted form
    does, instead of failing (NumPy's max has no value for an empty axis).
    """
    from ..ops.reduce import sum as sum_
    v = ew.cast(v, ew.output_dtype(ew.TABLE["exp"], [v.dtype]))  # ints: -inf is no int
    m = Reduce("max", axis, True, None, -np.inf)(v)
    m = ew.switch(ew.isinf(m), 0, m)
    out = ew.log(sum_(ew.exp(v - m), axis, keepdims=True)) + m
    if keepdims:
        return out
    axes = range(v.ndim) if axis is None else axis
    return dimshuffle(out, [i for i in range(v.ndim) if i not in axes])


def _exp_sum(s: Variable) -> tuple[Variable, Reduce] | None:
    """s = sum(exp(x)) -> (x, the sum op)."""
    if not _owner_is(s, Reduce) or s.owner.op.kind != "sum" or s.owner.op.dtype:
        return None
    e = s.owner.inputs[0]
    if not ew.is_elemwise(e, "exp"):
        return None
    return e.owner.inputs[0], s.owner.op


def _is_max_shifted(v: Variable) -> bool:
    """v = x - max(x) (possibly with the max guarded against inf): already stable."""
    if not ew.is_elemwise(v, "sub"):
        return False
    x, m = v.owner.inputs
    if ew.is_elemwise(m, "switch"):
        m = m.owner.inputs[2]
    return _owner_is(m, Reduce) and m.owner.op.kind == "max" and m.owner.inputs[0] is x


def _logsumexp(fgraph: FunctionGraph, node: Apply) -> Any:
    """log(sum(exp(x))) -> max(x) + log(sum(exp(x - max(x))))."""
    found = _exp_sum(node.inputs[0])
    if found is None or _is_max_shifted(found[0]):
        return None
    v, op = found
    return [fit_to(stable_logsumexp(v, op.axis, op.keepdims), node.outputs[0])]


def _peel_to(v: Variable, target: Any, depth: int = 6) -> Variable | None:
    """Walk down broadcasting wrappers (dimshuffle, + zeros, cast) to a var passing target."""
    for _ in range(depth):
        if target(v):
            return v
        owner = v.owner
        if owner is None:
            return None
        if isinstance(owner.op, DimShuffle) or ew.is_elemwise(owner) and (
                owner.op.scalar.name.startswith("cast{") or owner.op.scalar.name == "identity"):
            v = owner.inputs[0]
        elif ew.is_elemwise(owner, "add") and is_zeros(owner.inputs[1]):
            v = owner.inputs[0]
        elif ew.is_elemwise(owner, "add") and is_zeros(owner.inputs[0]):
            v = owner.inputs[1]
        else:
            return None
    return None


def _logsumexp_grad(fgraph: FunctionGraph, node: Apply) -> Any:
    """(g / sum(exp(x)), broadcast) * exp(x) -> g * exp(x - logsumexp(x))."""
    for i in (0, 1):
        e, f = node.inputs[i], node.inputs[1 - i]
        if not ew.is_elemwise(e, "exp"):
            continue

        def is_div_by_sum(v: Variable, e: Variable = e) -> bool:
            if not ew.is_elemwise(v, "true_div"):
                return False
            found = _exp_sum(v.owner.inputs[1])
            return found is not None and v.owner.inputs[1].owner.inputs[0] is e

        div = _peel_to(f, is_div_by_sum)
        if div is None:
            continue
        s = div.owner.inputs[1]
        xv, op = _exp_sum(s)
        (g_b,) = clone_replace([f], {div: div.owner.inputs[0]})
        lse = stable_logsumexp(xv, op.axis, keepdims=True)
        return [fit_to(g_b * ew.exp(xv - lse), node.outputs[0])]
    return None


def _softmax_grad(fgraph: FunctionGraph, node: Apply) -> Any:
    """(g / sm - s) * sm -> g - s * sm (sm = softmax(x); the gradient of log(softmax))."""
    for i in (0, 1):
        sm, d = node.inputs[i], node.inputs[1 - i]
        if not _is_softmax(sm) or not ew.is_elemwise(d, "sub"):
            continue
        q, s = d.owner.inputs
        if ew.is_elemwise(q, "true_div") and q.owner.inputs[1] is sm:
            g = q.owner.inputs[0]
            return [fit_to(g - s * sm, node.outputs[0])]
    return None


def _terms(v: Variable, sign: int, out: list[tuple[int, Variable]]) -> None:
    """v as a signed sum of terms (through add, sub and neg)."""
    owner = v.owner
    if ew.is_elemwise(owner, "add"):
        _terms(owner.inputs[0], sign, out)
        _terms(owner.inputs[1], sign, out)
    elif ew.is_elemwise(owner, "sub"):
        _terms(owner.inputs[0], sign, out)
        _terms(owner.inputs[1], -sign, out)
    elif ew.is_elemwise(owner, "neg"):
        _terms(owner.inputs[0], -sign, out)
    else:
        out.append((sign, v))


# the sigmoid row's gradient rule: g * out * (1 - out)
_SIGMOID_GRAD = P.var("g") * P.var("s", when=_is_sigmoid) * (1 - P.var("s"))


def _sigmoid_grad(fgraph: FunctionGraph, node: Apply) -> Any:
    """(a / s + b / (1 - s)) * s * (1 - s) -> a * sigmoid(-z) + b * s, s = sigmoid(z)."""
    b = _SIGMOID_GRAD.match(node.outputs[0], {})
    if b is None:
        return None
    g, s = b["g"], b["s"]
    z = s.owner.inputs[0]
    terms: list[tuple[int, Variable]] = []
    _terms(g, 1, terms)
    changed = False
    acc: Variable | None = None
    for sign, t in terms:
        if ew.is_elemwise(t, "true_div") and t.owner.inputs[1] is s:
            new = t.owner.inputs[0] * ew.sigmoid(-as_float(z))  # a/s * s(1-s) = a (1-s)
            changed = True
        elif ew.is_elemwise(t, "true_div") and _is_one_minus(t.owner.inputs[1], s):
            new = t.owner.inputs[0] * s  # b/(1-s) * s(1-s) = b s
            changed = True
        else:
            new = t * s * (1 - s)
        acc = (new if sign > 0 else -new) if acc is None else \
            (acc + new if sign > 0 else acc - new)
    if not changed or acc is None:
        return None
    return [fit_to(acc, node.outputs[0])]


def _is_one_minus(v: Variable, s: Variable) -> bool:
    return (1 - P.var("s")).match(v, {"s": s}) is not None


PASS = Pass("stabilize", [
    *constant_fold.rewrites,
    Rewrite("log_softmax", _log_softmax, ("log",), "log(softmax(x)) -> log_softmax(x)"),
    # Each replacement computes in the replaced value's dtype `out`: log(1 + x) on bool x
    # is a float64 log of an int64 sum, where log1p(x) alone would compute in float16.
    rule("log_sigmoid", P.log(P.sigmoid(x)),
         lambda x, out: -ew.softplus(-ew.cast(x, out.dtype)),
         doc="log(sigmoid(x)) -> -softplus(-x)"),
    rule("log1m_sigmoid", P.log(1 - P.sigmoid(x)),
         lambda x, out: -ew.softplus(ew.cast(x, out.dtype)),
         doc="log(1 - sigmoid(x)) -> -softplus(x)"),
    rule("log1p_exp", P.log1p(P.exp(x)), lambda x, out: ew.softplus(ew.cast(x, out.dtype)),
         doc="log1p(exp(x)) -> softplus(x)"),
    rule("log1p", P.log(1 + x), lambda x, out: ew.log1p(ew.cast(x, out.dtype)),
         doc="log(1 + x) -> log1p(x)"),
    rule("expm1", P.exp(x) - 1, lambda x, out: ew.expm1(ew.cast(x, out.dtype)),
         doc="exp(x) - 1 -> expm1(x)"),
    Rewrite("logsumexp", _logsumexp, ("log",), "log(sum(exp(x))) -> logsumexp(x)"),
    Rewrite("logsumexp_grad", _logsumexp_grad, ("mul",),
            "g / sum(exp(x)) * exp(x) -> g * exp(x - logsumexp(x))"),
    Rewrite("softmax_grad", _softmax_grad, ("mul",), "(g / sm - s) * sm -> g - s * sm"),
    Rewrite("sigmoid_grad", _sigmoid_grad, ("mul",),
            "(a / s - b / (1 - s)) * s * (1 - s) -> a * sigmoid(-z) - b * s"),
], doc="replace overflow-prone expressions by their stable forms")
