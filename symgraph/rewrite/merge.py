"""merge: identical subexpressions and equal constants become one node (common
subexpression elimination). Random draws never merge: each is a fresh sample.

What makes two nodes the same is `driver.merge_key`, the one key this sweep and the
merging inside every fixpoint pass share."""

from __future__ import annotations

from ..fgraph import FunctionGraph
from ..graph import Apply, Constant, Variable, format_trace
from .driver import Pass, RewriteLog, RewriteRecord, expr_str, merge_key


def merge_graph(fgraph: FunctionGraph, log: RewriteLog, pass_: Pass) -> None:
    """One topological sweep: same op on the same inputs -> the first such node."""
    constants: dict[tuple, Variable] = {}
    seen: dict[tuple, Apply] = {}
    for node in fgraph.toposort():
        if node not in fgraph.apply_nodes:
            continue
        for v in list(node.inputs):
            if isinstance(v, Constant):
                first = constants.setdefault(v.signature(), v)
                if first is not v:
                    fgraph.replace(v, first, reason="merge.constants")
                    log.append(RewriteRecord(pass_.name, "merge_constants", expr_str(v),
                                             expr_str(first), format_trace(node.trace)))
        key = merge_key(node)
        if key is None:
            continue
        first = seen.setdefault(key, node)
        if first is node:
            continue
        for old, new in zip(node.outputs, first.outputs, strict=True):
            if old.type != new.type:  # same op on the same inputs: only static shapes differ
                break
        else:
            for old, new in zip(node.outputs, first.outputs, strict=True):
                if fgraph.clients.get(old):
                    fgraph.replace(old, new, reason="merge")
            log.append(RewriteRecord(pass_.name, "merge", expr_str(node.outputs[0]),
                                     f"(same as the node at {format_trace(first.trace)})",
                                     format_trace(node.trace)))


merge = Pass("merge", transform=merge_graph,
             doc="identical subexpressions and equal constants become one node")
