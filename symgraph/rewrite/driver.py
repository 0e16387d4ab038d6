"""The rewrite driver: named rewrites grouped into passes, run to a fixpoint, every change logged.

A *rewrite* looks at one node and returns replacements for its outputs (or nothing).
A *pass* runs its rewrites over the whole graph until none applies, within a budget on
sweeps and graph growth, and records each applied rewrite in a `RewriteLog` so
`f.rewrite_log` can explain the compiled graph. A pass may instead be a whole-graph
transform (merge, fusion): a plain function registered under a name.
"""

from __future__ import annotations

import warnings
from collections import Counter, deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import config
from ..fgraph import FunctionGraph
from ..graph import Apply, Constant, Variable, format_trace, trace_as

LocalFn = Callable[[FunctionGraph, Apply], Any]


@dataclass(frozen=True)
class RewriteRecord:
    """One applied rewrite: which pass and rule, what it replaced, and the user's line."""

    pass_name: str
    rewrite: str
    before: str
    after: str
    source: str

    def __str__(self) -> str:
        return f"{self.pass_name}.{self.rewrite}: {self.before}  ->  {self.after}   " \
               f"[{self.source}]"


class RewriteLog(list):
    """The applied rewrites, in order."""

    def counts(self) -> Counter:
        return Counter(r.rewrite for r in self)

    def names(self) -> list[str]:
        return [r.rewrite for r in self]

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self) if self else "(no rewrites applied)"


@dataclass
class Rewrite:
    """A named local rewrite; `tracks` limits it to ops with these names (None = all)."""

    name: str
    fn: LocalFn
    tracks: tuple[str, ...] | None = None
    doc: str = ""


@dataclass
class Pass:
    """A named group of rewrites run to a fixpoint, or a whole-graph `transform`."""

    name: str
    rewrites: list[Rewrite] = field(default_factory=list)
    transform: Callable[[FunctionGraph, RewriteLog, Pass], None] | None = None
    doc: str = ""

    def rewrite_names(self) -> list[str]:
        return [r.name for r in self.rewrites] if self.transform is None else [self.name]

    def add(self, *rewrites: Rewrite) -> Pass:
        self.rewrites.extend(rewrites)
        return self

    def run(self, fgraph: FunctionGraph, log: RewriteLog,
            exclude: Iterable[str] = ()) -> None:
        if self.transform is not None:
            if self.name not in set(exclude):
                self.transform(fgraph, log, self)
            return
        active = [r for r in self.rewrites if r.name not in set(exclude)]
        if active:
            run_to_fixpoint(fgraph, active, log, self.name)


def node_key(node: Apply) -> str:
    """The name rewrites track a node by: the elementwise row name, else the op's name."""
    scalar = getattr(node.op, "scalar", None)
    return scalar.name if scalar is not None else node.op.name


def run_to_fixpoint(fgraph: FunctionGraph, rewrites: Sequence[Rewrite], log: RewriteLog,
                    pass_name: str) -> None:
    """Apply `rewrites` until none fires; stop with a warning past the budget."""
    by_key: dict[str, list[Rewrite]] = {}
    generic: list[Rewrite] = []
    for r in rewrites:
        if r.tracks is None:
            generic.append(r)
        else:
            for k in r.tracks:
                by_key.setdefault(k, []).append(r)
    start_size = max(len(fgraph), 1)
    budget = config.rewrite_max_sweeps * (start_size + 10)
    max_size = config.rewrite_max_growth * start_size + 200
    applied = 0
    worklist = deque(fgraph.toposort())
    queued = set(worklist)
    while worklist:
        node = worklist.popleft()
        queued.discard(node)
        if node not in fgraph.apply_nodes:
            continue
        for rw in by_key.get(node_key(node), []) + generic:
            pairs = _apply(rw, fgraph, node)
            if not pairs:
                continue
            before = [expr_str(old) for old, _ in pairs]
            try:
                new_nodes = fgraph.replace_all(pairs, reason=f"{pass_name}.{rw.name}")
            except AssertionError:
                raise
            for (_, new), b in zip(pairs, before, strict=True):
                log.append(RewriteRecord(pass_name, rw.name, b, expr_str(new),
                                         format_trace(node.trace)))
            applied += 1
            for n in new_nodes + _clients_of(fgraph, [v for _, v in pairs]):
                if n not in queued:
                    queued.add(n)
                    worklist.append(n)
            if applied > budget or len(fgraph) > max_size:
                warnings.warn(f"rewrite pass {pass_name!r} stopped: budget exceeded "
                              f"({applied} rewrites, graph grew from {start_size} to "
                              f"{len(fgraph)} nodes); last rewrite applied: {rw.name!r}",
                              RuntimeWarning, stacklevel=2)
                return
            break


def _clients_of(fgraph: FunctionGraph, vars_: Sequence[Variable]) -> list[Apply]:
    out = []
    for v in vars_:
        for client, _ in fgraph.clients.get(v, []):
            if isinstance(client, Apply):
                out.append(client)
    return out


def _apply(rw: Rewrite, fgraph: FunctionGraph, node: Apply) -> list[tuple[Variable, Variable]]:
    """Run one rewrite on one node; normalize its result to (old, new) pairs."""
    with trace_as(node.trace):
        result = rw.fn(fgraph, node)
    if not result:
        return []
    if isinstance(result, dict):
        pairs = list(result.items())
    elif isinstance(result, Variable):
        pairs = [(node.outputs[0], result)]
    else:
        pairs = list(zip(node.outputs, result, strict=True))
    return [(old, new) for old, new in pairs if new is not None and old is not new]


# ---------------------------------------------------------------- short expressions


def expr_str(var: Variable, depth: int = 3) -> str:
    """A compact one-line rendering of the expression computing `var` (for the log)."""
    if isinstance(var, Constant):
        d = var.data
        return repr(d.item()) if d.size == 1 else f"const{list(d.shape)}"
    if var.owner is None:
        return var.name or "input"
    if depth == 0:
        return "…"
    args = ", ".join(expr_str(i, depth - 1) for i in var.owner.inputs)
    out = f"{var.owner.op}({args})"
    if len(var.owner.outputs) > 1:
        out += f"[{var.index}]"
    return out
