"""Declarative patterns: `P.log(P.exp(x))` matches log(exp(anything)) and binds `x`.

    x, y = P.var("x"), P.var("y")
    rule("mul_one", x * 1, lambda x: x)             # x*1 -> x
    rule("log_exp", P.log(P.exp(x)), lambda x: x)   # log(exp(x)) -> x

`P.<name>(...)` matches a node whose op has that name (an elementwise row name such as
`mul`, or an op name such as `softmax`, `sum`, `dimshuffle`); keyword arguments must equal
the op's parameters. Commutative rows match both argument orders. A number matches a
constant whose every element equals it and whose dims are all 1 (so the rewrite cannot
change the shape). A variable name used twice must bind the same variable (`x - x`).

The replacement gets the bindings as keyword arguments; its result is cast to the
replaced variable's dtype, and a result that would need broadcasting is not used.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from ..fgraph import FunctionGraph
from ..graph import Apply, Constant, Variable
from .driver import Rewrite, node_key

Bindings = dict[str, Variable]


class Pattern:
    """Base: arithmetic operators build op patterns, so `x * 1` reads as math."""

    def match(self, var: Variable, b: Bindings) -> Bindings | None:
        """The bindings extended by matching `var`, or None when it does not match."""
        raise NotImplementedError

    def __add__(self, o): return OpPat("add", (self, lift(o)))
    def __radd__(self, o): return OpPat("add", (lift(o), self))
    def __sub__(self, o): return OpPat("sub", (self, lift(o)))
    def __rsub__(self, o): return OpPat("sub", (lift(o), self))
    def __mul__(self, o): return OpPat("mul", (self, lift(o)))
    def __rmul__(self, o): return OpPat("mul", (lift(o), self))
    def __truediv__(self, o): return OpPat("true_div", (self, lift(o)))
    def __rtruediv__(self, o): return OpPat("true_div", (lift(o), self))
    def __pow__(self, o): return OpPat("pow", (self, lift(o)))
    def __neg__(self): return OpPat("neg", (self,))


class Var(Pattern):
    """Matches any variable (optionally one passing `when`), binding it by name."""

    def __init__(self, name: str, when: Callable[[Variable], bool] | None = None):
        self.name, self.when = name, when

    def match(self, var: Variable, b: Bindings) -> Bindings | None:
        if self.name in b:
            return b if b[self.name] is var else None
        if self.when is not None and not self.when(var):
            return None
        return {**b, self.name: var}

    def __repr__(self) -> str:
        return self.name


class Const(Pattern):
    """Matches a constant equal to `value` everywhere, with all dims of size 1."""

    def __init__(self, value: Any):
        self.value = value

    def match(self, var: Variable, b: Bindings) -> Bindings | None:
        if not isinstance(var, Constant) or any(d != 1 for d in var.data.shape):
            return None
        with np.errstate(all="ignore"):
            return b if bool(np.all(var.data == self.value)) else None

    def __repr__(self) -> str:
        return repr(self.value)


class AnyConst(Pattern):
    """Matches any scalar-like constant, binding it by name."""

    def __init__(self, name: str):
        self.name = name

    def match(self, var: Variable, b: Bindings) -> Bindings | None:
        if not isinstance(var, Constant) or any(d != 1 for d in var.data.shape):
            return None
        if self.name in b:
            return b if b[self.name] is var else None
        return {**b, self.name: var}

    def __repr__(self) -> str:
        return f"const {self.name}"


class OpPat(Pattern):
    """Matches `name(args...)` with op parameters equal to `params`."""

    def __init__(self, name: str, args: tuple[Pattern, ...], params: dict | None = None,
                 out: Var | None = None):
        self.name, self.args, self.params = name, args, params or {}

    def match(self, var: Variable, b: Bindings) -> Bindings | None:
        node = var.owner
        if node is None or node_key(node) != self.name or len(node.inputs) != len(self.args):
            return None
        for k, v in self.params.items():
            if getattr(node.op, k, object()) != v:
                return None
        orders = [node.inputs]
        scalar = getattr(node.op, "scalar", None)
        if scalar is not None and scalar.commutative and len(node.inputs) == 2:
            orders.append(node.inputs[::-1])
        for inputs in orders:
            got: Bindings | None = b
            for pat, inp in zip(self.args, inputs, strict=True):
                got = pat.match(inp, got)
                if got is None:
                    break
            if got is not None:
                return got
        return None

    def __repr__(self) -> str:
        return f"{self.name}({', '.join(map(repr, self.args))})"


def lift(x: Any) -> Pattern:
    """A pattern for x: patterns pass through, numbers match equal constants."""
    return x if isinstance(x, Pattern) else Const(x)


class _P:
    """`P.exp(x)` builds an op pattern; `P.var('x')` a variable."""

    var = staticmethod(Var)
    const = staticmethod(AnyConst)

    def __getattr__(self, name: str) -> Callable[..., OpPat]:
        def make(*args: Any, **params: Any) -> OpPat:
            return OpPat(name, tuple(lift(a) for a in args), params)
        return make


P = _P()


def rule(name: str, pattern: OpPat, replace: Callable[..., Any],
         when: Callable[..., bool] | None = None, doc: str = "") -> Rewrite:
    """A named rewrite from `pattern` to `replace(**bindings)` (applied if `when(**b)`).

    A replacement with a parameter named `out` also gets the variable it replaces (to
    compute in its dtype: `0 - x` on int8 x is an int64 -x when the 0 is int64).
    """
    wants_out = "out" in inspect.signature(replace).parameters

    def fn(fgraph: FunctionGraph, node: Apply) -> Any:
        out = node.outputs[0]
        b = pattern.match(out, {})
        if b is None or (when is not None and not when(**b)):
            return None
        new = replace(**b, out=out) if wants_out else replace(**b)
        if new is None:
            return None
        return [fit_to(new, out)]

    return Rewrite(name, fn, (pattern.name,), doc or f"{pattern!r}")


def fit_to(new: Any, old: Variable) -> Variable | None:
    """`new` cast to old's dtype; None when its shape could differ from old's."""
    from ..ops.elemwise import cast
    from ..tensor import as_tensor
    new = as_tensor(new)
    if new.ndim != old.ndim:
        return None
    for a, b in zip(new.type.shape, old.type.shape, strict=True):
        if a != b and (a == 1 or (a is not None and b is not None)):
            return None
    if new.dtype != old.dtype:
        new = cast(new, old.dtype)
    return new
