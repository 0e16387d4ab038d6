"""fusion: groups of elementwise ops become one Composite kernel."""

import numpy as np

import symgraph as sg
from symgraph.ops.composite import Composite

from .helpers import assert_same, compile_both, fired, op_names

RNG = np.random.default_rng(0)
A = RNG.uniform(0.5, 1.5, (4, 5))
B = RNG.uniform(0.5, 1.5, (4, 5))


def chain8(x, y):
    """Eight elementwise ops, each feeding the next."""
    t = sg.exp(x * y + 1.0)
    t = sg.tanh(t - y) * 0.5
    return sg.sqrt(t + 1.0)


def composites(f):
    return [n for n in f.graph.apply_nodes if isinstance(n.op, Composite)]


def test_chain_of_eight_ops_is_one_node():
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    f, g = compile_both([x, y], chain8(x, y))
    assert len(f.graph.apply_nodes) == 1 and len(composites(f)) == 1
    assert fired(f, "fusion") == 1
    (node,) = composites(f)
    assert len(node.op.body) == 8
    assert_same(f, g, A, B)


def test_kernel_source_is_readable_and_allocates_one_array():
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    f = sg.function([x, y], chain8(x, y))
    assert "# sqrt(tanh(exp(i0 * i1 + 1.0) - i1) * 0.5 + 1.0)" in f.source
    assert f.source.count("np.empty(") == 1  # one buffer, reused by every step
    assert "out=" in f.source


def test_kernel_output_is_fresh_on_every_call():
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    f = sg.function([x, y], chain8(x, y))
    first = f(A, B)
    kept = first.copy()
    second = f(B, A)
    assert first is not second and np.array_equal(first, kept)


def test_value_used_outside_the_group_is_not_fused_into_it():
    x = sg.dmatrix("x")
    e = sg.exp(x)
    f, g = compile_both([x], [sg.tanh(e * 2.0 + 1.0), e])  # e is an output too
    (node,) = composites(f)
    assert len(node.op.body) == 3 and node.inputs[0].owner.op.name == "exp"
    assert_same(f, g, A)


def test_shared_intermediate_is_computed_once():
    x = sg.dmatrix("x")
    e = sg.exp(x) + 1.0
    f, g = compile_both([x], (e * 2.0) / (e - 3.0))  # e feeds two ops of one group
    assert len(composites(f)) == 1 and len(f.graph.apply_nodes) == 1
    (node,) = composites(f)
    assert [name for name, _ in node.op.body].count("exp") == 1
    assert_same(f, g, A)


def test_broadcasting_and_casts_fuse():
    m, v = sg.dmatrix("m"), sg.ivector("v")
    out = sg.relu(m * 2.0 + sg.cast(v, "float64")) - 1.0
    f, g = compile_both([m, v], out)
    assert op_names(f) == ["composite"]
    assert_same(f, g, A, np.arange(5, dtype="int32"))


def test_partial_steps_on_a_small_operand():
    m, b = sg.dmatrix("m"), sg.dvector("b")
    f, g = compile_both([m, b], sg.exp(m) * sg.tanh(b * 2.0))  # tanh(b*2) is only (5,)
    assert op_names(f) == ["composite"]
    assert_same(f, g, A, B[0])


def test_mixed_dtypes_follow_the_row_rules():
    i, x = sg.ivector("i"), sg.vector("x", dtype="float32")
    out = sg.exp(i) + sg.cast(sg.gt(x, 0.5), "float32") * x
    f, g = compile_both([i, x], out)
    assert op_names(f) == ["composite"]
    assert f(np.arange(3, dtype="int32"), np.ones(3, "float32")).dtype == np.float64
    assert_same(f, g, np.arange(3, dtype="int32"), np.array([0.2, 0.7, 1.0], "float32"))


def test_bounded_number_of_inputs():
    xs = [sg.dvector(f"x{k}") for k in range(6)]
    total = xs[0]
    for v in xs[1:]:
        total = total * 2.0 + v
    with sg.config.change(fusion_max_inputs=3):
        f, g = compile_both(xs, total)
    nodes = composites(f)
    assert len(nodes) >= 2 and all(len(n.inputs) <= 3 for n in nodes)
    assert_same(f, g, *[np.full(3, float(k)) for k in range(6)])


def test_default_bound_is_31_inputs():
    xs = [sg.dvector(f"x{k}") for k in range(40)]
    total = xs[0]
    for v in xs[1:]:
        total = total + v
    f, g = compile_both(xs, sg.exp(total))
    assert max(len(n.inputs) for n in composites(f)) == sg.config.fusion_max_inputs == 31
    assert_same(f, g, *[np.full(2, 0.01 * k) for k in range(40)])


def test_single_ops_and_scalars_are_not_wrapped():
    x, s = sg.dmatrix("x"), sg.dscalar("s")
    f, _ = compile_both([x, s], [sg.exp(x), s * 2.0 + 1.0])
    assert not composites(f)


def test_fusion_can_be_excluded():
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    f, g = compile_both([x, y], chain8(x, y), exclude=["fusion"])
    assert not composites(f) and len(f.graph.apply_nodes) == 8
    assert_same(f, g, A, B)
