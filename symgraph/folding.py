"""What a picture of a graph shows: boxes, ellipses and edges, folded so a train function
stays readable.

A `Drawing` is one level of a picture. Ops are boxes; leaves, outputs and named values
are ellipses; an unnamed value used by one op is the edge between two boxes (labelled
with its type), as Theano's pydotprint drew it. Folding (`fold=True`) nests drawings:

- a fused kernel (`Composite`) is ONE box labelled with its expression; its `inner`
  drawing has the kernel's steps, its inputs `i0, i1, ...` as ports and its result;
- in a compiled Function with updates, the ops not needed by any output are grouped by
  the set of weights they serve: an optimizer's per-weight update (the weight with its
  accumulators: `W <- W - lr * m`, `m <- ...` are one family) is one box "update of W",
  the backward pass shared by several weights is one box "gradient for W, b, ..." per
  set. Values crossing a group's border become its input and output ports.

The static pictures (drawing.py) show the top level; the viewer (viewer.py) can open
every box. Nodes carry `info` for the viewer's side panel: op, dtype, shape, the user's
source line and the rewrites that produced the node.
"""

from __future__ import annotations

import linecache
import re
from dataclasses import dataclass, field
from typing import Any

from .graph import Apply, Variable, toposort
from .graph_view import View, leaf_kind, leaf_label, op_label, source_of, type_parts
from .ops.composite import Composite
from .rewrite.driver import expr_str

# Labels longer than this wrap onto more lines (full pictures) or are cut with "…" and
# shown whole on hover (folded pictures).
LABEL_WIDTH = 40
MAX_REWRITES = 8  # per node in the viewer's details (the whole log is f.rewrite_log)
_INPLACE = re.compile(r"\{inplace=i\d+\}|, inplace=i\d+")


@dataclass
class DNode:
    """A box (op, fused kernel, group) or an ellipse (value, port) of a picture."""

    key: str
    lines: list[str]
    kind: str  # op | fused | group | input | shared | constant | output | variable | port
    tooltip: str = ""
    dashed: bool = False
    named: bool = False  # a value the user named: drawn emphasized
    info: dict[str, Any] = field(default_factory=dict)
    inner: Drawing | None = None  # what a fused kernel or a group opens into


@dataclass
class Drawing:
    """One level of a picture: nodes and edges in a stable order."""

    nodes: list[DNode] = field(default_factory=list)
    # (src, dst, input position at dst, the value: `.k` output / type of a folded value)
    edges: list[tuple[str, str, str, str]] = field(default_factory=list)
    title: str = "graph"
    # edge index -> (port inside its source, port inside its target): where an edge
    # continues when the viewer opens the fused kernel or group at either end.
    links: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)

    def add_edge(self, src: str, dst: str, index: str = "", value: str = "",
                 src_port: str | None = None, dst_port: str | None = None) -> None:
        """Append an edge (and where it continues inside an opened box)."""
        if src_port or dst_port:
            self.links[len(self.edges)] = (src_port, dst_port)
        self.edges.append((src, dst, index, value))

    def count(self) -> int:
        """Nodes at every level (what the viewer can show when everything is open)."""
        return sum(1 + (n.inner.count() if n.inner else 0) for n in self.nodes)


def drawing_of(view: View, fold: bool = True, rewrite_log: Any = None) -> Drawing:
    """The picture of `view`: everything on one level, or (fold=True) fused kernels and
    the update / gradient groups of a Function as boxes that open."""
    fn = view.function
    if rewrite_log is None and fn is not None:
        rewrite_log = fn.rewrite_log
    b = _Builder(view, fold, rewrite_log or [])
    return b.build()


# ---------------------------------------------------------------- groups


