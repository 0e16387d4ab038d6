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


def test_check_tolerance_follows_the_narrowest_float_the_graph_computes_in():
    # Found by the random-graph tests: a float64 result of float32 work was held to
    # float64's tolerance, so a correct stabilize rewrite was reported as wrong.
    x = sg.fvector("x")
    out = sg.cast(sg.log(sg.sigmoid(x * 3.0)), "float64")
    f = sg.function([x], out, check_rewrites=True)
    assert f.rewrite_log.counts()["log_sigmoid"] == 1


@pytest.mark.parametrize("build", [
    lambda i: sg.exp(1.0 / (i - i)) * 0.0,  # inf * 0 is nan; mul_zero gives 0
    lambda i: sg.eq(sg.cast(i - i, "float64") / sg.cast(i - i, "float64"), 1.0),  # 0/0 vs 1
])
def test_check_accepts_the_documented_domain_choices(build):
    # The documented rewrites that differ only where the unrewritten graph computes inf
    # or nan must not be reported (check mode's own integers are 0 or 1).
    i = sg.ivector("i")
    f = sg.function([i], build(i), check_rewrites=True)
    assert len(f.rewrite_log) > 0
