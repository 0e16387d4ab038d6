"""Reverse-mode differentiation on graphs: grad, Lop, Rop, jacobian, hessian, verify_grad.

Gradients are graphs built from each op's gradient rule, so they are rewritten, compiled
and printed like any other expression. Conventions (as in Theano):

- integer and boolean values carry no gradient: asking for the gradient with respect to
  one raises a TypeError; an integer or boolean intermediate (argmax, a comparison, a
  cast to int) stops the gradient, contributing zero;
- d|x|/dx = 0 at x = 0 (NumPy's sign); d sqrt(x)/dx = inf at 0; for max/min reductions,
  tied maxima share the gradient; for the `maximum` op, a tie gives it to the first input.

Undoing broadcasting happens in one helper, `sum_to_shape_of` (in ops/grad_ops.py, below the
ops whose gradient rules call it).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from . import dtypes
from .graph import Apply, Variable, clone_replace, format_trace, toposort
from .ops import elemwise as ew
from .ops.allocation import arange, zeros_like
from .ops.grad_ops import DisconnectedGrad as DisconnectedGrad  # defined with the ops that
from .ops.grad_ops import SumToShape as SumToShape  # use them; part of this module's API
from .ops.grad_ops import disconnected_grad as disconnected_grad
from .ops.grad_ops import stop_gradient as stop_gradient
from .ops.grad_ops import sum_to_shape_of as sum_to_shape_of
from .ops.reduce import sum as sum_
from .ops.shape import flatten, reshape, shape_i, stack
from .tensor import TensorType, as_tensor, constant


class DisconnectedInputError(ValueError):
    """grad() was asked for a variable the cost does not depend on."""


class GradientError(AssertionError):
    """verify_grad found a symbolic gradient that disagrees with finite differences."""


# ---------------------------------------------------------------- reverse mode


def _as_wrt_list(wrt: Any) -> tuple[list[Variable], bool]:
    if isinstance(wrt, (list, tuple)):
        return [as_tensor(w) for w in wrt], True
    return [as_tensor(wrt)], False


def grad(cost: Any, wrt: Any, consider_constant: Sequence[Variable] | None = None,
         disconnected_inputs: str = "raise",
         known_grads: dict[Variable, Any] | None = None) -> Any:
    """d cost / d wrt, as graph. `wrt` is one variable or a list (the result matches).

    `cost` must be a float scalar (or None when `known_grads` seeds the gradients).
    """
    if disconnected_inputs not in ("raise", "warn", "ignore"):
        raise ValueError("disconnected_inputs must be 'raise', 'warn' or 'ignore'")
    wrt_list, as_list = _as_wrt_list(wrt)
    for w in wrt_list:
        if not dtypes.is_differentiable(w.dtype):
            raise TypeError(f"grad: cannot differentiate with respect to {w.name or repr(w)} of "
                            f"dtype {w.dtype}: integer and boolean values carry no gradient")
    seeds: dict[Variable, Variable] = {}
    if cost is not None:
        cost = as_tensor(cost)
        if cost.ndim != 0:
            raise ValueError(f"grad: the cost must be a scalar, got {cost.type} (sum or "
                             f"average it first, or use sg.Lop / known_grads)")
        if not dtypes.is_differentiable(cost.dtype):
            raise TypeError(f"grad: the cost has dtype {cost.dtype}; it must be a float")
        seeds[cost] = constant(1.0, cost.dtype)
    for v, g in (known_grads or {}).items():
        g = as_tensor(g)
        seeds[v] = g if g.dtype == v.dtype else ew.cast(g, v.dtype)
    if not seeds:
        raise ValueError("grad: give a cost or known_grads")
    grads = _backprop(seeds, wrt_list, set(consider_constant or ()))
    result = []
    for w in wrt_list:
        g = grads.get(w)
        if g is None:
            msg = (f"grad: the cost does not depend on {w.name or repr(w)} ({w.type}); pass "
                   f"disconnected_inputs='ignore' to get zeros")
            if disconnected_inputs == "raise":
                raise DisconnectedInputError(msg)
            if disconnected_inputs == "warn":
                import warnings
                warnings.warn(msg, stacklevel=2)
            g = zeros_like(w)
        result.append(g if g.dtype == w.dtype else ew.cast(g, w.dtype))
    return result if as_list else result[0]


def _backprop(seeds: dict[Variable, Variable], wrt: Sequence[Variable],
              constants: set[Variable]) -> dict[Variable, Variable]:
    """Accumulate gradients from `seeds` back to `wrt`, visiting only connecting nodes."""
    outputs = list(seeds)
    order = toposort(outputs, stop=constants)
    # Forward: which variables depend on some wrt (only their gradients are needed).
    depends: set[Variable] = set(wrt)
    for node in order:
        if any(i in depends and i not in constants for i in node.inputs):
            depends.update(node.outputs)
    contribs: dict[Variable, list[Variable]] = {v: [g] for v, g in seeds.items()}
    total: dict[Variable, Variable] = {}

    def summed(v: Variable) -> Variable | None:
        if v in total:
            return total[v]
        parts = contribs.get(v)
        if not parts:
            return None
        acc = parts[0]
        for p in parts[1:]:
            acc = acc + p
        total[v] = acc
        return acc

    for node in reversed(order):
        if not any(o in depends for o in node.outputs):
            continue
        gouts = [summed(o) for o in node.outputs]
        if all(g is None for g in gouts):
            continue
        if not any(dtypes.is_differentiable(getattr(o.type, "dtype", "rng"))
                   for o in node.outputs):
            continue
        needed = [i in depends and i not in constants and
                  dtypes.is_differentiable(getattr(i.type, "dtype", "rng"))
                  for i in node.inputs]
        if not any(needed):
            continue
        gouts = [g if g is not None or not dtypes.is_differentiable(o.dtype) else zeros_like(o)
                 for o, g in zip(node.outputs, gouts, strict=True)]
        try:
            in_grads = node.op.grad(node.inputs, node.outputs, gouts)
        except NotImplementedError as e:
            raise NotImplementedError(f"grad: {node.op} (built at "
                                      f"{_trace(node)}) has no gradient: {e}") from e
        if len(in_grads) != len(node.inputs):
            raise AssertionError(f"{node.op}.grad returned {len(in_grads)} gradients for "
                                 f"{len(node.inputs)} inputs")
        for inp, g, need in zip(node.inputs, in_grads, needed, strict=True):
            if g is None or not need:
                continue
            g = as_tensor(g)
            if g.ndim != inp.ndim:
                raise AssertionError(f"{node.op}.grad gave a {g.type} gradient for input "
                                     f"{inp.type}")
            contribs.setdefault(inp, []).append(g)
    return {w: g for w in wrt if (g := summed(w)) is not None}


def _trace(node: Apply) -> str:
    return format_trace(node.trace)


# ---------------------------------------------------------------- L/R operators


def Lop(f: Any, wrt: Any, eval_points: Any, consider_constant: Any = None,
        disconnected_inputs: str = "ignore") -> Any:
    """Vector-Jacobian product: sum_i eval_points[i] * d f[i] / d wrt."""
    fs = f if isinstance(f, (list, tuple)) else [f]
    es = eval_points if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(fs) != len(es):
        raise ValueError("Lop: f and eval_points differ in length")
    known: dict[Variable, Variable] = {}
    for a, b in zip(fs, es, strict=True):
        a, b = as_tensor(a), as_tensor(b)
        known[a] = known[a] + b if a in known else b  # the same output twice: both count
    return grad(None, wrt, consider_constant, disconnected_inputs, known_grads=known)


def Rop(f: Any, wrt: Any, eval_points: Any) -> Any:
    """Jacobian-vector product: sum_j d f / d wrt[j] * eval_points[j] (the double-Lop trick).

    J v = d/du <J^T u, v> for a dummy u: two reverse passes, no forward mode needed.
    """
    single_f = not isinstance(f, (list, tuple))
    fs = [as_tensor(v) for v in (f if not single_f else [f])]
    ws, many = _as_wrt_list(wrt)
    vs = eval_points if isinstance(eval_points, (list, tuple)) else [eval_points]
    if len(vs) != len(ws):
        raise ValueError("Rop: wrt and eval_points differ in length")
    dummies = [fv.type.make_variable(name="u") for fv in fs]
    jt_u = Lop(fs, ws, dummies)
    jt_u = jt_u if isinstance(jt_u, list) else [jt_u]
    inner = None
    for a, v in zip(jt_u, vs, strict=True):
        term = sum_(a * as_tensor(v))
        inner = term if inner is None else inner + term
    res = grad(inner, dummies, disconnected_inputs="ignore")
    res = clone_replace(res, {u: zeros_like(fv) for u, fv in zip(dummies, fs, strict=True)})
    return res[0] if single_f else res


def jacobian(expression: Any, wrt: Any, consider_constant: Any = None,
             disconnected_inputs: str = "raise") -> Any:
    """d expression[i] / d wrt, stacked: shape expression.shape + wrt.shape.

    The expression is flattened; its length must be known at graph-build time, or it is
    computed with scan.
    """
    y = as_tensor(expression)
    ws, many = _as_wrt_list(wrt)
    yf = flatten(y, 1) if y.ndim != 1 else y
    n = yf.type.shape[0]
    results = []
    for w in ws:
        if n is not None:
            rows = [grad(yf[i], w, consider_constant, disconnected_inputs) for i in range(n)]
            j = stack(rows) if rows else reshape(w, [0] + [shape_i(w, k) for k in range(w.ndim)])
        else:
            from .ops.scan import scan  # scan loads on first use (import symgraph stays quick)
            j, _ = scan(lambda i, yf_, w_: grad(yf_[i], w_, consider_constant,
                                                 disconnected_inputs),
                        sequences=[arange(shape_i(yf, 0))], non_sequences=[yf, w])
        if y.ndim != 1:
            j = reshape(j, [shape_i(y, k) for k in range(y.ndim)] +
                        [shape_i(w, k) for k in range(w.ndim)])
        results.append(j)
    return results if many else results[0]


def hessian(cost: Any, wrt: Any, consider_constant: Any = None,
            disconnected_inputs: str = "raise") -> Any:
    """Second derivatives of a scalar cost: the jacobian of its gradient."""
    ws, many = _as_wrt_list(wrt)
    out = []
    for w in ws:
        g = grad(cost, w, consider_constant, disconnected_inputs)
        out.append(jacobian(g, w, consider_constant, disconnected_inputs))
    return out if many else out[0]


# ---------------------------------------------------------------- verify_grad


def verify_grad(fn: Callable[..., Any], points: Sequence[Any], eps: float | None = None,
                rtol: float | None = None, atol: float | None = None,
                rng: np.random.Generator | None = None, n_tests: int = 1,
                cast_to_output_type: bool = False) -> None:
    """Check fn's symbolic gradient against central finite differences.

    A random projection of fn's output gives a scalar cost; its gradient with respect to
    each input is compared with (cost(x + eps) - cost(x - eps)) / 2 eps, element by element.
    Raises GradientError naming the input and the largest difference.
    """
    from .function import function  # upward: compiling sits above the gradient
    rng = rng if rng is not None else np.random.default_rng(42)
    # C order: the finite differences perturb each point through a flat view of it.
    pts = [np.array(p, dtype=p.dtype if isinstance(p, np.ndarray) else "float64", order="C")
           for p in points]
    inputs = [TensorType(p.dtype, (None,) * p.ndim).make_variable(name=f"input{i}")
              for i, p in enumerate(pts)]
    out = as_tensor(fn(*inputs))
    f_out = function(inputs, out, name="verify_grad_out", on_unused_input="ignore")
    value = np.asarray(f_out(*pts))
    low = min((np.finfo(p.dtype).bits for p in pts if p.dtype.kind == "f"), default=64)
    eps = eps if eps is not None else (1e-7 if low >= 64 else 1e-3 if low >= 32 else 1e-2)
    rtol = rtol if rtol is not None else (1e-4 if low >= 64 else 1e-2)
    atol = atol if atol is not None else (1e-4 if low >= 64 else 1e-2)
    for _ in range(n_tests):
        proj = rng.random(value.shape) + 0.5
        p_var = constant(proj.astype(out.dtype if dtypes.is_float(out.dtype) else "float64"))
        cost = sum_(out * p_var)
        gs = grad(cost, inputs, disconnected_inputs="ignore")
        f_cost = function(inputs, cost, name="verify_grad_cost", on_unused_input="ignore")
        f_grad = function(inputs, gs, name="verify_grad_grads", on_unused_input="ignore")
        analytic = f_grad(*pts)
        for k, p in enumerate(pts):
            numeric = np.zeros(p.shape, dtype="float64")
            flat = p.reshape(-1)
            for idx in range(flat.size):
                orig = flat[idx]
                flat[idx] = orig + eps
                up = float(f_cost(*pts))
                flat[idx] = orig - eps
                down = float(f_cost(*pts))
                flat[idx] = orig
                numeric.reshape(-1)[idx] = (up - down) / (2 * eps)
            a = np.asarray(analytic[k], dtype="float64")
            if a.shape != numeric.shape:
                raise GradientError(f"verify_grad: gradient for input {k} has shape {a.shape}, "
                                    f"the input has shape {numeric.shape}")
            diff = np.abs(a - numeric)
            tol = atol + rtol * np.abs(numeric)
            if not np.all(diff <= tol):
                worst = np.unravel_index(np.argmax(diff - tol), diff.shape)
                raise GradientError(
                    f"verify_grad: gradient for input {k} (shape {p.shape}) differs from "
                    f"finite differences; largest difference {diff[worst]:.3g} at index "
                    f"{tuple(int(i) for i in worst)}: symbolic {a[worst]:.6g}, numeric "
                    f"{numeric[worst]:.6g} (rtol={rtol}, atol={atol}, eps={eps})")
