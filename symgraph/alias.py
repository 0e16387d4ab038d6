"""Buffer aliasing: which variables may share memory, read off the op contract.

An output shares its input's buffer when the op says so (`view_map`, `destroy_map`) or
passes the input through (ifelse): `ops.registry.alias_sources`. Following those links
back from a variable ends at the variables that own an allocation -- leaves (inputs,
shared variables, constants) or outputs of ops that allocate. The in-place pass (may
this buffer be overwritten?) and the code generator (is a shared variable's buffer
handed out?) both ask here.
"""

from __future__ import annotations

from .graph import Apply, Variable
from .ops.registry import alias_sources


def alias_inputs(node: Apply, index: int) -> list[Variable]:
    """Inputs of `node` that its output `index` may share memory with."""
    return [node.inputs[k] for k in alias_sources(node, index)]


def buffer_origins(v: Variable) -> set[Variable]:
    """The variables whose own allocation `v` may share: leaves (inputs, shared variables,
    constants) or the outputs of ops that allocate, found by following views."""
    origins: set[Variable] = set()
    stack, seen = [v], set()
    while stack:
        v = stack.pop()
        if v in seen:
            continue
        seen.add(v)
        sources = alias_inputs(v.owner, v.index) if v.owner is not None else []
        if sources:
            stack.extend(sources)
        else:
            origins.add(v)
    return origins


def buffer_origin(v: Variable) -> Variable | None:
    """The one variable whose own allocation v's buffer is (None: it may be several)."""
    origins = buffer_origins(v)
    return next(iter(origins)) if len(origins) == 1 else None
