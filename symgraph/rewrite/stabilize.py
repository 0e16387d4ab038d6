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

import functools
from typing import Any

import numpy as np

from ..fgraph import FunctionGraph
from ..graph import Apply, Variable, clone_replace
from ..ops import elemwise as ew
from ..ops.nnet import LogSoftmax
from ..ops.reduce import Reduce
from ..ops.reduce import sum as sum_
from ..ops.shape import DimShuffle, dimshuffle
from .canonicalize import is_zeros, root_product
from .driver import Rewrite
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


def stable_logsumexp(x: Variable, axis: tuple[int, ...] | None, keepdims: bool) -> Variable:
    """log(sum(exp(x), axis)) shifted by the max (a max of -inf or inf shifts by 0).

    The max starts at -inf, so an empty axis gives log(0) = -inf as the unshifted form
    does, instead of failing (NumPy's max has no value for an empty axis).
    """
    v = ew.cast(x, ew.output_dtype(ew.TABLE["exp"], [x.dtype]))  # ints: -inf is no int
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


def _is_negation(a: Variable, b: Variable) -> bool:
    """a is -b, or b is -a (as written in the graph)."""
    return (ew.is_elemwise(a, "neg") and a.owner.inputs[0] is b) or \
        (ew.is_elemwise(b, "neg") and b.owner.inputs[0] is a)


def _complement(t: Variable, s: Variable) -> bool:
    """t is 1 - s for s = sigmoid(z): written 1 - s, or sigmoid(-z)."""
    if (1 - P.var("s")).match(t, {"s": s}) is not None:
        return True
    return _is_sigmoid(t) and _is_negation(t.owner.inputs[0], s.owner.inputs[0])


def _same(a: Variable, b: Variable) -> bool:
    """a and b compute the same value: one variable, or one op on the same inputs (the
    merge that would make them one may not have reached them yet)."""
    return a is b or (a.owner is not None and b.owner is not None and a.index == b.index
                      and a.owner.op == b.owner.op and len(a.owner.inputs) ==
                      len(b.owner.inputs) and all(u is v for u, v in zip(
                          a.owner.inputs, b.owner.inputs, strict=True)))


def _negated(x: Variable) -> Variable:
    """-x, without a double negation (canonicalize has run: nothing removes it later)."""
    return x.owner.inputs[0] if ew.is_elemwise(x, "neg") else ew.neg(x)


def _product(num: list[Variable], den: list[Variable], sign: int, out: Variable) -> Variable:
    """sign * prod(num) / prod(den), fitted to `out`; a factor in both cancels (the
    sigmoids these rewrites bring in meet the divisions by them: 0 / 0 for z << 0)."""
    num, den = list(num), list(den)
    for d in list(den):
        twin = next((v for v in num if _same(v, d)), None)
        if twin is not None and (len(num) > 1 or len(den) > 1):
            num.remove(twin)
            den.remove(d)
    acc = functools.reduce(ew.mul, num) if num else ew.cast(1, out.dtype)
    for d in den:
        acc = ew.true_div(acc, d)
    return fit_to(ew.neg(acc) if sign < 0 else acc, out)


def _exp_times_sigmoid(fgraph: FunctionGraph, node: Apply) -> Any:
    """exp(x) * sigmoid(-x) -> sigmoid(x), anywhere in a product (the gradient of the
    written-out logistic function 1 / (1 + exp(-x)) holds this product, whose factors
    are inf and 0 for a large x)."""
    found = root_product(fgraph, node)
    if found is None:
        return None
    num, den, sign = found
    for i, e in enumerate(num):
        if not ew.is_elemwise(e, "exp"):
            continue
        for j, sg in enumerate(num):
            if _is_sigmoid(sg) and _is_negation(sg.owner.inputs[0], e.owner.inputs[0]) and \
                    not sg.owner.op.nondeterministic:
                rest = [v for k, v in enumerate(num) if k not in (i, j)]
                return [_product([*rest, ew.sigmoid(e.owner.inputs[0])], den, sign,
                                 node.outputs[0])]
    if any(_same(v, d) for d in den for v in num):
        return [_product(num, den, sign, node.outputs[0])]
    return None


