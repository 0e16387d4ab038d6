"""Control flow: `ifelse` (lazy: only the branch taken is computed). `switch` is elementwise
(ops/elemwise.py); `scan` lives in ops/scan.py."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor
from . import elemwise as ew
from .allocation import zeros_like
from .registry import Op, RenderContext


@dataclass(frozen=True)
class IfElse(Op):
    """outputs = then_values if cond else else_values, evaluating only one branch.

    Inputs are (cond, then_1..then_n, else_1..else_n). The NumPy backend places the nodes
    that only one branch needs inside that branch of an `if` statement.
    """

    n: int
    lazy = True

    @property
    def nout(self) -> int:  # type: ignore[override]
        return self.n

    @property
    def name(self) -> str:
        return "ifelse"

    def make_node(self, cond: Any, *branches: Any) -> Apply:
        c = as_tensor(cond)
        if c.ndim != 0:
            raise ValueError(f"ifelse: the condition must be a scalar, got {c.type}")
        if len(branches) != 2 * self.n:
            raise TypeError(f"ifelse: expected {self.n} then- and {self.n} else-values")
        thens = [as_tensor(v) for v in branches[:self.n]]
        elses = [as_tensor(v) for v in branches[self.n:]]
        types, ins_t, ins_e = [], [], []
        for t, e in zip(thens, elses, strict=True):
            if t.ndim != e.ndim:
                raise ValueError(f"ifelse: branches differ in rank: {t.type} vs {e.type}")
            dt = dtypes.upcast(t.dtype, e.dtype)
            shape = tuple(a if a == b else None
                          for a, b in zip(t.type.shape, e.type.shape, strict=True))
            ins_t.append(ew.cast(t, dt))
            ins_e.append(ew.cast(e, dt))
            types.append(TensorType(dt, shape))
        return Apply(self, [c, *ins_t, *ins_e], types)

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        # Eager form, for the node-by-node evaluator; the backend emits the lazy `if`.
        c, rest = ins[0], ins[1:]
        t, e = rest[:self.n], rest[self.n:]
        return f"(({', '.join(t)},) if {c} else ({', '.join(e)},))"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        c = inputs[0]
        gt, ge = [], []
        for i, g in enumerate(output_grads):
            t, e = inputs[1 + i], inputs[1 + self.n + i]
            if g is None:
                gt.append(None)
                ge.append(None)
                continue
            # The branch not taken gets zeros of its own shape: the branches may differ in
            # shape at run time, and g has the shape of the branch that was taken.
            gt.append(ifelse(c, g, zeros_like(t)) if dtypes.is_differentiable(t.dtype)
                      else None)
            ge.append(ifelse(c, zeros_like(e), g) if dtypes.is_differentiable(e.dtype)
                      else None)
        return [None, *gt, *ge]


def ifelse(cond: Any, then_branch: Any, else_branch: Any, name: str | None = None) -> Any:
    """`then_branch if cond else else_branch`, computing only the branch taken.

    Branches may be single variables or lists of the same length.
    """
    if isinstance(then_branch, (list, tuple)):
        thens, elses = list(then_branch), list(else_branch)
        if len(thens) != len(elses):
            raise ValueError("ifelse: then and else lists differ in length")
        outs = IfElse(len(thens))(cond, *thens, *elses)
        return outs if isinstance(outs, list) else [outs]
    out = IfElse(1)(cond, then_branch, else_branch)
    out = out[0] if isinstance(out, list) else out
    if name:
        out.name = name
    return out


def is_lazy(node: Apply) -> bool:
    """True for ifelse nodes, whose branches the backend evaluates lazily."""
    return node.op.lazy


Region = tuple[Apply, str] | None  # (ifelse node, 'then' | 'else'), None = top level


def branch_regions(order: Sequence[Apply], clients: Mapping[Variable, Iterable]
                   ) -> dict[Apply, Region]:
    """Place each node in the innermost ifelse branch that all its uses lie in.

    `order` is a topological order, `clients` maps a variable to its (node | 'output',
    input index) uses. The code generator puts a node inside the `if` block of its region,
    so the branch not taken costs nothing.
    """
    region: dict[Apply, Region] = {}
    parent: dict[Region, Region] = {None: None}
    depth: dict[Region, int] = {None: 0}

    def lca(a: Region, b: Region) -> Region:
        while depth[a] > depth[b]:
            a = parent[a]
        while depth[b] > depth[a]:
            b = parent[b]
        while a != b:
            a, b = parent[a], parent[b]
        return a

    for node in reversed(order):
        r: Region | str = "unset"
        for out in node.outputs:
            for client, i in clients.get(out, ()):
                if not isinstance(client, Apply):
                    use: Region = None  # a function output
                elif is_lazy(client) and i > 0:
                    use = (client, "then" if i <= client.op.n else "else")
                    if use not in parent:
                        parent[use] = region[client]
                        depth[use] = depth[region[client]] + 1
                else:
                    use = region[client]
                r = use if r == "unset" else lca(r, use)  # type: ignore[arg-type]
        region[node] = None if r == "unset" else r  # type: ignore[assignment]
    return region
