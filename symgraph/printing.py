"""Reading graphs as text: `debugprint` (a tree), `pprint` (a math-like one-liner), and the
jaxpr-like listing `print(f)` shows for a compiled function.

Every walk here is iterative and visits each node a bounded number of times, so a graph
of 10k nodes prints in milliseconds and deep chains do not hit the recursion limit.
Pictures (`to_dot`, `render`, `to_networkx`) live in drawing.py and JSON in serialize.py;
they are re-exported here because `symgraph.printing` is the inspection namespace.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from .drawing import render, to_dot, to_networkx
from .graph import Apply, Constant, SharedVariable, Variable, toposort
from .graph_view import (
    View,
    constant_value_text,
    leaf_kind,
    leaf_label,
    op_label,
    source_of,
    view_of,
)
from .ops.elemwise import Elemwise
from .ops.indexing import AdvancedSubtensor, Subtensor, render_index
from .ops.linalg import Matmul
from .ops.reduce import Reduce
from .serialize import FunctionSpec, from_json, to_json

__all__ = ["FunctionSpec", "debugprint", "dump_function", "from_json", "function_listing",
           "pprint", "render", "to_dot", "to_json", "to_networkx"]

# Past this many characters of tree drawing, the left margin is folded to " ⋮ " plus its
# last part, so a 10k-deep chain prints in linear, not quadratic, space.
_MAX_INDENT = 96


def node_id(n: int) -> str:
    """Theano's ids: A..Z, then BA, BB, ... (base 26 with A as zero)."""
    text = ""
    while True:
        n, r = divmod(n, 26)
        text = chr(ord("A") + r) + text
        if n == 0:
            return text


# ---------------------------------------------------------------- debugprint


def debugprint(obj: Any, file: Any = None, depth: int = -1, print_type: bool = True) -> Any:
    """Print a graph as a tree, one node per line with an id and a type.

    `obj` is a variable, a list of them, or a compiled Function (its rewritten graph, update
    values marked). As in Theano: `file=None` prints to stdout and returns None (so a REPL
    or notebook shows the tree once), `file='str'` prints nothing and returns the text, an
    open file is written to and returned. `depth` limits how many levels are shown (-1: all).
    """
    return emit(tree_text(view_of(obj, "debugprint"), depth, print_type), file)


def emit(text: str, file: Any) -> Any:
    """Theano's `file=` convention: None prints (returns None), 'str' returns the text, a
    file-like object is written to and returned."""
    if file == "str":
        return text
    print(text, file=file)
    return file


def tree_text(view: View, depth: int = -1, print_type: bool = True) -> str:
    """The trees of `view`'s roots; then, like Theano, the inner graph of each loop op."""
    t = _Trees(depth, print_type)
    t.add(view.roots, view.notes)
    done: set[Apply] = set()
    while t.loops:  # inner graphs may hold loops of their own
        node = t.loops.pop(0)
        if node in done:
            continue
        done.add(node)
        t.lines += ["", f"Inner graph of {node.op} [id {t.ids[node]}]:"]
        t.add(list(node.op.step.outputs), {})
    return "\n".join(t.lines)


