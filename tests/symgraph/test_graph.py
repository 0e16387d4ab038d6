"""The IR: traversal order, cloning, leaf identity and the user's source line on every node."""

import os
import sys

import numpy as np
import pytest

import symgraph as sg
from symgraph import graph
from symgraph.graph import Constant, SharedVariable

THIS_FILE = os.path.abspath(__file__)
SYMGRAPH_DIR = os.path.dirname(os.path.abspath(sg.__file__))


def here() -> int:
    """The caller's line number."""
    return sys._getframe(1).f_lineno


def test_toposort_puts_every_node_after_the_nodes_it_reads():
    x, y = sg.dvector("x"), sg.dvector("y")
    a = sg.exp(x)
    b = a * y
    c = sg.log(a) + b
    unused = sg.sin(x)  # not needed by c: must not appear
    order = sg.toposort([c])
    assert {n.op.name for n in order} == {"exp", "mul", "log", "add"}
    assert len(order) == 4 and unused.owner not in order
    position = {node: i for i, node in enumerate(order)}
    for node in order:
        for v in node.inputs:
            if v.owner is not None:
                assert position[v.owner] < position[node]
    assert order[-1] is c.owner and order[0] is a.owner


def test_toposort_of_several_outputs_lists_shared_nodes_once():
    x = sg.dvector("x")
    a = sg.exp(x)
    order = sg.toposort([a + 1, a * 2, a])
    assert [n.op.name for n in order].count("exp") == 1
    assert len(order) == 3


def test_toposort_stops_at_given_variables():
    x = sg.dvector("x")
    a = sg.exp(x)
    b = sg.log(a)
    assert sg.toposort([b], stop=[a]) == [b.owner]


def test_toposort_handles_deep_chains_without_recursion():
    x = sg.dscalar("x")
    y = x
    for _ in range(3000):  # deeper than Python's default recursion limit
        y = y + 1
    order = sg.toposort([y])
    assert len(order) == 3000 and order[-1] is y.owner


def test_ancestors_lists_inputs_before_their_users():
    x, w = sg.dvector("x"), sg.shared(np.ones(2), "w")
    a = x * w
    b = a.sum()
    found = sg.ancestors([b])
    assert found[-1] is b
    assert set(found) == {x, w, a, b} | set(a.owner.inputs) | set(b.owner.inputs)
    assert found.index(x) < found.index(a) < found.index(b)
    assert sg.ancestors([b], stop=[a]) == [a, b]


def test_graph_inputs_and_free_inputs():
    x, y = sg.dvector("x"), sg.dvector("y")
    w = sg.shared(np.ones(2), "w")
    z = (x * w + y) * 2.0
    leaves = graph.graph_inputs([z])
    assert x in leaves and y in leaves and w in leaves
    assert any(isinstance(v, Constant) for v in leaves)
    assert graph.free_inputs([z]) == [x, y]
    assert graph.is_ancestor(x, [z]) and not graph.is_ancestor(sg.dvector("q"), [z])


def test_clone_replace_rebuilds_only_what_depends_on_the_replaced_variable():
    x, y, z = sg.dvector("x"), sg.dvector("y"), sg.dvector("z")
    kept = sg.exp(y)
    out = sg.log(x) + kept
    (new,) = sg.clone_replace([out], {x: z})
    assert new is not out
    assert new.owner.inputs[0].owner.inputs == [z]
    assert new.owner.inputs[1] is kept  # the part that does not depend on x is shared
    # the original is untouched
    assert out.owner.inputs[0].owner.inputs == [x]
    f_old = sg.function([x, y], out)
    f_new = sg.function([z, y], new)
    a, b = np.array([2.0]), np.array([0.5])
    np.testing.assert_allclose(f_old(a, b), np.log(a) + np.exp(b))
    np.testing.assert_allclose(f_new(a, b), np.log(a) + np.exp(b))


def test_clone_replace_keeps_names_and_traces():
    x, z = sg.dvector("x"), sg.dvector("z")
    y = sg.exp(x)
    y.name = "activation"
    (new,) = sg.clone_replace([y], {x: z})
    assert new.name == "activation"
    assert new.owner.trace == y.owner.trace