def update_groups(view: View, order: list[Apply]) -> tuple[dict[Apply, int], list[dict]]:
    """Group the ops of a Function that no output needs, by the weights they serve.

    Returns (node -> group index, groups); a group is {'label', 'tooltip', 'updates'}.
    Each root k (outputs, then update values) is a bit; a node's bits are the roots that
    need it. Update b joins update a's family when a is the only other update that needs
    b's new value (the momentum m of `W <- W + mu * m_new - ...`): one box per weight.
    """
    fn = view.function
    n_out = view.n_outputs
    if fn is None or len(view.roots) == n_out:
        return {}, []
    bits: dict[Variable, int] = {}
    for i, v in enumerate(view.roots):
        bits[v] = bits.get(v, 0) | (1 << i)
    node_bits: dict[Apply, int] = {}
    for node in reversed(order):
        b = 0
        for o in node.outputs:
            b |= bits.get(o, 0)
        node_bits[node] = b
        for v in node.inputs:
            bits[v] = bits.get(v, 0) | b
    out_mask = (1 << n_out) - 1
    n_up = len(view.roots) - n_out
    parent = list(range(n_up))

    def find(a: int) -> int:
        while parent[a] != a:
            parent[a] = parent[parent[a]]
            a = parent[a]
        return a

    for u in range(n_up):
        others = (bits.get(view.roots[n_out + u], 0) >> n_out) & ~(1 << u)
        if others and not bits.get(view.roots[n_out + u], 0) & out_mask and \
                others & (others - 1) == 0:  # exactly one other update needs it
            parent[find(u)] = find(others.bit_length() - 1)
    names = [view.notes.get(n_out + u, "")[len("update of "):] for u in range(n_up)]
    groups: list[dict] = []
    index: dict[frozenset, int] = {}
    member: dict[Apply, int] = {}
    for node in order:
        b = node_bits[node]
        if b & out_mask or not b:
            continue
        fams = frozenset(find(u) for u in range(n_up) if b >> (n_out + u) & 1)
        if fams not in index:
            index[fams] = len(groups)
            groups.append({"families": fams, "ops": 0})
        member[node] = index[fams]
        groups[index[fams]]["ops"] += 1
    for g in groups:
        fams = sorted(g["families"])
        heads = [names[f] for f in fams]
        if len(fams) == 1:
            rest = [names[u] for u in range(n_up) if find(u) == fams[0] and u != fams[0]]
            g["label"] = [f"update of {heads[0]}"] + ([f"with {', '.join(rest)}"]
                                                      if rest else [])
            g["tooltip"] = f"the optimizer's update of {heads[0]}" + \
                (f" and its state {', '.join(rest)}" if rest else "")
        else:
            shown = ", ".join(heads[:3]) + (f" +{len(heads) - 3}" if len(heads) > 3 else "")
            g["label"] = [f"gradient for {shown}"]
            g["tooltip"] = f"ops shared by the updates of {', '.join(heads)}"
        g["label"].append(f"{g['ops']} ops")
    # A group of one op reads better as the op itself.
    keep = {i for i, g in enumerate(groups) if g["ops"] > 1}
    return {n: g for n, g in member.items() if g in keep}, groups


# ---------------------------------------------------------------- building


def fit_label(text: str, fold: bool) -> list[str]:
    """One label as lines: cut with '…' when folded, else wrapped at LABEL_WIDTH."""
    if len(text) <= LABEL_WIDTH:
        return [text]
    if fold:
        return [text[:LABEL_WIDTH - 1] + "…"]
    return [text[i:i + LABEL_WIDTH] for i in range(0, len(text), LABEL_WIDTH)]


def source_line(trace: tuple[str, int] | None) -> str:
    """The text of the user's line that built a node (empty when unknown)."""
    if trace is None:
        return ""
    return linecache.getline(trace[0], trace[1]).strip()


