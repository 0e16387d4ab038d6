"""Declarative patterns: `P.log(P.exp(x))` matches log(exp(anything)) and binds `x`.

    x, y = P.var("x"), P.var("y")
    rule("mul_one", x * 1, lambda x: x)             # x*1 -> x
    rule("log_exp", P.log(P.exp(x)), lambda x: x)   # log(exp(x)) -> x

Nodes: `P.<name>(...)` matches a node whose op has that name (an elementwise row name such
as `mul`, or an op name such as `softmax`, `sum`, `dimshuffle`); `P.cast(x)` matches every
cast row (a family: `FAMILIES`), `P.op(("shape", "shape_i"), x)` any of several names.
Keyword arguments must equal the op's parameters, or bind them when given as `P.var`
(`P.softmax(x, axis=P.var("axis"))`). Commutative rows match both argument orders.
`P.rest("dims")` as the last argument binds the remaining inputs as a tuple.

Leaves: `P.var("x", dtype="float")` any variable (of a dtype, a kind -- "float", "int",
"bool" -- or a tuple of those); `P.any` anything, bound to nothing; a number matches a
constant whose every element equals it and whose dims are all 1 (so the rewrite cannot
change the shape); `P.const("c")` any such constant; `P.zeros("z")` / `P.ones("o")` a
value that is 0 / 1 everywhere, of any shape: a constant, `alloc(v, dims)` (zeros_like,
ones_like) or `v + zeros` (what gradients build).

Guards: `pat.named("v")` binds the matched variable too; `pat.once()` requires the value
to have a single client (folding it into its user duplicates no work); `a | b` matches
either. A variable name used twice must bind the same variable (`x - x`).

The replacement (and `when`) get the bindings they name as parameters, plus `out` (the
replaced variable) and `fgraph` when they ask for them; a result is cast to the
replaced variable's dtype, and a result that would need broadcasting is not used.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import numpy as np

from .. import dtypes
from ..fgraph import FunctionGraph
from ..graph import Apply, Constant, Variable
from ..ops.allocation import Alloc
from ..ops.elemwise import cast
from ..tensor import as_tensor
from .driver import Rewrite, node_key

Bindings = dict[str, Any]
DtypeSpec = str | tuple[str, ...] | None

# Names that match a family of rows or ops.
FAMILIES: dict[str, tuple[str, ...]] = {
    "cast": tuple(f"cast{{{d}}}" for d in dtypes.ALL_DTYPES),
}
_KINDS: dict[str, Callable[[str], bool]] = {
    "float": dtypes.is_float, "int": dtypes.is_int, "bool": dtypes.is_bool,
}


def dtype_ok(var: Variable, spec: DtypeSpec) -> bool:
    """var's dtype fits `spec`: a dtype, a kind ("float", "int", "bool"), or a tuple."""
    if spec is None:
        return True
    dtype = getattr(var.type, "dtype", "")
    for s in (spec,) if isinstance(spec, str) else spec:
        if dtype == s or (s in _KINDS and _KINDS[s](dtype)):
            return True
    return False


class Pattern:
    """Base: arithmetic operators build op patterns, so `x * 1` reads as math."""

    names: tuple[str, ...] | None = None  # the op names a match can start at (None: any)
    one_way = True  # matches in at most one way (leaves): matched without a generator

    def match(self, var: Variable, b: Bindings, fg: FunctionGraph | None = None
              ) -> Bindings | None:
        """The bindings extended by matching `var`, or None when it does not match."""
        return next(self.matches(var, b, fg), None)

    def matches(self, var: Variable, b: Bindings, fg: FunctionGraph | None = None
                ) -> Iterator[Bindings]:
        """Every way of matching `var` (commutative rows: both orders), first one first:
        a rule's guard that refuses one binding may accept the next."""
        got = self.match(var, b, fg)
        if got is not None:
            yield got

    def named(self, name: str) -> Pattern:
        """This pattern, also binding the matched variable to `name`."""
        return Guarded(self, name=name)

    def once(self) -> Pattern:
        """This pattern, on a value used by exactly one node."""
        return Guarded(self, single_use=True)

    def __or__(self, o: Pattern) -> Pattern: return Alt(self, o)
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


