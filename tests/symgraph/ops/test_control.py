"""Control flow: ifelse is lazy (the branch not taken is not computed -- shown by a branch
that would fail at run time, and by the generated source), switch / where are elementwise."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as sg
from tests.helpers import assert_static_matches, check_op, compile_and_run


def test_ifelse_does_not_run_the_branch_not_taken():
    c, x = sg.bscalar("c"), sg.dvector("x")
    fails = sg.sum(x[10])  # IndexError at run time for a short x
    f = sg.function([c, x], sg.ifelse(c, sg.sum(x) * 2.0, fails))
    assert f(True, np.ones(3)) == 6.0
    with pytest.raises(IndexError, match="index 10 is out of bounds"):
        f(False, np.ones(3))
    g = sg.function([c, x], sg.ifelse(c, fails, sg.sum(x) * 2.0))
    assert g(False, np.ones(3)) == 6.0


def test_ifelse_places_each_branch_inside_its_if():
    c, x = sg.bscalar("c"), sg.dvector("x")
    f = sg.function([c, x], sg.ifelse(c, sg.exp(x), sg.log(x)))
    lines = f.source.splitlines()
    if_line = next(i for i, s in enumerate(lines) if s.strip().startswith("if "))
    else_line = next(i for i, s in enumerate(lines) if s.strip() == "else:")
    exp_line = next(i for i, s in enumerate(lines) if "np.exp(" in s)
    log_line = next(i for i, s in enumerate(lines) if "np.log(" in s)
    assert if_line < exp_line < else_line < log_line, f.source
    indent = len(lines[if_line]) - len(lines[if_line].lstrip())
    for k in (exp_line, log_line):
        assert len(lines[k]) - len(lines[k].lstrip()) > indent


def test_nodes_both_branches_need_are_computed_before_the_if():
    c, x = sg.bscalar("c"), sg.dvector("x")
    shared = sg.tanh(x)
    f = sg.function([c, x], sg.ifelse(c, shared * 2.0, shared + 1.0))
    lines = f.source.splitlines()
    if_line = next(i for i, s in enumerate(lines) if s.strip().startswith("if "))
    assert any("np.tanh(" in s for s in lines[:if_line]), f.source
    np.testing.assert_allclose(f(False, np.ones(2)), np.tanh(np.ones(2)) + 1.0)


def test_ifelse_values_types_and_multiple_outputs():
    c = sg.bscalar("c")
    x, y = sg.dvector("x"), sg.ivector("y")
    outs = sg.ifelse(c, [x, sg.sum(x)], [sg.cast(y, "float64"), sg.sum(x) * 2.0])
    f = sg.function([c, x, y], outs)
    for cond, expected in ((True, [[1.0, 2.0], 3.0]), (False, [[3.0, 4.0], 6.0])):
        got = f(cond, np.array([1.0, 2.0]), np.array([3, 4], "int32"))
        for o, g, e in zip(outs, got, expected, strict=True):
            assert_static_matches(o, g)
            np.testing.assert_array_equal(g, e)
    mixed = sg.ifelse(c, sg.tensor("p", dtype="float32", shape=(2, 3)),
                      sg.tensor("q", dtype="int64", shape=(2, 4)))
    assert mixed.type.shape == (2, None) and mixed.dtype == "float64"


def test_ifelse_with_a_float_or_computed_condition():
    x = sg.dvector("x")
    out = sg.ifelse(sg.gt(sg.sum(x), 0), x, -x)
    f = sg.function([x], out)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0])), [1.0, 2.0])
    np.testing.assert_array_equal(f(np.array([-1.0, -2.0])), [1.0, 2.0])
    s = sg.dscalar("s")
    got = compile_and_run(sg.ifelse(s, 1.0, 2.0), [s], [0.0])
    assert got == 2.0


def test_nested_ifelse_is_lazy_at_every_level():
    c, d, x = sg.bscalar("c"), sg.bscalar("d"), sg.dvector("x")
    fails = sg.sum(x[10])
    f = sg.function([c, d, x], sg.ifelse(c, sg.ifelse(d, fails, x[0]), x[1]))
    assert f(True, False, np.array([5.0, 6.0])) == 5.0
    assert f(False, True, np.array([5.0, 6.0])) == 6.0


def test_ifelse_argument_errors():
    x = sg.dvector("x")
    with pytest.raises(ValueError, match="ifelse: the condition must be a scalar"):
        sg.ifelse(x, x, x)
    with pytest.raises(ValueError, match="ifelse: branches differ in rank"):
        sg.ifelse(sg.bscalar("c"), x, sg.dmatrix("m"))
    with pytest.raises(ValueError, match="ifelse: then and else lists differ in length"):
        sg.ifelse(sg.bscalar("c"), [x, x], [x])


def test_ifelse_gradient_flows_through_the_branch_taken():
    for sign in (1.0, -1.0):
        sg.verify_grad(lambda a, b: sg.ifelse(sg.gt(sg.sum(a), 0), a * b, b * 3.0),
                       [sign * np.array([1.0, 2.0]), np.array([0.5, -1.5])])


def test_ifelse_gradient_of_branches_of_different_shapes():
    # Found by the random-graph tests: the branch not taken got zeros shaped like the
    # branch taken, so d/d(else) was a (3, 2) array for a (4, 3) input.
    c = sg.bscalar("c")
    a, b = sg.dmatrix("a"), sg.dmatrix("b")
    cost = sg.sum(sg.ifelse(c, a * 2.0, b * 3.0))
    f = sg.function([c, a, b], sg.grad(cost, [a, b]))
    av, bv = np.ones((3, 2)), np.ones((4, 3))
    for cond in (True, False):
        ga, gb = f(cond, av, bv)
        np.testing.assert_array_equal(ga, np.full((3, 2), 2.0 if cond else 0.0))
        np.testing.assert_array_equal(gb, np.full((4, 3), 0.0 if cond else 3.0))


def test_switch_and_where_match_numpy_with_broadcasting():
    rng = np.random.default_rng(0)
    c = rng.random((3, 1)) > 0.5
    a, b = rng.normal(size=(1, 4)), rng.normal(size=(3, 4)).astype("float32")
    for static in (True, False):
        check_op(sg.switch, [c, a, b], np.where(c, a, b), static=static)
        check_op(sg.where, [c, a, b], np.where(c, a, b), static=static)
    check_op(lambda v: sg.where(v > 0, v, 0), [b], np.where(b > 0, b, 0))
    ints = np.array([1, -2, 3], "int32")
    check_op(lambda v: sg.switch(v > 0, v, -1), [ints], np.where(ints > 0, ints, -1))
