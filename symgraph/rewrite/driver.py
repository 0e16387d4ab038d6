"""The rewrite driver: named rewrites grouped into passes, run to a fixpoint, every change logged.

A *rewrite* looks at one node and returns replacements for its outputs (or nothing).
A *pass* runs its rewrites over the whole graph until none applies, within a budget on
applied rewrites and graph growth, and records each applied rewrite in a `RewriteLog` so
`f.rewrite_log` can explain the compiled graph. A pass may instead be a whole-graph
transform (merge, fusion): a plain function registered under a name.

While a pass runs, nodes that become identical (same op on the same inputs, or on equal
constants) are merged on the spot, so rewrites that build the same subexpression twice
leave one node (logged as `merge`). The cost is one dict lookup per visited node.
"""

from __future__ import annotations

import heapq
import itertools
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from ..config import config
from ..fgraph import FunctionGraph, RewriteTypeError, check_replacement
from ..graph import Apply, Constant, Variable, format_trace, trace_as

LocalFn = Callable[[FunctionGraph, Apply], Any]
AfterRewrite = Callable[[str, "RewriteRecord", FunctionGraph], None]


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
        """How often each rewrite fired."""
        return Counter(r.rewrite for r in self)

    def names(self) -> list[str]:
        """Rewrite names in the order they fired."""
        return [r.rewrite for r in self]

    def of(self, rewrite: str) -> list[RewriteRecord]:
        """The records of one rewrite."""
        return [r for r in self if r.rewrite == rewrite]

    def __str__(self) -> str:
        return "\n".join(str(r) for r in self) if self else "(no rewrites applied)"


@dataclass
class Rewrite:
    """A named local rewrite; `tracks` limits it to ops with these names (None = all).

    `default=False` rewrites run only when named in `include=` (experimental or
    test-only rewrites).
    """

    name: str
    fn: LocalFn
    tracks: tuple[str, ...] | None = None
    doc: str = ""
    default: bool = True


@dataclass(frozen=True)
class Selection:
    """Which rewrites are on: the defaults, minus `exclude`, plus `include`.

    `only` (used by check mode's replay) switches on exactly the named rewrites.
    """

    exclude: frozenset[str] = frozenset()
    include: frozenset[str] = frozenset()
    only: frozenset[str] | None = None

    def enabled(self, name: str, default: bool = True) -> bool:
        """Is the rewrite (or pass) `name` on; `default` is the rewrite's own setting."""
        if self.only is not None:
            return name in self.only
        if name in self.exclude:
            return False
        return default or name in self.include


@dataclass
class Pass:
    """A named group of rewrites run to a fixpoint, or a whole-graph `transform`.

    `rewrites` may list groups (lists of rewrites) too: they are flattened in order, so
    the pipeline can name the groups a pass is made of.
    """

    name: str
    rewrites: list[Rewrite] = field(default_factory=list)
    transform: Callable[[FunctionGraph, RewriteLog, Pass], None] | None = None
    doc: str = ""

    def __post_init__(self) -> None:
        members = list(self.rewrites)
        self.rewrites = []
        for m in members:
            self.add(*(m if isinstance(m, (list, tuple)) else (m,)))

    def rewrite_names(self) -> list[str]:
        """The names include= / exclude= accept for this pass's rewrites."""
        return [r.name for r in self.rewrites] if self.transform is None else [self.name]

    def add(self, *rewrites: Rewrite) -> Pass:
        """Register rewrites in this pass (a name may appear once per pass)."""
        for rw in rewrites:
            if any(r.name == rw.name for r in self.rewrites):
                raise ValueError(f"pass {self.name!r} already has a rewrite named {rw.name!r}")
            self.rewrites.append(rw)
        return self

    def remove(self, name: str) -> None:
        """Unregister the rewrite called `name`."""
        self.rewrites[:] = [r for r in self.rewrites if r.name != name]

    def run(self, fgraph: FunctionGraph, log: RewriteLog, select: Selection = Selection(),
            after_rewrite: AfterRewrite | None = None) -> None:
        """Apply this pass to `fgraph`, appending what it did to `log`."""
        if self.transform is not None:
            if select.enabled(self.name):
                start = len(log)
                self.transform(fgraph, log, self)
                if after_rewrite is not None and len(log) > start:
                    after_rewrite(self.name, log[-1], fgraph)
            return
        active = [r for r in self.rewrites if select.enabled(r.name, r.default)]
        if active:
            run_to_fixpoint(fgraph, active, log, self.name, select.enabled("merge"),
                            after_rewrite)