def _bind(b: Bindings, name: str, value: Any) -> Bindings | None:
    """b with name -> value; None when name is bound to something else already."""
    if name in b:
        return b if b[name] is value or (not isinstance(value, Variable) and
                                          b[name] == value) else None
    return {**b, name: value}


class Var(Pattern):
    """Matches any variable (optionally of a dtype, or passing `when`), binding it by name."""

    def __init__(self, name: str, when: Callable[[Variable], bool] | None = None,
                 dtype: DtypeSpec = None):
        self.name, self.when, self.dtype = name, when, dtype

    def match(self, var: Variable, b: Bindings, fg: FunctionGraph | None = None
              ) -> Bindings | None:
        if self.name in b:
            return b if b[self.name] is var else None
        if not dtype_ok(var, self.dtype) or (self.when is not None and not self.when(var)):
            return None
        return {**b, self.name: var}

    def __repr__(self) -> str:
        return self.name


class Wild(Pattern):
    """Matches anything and binds nothing (`P.any`)."""

    def match(self, var: Variable, b: Bindings, fg: FunctionGraph | None = None
              ) -> Bindings | None:
        return b

    def __repr__(self) -> str:
        return "_"


class Rest(Pattern):
    """As the last argument of an op pattern: the remaining inputs, bound as a tuple."""

    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return f"*{self.name}"


def single_client(fgraph: FunctionGraph | None, v: Variable) -> bool:
    """v is used exactly once (so folding it into its user duplicates nothing); False
    when there is no graph to ask."""
    return fgraph is not None and len(fgraph.clients.get(v, ())) == 1


def scalar_like(var: Variable) -> bool:
    """var is a constant whose dims are all 1 (it broadcasts like a scalar)."""
    return isinstance(var, Constant) and all(d == 1 for d in var.data.shape)


class Const(Pattern):
    """Matches a constant equal to `value` everywhere, with all dims of size 1."""

    def __init__(self, value: Any):
        self.value = value

    def match(self, var: Variable, b: Bindings, fg: FunctionGraph | None = None
              ) -> Bindings | None:
        if not scalar_like(var):
            return None
        with np.errstate(all="ignore"):
            return b if bool(np.all(var.data == self.value)) else None

    def __repr__(self) -> str:
        return repr(self.value)


class AnyConst(Pattern):
    """Matches any scalar-like constant (any constant with `scalar=False`), bound by name."""

    def __init__(self, name: str, scalar: bool = True):
        self.name, self.scalar = name, scalar

    def match(self, var: Variable, b: Bindings, fg: FunctionGraph | None = None
              ) -> Bindings | None:
        if not isinstance(var, Constant) or (self.scalar and not scalar_like(var)):
            return None
        return _bind(b, self.name, var)

    def __repr__(self) -> str:
        return f"const {self.name}"


def filled_with(var: Variable, value: float) -> bool:
    """var is `value` everywhere: a non-empty constant, alloc(v, dims) of such a v, or
    v + zeros (the ones gradients build as `1 + zeros_like(x)`)."""
    if isinstance(var, Constant):
        with np.errstate(all="ignore"):
            return var.data.size > 0 and bool(np.all(var.data == value))
    node = var.owner
    if node is None:
        return False
    if isinstance(node.op, Alloc):
        return filled_with(node.inputs[0], value)
    if value != 0 and node_key(node) == "add":  # zeros stay a constant or an alloc
        a, c = node.inputs
        return (filled_with(a, value) and filled_with(c, 0)) or \
            (filled_with(c, value) and filled_with(a, 0))
    return False


class Filled(Pattern):
    """Matches a value equal to `value` everywhere, of any shape (`P.zeros`, `P.ones`)."""

    def __init__(self, value: float, name: str | None = None):
        self.value, self.name = value, name

    def match(self, var: Variable, b: Bindings, fg: FunctionGraph | None = None
              ) -> Bindings | None:
        if not filled_with(var, self.value):
            return None
        return b if self.name is None else _bind(b, self.name, var)

    def __repr__(self) -> str:
        return {0: "zeros", 1: "ones"}.get(self.value, f"filled({self.value})")