class _Builder:
    """Builds the nested drawings of one view (see the module docstring)."""

    def __init__(self, view: View, fold: bool, rewrite_log: Any) -> None:
        self.view, self.fold = view, fold
        self.order = toposort(view.roots)
        # The records of the rewrites that produced a node, found by (user line, the
        # expression the record names), else by (user line, op) when that is unambiguous.
        self.rewrites_by_expr: dict[tuple[str, str], list[str]] = {}
        self.rewrites: dict[tuple[str, str], list[str]] = {}
        for r in rewrite_log:
            self.rewrites_by_expr.setdefault((r.source, _INPLACE.sub("", r.after)),
                                             []).append(str(r))
            self.rewrites.setdefault((r.source, _op_of(r.after)), []).append(str(r))
        self.member, self.groups = update_groups(view, self.order) if fold else ({}, [])
        self.top = Drawing(title=view.function.name if view.function is not None else "graph")
        self.inner = [Drawing(title=" ".join(g["label"][:-1])) for g in self.groups]
        self.root_index: dict[Variable, list[int]] = {}
        for i, v in enumerate(view.roots):
            self.root_index.setdefault(v, []).append(i)
        self.vnode: dict[Variable, tuple[int, str]] = {}  # drawn value -> (level, key)
        self.copies: dict[tuple[Variable, Apply], tuple[int, str]] = {}  # leaf beside a use
        self.ports: dict[tuple[int, Variable, str], str] = {}
        self.port_edges: set[tuple[str, str]] = set()  # producer -> output port, once
        self.top_edges: set[tuple[str, str, Variable]] = set()  # one per value and target
        self.op_key = {node: f"n{k}" for k, node in enumerate(self.order)}
        self.fused = {self.op_key[n] for n in self.order
                      if fold and isinstance(n.op, Composite)}
        self.n_inputs: dict[str, int] = {}
        self.n_vars = 0

    def level(self, node: Apply) -> int:
        """-1 for the top level, else the group's index."""
        return self.member.get(node, -1)

    def drawing(self, level: int) -> Drawing:
        return self.top if level < 0 else self.inner[level]

    # ---- values drawn as ellipses
    def value_level(self, v: Variable) -> int:
        """A leaf or result lives in a group when every op touching it is in that group."""
        levels = {self.level(c) for c in self.consumers.get(v, ())}
        if v.owner is not None:
            levels.add(self.level(v.owner))
        if v in self.root_index and v.owner is None:
            levels.add(-1)
        return levels.pop() if len(levels) == 1 else -1

    def leaf_node(self, v: Variable, user: Apply) -> tuple[int, str]:
        """A leaf as an input of `user`: folded pictures draw a copy beside each use (so a
        learning rate or a weight read in five places draws no edges across the page)."""
        if not self.fold or len(self.consumers.get(v, ())) < 2:
            return self.var_node(v)
        key = (v, user)
        if key not in self.copies:
            self.copies[key] = self.var_node(v, self.level(user), copy=True)
        return self.copies[key]

    def var_node(self, v: Variable, level: int | None = None,
                 copy: bool = False) -> tuple[int, str]:
        if v in self.vnode and not copy:
            return self.vnode[v]
        kind = leaf_kind(v)
        kind = "variable" if kind == "computed" else kind
        label = leaf_label(v) if v.owner is None else (v.name or "")
        notes = [self._root_note(i) for i in self.root_index.get(v, [])]
        if notes:
            kind = "output" if kind == "variable" else kind
        lines = [s for s in [label, *notes] if s] + [str(v.type)]
        trace = v.owner.trace if v.owner is not None else v.trace
        src = source_of(trace) or ""
        dtype, shape = type_parts(v)
        key = f"v{self.n_vars}"
        self.n_vars += 1
        if level is None:
            level = self.value_level(v)
        uses = len(self.consumers.get(v, ()))
        named = bool(v.name) and kind != "constant"
        info = {"kind": kind, "name": v.name, "label": label, "dtype": dtype,
                "shape": _shape_text(shape), "source": src, "line": source_line(trace)}
        if notes:
            info["role"] = ", ".join(notes)
        if uses > 1:
            info["uses"] = uses
        tip = src + (f" (used by {uses} ops; drawn beside each)" if copy else "")
        self.drawing(level).nodes.append(DNode(key, lines, kind, tip, named=named,
                                               info=info))
        if not copy:
            self.vnode[v] = (level, key)
        return level, key

    def _root_note(self, i: int) -> str:
        view = self.view
        return view.notes.get(i) or (f"output {i}" if len(view.roots) > 1 else "output")

    # ---- edges, through group ports where they cross a border
    def port(self, level: int, v: Variable, direction: str) -> str:
        """The input ('in') or output ('out') port of group `level` for value `v`."""
        pk = (level, v, direction)
        if pk not in self.ports:
            key = self.ports[pk] = f"p{len(self.ports)}"
            label = v.name or (leaf_label(v) if v.owner is None else
                               op_label(v.owner, v.index))
            dtype, shape = type_parts(v)
            self.inner[level].nodes.append(DNode(
                key, [*fit_label(label, True), str(v.type)], "port",
                f"{'input' if direction == 'in' else 'output'} of this group: {label}",
                info={"kind": "port", "label": label, "dtype": dtype,
                      "shape": _shape_text(shape)}))
        return self.ports[pk]

    def connect(self, src: tuple[int, str], dst: tuple[int, str], v: Variable,
                pos: int | None, value: str) -> None:
        """An edge for value `v` into input `pos` of dst (None: dst is the value's node)."""
        (sl, sk), (dl, dk) = src, dst
        index = str(pos) if pos is not None and self.n_inputs.get(dk, 1) > 1 else ""
        sp = "out" if sk in self.fused else None
        tp = f"i{pos}" if dk in self.fused and pos is not None else None
        if sl == dl:
            self.drawing(sl).add_edge(sk, dk, index, value, sp, tp)
            return
        if sl >= 0:  # leaving a group: through its output port
            out = self.port(sl, v, "out")
            if (sk, out) not in self.port_edges:
                self.port_edges.add((sk, out))
                self.inner[sl].add_edge(sk, out, "", value, sp, None)
            sk, sp = f"g{sl}", out
        if dl >= 0:  # entering a group: one edge per value, then its input port
            pin = self.port(dl, v, "in")
            self.inner[dl].add_edge(pin, dk, index, "", None, tp)
            dk, index, tp = f"g{dl}", "", pin
        if (sk, dk, v) not in self.top_edges or not dk.startswith("g"):
            self.top_edges.add((sk, dk, v))
            self.top.add_edge(sk, dk, index, value, sp, tp)

    def build(self) -> Drawing:
        self.consumers: dict[Variable, list[Apply]] = {}
        for node in self.order:
            for v in node.inputs:
                self.consumers.setdefault(v, []).append(node)
        for g, info in enumerate(self.groups):
            if any(m == g for m in self.member.values()):
                self.top.nodes.append(DNode(
                    f"g{g}", info["label"], "group", info["tooltip"],
                    info={"kind": "group", "label": " ".join(info["label"]),
                          "about": info["tooltip"]}, inner=self.inner[g]))
        for node in self.order:
            level = self.level(node)
            for v in node.inputs:
                if v.owner is None:
                    self.leaf_node(v, node)
            self.drawing(level).nodes.append(self.op_node(node))
            here = (level, self.op_key[node])
            self.n_inputs[self.op_key[node]] = len(node.inputs)
            for v in node.outputs:
                if v.name or v in self.root_index:
                    self.connect(here, self.var_node(v), v, None, _out_label(node, v, False))
            for i, v in enumerate(node.inputs):
                if v.owner is None:
                    self.connect(self.leaf_node(v, node), here, v, i, "")
                elif v in self.vnode:
                    self.connect(self.vnode[v], here, v, i, "")
                else:
                    src = (self.level(v.owner), self.op_key[v.owner])
                    self.connect(src, here, v, i, _out_label(v.owner, v, True))
        for v in self.view.roots:
            if v.owner is None:
                self.var_node(v)
        # Group boxes first so they sit in the stable order of their first member.
        self.top.nodes.sort(key=lambda n: n.kind != "group")
        return self.top

    def rewrites_of(self, node: Apply, src: str, text: str) -> list[str]:
        by_op = self.rewrites.get((src, _INPLACE.sub("", text)), [])
        if len(by_op) <= MAX_REWRITES:
            return by_op
        # many nodes alike on one line (a loop building layers): match the whole expression
        key = (src, _INPLACE.sub("", expr_str(node.outputs[0])))
        return self.rewrites_by_expr.get(key, [])[:MAX_REWRITES]

    def op_node(self, node: Apply) -> DNode:
        op = node.op
        text = str(op)
        src = source_of(node.trace) or ""
        info: dict[str, Any] = {
            "kind": "op", "op": text, "op_class": type(op).__name__, "source": src,
            "line": source_line(node.trace),
            "outputs": [{"name": o.name, "dtype": type_parts(o)[0],
                         "shape": _shape_text(type_parts(o)[1])} for o in node.outputs],
            "rewrites": self.rewrites_of(node, src, text)}
        key = self.op_key[node]
        if self.fold and isinstance(op, Composite):
            expr = op.expression()
            info["expression"] = expr
            suffix = f" (in place: i{op.inplace})" if op.inplace is not None else ""
            return DNode(key, [*fit_label(expr, True), f"fused · {len(op.body)} ops"],
                         "fused", f"{expr}{suffix}\n{src}", info=info,
                         inner=kernel_drawing(op, node))
        return DNode(key, fit_label(text, self.fold), "op", src,
                     op.nondeterministic, info=info)


