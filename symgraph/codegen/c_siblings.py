"""C backend: elementwise nodes computed inside the kernel of the elementwise node using
them, when their value is otherwise only a function output (a shared variable's update).

Adam's step for one weight is three fused kernels: the new first moment m', the new
second moment v', and the new weight from both. Fusion keeps them apart (each Composite
has one output, and m' and v' are also updates), so the weight's kernel reads m' and v'
back from memory. Here one loop computes m', v' and the weight per element and stores
each into its own buffer (the update buffers the in-place pass chose): the gradient and
the old moments are read once and m', v' never read back, in one kernel call instead of
three. The generated line binds all three results:

    v147 = None                                     # composite{i0 * i1 + i2 * i3} (in v160)
    v150 = None                                     # composite{...square(i2)} (in v160)
    v160 = ((_sg_multi := _ck9(...)), v147 := _sg_multi[1], v150 := _sg_multi[2])[0][0]

A producer joins its consumer's kernel when its output and the consumer's have the same
fully known static shape (so both loops cover the same elements), its only other uses are
function outputs, both sit in the same ifelse branch, and the kernel's arrays stay within
the C kernels' argument limit.
"""

from __future__ import annotations

from collections.abc import Sequence

from ..fgraph import OUTPUT, FunctionGraph
from ..graph import Apply, Variable
from ..ops.control import branch_regions
from ..ops.registry import RenderContext
from ..tensor import TensorType
from .c_backend import (
    CModule,
    elementwise_code,
    kernel_source,
    kernel_work,
    types_key,
    write_target,
)

_MAX_ARRAYS = 30  # inputs and outputs of one kernel (SG_MAXARGS is 40)


def _full_static(v: Variable) -> tuple | None:
    shape = v.type.shape if isinstance(v.type, TensorType) else None
    return shape if shape is not None and len(shape) > 0 and None not in shape else None


def siblings_to_fuse(fgraph: FunctionGraph, fuse: set[Apply], order: Sequence[Apply]
                     ) -> dict[Apply, Apply]:
    """{producer: consumer} for the producers computed in their consumer's kernel (see
    the module docstring); `fuse` are the nodes a reduction already computes, `order`
    the graph's nodes in topological order."""
    region = branch_regions(order, fgraph.clients)
    out: dict[Apply, Apply] = {}
    consumers: set[Apply] = set()
    for node in order:
        shape = _full_static(node.outputs[0])
        if node in fuse or node in out or shape is None or elementwise_code(node) is None:
            continue
        target = write_target(node)
        chosen: list[Apply] = []
        arrays = {v for v in node.inputs}
        for k, v in enumerate(node.inputs):
            p = v.owner
            if p is None or p in chosen or p in out or p in consumers or p in fuse or \
                    k == target or region.get(p) != region.get(node) or \
                    _full_static(v) != shape or elementwise_code(p) is None:
                continue
            uses = [c for c, _ in fgraph.clients.get(v, ())]
            if any(c != OUTPUT and c is not node for c in uses) or OUTPUT not in uses:
                continue
            grown = arrays | set(p.inputs)
            if len(grown) + len(chosen) + 2 > _MAX_ARRAYS:
                continue
            arrays = grown
            chosen.append(p)
        if chosen:
            consumers.add(node)
            for p in chosen:
                out[p] = node
    return out


def render_with_siblings(cm: CModule, ctx: RenderContext, node: Apply,
                         ins: Sequence[str]) -> str:
    """The line computing `node` and the producers cm.siblings put in its kernel (which
    rendered as None and left their input names in cm.sibling_ins)."""
    producers = list(dict.fromkeys(v.owner for v in node.inputs
                                   if cm.siblings.get(v.owner) is node))
    index: dict[Variable, int] = {}
    names: list[str] = []
    for v, name in [pair for p in producers
                    for pair in zip(p.inputs, cm.sibling_ins[p], strict=True)] + \
            [(v, name) for v, name in zip(node.inputs, ins, strict=True)
             if v.owner not in producers]:
        if v not in index:
            index[v] = len(names)
            names.append(name)
    result_of = {p: f"r{j + 1}" for j, p in enumerate(producers)}
    blocks, outs, works = [], [], []
    for n in [node, *producers]:
        args = [result_of[v.owner] if v.owner in result_of and n is node else
                f"i{index[v]}" for v in n.inputs]
        code = elementwise_code(n, args)
        assert code is not None  # siblings_to_fuse checked it
        blocks.append(code)
        tgt = write_target(n)
        outs.append((n.outputs[0].dtype, None if tgt is None else index[n.inputs[tgt]]))
        works.append(kernel_work(n))
    in_types = [v.type for v in index]
    # threads when one of the kernels alone would have had them: starting threads costs
    # more than the fused kernel's extra work saves
    work = max(works)
    what = f"{node.op} with " + ", ".join(str(p.op) for p in producers)
    key = ("siblings", node.op, tuple(p.op for p in producers),
           types_key(in_types),
           tuple(outs), tuple(tuple(index[v] if v in index else -1 for v in n.inputs)
                              for n in [node, *producers]))
    nd = node.outputs[0].ndim
    call = cm.call(ctx, key, lambda cname: kernel_source(
        cname, what, in_types, nd, outs, blocks, work), names)
    bound = ", ".join(f"{ins[node.inputs.index(p.outputs[0])]} := _sg_multi[{j + 1}]"
                      for j, p in enumerate(producers))
    return f"((_sg_multi := {call}), {bound})[0][0]"