def node_key(node: Apply) -> str:
    """The name rewrites track a node by: the elementwise row name, else the op's name."""
    scalar = getattr(node.op, "scalar", None)
    return scalar.name if scalar is not None else node.op.name


def merge_key(node: Apply) -> tuple | None:
    """Nodes with equal keys compute equal values (None: never merge this node)."""
    if node.op.nondeterministic:
        return None
    key = (node.op, tuple(v.signature() if isinstance(v, Constant) else v
                          for v in node.inputs))
    try:
        hash(key)
    except TypeError:
        return None
    return key


def run_to_fixpoint(fgraph: FunctionGraph, rewrites: Sequence[Rewrite], log: RewriteLog,
                    pass_name: str, merge: bool = True,
                    after_rewrite: AfterRewrite | None = None) -> None:
    """Apply `rewrites` until none fires; stop with a warning past the budget.

    A worklist holds the nodes to look at, shallowest first (inputs before users); when
    a rewrite fires, the nodes it created and the nodes whose inputs it changed are
    queued again (once each: a node already waiting is not queued twice). Each visit
    costs a dict lookup for merging plus the rewrites tracking the node's op, so a pass
    over a graph that needs few changes is linear in its size.
    """
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
    fired: Counter = Counter()
    applied = 0
    seen: dict[tuple, Apply] = {}
    worklist = _Worklist(fgraph.toposort())
    requeue = worklist.push_all

    while worklist:
        node = worklist.pop()
        if node not in fgraph.apply_nodes:
            continue
        if merge and _merge_into_twin(fgraph, node, seen, log, pass_name, after_rewrite,
                                      requeue):
            continue
        for rw in by_key.get(node_key(node), []) + generic:
            pairs = _apply(rw, fgraph, node)
            if not pairs:
                continue
            before = [expr_str(old) for old, _ in pairs]
            reason = f"{pass_name}.{rw.name}"
            _check_acyclic(pairs, reason)
            keep_names(pairs)
            moved = _clients_of(fgraph, [old for old, _ in pairs])
            new_nodes = fgraph.replace_all(pairs, reason=reason)
            for (_, new), b in zip(pairs, before, strict=True):
                record = RewriteRecord(pass_name, rw.name, b, expr_str(new),
                                       format_trace(node.trace))
                log.append(record)
            if after_rewrite is not None:
                after_rewrite(pass_name, log[-1], fgraph)
            applied += 1
            fired[rw.name] += 1
            # Only the nodes whose inputs changed (the replaced values' users) and the new
            # nodes: the replacement's other users saw nothing new (re-queueing them made
            # a graph where many values share one user quadratic to rewrite).
            requeue(new_nodes + moved)
            if applied > budget or len(fgraph) > max_size:
                top, count = fired.most_common(1)[0]
                warnings.warn(f"rewrite pass {pass_name!r} stopped: budget exceeded "
                              f"({applied} rewrites applied, graph grew from {start_size} "
                              f"to {len(fgraph)} nodes); rewrite {top!r} fired {count} "
                              f"times, the last one applied was {rw.name!r}",
                              RuntimeWarning, stacklevel=2)
                return
            break


