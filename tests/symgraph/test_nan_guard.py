"""nan_guard: the first node computing NaN or inf is named with its op and the user's line."""

import inspect
import os

import numpy as np
import pytest

import symgraph as sg

HERE = os.path.basename(__file__)


def line_of(marker):
    """The line number in this file of the line ending with `# <marker>`."""
    lines = inspect.getsource(inspect.getmodule(line_of)).splitlines()
    return next(i + 1 for i, text in enumerate(lines) if text.endswith(f"# {marker}"))


def test_names_the_node_where_nan_is_born_not_where_it_is_noticed():
    x = sg.dvector("x")
    h = sg.log(x - 1.0)  # born here
    loss = sg.sum(sg.exp(h * 2.0) + h)
    f = sg.function([x], loss, nan_guard=True)
    assert f(np.array([3.0, 2.0])) == pytest.approx(np.sum(np.exp(2 * np.log([2.0, 1.0])) +
                                                           np.log([2.0, 1.0])))
    with pytest.raises(sg.NanGuardError) as info:
        f(np.array([3.0, 0.5, 2.0]))
    msg = str(info.value)
    assert f"NaN in the output of log, node built at {__file__}:{line_of('born here')}" in msg
    assert "log(-0.5) = nan at [1]" in msg


def test_unguarded_functions_just_compute_nan():
    x = sg.dvector("x")
    f = sg.function([x], sg.log(x))
    with np.errstate(invalid="ignore"):
        assert np.isnan(f(np.array([-1.0]))[0])


def test_inf_and_big_values():
    x = sg.dvector("x")
    f = sg.function([x], 1.0 / x * 3.0, nan_guard=True)
    with pytest.raises(sg.NanGuardError, match=r"inf in the output of true_div.*"
                                               r"true_div\(1.0, 0.0\) = inf at \[0\]"):
        f(np.zeros(2))
    lenient = sg.function([x], 1.0 / x * 3.0, nan_guard=sg.NanGuard(inf=False))
    assert np.isinf(lenient(np.zeros(1))[0])
    strict = sg.function([x], sg.exp(x), nan_guard=sg.NanGuard(big=1e10))
    with pytest.raises(sg.NanGuardError, match=r"a value beyond 1e\+10 in the output of exp"):
        strict(np.array([1.0, 30.0]))


def test_nan_in_an_argument_or_a_shared_value_is_named_as_the_source():
    x = sg.dvector("x")
    W = sg.shared(np.array([1.0, np.nan]), "W")
    f = sg.function([x], x * 2.0, nan_guard=True)
    with pytest.raises(sg.NanGuardError, match=r"argument 'x' holds NaN at \[2\]: it comes "
                                               r"from the caller's data"):
        f(np.array([0.0, 1.0, np.nan]))
    g = sg.function([x], x * W, nan_guard=True)
    with pytest.raises(sg.NanGuardError, match=r"shared variable 'W' holds NaN at \[1\]"):
        g(np.ones(2))


def test_a_nan_found_applies_no_update():
    W = sg.shared(np.ones(3), "W")
    step = sg.shared(np.array(0), "step")
    x = sg.dvector("x")
    f = sg.function([x], [], updates=[(W, W / x), (step, step + 1)], nan_guard=True)
    with pytest.raises(sg.NanGuardError, match="true_div"):
        f(np.array([1.0, 0.0, 2.0]))
    np.testing.assert_array_equal(W.get_value(), np.ones(3))
    assert int(step.get_value()) == 0
    f(np.array([1.0, 4.0, 2.0]))
    np.testing.assert_array_equal(W.get_value(), [1.0, 0.25, 0.5])
    assert int(step.get_value()) == 1


def test_only_the_branch_taken_is_checked():
    x = sg.dvector("x")
    c = sg.bscalar("c")
    f = sg.function([x, c], sg.ifelse(c, sg.log(x), x * 2.0), nan_guard=True)
    np.testing.assert_array_equal(f(np.array([-1.0]), False), [-2.0])
    with pytest.raises(sg.NanGuardError, match="NaN in the output of log"):
        f(np.array([-1.0]), True)


def test_outputs_and_updates_never_alias_shared_storage():
    W = sg.shared(np.arange(3.0), "W")
    f = sg.function([], [W, W.T], updates={W: W[::-1]}, nan_guard=True)
    old, view = f()
    old[0] = 99.0
    view[1] = 99.0
    np.testing.assert_array_equal(W.get_value(), [2.0, 1.0, 0.0])


def test_the_config_flag_guards_every_function_and_is_per_thread():
    x = sg.dvector("x")
    with sg.config.change(nan_guard=True):
        f = sg.function([x], sg.sqrt(x))
    g = sg.function([x], sg.sqrt(x))
    with pytest.raises(sg.NanGuardError, match="NaN in the output of sqrt"):
        f(np.array([-4.0]))
    with np.errstate(invalid="ignore"):
        assert np.isnan(g(np.array([-4.0]))[0])


def test_guarded_graphs_keep_the_stabilizing_rewrites():
    # What runs is what is guarded: log(sigmoid(z)) is stable after rewriting, so a large
    # negative z is no NaN/inf in guard mode either.
    z = sg.dvector("z")
    f = sg.function([z], sg.log(sg.sigmoid(z)), nan_guard=True)
    np.testing.assert_allclose(f(np.array([-1000.0, 0.0])), [-1000.0, np.log(0.5)])


def test_a_long_chain_needs_no_deep_stack():
    x = sg.dvector("x")
    y = x
    for _ in range(3000):
        y = y * 1.0001
    f = sg.function([x], y, nan_guard=True, rewrites="none")
    np.testing.assert_allclose(f(np.ones(2)), np.full(2, 1.0001 ** 3000))


def test_bad_setting():
    with pytest.raises(TypeError, match="nan_guard must be True, False or sg.NanGuard"):
        x = sg.dvector("x")
        sg.function([x], x + 1.0, nan_guard="yes")