class _Trees:
    """Tree lines for several roots, sharing ids and the record of what was printed."""

    def __init__(self, depth: int, print_type: bool) -> None:
        self.depth, self.print_type = depth, print_type
        self.ids: dict[Any, str] = {}  # Apply node or leaf variable -> id
        self.expanded: set[Apply] = set()
        self.lines: list[str] = []
        self.loops: list[Apply] = []  # nodes whose op has a step graph (scan)

    def ident(self, key: Any) -> str:
        if key not in self.ids:
            self.ids[key] = node_id(len(self.ids))
        return self.ids[key]

    def add(self, roots: list[Variable], notes: dict[int, str]) -> None:
        # Stack of (variable, first-line prefix, continuation prefix, level, note).
        stack: list[tuple[Variable, str, str, int, str | None]] = [
            (v, "", "", 1, notes.get(i)) for i, v in reversed(list(enumerate(roots)))]
        while stack:
            v, first, cont, level, note = stack.pop()
            node = v.owner
            if node is None:
                label, key, elided = leaf_label(v), v, False
            else:
                label, key = op_label(node, v.index), node
                if v.name:
                    label += f" '{v.name}'"
                elided = node in self.expanded
            parts = [f"{first}{label} [id {self.ident(key)}]"]
            if self.print_type:
                parts.append(str(v.type))
            if elided:
                parts.append("···")
            if note:
                parts.append(f"({note})")
            self.lines.append(" ".join(parts))
            if node is None or elided or (self.depth >= 0 and level >= self.depth):
                continue
            self.expanded.add(node)
            if hasattr(getattr(node.op, "step", None), "outputs"):
                self.loops.append(node)
            n = len(node.inputs)
            for i in range(n - 1, -1, -1):
                last = i == n - 1
                child_cont = cont + ("   " if last else " │ ")
                if len(child_cont) > _MAX_INDENT:
                    child_cont = " ⋮ " + child_cont[-(_MAX_INDENT // 2):]
                stack.append((node.inputs[i], cont + (" └─ " if last else " ├─ "), child_cont,
                              level + 1, None))


# ---------------------------------------------------------------- print(f)


def _short_names() -> Iterator[str]:
    """a, b, ..., z, aa, ab, ... (the jaxpr convention)."""
    width = 1
    letters = "abcdefghijklmnopqrstuvwxyz"
    while True:
        total = 26 ** width
        for k in range(total):
            name = ""
            for _ in range(width):
                k, r = divmod(k, 26)
                name = letters[r] + name
            yield name
        width += 1


class _Names:
    """Unique, short names: user names kept (made unique), the rest a, b, c, ..."""

    def __init__(self) -> None:
        self.names: dict[Variable, str] = {}
        self.used: set[str] = set()
        self._gen = _short_names()

    def unique(self, base: str) -> str:
        name, k = base, 1
        while name in self.used:
            name, k = f"{base}_{k}", k + 1
        self.used.add(name)
        return name

    def short(self) -> str:
        while True:
            name = next(self._gen)
            if name not in self.used:
                self.used.add(name)
                return name


def function_listing(f: Any) -> str:
    """The compiled graph as a typed listing, one node per line (what `print(f)` shows).

        f(x:f32[?], w:f32[?]) -> (f32[],)
          a:f32[?] = mul x w                  # model.py:12
          b:f32[]  = sum{axis=None} a         # model.py:12
          return (b,)
    """
    fg = f.fgraph
    n_out = len(f.outputs)
    order = fg.toposort()
    nm = _Names()
    nm.used.add(f.name)  # `f` as a value name would read like the function itself
    for v in f.inputs:
        nm.names[v] = nm.unique(v.name or "in")
    leaves = [v for node in order for v in node.inputs if v.owner is None] + \
        [v for v in fg.outputs if v.owner is None]
    shared: list[Variable] = []
    consts: list[Variable] = []
    for v in dict.fromkeys(leaves):
        if v in nm.names:
            continue
        if isinstance(v, SharedVariable):
            nm.names[v] = nm.unique(v.name or "s")
            shared.append(v)
        elif isinstance(v, Constant):
            text = constant_value_text(v, limit=4)
            if text is None:
                nm.names[v] = nm.unique(v.name or "c")
                consts.append(v)
            else:
                nm.names[v] = text
        else:  # not reachable for a compiled function; kept so listings never crash
            nm.names[v] = nm.unique(v.name or "in")
    for node in order:  # user names first, so a short name never takes one of them
        for o in node.outputs:
            if o.name:
                nm.names[o] = nm.unique("_".join(o.name.split()))
    for node in order:
        for o in node.outputs:
            if o not in nm.names:
                nm.names[o] = nm.short()

    def decl(v: Variable) -> str:
        return f"{nm.names[v]}:{v.type}"

    outs = ", ".join(str(v.type) for v in fg.outputs[:n_out])
    lines = [f"{f.name}({', '.join(decl(v) for v in f.inputs)}) -> "
             f"({outs}{',' if n_out == 1 else ''})"]
    if shared:
        lines.append(f"  shared {', '.join(decl(v) for v in shared)}")
    if consts:
        lines.append(f"  const {', '.join(decl(v) for v in consts)}")
    eqs = []
    for node in order:
        lhs = " ".join(decl(o) for o in node.outputs)
        rhs = " ".join([str(node.op)] + [nm.names[v] for v in node.inputs])
        eqs.append((lhs, rhs, _comment(node)))
    # Align `=` and the comments, but let the odd very long line stick out instead of
    # pushing every other line to the right.
    lw = max((len(lhs) for lhs, _, _ in eqs if len(lhs) <= 20), default=0)
    body = [f"{lhs.ljust(lw)} = {rhs}" for lhs, rhs, _ in eqs]
    cw = max((len(b) for b in body if len(b) <= 60), default=0)
    for text, (_, _, comment) in zip(body, eqs, strict=True):
        lines.append(f"  {text.ljust(cw)}  # {comment}" if comment else f"  {text}")
    for k, (s, _) in enumerate(f.updates):
        lines.append(f"  {nm.names[s]} <- {nm.names[fg.outputs[n_out + k]]}")
    rets = ", ".join(nm.names[v] for v in fg.outputs[:n_out])
    lines.append(f"  return ({rets}{',' if n_out == 1 else ''})")
    return "\n".join(lines)


def _comment(node: Apply) -> str | None:
    """The trailing comment of a listing line: the user's line that built the node."""
    return source_of(node.trace, short=True)


# ---------------------------------------------------------------- f.dump()


def dump_function(f: Any, before: bool = False) -> str:
    """The compiled graph as a tree; with `before`, the graph before rewriting beside it."""
    after = tree_text(view_of(f, "dump"))
    if not before:
        return after
    original = tree_text(view_of(f, "dump", before=True))
    left = ["before rewriting", ""] + original.splitlines()
    right = ["after rewriting", ""] + after.splitlines()
    width = max(len(s) for s in left) + 4
    rows = [f"{a.ljust(width)}{b}".rstrip()
            for a, b in zip(left + [""] * (len(right) - len(left)),
                            right + [""] * (len(left) - len(right)), strict=True)]
    rows += ["", _rewrite_summary(f)]
    return "\n".join(rows)


def _rewrite_summary(f: Any) -> str:
    n_before = len(toposort(f.original[1]))
    n_after = len(f.fgraph.apply_nodes)
    counts = Counter(r.rewrite for r in f.rewrite_log)
    if not counts:
        return f"no rewrites applied; {n_after} nodes"
    detail = ", ".join(f"{name} {k}" for name, k in sorted(counts.items(),
                                                           key=lambda kv: (-kv[1], kv[0])))
    return (f"{sum(counts.values())} rewrites applied ({detail}); "
            f"{n_before} nodes before, {n_after} after")


# ---------------------------------------------------------------- pprint

# Python's precedences, so the one-liner also reads as (and means) Python.
_INFIX = {"add": ("+", 7), "sub": ("-", 7), "mul": ("*", 8), "true_div": ("/", 8),
          "floor_div": ("//", 8), "mod": ("%", 8), "pow": ("**", 10),
          "lt": ("<", 3), "gt": (">", 3), "le": ("<=", 3), "ge": (">=", 3),
          "eq": ("==", 3), "neq": ("!=", 3), "and_": ("&", 6), "or_": ("|", 4),
          "xor": ("^", 5)}
_PREFIX = {"neg": "-", "invert": "~"}
_UNARY, _POW, _POSTFIX, _ATOM = 9, 10, 12, 13
# Subexpressions used more than once and longer than this are named (`where t0 = ...`),
# so sharing never makes the text blow up exponentially.
_BIND_LENGTH = 20

Rope = list  # of str and Variable (a reference to another subexpression)


def pprint(obj: Any) -> str:
    """A math-like one-liner: `sum(exp(x * w + 1.0))`; shared subexpressions get names.

    A list (or a Function) gives one line per output, updates reading `w <- ...`, and the
    named subexpressions below them (`where t0 = ...`).
    """
    view = view_of(obj, "pprint")
    ropes, bound = _pprint_ropes(view.roots)
    lines = []
    for i, v in enumerate(view.roots):
        text = _emit(v, ropes, bound)
        note = view.notes.get(i)
        if note and note.startswith("update of "):
            text = f"{note[len('update of '):]} <- {text}"
        lines.append(text)
    defs = [f"{name} = {_emit(v, ropes, bound, top=True)}"
            for v, name in sorted(bound.items(), key=lambda kv: int(kv[1][1:]))]
    if defs and len(lines) == 1:
        lines[0] += "  where " + ", ".join(defs)
    elif defs:  # several lines: the definitions go below, one per line
        lines += ["where " + defs[0]] + ["      " + d for d in defs[1:]]
    return "\n".join(lines)


def _pprint_ropes(roots: list[Variable]) -> tuple[dict[Variable, tuple[Rope, int]],
                                                 dict[Variable, str]]:
    """Per variable: its text as a rope and its precedence; and the names of bound ones."""
    uses: Counter = Counter(roots)
    order = toposort(roots)
    for node in order:
        uses.update(node.inputs)
    ropes: dict[Variable, tuple[Rope, int]] = {}
    length: dict[Variable, int] = {}
    bound: dict[Variable, str] = {}

    def ref_len(v: Variable) -> int:
        return len(bound[v]) if v in bound else length[v]

    def prec(v: Variable) -> int:
        return _ATOM if v in bound else ropes[v][1]

    def leaf(v: Variable) -> None:
        if v in ropes:
            return
        text, p = _leaf_text(v)
        ropes[v] = ([text], p)
        length[v] = len(text)

    for node in order:
        for v in node.inputs:
            if v.owner is None:
                leaf(v)
        for out in node.outputs:
            rope, p = _node_rope(node, out.index, prec)
            ropes[out] = (rope, p)
            length[out] = sum(ref_len(x) if isinstance(x, Variable) else len(x) for x in rope)
            if uses[out] > 1 and length[out] > _BIND_LENGTH:
                bound[out] = f"t{len(bound)}"
    for v in roots:
        if v.owner is None:
            leaf(v)
    return ropes, bound


def _leaf_text(v: Variable) -> tuple[str, int]:
    if leaf_kind(v) == "constant":
        text = constant_value_text(v)  # type: ignore[arg-type]
        if text is None:
            return (v.name or f"<const {v.type}>"), _ATOM
        return text, _UNARY if text.startswith("-") else _ATOM
    return leaf_label(v), _ATOM


def _wrap(v: Variable, need: bool) -> Rope:
    return ["(", v, ")"] if need else [v]


def _node_rope(node: Apply, index: int, prec: Any) -> tuple[Rope, int]:
    """One node's text: infix for arithmetic and comparisons, postfix indexing, else calls."""
    op, ins = node.op, node.inputs
    key = op.scalar.name if isinstance(op, Elemwise) else None
    if key in _INFIX or isinstance(op, Matmul):
        sym, p = _INFIX[key] if key in _INFIX else ("@", 8)
        a, b = ins
        if p == _POW:  # right-associative; a unary minus may stand on the right
            return _wrap(a, prec(a) <= p) + [f" {sym} "] + _wrap(b, prec(b) < _UNARY), p
        if p == 3:  # comparisons chain in Python: parenthesize nested ones on both sides
            return _wrap(a, prec(a) <= p) + [f" {sym} "] + _wrap(b, prec(b) <= p), p
        return _wrap(a, prec(a) < p) + [f" {sym} "] + _wrap(b, prec(b) <= p), p
    if key in _PREFIX:
        (a,) = ins
        return [_PREFIX[key]] + _wrap(a, prec(a) < _UNARY), _UNARY
    if isinstance(op, (Subtensor, AdvancedSubtensor)):
        marks = [f"\x00{i}\x00" for i in range(len(ins) - 1)]
        index_text = render_index(op.idx, marks)
        rope: Rope = _wrap(ins[0], prec(ins[0]) < _POSTFIX) + ["["]
        for k, piece in enumerate(index_text.split("\x00")):
            rope.append(ins[1 + int(piece)] if k % 2 else piece)
        return rope + ["]"], _POSTFIX
    if isinstance(op, Reduce):
        extra = ""
        if op.axis is not None:
            extra += f", axis={op.axis[0] if len(op.axis) == 1 else op.axis}"
        if op.keepdims:
            extra += ", keepdims=True"
        if op.dtype:
            extra += f", dtype={op.dtype}"
        return [f"{op.kind}(", ins[0], f"{extra})"], _ATOM
    rope = [f"{op}("]
    for i, v in enumerate(ins):
        rope += ([", "] if i else []) + [v]
    rope.append(")")
    if len(node.outputs) > 1:
        rope.append(f"[{index}]")
    return rope, _ATOM


def _emit(v: Variable, ropes: dict[Variable, tuple[Rope, int]], bound: dict[Variable, str],
          top: bool = False) -> str:
    """Flatten a rope into text (iteratively: deep graphs must not hit the recursion limit)."""
    out: list[str] = []
    stack: list[Any] = [v]
    first = top
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif item in bound and not first:
            out.append(bound[item])
        else:
            first = False
            stack.extend(reversed(ropes[item][0]))
    return "".join(out)

