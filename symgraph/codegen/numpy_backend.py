"""The NumPy backend: one readable Python function of NumPy calls for the whole graph.

    def f(x, w):
        b = _c_b.value                     # shared variables are read once, up front
        v1 = np.dot(x, w)                  # dot @ model.py:12
        v2 = v1 + b
        ...
        _c_b.value = v7                    # updates, after every output is computed
        return v2

Each node becomes one assignment whose right-hand side is the op's `render`. An `ifelse`
becomes an `if` statement, with the nodes that only one branch needs placed inside that
branch, so the branch not taken costs nothing. The source is compiled once with
`compile()`; `linecache` knows it, so tracebacks show the generated line, and each line
maps back to its node (and the user's source line) for error messages.
"""

from __future__ import annotations

import itertools
import keyword
import linecache
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..fgraph import FunctionGraph
from ..graph import Apply, Constant, SharedVariable, Variable
from ..ops.buffers import UpdateBuffer
from ..ops.control import Region, branch_regions, is_lazy
from ..ops.registry import FreshNames, RenderContext, alias_sources
from ..tensor import TensorType

_counter = itertools.count()


@dataclass
class Generated:
    """The generated function, its source, and the line -> node map for errors."""

    source: str
    fn: Callable[..., Any]
    filename: str
    line_nodes: dict[int, Apply]
    names: dict[Variable, str]


def _ident(name: str | None, fallback: str) -> str:
    if not name:
        return fallback
    s = "".join(c if c.isalnum() or c == "_" else "_" for c in name)
    if not s or s[0].isdigit():
        s = "_" + s
    if keyword.iskeyword(s) or s in ("np", "sp", "sla"):
        s += "_"
    return s


def constant_literal(c: Constant) -> str | None:
    """Inline source for small scalar constants (typed, so dtypes stay exact)."""
    d = c.data
    if d.ndim != 0:
        return None
    v = d.item()
    if d.dtype == bool:
        return "np.True_" if v else "np.False_"
    if isinstance(v, float):
        # str() of the NumPy scalar is the shortest text that round-trips in its own dtype:
        # np.float32(0.1), not np.float32(0.10000000149011612).
        text = "np.inf" if v == np.inf else "-np.inf" if v == -np.inf else \
            "np.nan" if v != v else str(d[()])
    else:
        text = repr(v)
    return f"np.{d.dtype.name}({text})"


class _Namer:
    """Local names of the generated function (registry.FreshNames: `x`, `x_1`, ...)."""

    def __init__(self) -> None:
        self.used: set[str] = set()
        self.names: dict[Variable, str] = {}
        self._fresh = FreshNames(self.used, "_")

    def fresh(self, base: str) -> str:
        name = self._fresh.fresh(base)
        self.used.add(name)
        return name

    def __getitem__(self, v: Variable) -> str:
        return self.names[v]


Renderer = Callable[[RenderContext, Apply, Sequence[str]], "str | None"]