class Guarded(Pattern):
    """`pat.named(name)` / `pat.once()`: the inner pattern plus a binding or a guard."""

    one_way = False

    def __init__(self, inner: Pattern, name: str | None = None, single_use: bool = False):
        self.inner, self.name, self.single_use = inner, name, single_use
        self.names = inner.names

    def named(self, name: str) -> Pattern:
        return Guarded(self.inner, name, self.single_use)

    def once(self) -> Pattern:
        return Guarded(self.inner, self.name, True)

    def matches(self, var: Variable, b: Bindings, fg: FunctionGraph | None = None
                ) -> Iterator[Bindings]:
        if self.single_use and not single_client(fg, var):
            return
        for got in self.inner.matches(var, b, fg):
            got = got if self.name is None else _bind(got, self.name, var)
            if got is not None:
                yield got

    match = Pattern.match

    def __repr__(self) -> str:
        return repr(self.inner)


class Alt(Pattern):
    """`a | b`: the first of the patterns that matches."""

    one_way = False

    def __init__(self, *alts: Pattern):
        self.alts = alts
        names = [a.names for a in alts]
        self.names = None if None in names else tuple(n for ns in names for n in ns)

    def matches(self, var: Variable, b: Bindings, fg: FunctionGraph | None = None
                ) -> Iterator[Bindings]:
        for a in self.alts:
            yield from a.matches(var, b, fg)

    match = Pattern.match

    def __repr__(self) -> str:
        return " | ".join(map(repr, self.alts))


class OpPat(Pattern):
    """Matches `name(args...)` with op parameters equal to (or bound by) `params`."""

    one_way = False

    def __init__(self, name: str | tuple[str, ...], args: tuple[Pattern, ...],
                 params: dict | None = None):
        self.label = name if isinstance(name, str) else "|".join(name)
        self.names = FAMILIES.get(name, (name,)) if isinstance(name, str) else tuple(name)
        self.args, self.params = args, params or {}
        self.rest = args[-1].name if args and isinstance(args[-1], Rest) else None
        if self.rest is not None:
            self.args = args[:-1]

    def matches(self, var: Variable, b: Bindings, fg: FunctionGraph | None = None
                ) -> Iterator[Bindings]:
        node = var.owner
        if node is None or node_key(node) not in self.names:
            return
        n = len(self.args)
        if len(node.inputs) != n and (self.rest is None or len(node.inputs) < n):
            return
        got: Bindings | None = b
        for k, v in self.params.items():
            have = getattr(node.op, k, _MISSING)
            if isinstance(v, Var):
                got = None if have is _MISSING else _bind(got, v.name, have)
                if got is None:
                    return
            elif have != v:
                return
        if self.rest is not None:
            got = _bind(got, self.rest, tuple(node.inputs[n:]))
            if got is None:
                return
        yield from _match_args(self.args, node.inputs[:n], got, fg)
        scalar = getattr(node.op, "scalar", None)
        if scalar is not None and scalar.commutative and n == 2:
            yield from _match_args(self.args, node.inputs[1::-1], got, fg)

    match = Pattern.match

    def __repr__(self) -> str:
        args = [*map(repr, self.args), *([f"*{self.rest}"] if self.rest else [])]
        return f"{self.label}({', '.join(args)})"


_MISSING = object()


def _match_args(pats: Sequence[Pattern], inputs: Sequence[Variable], b: Bindings,
                fg: FunctionGraph | None, k: int = 0) -> Iterator[Bindings]:
    """Every way the patterns match the inputs, left to right (leaves, which match in
    one way at most, directly: this runs for every node a rule tracks)."""
    got: Bindings | None = b
    while k < len(pats) and pats[k].one_way:
        got = pats[k].match(inputs[k], got, fg)
        if got is None:
            return
        k += 1
    if k == len(pats):
        yield got
        return
    for more in pats[k].matches(inputs[k], got, fg):
        yield from _match_args(pats, inputs, more, fg, k + 1)