def test_clone_replace_with_another_rank_is_an_error():
    x = sg.dvector("x")
    y = sg.exp(x)
    with pytest.raises(TypeError, match=r"types differ \(f64\[\?\] vs f64\[\?,\?\]\)"):
        sg.clone_replace([y], {x: sg.dmatrix("m")})


def test_two_inputs_named_x_stay_distinct():
    x1, x2 = sg.dvector("x"), sg.dvector("x")
    assert x1 is not x2 and x1.uid != x2.uid
    assert not (x1 == x2)  # `==` is identity for variables
    assert len({x1, x2}) == 2
    # identical expressions of two different inputs must not merge
    f = sg.function([x1, x2], [sg.exp(x1), sg.exp(x2)], rewrites=["merge"])
    a, b = f(np.array([0.0]), np.array([1.0]))
    assert a[0] == 1.0 and b[0] == np.exp(1.0)
    assert [n.op.name for n in f.fgraph.toposort()] == ["exp", "exp"]
    assert f.source.startswith("def f(x, x_1):")


def test_equal_constants_merge_but_keep_their_value():
    a, b = sg.constant(np.array([1.0, 2.0])), sg.constant(np.array([1.0, 2.0]))
    assert a is not b and a.signature() == b.signature()
    assert sg.constant(np.array([1.0, 3.0])).signature() != a.signature()
    assert sg.constant(np.array([1, 2], "float32")).signature() != a.signature()
    with pytest.raises(ValueError, match="read-only"):
        a.data[0] = 5


def test_shared_variables_are_never_cloned():
    w = sg.shared(np.ones(2), "w")
    with pytest.raises(TypeError, match="never cloned"):
        w.clone()
    x = sg.dvector("x")
    y = x.clone()
    assert y is not x and y.name == "x" and y.type == x.type and y.owner is None


def test_every_node_records_the_users_file_and_line():
    x = sg.dvector("x")
    y, line = sg.exp(x) * 2, here()
    assert y.owner.trace == (THIS_FILE, line)
    assert y.owner.inputs[0].owner.trace == (THIS_FILE, line)
    assert graph.format_trace(y.owner.trace) == f"{THIS_FILE}:{line}"
    assert graph.format_trace(None) == "<unknown>"


@pytest.mark.parametrize("build", [
    lambda x, m: sg.nnet.softmax(m),  # several nodes built inside symgraph
    lambda x, m: x.mean(),
    lambda x, m: np.exp(x) + np.mean(x),  # through NumPy's dispatch machinery
    lambda x, m: sg.grad(sg.sum(sg.exp(x) * x), x),  # gradient nodes
    lambda x, m: sg.nnet.categorical_crossentropy(sg.nnet.softmax(m), m),
    lambda x, m: m[1:, ::2].T.reshape((-1,)),
], ids=["softmax", "mean", "numpy", "grad", "crossentropy", "indexing"])
def test_traces_point_at_the_users_file_not_at_symgraph(build):
    x, m = sg.dvector("x"), sg.dmatrix("m")
    out, line = build(x, m), here()
    (out_var,) = graph.as_list(out)
    nodes = sg.toposort([out_var])
    assert nodes
    for node in nodes:
        assert node.trace is not None
        assert not node.trace[0].startswith(SYMGRAPH_DIR)
        assert node.trace[0] == THIS_FILE, (node.op, node.trace)
    # the lambda's own line, built at the parametrize list above, or this test's line
    assert all(n.trace[1] < line for n in nodes)


def test_trace_as_makes_nodes_carry_a_given_line():
    x = sg.dvector("x")
    with graph.trace_as(("model.py", 12)):
        y = sg.exp(x)
    assert y.owner.trace == ("model.py", 12)
    z = sg.exp(x)
    assert z.owner.trace[0] == THIS_FILE


def test_trace_source_off_records_nothing():
    x = sg.dvector("x")
    with sg.config.change(trace_source=False):
        y = sg.exp(x)
    assert y.owner.trace is None
    assert "np.exp(x)" in sg.function([x], y, rewrites="none").source


def test_variable_repr_names_the_type():
    x = sg.matrix("x", dtype="float32")
    assert repr(x) == "<TensorVariable x: f32[?,?]>"
    assert repr(sg.exp(x)) == "<TensorVariable exp: f32[?,?]>"
    assert isinstance(sg.shared(np.ones(2), "w"), SharedVariable)
