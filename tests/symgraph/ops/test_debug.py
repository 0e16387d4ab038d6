"""Print (symgraph/ops/debug.py): prints when computed, is the identity, keeps gradients,
and is never folded or merged away."""

import numpy as np

import symgraph as sg
from symgraph.ops.debug import Print


def test_print_writes_message_and_value_each_call(capfd):
    x = sg.vector("x")
    f = sg.function([x], Print("x is ", ("__str__", "shape"))(x) * 2)
    np.testing.assert_array_equal(f(np.array([1.0, 2.0], "float32")), [2.0, 4.0])
    f(np.array([3.0], "float32"))
    out = capfd.readouterr().out
    assert "x is [1. 2.] shape=(2,)" in out and "x is [3.] shape=(1,)" in out


def test_print_of_a_constant_is_not_folded_and_gradient_passes(capfd):
    c = sg.constant(np.array([5.0]))
    f = sg.function([], Print("c=")(c) + 1)
    f()
    f()
    assert capfd.readouterr().out.count("c=[5.]") == 2
    x = sg.dvector("x")
    g = sg.function([x], sg.grad(sg.sum(Print()(x) ** 2), x))
    np.testing.assert_array_equal(g(np.array([1.0, -2.0])), [2.0, -4.0])
