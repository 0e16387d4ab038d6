"""specialize: general ops become faster special cases.

- powers by constants: x ** 2 -> square(x), x ** 0.5 -> sqrt(x), x ** -1 -> reciprocal(x),
  x ** -0.5 -> 1 / sqrt(x), x ** n for small integer n -> products of squares
  (x ** 3 -> square(x) * x); negative and fractional powers only for float x, where NumPy
  would not raise on integer bases;
- 1 - sigmoid(x) -> sigmoid(-x), which keeps its precision for large x (left over from
  the gradients of log(sigmoid) once stabilize has run);
- alpha * dot(x, y) + beta * z (any sum of one matrix product and one matrix of the same
  shape, with scalar factors) -> one BLAS gemm call (ops/blas.py). The product must have
  no other use (else it would be computed twice) and z must not be known to broadcast
  (a bias vector); z of unknown shape is checked at run time by gemm.
  A lone dot(x, y) stays np.dot.

In-place variants (gemm writing into z, elementwise ops writing into an input) are chosen
by the inplace pass, after fusion, when the final graph is known.
"""

from __future__ import annotations

from typing import Any

from ..fgraph import FunctionGraph
from ..graph import Apply, Variable
from ..ops import elemwise as ew
from ..ops.allocation import alloc_like
from ..ops.blas import Gemm
from ..ops.linalg import Dot
from ..tensor import constant
from .canonicalize import absorbed_by_client, is_float, scalar_const, single_client
from .driver import Rewrite
from .pattern import P, fit_to, rule
from .shape_info import same_shape

_MAX_INT_POWER = 8


def _int_power(v: Variable, n: int) -> Variable:
    """v ** n for n >= 1 by repeated squaring: x**3 = square(x) * x, x**4 = square(square(x))."""
    if n == 1:
        return v
    half = _int_power(v, n // 2)
    sq = ew.square(half)
    return sq * v if n % 2 else sq


def _pow_const(x: Variable, c: Variable, out: Variable) -> Variable | None:
    """x ** c for constant c -> square / sqrt / reciprocal / products."""
    v = x
    p = float(c.data.reshape(()))
    fl = is_float(v)
    new: Variable | None = None
    if p == 0.5 and fl:
        new = ew.sqrt(v)
    elif p == -0.5 and fl:
        new = ew.reciprocal(ew.sqrt(v))
    elif p == 0:
        new = alloc_like(1, v, out.dtype)
    elif p == round(p) and 1 <= p <= _MAX_INT_POWER:
        new = _int_power(v, int(p))
    elif p == round(p) and -_MAX_INT_POWER <= p <= -1 and fl:
        new = ew.reciprocal(_int_power(v, int(-p)))
    return new


# ---------------------------------------------------------------- gemm


def _scaled_terms(v: Variable, scale: Variable | None,
                  out: list[tuple[Variable | None, Variable]]) -> None:
    """v as a sum of (scalar factor or None, term) through add, sub, neg and scalar mul.

    Iterative (long sums are ordinary graphs), left to right.
    """
    stack: list[tuple[Variable, Variable | None]] = [(v, scale)]
    while stack:
        v, scale = stack.pop()
        owner = v.owner
        if ew.is_elemwise(owner, "add"):
            stack.extend((i, scale) for i in reversed(owner.inputs))
            continue
        if ew.is_elemwise(owner, "sub"):
            stack.append((owner.inputs[1], _times(scale, constant(-1, v.dtype))))
            stack.append((owner.inputs[0], scale))
            continue
        if ew.is_elemwise(owner, "neg"):
            stack.append((owner.inputs[0], _times(scale, constant(-1, v.dtype))))
            continue
        if ew.is_elemwise(owner, "mul"):
            for k in (0, 1):
                s, t = owner.inputs[k], owner.inputs[1 - k]
                if _as_scalar(s) is not None and t.ndim == 2:
                    out.append((_times(scale, _as_scalar(s)), t))
                    break
            else:
                out.append((scale, v))
            continue
        out.append((scale, v))


def _as_scalar(v: Variable) -> Variable | None:
    """v as a 0-d variable if it is one (or a constant whose dims are all 1)."""
    if v.ndim == 0:
        return v
    c = scalar_const(v)
    return constant(c.reshape(()), v.dtype) if c is not None else None


def _times(a: Variable | None, b: Variable) -> Variable:
    return b if a is None else a * b


def _is_gemm_dot(fgraph: FunctionGraph, v: Variable, dtype: str) -> bool:
    owner = v.owner
    return owner is not None and isinstance(owner.op, Dot) and v.dtype == dtype and \
        all(i.ndim == 2 and i.dtype == dtype for i in owner.inputs) and \
        single_client(fgraph, v)


def _may_fill(z: Variable, out: Variable) -> bool:
    """z is not known to be smaller than out (then gemm can write x @ y into it)."""
    return same_shape(z, out) or all(
        a is None or a == b or (a != 1 and b is None)
        for a, b in zip(z.type.shape, out.type.shape, strict=True))


def _gemm(fgraph: FunctionGraph, node: Apply) -> Any:
    """beta * z + alpha * dot(x, y) (+ other terms) -> gemm(z, alpha, x, y, beta) (+ ...)."""
    out = node.outputs[0]
    if out.ndim != 2 or out.dtype not in ("float32", "float64") or \
            absorbed_by_client(fgraph, out, ("add", "sub"), ndim=2):
        return None  # the sum this one is a term of is rewritten as a whole
    terms: list[tuple[Variable | None, Variable]] = []
    _scaled_terms(out, None, terms)
    dots = [i for i, (_, t) in enumerate(terms) if _is_gemm_dot(fgraph, t, out.dtype)]
    zs = [i for i, (_, t) in enumerate(terms) if i not in dots and t.dtype == out.dtype and
          t.ndim == 2 and _may_fill(t, out)]
    if not dots or not zs:
        return None
    d, z = dots[0], zs[0]
    (alpha, dv), (beta, zv) = terms[d], terms[z]
    one = constant(1, out.dtype)
    acc: Variable = Gemm()(zv, alpha if alpha is not None else one, *dv.owner.inputs,
                           beta if beta is not None else one)
    for i, (s, t) in enumerate(terms):
        if i not in (d, z):
            acc = acc + _times(s, t)
    return [fit_to(acc, out)]


SPECIAL_CASES = [
    rule("one_minus_sigmoid", 1 - P.sigmoid(P.var("x")),
         lambda x, out: ew.sigmoid(-ew.cast(x, out.dtype)),
         doc="1 - sigmoid(x) -> sigmoid(-x) (exact where 1 - s rounds to 0)"),
    rule("pow_const", P.var("x") ** P.const("c"), _pow_const,
         doc="x**2 -> square(x), x**0.5 -> sqrt(x), x**-1 -> reciprocal(x), x**3 -> x*x*x"),
    Rewrite("gemm", _gemm, ("add", "sub"), "beta * z + alpha * dot(x, y) -> gemm"),
]
