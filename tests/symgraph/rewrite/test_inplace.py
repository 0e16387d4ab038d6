"""inplace: results are written into dead intermediate buffers, never into anything the
caller can see (inputs, shared values, constants, outputs, views of those)."""

import weakref

import numpy as np
import pytest

import symgraph as sg
from symgraph.ops.blas import Gemm
from symgraph.ops.buffers import UpdateBuffer
from symgraph.ops.composite import Composite, InplaceElemwise

from .helpers import assert_same, compile_both, fired

A = np.array([[0.5, 1.5, 2.0], [3.0, 0.25, 4.0]])
NO_FUSION = ["merge", "canonicalize", "inplace"]


def inplace_nodes(f):
    return [n for n in f.graph.apply_nodes if n.op.destroy_map]


def test_elementwise_writes_into_a_dead_intermediate():
    x = sg.dmatrix("x")
    f, g = compile_both([x], sg.exp(x) + 1.0, rewrites=NO_FUSION)
    (node,) = inplace_nodes(f)
    assert isinstance(node.op, InplaceElemwise) and fired(f, "inplace_elemwise") == 1
    assert "np.add(" in f.source and "out=" in f.source
    a = A.copy()
    first = assert_same(f, g, a)
    second = f(a)
    assert np.array_equal(a, A) and first is not second and np.array_equal(first, second)


def test_never_into_an_input():
    x = sg.dmatrix("x")
    f, g = compile_both([x], (x + 1.0) * 2.0, rewrites=NO_FUSION)
    (node,) = inplace_nodes(f)  # only the product, into x + 1
    assert node.inputs[node.op.destroy].owner is not None
    a = A.copy()
    assert_same(f, g, a)
    assert np.array_equal(a, A)


def test_never_into_a_view_of_an_input():
    x = sg.dmatrix("x")
    f, _ = compile_both([x], x.T + 1.0, rewrites=NO_FUSION)
    assert not inplace_nodes(f)


def test_never_into_a_shared_variable_or_constant():
    w = sg.shared(A.copy(), name="w")
    c = sg.constant(A)
    x = sg.dmatrix("x")
    f, g = compile_both([x], [w * x, c + x], rewrites=NO_FUSION)
    assert not inplace_nodes(f)
    f(A)
    assert np.array_equal(w.get_value(), A) and np.array_equal(c.data, A)


def test_never_into_an_output():
    x = sg.dmatrix("x")
    e = sg.exp(x)
    f, g = compile_both([x], [e, e * 2.0], rewrites=NO_FUSION)
    assert not inplace_nodes(f)
    out = assert_same(f, g, A)
    np.testing.assert_allclose(out[0], np.exp(A))


def test_never_into_a_buffer_another_node_still_reads():
    x = sg.dmatrix("x")
    e = sg.exp(x)
    f, g = compile_both([x], (e + 1.0) * (e * 2.0), rewrites=NO_FUSION)
    assert all(n.inputs[n.op.destroy] is not e.owner.outputs[0] for n in inplace_nodes(f))
    for n in inplace_nodes(f):  # neither e + 1 nor e * 2 may write into e
        assert n.inputs[n.op.destroy].owner.op.name != "exp"
    assert_same(f, g, A)


def test_a_reader_that_has_finished_does_not_block():
    x = sg.dmatrix("x")
    e = sg.exp(x)
    s = sg.sum(e, axis=1, keepdims=True)  # reads e; e / s runs after it
    f, g = compile_both([x], e / s, rewrites=NO_FUSION)
    (node,) = inplace_nodes(f)
    assert node.op.row.name == "true_div" and node.op.destroy == 0
    assert_same(f, g, A)


def test_no_inplace_when_the_buffer_would_need_to_grow():
    v, m = sg.dvector("v"), sg.dmatrix("m")
    f, g = compile_both([v, m], sg.exp(v) + m, rewrites=NO_FUSION)  # exp(v) is one row
    assert all(n.op.row.name != "add" for n in inplace_nodes(f))
    assert_same(f, g, A[0], A)


def test_inplace_into_a_buffer_whose_static_shape_is_less_known_than_the_result():
    # Found by the random-graph tests: ifelse(True, a, b) -> a leaves softmax's output
    # typed f64[?] although it provably has a's 2 elements; writing the f64[2] sum into
    # it made compiling raise ("cannot write a f64[2] result into input 0 (f64[?])").
    a, b = sg.tensor("a", "float64", (2,)), sg.dvector("b")
    s = sg.shared(np.ones(2), "s")
    f, g = compile_both([a, b], sg.nnet.softmax(sg.ifelse(True, a, b)) + s)
    assert len(inplace_nodes(f)) == 1
    np.testing.assert_allclose(assert_same(f, g, np.zeros(2), np.zeros(3)), [1.5, 1.5])
    op = Composite(2, (("add", (("i", 0), ("i", 1))),), inplace=0)
    assert op(sg.dvector("v"), a).type == a.type
    with pytest.raises(TypeError, match=r"cannot write a float64\[3\] result into input 0"):
        op(sg.tensor("one", "float64", (1,)), sg.tensor("c", "float64", (3,)))