def lift(x: Any) -> Pattern:
    """A pattern for x: patterns pass through, numbers match equal constants."""
    return x if isinstance(x, Pattern) else Const(x)


class _P:
    """`P.exp(x)` builds an op pattern; `P.var('x')` a variable; see the module doc."""

    var = staticmethod(Var)
    const = staticmethod(AnyConst)
    rest = staticmethod(Rest)
    any = Wild()

    @staticmethod
    def zeros(name: str | None = None) -> Filled:
        """A value that is 0 everywhere (any shape), optionally bound to `name`."""
        return Filled(0, name)

    @staticmethod
    def ones(name: str | None = None) -> Filled:
        """A value that is 1 everywhere (any shape), optionally bound to `name`."""
        return Filled(1, name)

    @staticmethod
    def op(names: str | tuple[str, ...], *args: Any, **params: Any) -> OpPat:
        """A node of any of the ops `names` (a family name or a tuple of names)."""
        return OpPat(names, tuple(lift(a) for a in args), params)

    def __getattr__(self, name: str) -> Callable[..., OpPat]:
        def make(*args: Any, **params: Any) -> OpPat:
            return OpPat(name, tuple(lift(a) for a in args), params)
        return make


P = _P()

def _caller(fn: Callable[..., Any]) -> Callable[[Bindings, dict[str, Any]], Any]:
    """Calls `fn` with the bindings and extras (`out`, `fgraph`) it names as parameters
    (all of them when it takes **kwargs), so `lambda x: x` ignores what else was bound."""
    params = inspect.signature(fn).parameters
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return lambda b, extra: fn(**b, **{k: v for k, v in extra.items() if k in params})
    names = tuple(params)
    return lambda b, extra: fn(**{k: b[k] if k in b else extra[k] for k in names
                                  if k in b or k in extra})


class PatternRewrite(Rewrite):
    """A rewrite stated as data: `pattern -> replace(**bindings)` (if `when(**bindings)`)."""

    def __init__(self, name: str, pattern: Pattern, replace: Callable[..., Any],
                 when: Callable[..., bool] | None = None, doc: str = ""):
        self.pattern = pattern
        make, check = _caller(replace), _caller(when) if when is not None else None

        def fn(fgraph: FunctionGraph, node: Apply) -> Any:
            out = node.outputs[0]
            extra = {"out": out, "fgraph": fgraph}
            for b in pattern.matches(out, {}, fgraph):  # the first binding `when` accepts
                if check is None or check(b, extra):
                    break
            else:
                return None
            new = make(b, extra)
            if new is None:
                return None
            if isinstance(new, (list, tuple)):  # one replacement per output
                return [None if v is None else fit_to(v, o)
                        for v, o in zip(new, node.outputs, strict=True)]
            return [fit_to(new, out)]

        super().__init__(name, fn, pattern.names, doc or f"{pattern!r}")


def rule(name: str, pattern: Pattern, replace: Callable[..., Any],
         when: Callable[..., bool] | None = None, doc: str = "") -> PatternRewrite:
    """A named rewrite from `pattern` to `replace(**bindings)` (applied if `when(**b)`).

    A replacement (or guard) with a parameter named `out` also gets the variable it
    replaces (to compute in its dtype: `0 - x` on int8 x is an int64 -x when the 0 is
    int64), one named `fgraph` the graph (to ask about clients or remember results).
    """
    return PatternRewrite(name, pattern, replace, when, doc)


def fit_to(new: Any, old: Variable) -> Variable | None:
    """`new` cast to old's dtype; None when its shape could differ from old's."""
    new = as_tensor(new)
    if new.ndim != old.ndim:
        return None
    for a, b in zip(new.type.shape, old.type.shape, strict=True):
        if a != b and (a == 1 or (a is not None and b is not None)):
            return None
    if new.dtype != old.dtype:
        new = cast(new, old.dtype)
    return new
