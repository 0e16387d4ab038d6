"""check mode: every pass is verified on random inputs; a wrong rewrite is named."""

import numpy as np
import pytest

import symgraph as sg
from symgraph.graph import toposort
from symgraph.ops import elemwise as ew
from symgraph.rewrite import Rewrite, register_rewrite, unregister_rewrite
from symgraph.rewrite.check import RewriteCheckError, evaluate, random_inputs


@pytest.fixture
def broken_exp():
    """A wrong rewrite, exp(x) -> exp(x) + 1, registered off by default."""
    def fn(fgraph, node):
        if node.outputs[0].name == "checked":
            return None
        inner = ew.exp(node.inputs[0])
        inner.name = "checked"  # so the rewrite does not fire on its own result
        return [inner + 1.0]

    register_rewrite("stabilize", Rewrite("broken_exp", fn, ("exp",), default=False))
    yield
    unregister_rewrite("stabilize", "broken_exp")


def test_correct_rewrites_pass_the_check():
    x, y = sg.dmatrix("x"), sg.dmatrix("y")
    w = sg.shared(np.ones((3, 2)), name="w")
    loss = sg.mean(sg.nnet.categorical_crossentropy(sg.nnet.softmax(sg.dot(x, w)), y))
    loss = loss + sg.sum(sg.log(1 + sg.exp(x)) ** 2)
    gw = sg.grad(loss, w)
    f = sg.function([x, y], loss, updates=[(w, w - 0.1 * gw)], check_rewrites=True)
    assert len(f.rewrite_log) > 10
    assert np.array_equal(w.get_value(), np.ones((3, 2)))  # checking runs on copies


def test_a_broken_rewrite_is_named(broken_exp):
    x = sg.dvector("x")
    out = sg.sum(sg.exp(x) * 2.0 + sg.log(1 + x))
    f = sg.function([x], out, include=["broken_exp"])  # without the check: silently wrong
    assert not np.isclose(f(np.ones(3)), 6 * np.e + 3 * np.log(2))
    with pytest.raises(RewriteCheckError, match=r"rewrite 'broken_exp' \(pass 'stabilize'\) "
                                                r"changed output 0.*test_check.py"):
        sg.function([x], out, include=["broken_exp"], check_rewrites=True)


def test_the_first_bad_rewrite_is_named_even_if_others_fire_later(broken_exp):
    x = sg.dvector("x")
    out = sg.exp(x) ** 2 + sg.log(1 + x)  # log1p fires too, and pow_const afterwards
    with pytest.raises(RewriteCheckError, match="'broken_exp'"):
        sg.function([x], out, include=["broken_exp"], check_rewrites=True)


def test_random_inputs_have_consistent_shapes():
    x, w, b = sg.dmatrix("x"), sg.dmatrix("w"), sg.dvector("b")
    t = sg.ivector("t")
    out = sg.nnet.softmax(sg.dot(x, w) + b)[sg.arange(x.shape[0]), t]
    args = random_inputs([x, w, b, t], [out], seed=0)
    assert args[0].shape[1] == args[1].shape[0] and args[1].shape[1] == args[2].shape[0]
    assert all(0.5 <= a.min() and a.max() <= 1.5 for a in args[:3])
    assert set(np.unique(args[3])) <= {0, 1} and args[3].dtype == np.int32
    assert random_inputs([x, w, b, t], [out], seed=0)[0].tolist() == args[0].tolist()


def test_evaluate_matches_a_compiled_function():
    x = sg.dmatrix("x")
    w = sg.shared(np.arange(6.0).reshape(3, 2), name="w")
    out = sg.tanh(sg.dot(x, w)).sum(axis=0)
    a = np.ones((2, 3))
    (value,) = evaluate([out], {x: a})
    np.testing.assert_allclose(value, sg.function([x], out)(a))
    assert len(toposort([out])) == 3


def test_graphs_that_reject_random_inputs_warn_and_compile():
    x = sg.dvector("x")
    out = x.reshape((4, -1)).sum()  # needs a length that 4 divides
    with pytest.warns(RuntimeWarning, match="check_rewrites: cannot run"):
        f = sg.function([x], out, check_rewrites=True)
    assert f(np.ones(8)) == 8