class _Worklist:
    """Nodes waiting for a visit, shallowest first, each queued once.

    The depth (longest path from the leaves, taken when a node is queued) puts a node
    after the inputs it reads: a value is simplified before its users look at it, so a
    chain of rewrites collapses from the bottom up. Visiting in plain queue order
    collapsed some chains from the top, each step moving the users gathered so far one
    link down (quadratic in the length of the chain).
    """

    def __init__(self, order: Iterable[Apply]) -> None:
        self.depth: dict[Apply, int] = {}
        self.heap: list[tuple[int, int, Apply]] = []
        self.queued: set[Apply] = set()
        self.count = itertools.count()
        self.push_all(order)

    def push_all(self, nodes: Iterable[Apply]) -> None:
        for n in nodes:
            if n in self.queued:
                continue
            depth = 0
            for v in n.inputs:
                if v.owner is not None:
                    depth = max(depth, self.depth.get(v.owner, 0) + 1)
            self.depth[n] = depth
            self.queued.add(n)
            heapq.heappush(self.heap, (depth, next(self.count), n))

    def pop(self) -> Apply:
        node = heapq.heappop(self.heap)[2]
        self.queued.discard(node)
        return node

    def __bool__(self) -> bool:
        return bool(self.heap)


def _merge_into_twin(fgraph: FunctionGraph, node: Apply, seen: dict[tuple, Apply],
                     log: RewriteLog, pass_name: str, after_rewrite: AfterRewrite | None,
                     requeue: Callable[[Iterable[Apply]], None]) -> bool:
    """Replace `node` by an earlier node computing the same thing; True if it did."""
    key = merge_key(node)
    if key is None:
        return False
    twin = seen.get(key)
    if twin is None or twin is node or twin not in fgraph.apply_nodes or \
            merge_key(twin) != key:
        seen[key] = node
        return False
    pairs = [(o, t) for o, t in zip(node.outputs, twin.outputs, strict=True)
             if fgraph.clients.get(o)]
    try:
        for old, new in pairs:
            check_replacement(old, new)
    except RewriteTypeError:  # only static shapes differ: keep both
        seen[key] = node
        return False
    before = expr_str(node.outputs[0])
    moved = _clients_of(fgraph, [old for old, _ in pairs])
    fgraph.replace_all(pairs, reason=f"{pass_name}.merge")
    log.append(RewriteRecord(pass_name, "merge", before,
                             f"(same as the node at {format_trace(twin.trace)})",
                             format_trace(node.trace)))
    if after_rewrite is not None:
        after_rewrite(pass_name, log[-1], fgraph)
    requeue(moved)
    return True


def keep_names(pairs: Sequence[tuple[Variable, Variable]]) -> None:
    """A computed replacement takes the user's name for the value (listings stay readable)."""
    for old, new in pairs:
        if old.name and new.name is None and new.owner is not None:
            new.name = old.name


def _check_acyclic(pairs: Sequence[tuple[Variable, Variable]], reason: str) -> None:
    """A replacement computed from the variable it replaces would make a cycle."""
    for old, new in pairs:
        if new.owner is not None and old in new.owner.inputs:
            raise AssertionError(f"rewrite {reason} replaced {expr_str(old)} by an "
                                 f"expression that uses it: {expr_str(new)}")


def _clients_of(fgraph: FunctionGraph, vars_: Sequence[Variable]) -> list[Apply]:
    out = []
    for v in vars_:
        for client, _ in fgraph.clients.get(v, []):
            if isinstance(client, Apply):
                out.append(client)
    return out


class RewriteError(RuntimeError):
    """A rewrite raised while looking at a node (a bug in the rewrite, reported with the
    node and the user's line rather than as a bare traceback from inside the pass)."""


def _apply(rw: Rewrite, fgraph: FunctionGraph, node: Apply) -> list[tuple[Variable, Variable]]:
    """Run one rewrite on one node; normalize its result to (old, new) pairs."""
    try:
        with trace_as(node.trace):
            result = rw.fn(fgraph, node)
    except Exception as e:
        ins = ", ".join(str(getattr(v, "type", "?")) for v in node.inputs)
        raise RewriteError(f"rewrite {rw.name!r} failed on {expr_str(node.outputs[0])} "
                           f"(inputs {ins}), built at {format_trace(node.trace)}: "
                           f"{type(e).__name__}: {e} (exclude={rw.name!r} compiles "
                           f"without it)") from e
    if result is None or result is False:
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