def generate(fgraph: FunctionGraph, n_outputs: int, updates: Sequence[SharedVariable],
             name: str = "f", single: bool = True,
             renderers: Mapping[type, Renderer] | None = None) -> Generated:
    """Source for `fgraph` (outputs, then one value per update) and the compiled function.

    `renderers` is a backend: {op type: renderer(ctx, node, input names) -> expression,
    or None to keep the op's own NumPy `render`} (the C backend's table,
    codegen/c_backend.py); without it every node renders as NumPy."""
    ctx = RenderContext()
    namer = _Namer()
    names = namer.names
    fname = _ident(name, "f")
    lines: list[str] = []
    line_nodes: dict[int, Apply] = {}

    params = []
    for i, v in enumerate(fgraph.inputs):
        names[v] = namer.fresh(_ident(v.name, f"x{i}"))
        params.append(names[v])
    namer.used.add(fname)
    header = f"def {fname}({', '.join(params)}):"

    # Nodes that overwrite a shared variable's storage (in-place updates), and what is
    # computed from their results, run last: a call that fails in any other node (a bad
    # argument) leaves every shared value as it was, as updates apply all at once.
    # Splitting a topological order this way keeps it topological.
    order = fgraph.toposort()
    late: set[Apply] = set()
    for node in order:
        if _writes_shared(node) or any(v.owner in late for v in node.inputs):
            late.add(node)
    order = [n for n in order if n not in late] + [n for n in order if n in late]
    body: list[tuple[int, str, Apply | None]] = []  # (indent, text, node)

    # Leaves: shared variables read up front, constants inlined or bound as globals.
    leaves = [v for node in order for v in node.inputs if v.owner is None] + \
        [v for v in fgraph.outputs if v.owner is None]
    for v in dict.fromkeys(leaves):
        if v in names:
            continue
        if isinstance(v, SharedVariable):
            local = namer.fresh(_ident(v.name, "shared"))
            cont = ctx.ref(v.container, f"c_{local}")
            names[v] = local
            body.append((1, f"{local} = {cont}.value", None))
        elif isinstance(v, Constant):
            lit = constant_literal(v)
            names[v] = lit if lit is not None else ctx.ref(v.data, f"k{len(ctx.namespace)}")
        else:
            raise ValueError(f"the graph needs input {v!r}, which is not among the "
                             f"function's inputs")

    region = branch_regions(order, fgraph.clients)
    for node in order:
        for out in node.outputs:
            names[out] = namer.fresh(_ident(out.name, f"v{len(names)}"))

    def emit(reg: Region, indent: int) -> None:
        for node in order:
            if region[node] != reg:
                continue
            outs = ", ".join(names[o] for o in node.outputs)
            if len(node.outputs) > 1 and not is_lazy(node):
                outs += ","  # unpack a tuple
            ins = [names[i] for i in node.inputs]
            if is_lazy(node):
                n = node.op.n
                body.append((indent, f"if {ins[0]}:", node))
                emit((node, "then"), indent + 1)
                body.append((indent + 1, f"{outs}{',' if n > 1 else ''} = "
                             f"{', '.join(ins[1:1 + n])}", node))
                body.append((indent, "else:", node))
                emit((node, "else"), indent + 1)
                body.append((indent + 1, f"{outs}{',' if n > 1 else ''} = "
                             f"{', '.join(ins[1 + n:])}", node))
                continue
            render = renderers.get(type(node.op)) if renderers else None
            expr = render(ctx, node, ins) if render is not None else None
            if expr is None:
                expr = node.op.render(ctx, node, ins)
            body.append((indent, f"{outs} = {expr}", node))

    emit(None, 1)

    results = [names[v] for v in fgraph.outputs]
    user_out = []
    # Buffers the shared variables will hold after this call: no output may share them.
    update_bufs = set().union(*(buffer_origins(v) for v in fgraph.outputs[n_outputs:]))
    returned: set[Variable] = set()
    for v, text in zip(fgraph.outputs[:n_outputs], results[:n_outputs], strict=True):
        bufs = buffer_origins(v)
        if any(b.owner is None for b in bufs) or bufs & (returned | update_bufs):
            # Never hand out a buffer the caller does not own: shared storage (old or
            # new), a constant, the caller's own argument, or another output's array.
            text = f"np.array({text})"
        elif v.type.ndim == 0 and getattr(v.type, "dtype", "rng") != "rng":
            text = f"np.asarray({text})"
        returned |= bufs
        user_out.append(text)
    stored: set[Variable] = set()  # buffers an earlier update hands to its shared variable
    spares = {n.inputs[0]: n for n in order if isinstance(n.op, UpdateBuffer)}
    for shared, v, text in zip(updates, fgraph.outputs[n_outputs:], results[n_outputs:],
                               strict=True):
        bufs = buffer_origins(v)
        leaves = {b for b in bufs if b.owner is None}
        if (leaves - {shared} or bufs & stored) and isinstance(shared.type, TensorType):
            # Shared storage must not alias the caller's array, a read-only constant,
            # another shared variable's buffer (old, or new: two updates to one value),
            # since in-place updates later overwrite it.
            text = f"np.array({text})"
        stored |= bufs
        body.append((1, f"{ctx.ref(shared.container, 'c_' + names.get(shared, 'shared'))}"
                        f".value = {text}", None))
        if shared in spares and shared not in bufs:  # double buffering (ops/buffers.py)
            body.append((1, spares[shared].op.hand_back(ctx, names[shared]), None))
    if single and n_outputs == 1:
        ret = f"return {user_out[0]}"
    elif n_outputs == 0:
        ret = "return []"
    else:
        ret = f"return [{', '.join(user_out)}]"
    body.append((1, ret, None))

    lines.append(header)
    width = max((len("    " * ind + text) for ind, text, _ in body), default=0)
    width = min(width, 70)
    for ind, text, node in body:
        line = "    " * ind + text
        if node is not None and node.trace is not None and not text.endswith(":"):
            src = f"{os.path.basename(node.trace[0])}:{node.trace[1]}"
            # a comment stays one line whatever an op's text or a file name holds
            note = "".join(c if c.isprintable() else " " for c in f"{node.op} @ {src}")
            line = f"{line.ljust(width)}  # {note}"
        lines.append(line)
        if node is not None:
            line_nodes[len(lines)] = node
    source = "\n".join(lines) + "\n"
    filename = f"<symgraph {fname}#{next(_counter)}>"
    code = compile(source, filename, "exec")
    namespace = ctx.namespace
    exec(code, namespace)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    return Generated(source, namespace[fname], filename, line_nodes, dict(names))


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
        sources = _view_sources(v.owner, v.index) if v.owner is not None else []
        if sources:
            stack.extend(sources)
        else:
            origins.add(v)
    return origins


def _writes_shared(node: Apply) -> bool:
    """node overwrites (part of) a shared variable's buffer."""
    return any(isinstance(b, SharedVariable) for k in node.op.destroy_map.values()
               for b in buffer_origins(node.inputs[k]))


def _view_sources(node: Apply, index: int) -> list[Variable]:
    """Inputs that output `index` of `node` may share memory with."""
    return [node.inputs[k] for k in alias_sources(node, index)]