def test_composite_writes_into_a_dead_input():
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    p = sg.dot(x, y)
    f, g = compile_both([x, y], sg.tanh(p * 2.0 + 1.0))
    (node,) = [n for n in f.graph.apply_nodes if isinstance(n.op, Composite)]
    assert node.op.inplace == 0 and fired(f, "inplace_composite") == 1
    assert "np.empty" not in f.source  # the product's buffer is reused
    assert_same(f, g, A, A.T)


def test_gemm_inplace_on_an_intermediate_only():
    a, d = sg.tensor("a", "float64", (2, 3)), sg.tensor("d", "float64", (2, 3))
    w = sg.shared(np.ones((3, 3)), name="w")
    z = sg.exp(a.T.dot(a))
    f, g = compile_both([a, d], [z - 0.1 * sg.dot(a.T, d), w - 0.1 * sg.dot(d.T, a)])
    gemms = {n.inputs[0].owner is None: n.op.inplace for n in f.graph.apply_nodes
             if isinstance(n.op, Gemm)}
    assert gemms == {False: True, True: False}  # into exp(...), never into w
    assert fired(f, "gemm_inplace") == 1
    assert_same(f, g, A, A[:, ::-1].copy())
    assert np.array_equal(w.get_value(), np.ones((3, 3)))


@pytest.mark.parametrize("repeat", range(2))
def test_inplace_results_survive_repeated_calls(repeat):
    x = sg.dmatrix("x")
    f, g = compile_both([x], [sg.exp(x) * 3.0 + x, sg.sum(sg.tanh(x) - 1.0)])
    outs = [f(A) for _ in range(3)]
    for o in outs[1:]:
        np.testing.assert_array_equal(o[0], outs[0][0])
    assert_same(f, g, A)


def test_inplace_can_be_excluded():
    x = sg.dmatrix("x")
    f, g = compile_both([x], sg.exp(x) + 1.0, rewrites=NO_FUSION, exclude=["inplace"])
    assert not inplace_nodes(f)
    assert_same(f, g, A)


# ---------------------------------------------------------------- shared-variable updates


def _updated_in_place(f, shared):
    """Nodes writing into `shared`'s own array (never) or into its private spare."""
    return [n for n in f.graph.apply_nodes if n.op.destroy_map and any(
        n.inputs[k] is shared or (isinstance(n.inputs[k].owner.op, UpdateBuffer) and
                                  n.inputs[k].owner.inputs[0] is shared)
        for k in n.op.destroy_map.values() if n.inputs[k].owner is not None or
        n.inputs[k] is shared)]


def _writes_shared_storage(f):
    return [n for n in f.graph.apply_nodes if any(
        isinstance(n.inputs[k], sg.SharedVariable) for k in n.op.destroy_map.values())]


def test_an_update_is_double_buffered_and_allocates_nothing_in_steady_state():
    m = sg.shared(A.copy(), name="m")
    g = sg.dmatrix("g")
    f = sg.function([g], [], updates={m: 0.9 * m + 0.1 * g})
    assert _updated_in_place(f, m) and not _writes_shared_storage(f)
    assert fired(f, "update_into_spare") == 1
    first = weakref.ref(m.get_value(borrow=True))
    f(A)
    second = weakref.ref(m.get_value(borrow=True))
    assert first() is not None and second() is not first()  # the old array is kept ...
    f(A)
    assert m.get_value(borrow=True) is first()  # ... and written on the next call
    f(A)
    assert m.get_value(borrow=True) is second()
    np.testing.assert_allclose(m.get_value(), 0.9 ** 3 * A + (0.1 + 0.09 + 0.081) * A)


def test_an_array_someone_still_holds_is_never_reused():
    m = sg.shared(A.copy(), name="m")
    f = sg.function([], [], updates={m: m * 2.0})
    held = m.get_value(borrow=True)  # a borrowed value (or another thread's read)
    for _ in range(3):
        f()
    np.testing.assert_array_equal(held, A)
    np.testing.assert_array_equal(m.get_value(), 8 * A)


def test_a_failing_call_changes_no_shared_value():
    # The case: w's new value is also read by dot(w + 1, y), which fails on a
    # y of the wrong length; w used to be updated in place before the failure, step not.
    w = sg.shared(np.zeros((3, 3)), name="w")
    step = sg.shared(np.array(0), name="step")
    y = sg.dvector("y")
    f = sg.function([y], sg.dot(w + 1, y), updates=[(w, w + 1), (step, step + 1)])
    with pytest.raises(ValueError, match="dot"):
        f(np.ones(4))
    np.testing.assert_array_equal(w.get_value(), np.zeros((3, 3)))
    assert int(step.get_value()) == 0
    np.testing.assert_array_equal(f(np.ones(3)), [3.0, 3.0, 3.0])
    np.testing.assert_array_equal(w.get_value(), np.ones((3, 3)))
    assert int(step.get_value()) == 1


