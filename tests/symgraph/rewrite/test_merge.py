"""merge: identical subexpressions and equal constants become one node."""

import numpy as np

import symgraph as sg

from .helpers import assert_same, compile_both, fired, op_names


def test_identical_subexpressions_merge():
    x = sg.dvector("x")
    out = sg.exp(x * 2.0) + sg.exp(x * 2.0)
    f, g = compile_both([x], out, rewrites=["merge"])
    assert op_names(f) == ["add", "exp", "mul"] and fired(f, "merge") == 2
    assert_same(f, g, np.array([0.1, 0.2]))


def test_equal_constants_merge():
    x = sg.dvector("x")
    out = x * sg.constant(np.array([1.0, 2.0])) + x * sg.constant(np.array([1.0, 2.0]))
    f, g = compile_both([x], out, rewrites=["merge"])
    assert fired(f, "merge_constants") == 1 and op_names(f) == ["add", "mul"]
    assert_same(f, g, np.array([0.5, 3.0]))


def test_different_constants_and_ops_do_not_merge():
    x = sg.dvector("x")
    f, _ = compile_both([x], [x * 2.0, x * 3.0, x + 2.0], rewrites=["merge"])
    assert op_names(f) == ["add", "mul", "mul"] and fired(f, "merge") == 0


def test_random_draws_never_merge():
    rs = sg.RandomStream(1)
    a, b = rs.uniform((3,)), rs.uniform((3,))
    f = sg.function([], [a, b, a + b], rewrites=["merge"])
    first, second, total = f()
    assert not np.array_equal(first, second)
    np.testing.assert_allclose(total, first + second)


def test_two_inputs_with_one_name_stay_two():
    x1, x2 = sg.dvector("x"), sg.dvector("x")
    f, g = compile_both([x1, x2], sg.exp(x1) - sg.exp(x2), rewrites=["merge"])
    assert op_names(f).count("exp") == 2
    assert_same(f, g, np.array([1.0]), np.array([2.0]))


def test_merge_can_be_excluded():
    x = sg.dvector("x")
    f = sg.function([x], sg.exp(x) + sg.exp(x), exclude=["merge"], rewrites=["merge"])
    assert op_names(f).count("exp") == 2