def _sigmoid_grad(fgraph: FunctionGraph, node: Apply) -> Any:
    """(a / s + b / (1 - s)) * s * (1 - s) -> a * (1 - s) + b * s, s = sigmoid(z); 1 - s
    may be written sigmoid(-z). The gradient of binary cross-entropy on a sigmoid."""
    found = root_product(fgraph, node)
    if found is None:
        return None
    num, den, sign = found
    pairs = [(i, j) for i, s in enumerate(num) if _is_sigmoid(s)
             for j, t in enumerate(num) if j != i and _complement(t, num[i])]
    for i, j in pairs:
        s, t = num[i], num[j]
        for k, g in enumerate(num):
            if k in (i, j):
                continue
            acc = _distribute(g, s, t)
            if acc is not None:
                rest = [v for m, v in enumerate(num) if m not in (i, j, k)]
                return [_product([*rest, acc], den, sign, node.outputs[0])]
    return None


def _distribute(g: Variable, s: Variable, t: Variable) -> Variable | None:
    """g * s * t with g's terms a / s and b / t cancelled (None when g has none)."""
    terms: list[tuple[int, Variable]] = []
    _terms(g, 1, terms)
    changed = False
    acc: Variable | None = None
    for sign, term in terms:
        if ew.is_elemwise(term, "true_div") and term.owner.inputs[1] is s:
            # a/s * s(1-s) = a (1-s), as sigmoid(-z): 1 - s loses everything near s = 1
            comp = t if _is_sigmoid(t) else ew.sigmoid(-as_float(s.owner.inputs[0]))
            new = term.owner.inputs[0] * comp
            changed = True
        elif ew.is_elemwise(term, "true_div") and (term.owner.inputs[1] is t or
                                                   _complement(term.owner.inputs[1], s)):
            new = term.owner.inputs[0] * s  # b/(1-s) * s(1-s) = b s
            changed = True
        else:
            new = term * s * t
        acc = (new if sign > 0 else -new) if acc is None else \
            (acc + new if sign > 0 else acc - new)
    return acc if changed else None


g, s, sm = P.var("g"), P.var("s"), P.var("sm")
exp_sum = P.sum(P.exp(x), axis=P.var("axis"), keepdims=P.var("keepdims"), dtype=None)

# The logistic function written out (Theano's tutorial): recognised, so the rules below
# make log(p) and log(1 - p) stable (PyTensor does the same). Each replacement computes in
# the replaced value's dtype `out`: log(1 + x) on bool x is a float64 log of an int64
# sum, where log1p(x) alone would compute in float16.
VALUES = [
    rule("sigmoid_written_out", 1 / (1 + P.exp(x)), lambda x, out: ew.sigmoid(
        _negated(ew.cast(x, out.dtype))), doc="1 / (1 + exp(x)) -> sigmoid(-x)"),
    rule("div_1p_exp", P.var("a") / (1 + P.exp(x)), lambda a, x, out: a * ew.sigmoid(
        _negated(ew.cast(x, out.dtype))), doc="a / (1 + exp(x)) -> a * sigmoid(-x)"),
    Rewrite("exp_times_sigmoid", _exp_times_sigmoid, ("mul",),
            "exp(x) * sigmoid(-x) -> sigmoid(x)"),
    rule("log_softmax", P.log(P.softmax(x, axis=P.var("axis"))),
         lambda x, axis: LogSoftmax(axis)(x), doc="log(softmax(x)) -> log_softmax(x)"),
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
    rule("logsumexp", P.log(exp_sum), stable_logsumexp, when=lambda x: not
         _is_max_shifted(x), doc="log(sum(exp(x))) -> max(x) + log(sum(exp(x - max(x))))"),
]

GRADIENTS = [
    Rewrite("logsumexp_grad", _logsumexp_grad, ("mul",),
            "g / sum(exp(x)) * exp(x) -> g * exp(x - logsumexp(x))"),
    rule("softmax_grad", (g / P.softmax(P.any).named("sm") - s) * sm, lambda g, s, sm: g - s * sm,
         doc="(g / sm - s) * sm -> g - s * sm (sm = softmax(x); the gradient of log(softmax))"),
    Rewrite("sigmoid_grad", _sigmoid_grad, ("mul",),
            "(a / s - b / (1 - s)) * s * (1 - s) -> a * sigmoid(-z) - b * s, s = sigmoid(z)"),
]