def test_a_failing_update_kernel_changes_no_other_shared_value():
    # Two updates; the second fails (a broadcast error from a run-time shape) after the
    # first has computed its new value: neither shared variable changes.
    a = sg.shared(np.zeros(3), name="a")
    b = sg.shared(np.zeros(3), name="b")
    v = sg.dvector("v")
    f = sg.function([v], [], updates=[(a, a + 1.0), (b, sg.exp(b) * v)])
    with pytest.raises(ValueError):
        f(np.ones(4))
    np.testing.assert_array_equal(a.get_value(), np.zeros(3))
    np.testing.assert_array_equal(b.get_value(), np.zeros(3))


def test_gemm_updates_are_double_buffered_too():
    w = sg.shared(A.T @ A, name="w")
    x = sg.dmatrix("x")
    f = sg.function([x], [], updates={w: w - 0.1 * sg.dot(x.T, x)})
    (node,) = _updated_in_place(f, w)
    assert isinstance(node.op, Gemm) and node.op.inplace
    expected = A.T @ A
    for _ in range(3):
        f(A)
        expected = expected - 0.1 * A.T @ A
        np.testing.assert_allclose(w.get_value(), expected)


def test_other_readers_of_the_old_value_need_no_ordering():
    m = sg.shared(A.copy(), name="m")
    w = sg.shared(A.copy(), name="w")
    g = sg.dmatrix("g")
    # w's update reads the OLD m, which is never overwritten during the call.
    f = sg.function([g], [], updates=[(m, 0.9 * m + 0.1 * g), (w, w - m)])
    assert _updated_in_place(f, m) and _updated_in_place(f, w)
    assert not f.graph.orderings
    f(A * 2)
    np.testing.assert_allclose(m.get_value(), 0.9 * A + 0.2 * A)
    np.testing.assert_allclose(w.get_value(), A - A)


def test_returned_old_value_is_never_overwritten():
    w = sg.shared(A.copy(), name="w")
    f = sg.function([], [w, w * 2.0], updates={w: w + 1.0})
    assert not _writes_shared_storage(f)
    old, doubled = f()
    np.testing.assert_array_equal(old, A)
    np.testing.assert_array_equal(doubled, 2 * A)
    np.testing.assert_array_equal(w.get_value(), A + 1.0)


def test_update_that_is_also_returned_is_a_copy_of_the_new_shared_value():
    w = sg.shared(A.copy(), name="w")
    new = w * 3.0
    f = sg.function([], new, updates={w: new})
    assert not _writes_shared_storage(f)
    out = f()
    out[0, 0] = -1.0  # the caller's array is theirs: the shared value must not change
    np.testing.assert_array_equal(w.get_value(), 3 * A)


def test_swapping_updates_stay_correct():
    a = sg.shared(A.copy(), name="a")
    b = sg.shared(-A, name="b")
    f = sg.function([], [], updates=[(a, b + 0.0), (b, a + 0.0)])
    f()
    np.testing.assert_array_equal(a.get_value(), -A)
    np.testing.assert_array_equal(b.get_value(), A)


def test_check_mode_leaves_shared_values_alone_with_in_place_updates():
    m = sg.shared(A.copy(), name="m")
    g = sg.dmatrix("g")
    f = sg.function([g], [], updates={m: 0.5 * m + g}, check_rewrites=True)
    np.testing.assert_array_equal(m.get_value(), A)  # compiling did not run the update
    f(A)
    np.testing.assert_allclose(m.get_value(), 1.5 * A)


def test_updates_reading_each_others_old_values():
    a = sg.shared(A.copy(), name="a")
    b = sg.shared(-A, name="b")
    f = sg.function([], [], updates=[(a, a + b), (b, b - a)])
    assert _updated_in_place(f, a) and _updated_in_place(f, b)
    f()
    np.testing.assert_array_equal(a.get_value(), A - A)
    np.testing.assert_array_equal(b.get_value(), -A - A)
    f.graph.toposort()  # no cycle


def test_an_update_read_inside_a_lazy_branch():
    w = sg.shared(A.copy(), name="w")
    c = sg.bscalar("c")
    out = sg.ifelse(c, sg.sum(w * 2.0), sg.sum(w))
    f = sg.function([c], out, updates={w: w + 1.0})
    assert _updated_in_place(f, w)  # the old value stays intact for the branch
    assert float(f(True)) == 2 * A.sum()
    np.testing.assert_array_equal(w.get_value(), A + 1.0)