def kernel_drawing(op: Composite, node: Apply) -> Drawing:
    """A fused kernel opened up: its inputs as ports, one box per step, its result."""
    d = Drawing(title=f"fused {op.expression()}")
    for k, v in enumerate(node.inputs):
        label = v.name or (leaf_label(v) if v.owner is None else op_label(v.owner, v.index))
        d.nodes.append(DNode(f"i{k}", [f"i{k}", *fit_label(label, True)], "port",
                             f"input {k}: {label} {v.type}",
                             info={"kind": "port", "label": f"i{k} = {label}",
                                   "dtype": type_parts(v)[0],
                                   "shape": _shape_text(type_parts(v)[1])}))
    last = len(op.body) - 1
    for j, (name, args) in enumerate(op.body):
        d.nodes.append(DNode(f"s{j}", [name], "op", f"step {j}: {name}",
                             info={"kind": "step", "op": name, "step": j}))
        for a, ref in enumerate(args):
            label = str(a) if len(args) > 1 else ""
            if ref.is_input:
                d.edges.append((f"i{ref.number}", f"s{j}", label, ""))
            elif ref.is_step:
                d.edges.append((f"s{ref.number}", f"s{j}", label, ""))
            else:
                ck = f"c{j}.{a}"
                d.nodes.append(DNode(ck, [ref.text], "constant", f"{ref.dtype} constant",
                                     info={"kind": "constant", "label": ref.text,
                                           "dtype": ref.dtype, "shape": "()"}))
                d.edges.append((ck, f"s{j}", label, ""))
    out = node.outputs[0]
    d.nodes.append(DNode("out", ["result", str(out.type)], "port", "the kernel's result",
                         info={"kind": "port", "label": "result",
                               "dtype": type_parts(out)[0],
                               "shape": _shape_text(type_parts(out)[1])}))
    d.edges.append((f"s{last}", "out", "", ""))
    return d


def _op_of(expr: str) -> str:
    """The op of a rewrite record's `after` text (`op(args)` or `op (n ops)`), without
    its in-place mark: records name a node as it was before the in-place pass marked it
    (`composite{...}` became `composite{..., inplace=i0}`)."""
    depth = 0
    for i, ch in enumerate(expr):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "(" and depth == 0:
            return _INPLACE.sub("", expr[:i].rstrip())
    return _INPLACE.sub("", expr)


def _shape_text(shape: list[int | None]) -> str:
    return "(" + ", ".join("?" if s is None else str(s) for s in shape) + \
        ("," if len(shape) == 1 else "") + ")"


def _out_label(node: Apply, v: Variable, with_type: bool) -> str:
    parts = [f".{v.index}"] if len(node.outputs) > 1 else []
    if with_type:
        parts.append(str(v.type))
    return " ".join(parts)
