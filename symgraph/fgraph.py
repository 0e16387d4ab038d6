"""FunctionGraph: a private, rewritable copy of a graph with its clients tracked.

`function()` clones the user's graph into one of these, so the user's variables are never
touched. Replacing a variable updates only its uses (O(clients)), and nodes nothing uses
any more are dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from .graph import Apply, Constant, SharedVariable, Variable, clone_graph, toposort

OUTPUT = "output"
Client = tuple[Apply | str, int]


class RewriteTypeError(AssertionError):
    """A rewrite produced a replacement of another dtype, rank or static shape."""


class FunctionGraph:
    """Inputs, outputs, and every Apply node between them, with clients."""

    def __init__(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
                 clone: bool = True):
        if clone:
            outputs, _ = clone_graph(outputs)
            for node in toposort(outputs):
                # A graph read back from JSON (or built by hand) may hold in-place ops that
                # were safe only in the function they were chosen for: start from fresh
                # buffers everywhere; the inplace pass decides again for this graph.
                if node.op.destroy_map:
                    node.op = node.op.without_inplace()
        self.inputs: list[Variable] = list(inputs)
        self.outputs: list[Variable] = list(outputs)
        # var -> its uses, as an insertion-ordered dict used as a set: O(1) removal.
        self.clients: dict[Variable, dict[Client, None]] = {}
        self.apply_nodes: set[Apply] = set()
        self.revision = 0
        # output index -> the shared variable that output's value updates (set by function())
        self.updates: dict[int, SharedVariable] = {}
        # node -> nodes that must run before it, beyond data dependencies (in-place ops),
        # and the reverse index (node -> nodes waiting for it), kept in step with it
        self.orderings: dict[Apply, set[Apply]] = {}
        self.waiting: dict[Apply, set[Apply]] = {}
        for node in toposort(self.outputs):
            self._import_node(node)
        for v in self.inputs:
            self.clients.setdefault(v, {})
        for i, out in enumerate(self.outputs):
            self.clients.setdefault(out, {})[(OUTPUT, i)] = None

    # ---- structure
    def _import_node(self, node: Apply) -> None:
        self.apply_nodes.add(node)
        for i, v in enumerate(node.inputs):
            self.clients.setdefault(v, {})[(node, i)] = None
        for v in node.outputs:
            self.clients.setdefault(v, {})

    def import_var(self, var: Variable) -> list[Apply]:
        """Bring the nodes under `var` that are new to the graph in; returns them in order."""
        new_nodes: list[Apply] = []
        if var.owner is None or var.owner in self.apply_nodes:
            self.clients.setdefault(var, {})
            return new_nodes
        seen = {var.owner}
        stack: list[tuple[Apply, int]] = [(var.owner, 0)]
        while stack:  # iterative post-order DFS that stops at nodes already in the graph
            node, i = stack.pop()
            if i < len(node.inputs):
                stack.append((node, i + 1))
                owner = node.inputs[i].owner
                if owner is not None and owner not in self.apply_nodes and owner not in seen:
                    seen.add(owner)
                    stack.append((owner, 0))
            else:
                new_nodes.append(node)
        for node in new_nodes:
            self._import_node(node)
        return new_nodes

    def toposort(self) -> list[Apply]:
        """Nodes in an order that respects data and the ordering constraints."""
        if not self.orderings:
            return toposort(self.outputs)
        live = {n: {d for d in deps if d in self.apply_nodes}
                for n, deps in self.orderings.items() if n in self.apply_nodes}
        return toposort(self.outputs, after=live)

    def add_ordering(self, node: Apply, before: set[Apply]) -> None:
        """`node` must run after every node in `before` (an in-place op waits for the other
        readers of the buffer it overwrites)."""
        self.orderings.setdefault(node, set()).update(before)
        for b in before:
            self.waiting.setdefault(b, set()).add(node)

    def variables(self) -> set[Variable]:
        return set(self.clients)

    def __len__(self) -> int:
        return len(self.apply_nodes)

    # ---- editing
    def replace(self, old: Variable, new: Variable, reason: str = "") -> list[Apply]:
        """Every use of `old` becomes a use of `new`; returns the nodes newly imported."""
        if old is new:
            return []
        check_replacement(old, new, reason)
        new_nodes = self.import_var(new)
        uses = self.clients.get(old, {})
        self.clients[old] = {}
        for client, i in uses:
            if client == OUTPUT:
                self.outputs[i] = new
            else:
                client.inputs[i] = new
            self.clients.setdefault(new, {})[(client, i)] = None
        if self.orderings and old.owner is not None and new.owner is not None:
            self._transfer_orderings(old.owner, new.owner)
        self._prune(old)
        self.revision += 1
        return new_nodes

    def _transfer_orderings(self, old: Apply, new: Apply) -> None:
        """A replaced node's ordering constraints (both ways) carry over to its replacement
        (through the reverse index: scanning every constraint made each replacement cost
        as much as all the in-place updates decided so far)."""
        for n in self.waiting.get(old, ()):
            self.orderings[n].add(new)
            self.waiting.setdefault(new, set()).add(n)
        if old in self.orderings:
            self.add_ordering(new, self.orderings[old])

    def replace_all(self, pairs: Iterable[tuple[Variable, Variable]], reason: str = ""
                    ) -> list[Apply]:
        new_nodes: list[Apply] = []
        for old, new in pairs:
            new_nodes.extend(self.replace(old, new, reason))
        return new_nodes

    def _prune(self, var: Variable) -> None:
        """Drop the owner of `var` (and upward) once none of its outputs has a client."""
        stack = [var.owner] if var.owner is not None else []
        while stack:
            node = stack.pop()
            if node not in self.apply_nodes or any(self.clients.get(o) for o in node.outputs):
                continue
            self.apply_nodes.discard(node)
            for o in node.outputs:
                self.clients.pop(o, None)
            for i, v in enumerate(node.inputs):
                uses = self.clients.get(v)
                if uses is not None:
                    uses.pop((node, i), None)
                    if not uses and v.owner is not None:
                        stack.append(v.owner)
                    elif not uses and v not in self.inputs and isinstance(v, Constant):
                        self.clients.pop(v, None)

    def check_integrity(self) -> None:
        """Clients and nodes agree (used by tests)."""
        nodes = set(self.toposort())
        assert nodes == self.apply_nodes, "apply_nodes disagrees with a walk of the outputs"
        for node in nodes:
            for i, v in enumerate(node.inputs):
                assert (node, i) in self.clients[v], f"missing client {node} of {v}"


def check_replacement(old: Variable, new: Variable, reason: str = "") -> None:
    """A replacement must keep dtype, rank, and agree with every known static dim."""
    to, tn = old.type, new.type
    bad = getattr(to, "dtype", None) != getattr(tn, "dtype", None) or \
        getattr(to, "ndim", 0) != getattr(tn, "ndim", 0)
    if not bad and hasattr(to, "shape"):
        bad = any(a is not None and b is not None and a != b
                  for a, b in zip(to.shape, tn.shape, strict=True))
    if bad:
        raise RewriteTypeError(f"rewrite {reason or '?'} replaced a {to} variable by a {tn} "
                               f"one ({old!r} -> {new!r})")
