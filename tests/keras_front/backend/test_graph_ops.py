"""K.function, gradients, the learning phase and switches
(keras_front/backend/graph_ops.py)."""

import warnings

import numpy as np
import pytest

import symgraph as sg
from keras_front import backend as K


@pytest.fixture(autouse=True)
def fresh_session():
    K.clear_session()
    yield
    K.clear_session()


def test_function_takes_a_list_and_returns_a_list():
    x = K.placeholder(shape=(None, 2))
    y = K.placeholder(shape=(None, 2))
    f = K.function([x, y], [x + y, K.sum(x * y)])
    out = f([np.ones((3, 2)), [[1, 2], [3, 4], [5, 6]]])  # lists and float64 are cast
    assert isinstance(out, list) and len(out) == 2
    np.testing.assert_array_equal(out[0], [[2, 3], [4, 5], [6, 7]])
    assert out[1] == 21.0 and out[0].dtype == np.float32


def test_function_input_errors_are_clear():
    x = K.placeholder(shape=(None, 2))
    f = K.function([x], [x * 2], name="double")
    with pytest.raises(TypeError, match="expects a list of input arrays, got ndarray"):
        f(np.ones((1, 2)))
    with pytest.raises(ValueError, match="double: expected 1 input array"):
        f([np.ones((1, 2)), np.ones((1, 2))])
    with pytest.raises(ValueError, match='Invalid argument "updatez" passed to K.function'):
        K.function([x], [x], updatez=[])


def test_function_ignores_theano_mode_with_a_warning():
    x = K.placeholder(shape=(None, 2))
    with pytest.warns(UserWarning, match="mode='FAST_COMPILE' is Theano's compile mode; the "
                                         "symgraph backend ignores it"):
        f = K.function([x], [x * 2], mode="FAST_COMPILE")
    np.testing.assert_array_equal(f([np.ones((1, 2))])[0], [[2.0, 2.0]])


def test_unused_inputs_are_allowed():
    x, unused = K.placeholder(ndim=1), K.placeholder(ndim=1)
    f = K.function([x, unused], [x + 1])
    np.testing.assert_array_equal(f([[1.0], [5.0]])[0], [2.0])


def test_updates_apply_after_outputs_and_the_first_update_of_a_variable_wins():
    v = K.variable(1.0)
    x = K.placeholder(shape=())
    f = K.function([x], [v * x], updates=[(v, v + x), K.update(v, v * 100)])
    assert f([2.0])[0] == 2.0  # computed with the old value
    assert K.get_value(v) == 3.0
    g = K.function([], [], updates={v: v - 1.0})
    g([])
    assert K.get_value(v) == 2.0
    with pytest.raises(TypeError, match=r"each update must be a \(variable, new_value\) pair"):
        K.function([], [], updates=[v])


def test_learning_phase_is_a_uint8_input_fed_like_any_other():
    lp = K.learning_phase()
    assert lp.name == "keras_learning_phase" and lp.dtype == "uint8" and lp.ndim == 0
    x = K.placeholder(ndim=1)
    out = K.in_train_phase(x * 10, x)
    assert K.uses_learning_phase(out) and not K.uses_learning_phase(x * 10)
    f = K.function([x, lp], [out])
    np.testing.assert_array_equal(f([[1.0], 1])[0], [10.0])
    np.testing.assert_array_equal(f([[1.0], 0.0])[0], [1.0])  # Keras 1.x feeds floats
    test = K.function([x, lp], [K.in_test_phase(x * 10, x)])
    np.testing.assert_array_equal(test([[1.0], 0])[0], [10.0])


@pytest.mark.parametrize("phase", [256, -1, 0.5, 2.0, float("nan"), "1", [1], np.ones(2)])
def test_the_learning_phase_takes_only_0_or_1(phase):
    """A uint8 cast wrapped 256 to 0 (or raised OverflowError) and truncated 0.5 to 0."""
    x = K.placeholder(ndim=1)
    f = K.function([x, K.learning_phase()], [K.in_train_phase(x * 10, x)])
    with pytest.raises(ValueError, match=r"K.function: input 1 is the learning phase, which "
                                         r"must be 0 \(test\) or 1 \(train\); got "):
        f([[1.0], phase])
    for train in (1, 1.0, True, np.uint8(1), np.array(1)):
        np.testing.assert_array_equal(f([[1.0], train])[0], [10.0])
    for test in (0, 0.0, False, np.int64(0)):
        np.testing.assert_array_equal(f([[1.0], test])[0], [1.0])


def test_in_train_phase_computes_only_the_branch_taken():
    x = K.placeholder(ndim=1)
    out = K.in_train_phase(lambda: K.log(x), lambda: x)
    f = K.function([x, K.learning_phase()], [out])
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # log(-1) would warn if the train branch ran
        np.testing.assert_array_equal(f([[-1.0], 0])[0], [-1.0])
    with pytest.warns(RuntimeWarning):
        assert np.isnan(f([[-1.0], 1])[0][0])


def test_in_train_phase_broadcasts_a_scalar_alternative():
    x = K.placeholder(ndim=2)
    f = K.function([x, K.learning_phase()], [K.in_train_phase(x, 0.0)])
    np.testing.assert_array_equal(f([np.ones((2, 2)), 0])[0], np.zeros((2, 2)))


def test_set_learning_phase_fixes_the_branch_at_build_time():
    x = K.placeholder(ndim=1)
    K.set_learning_phase(1)
    assert K.learning_phase() == 1
    assert K.in_train_phase(x * 10, x).owner.op.name == "mul"
    K.set_learning_phase(0)
    assert K.in_train_phase(x * 10, x) is x
    with pytest.raises(ValueError, match="Expected learning phase to be 0 or 1"):
        K.set_learning_phase(2)
    K.clear_session()
    assert K.learning_phase().name == "keras_learning_phase"


def test_gradients_match_finite_differences():
    w = K.variable(np.array([[0.5, -1.0], [2.0, 0.3]]))
    x = K.placeholder(shape=(None, 2))
    loss = K.sum(K.square(K.tanh(K.dot(x, w))))
    (gw,) = K.gradients(loss, [w])
    xv = np.array([[1.0, 2.0]], "float32")
    (g,) = K.function([x], [gw])([xv])
    f = K.function([x], [loss])
    base = K.get_value(w).astype("float64")
    numeric = np.zeros_like(base)
    for idx in np.ndindex(base.shape):
        for sign in (1, -1):
            bumped = base.copy()
            bumped[idx] += sign * 1e-3
            K.set_value(w, bumped)
            numeric[idx] += sign * float(f([xv])[0]) / 2e-3
    np.testing.assert_allclose(g, numeric, rtol=1e-2, atol=1e-3)


def test_stop_gradient_blocks_the_gradient():
    x = K.placeholder(shape=())
    y = x * K.stop_gradient(x * 3)
    (g,) = K.function([x], [K.gradients(y, x)])([2.0])
    assert g == 6.0  # d/dx x * c with c = 3x held constant
    a, b = K.stop_gradient([x, x * 2])
    assert a.owner is not None and b.owner is not None


def test_switch_calls_callables_and_expands_a_row_condition():
    cond = K.placeholder(ndim=1, dtype="bool")
    x = K.placeholder(ndim=2)
    out = K.switch(cond, lambda: x, lambda: -x)
    (v,) = K.function([cond, x], [out])([[True, False], np.ones((2, 3))])
    np.testing.assert_array_equal(v, [[1, 1, 1], [-1, -1, -1]])
    scalar = K.switch(K.greater(K.sum(x), 0), x, x * 0)
    (s,) = K.function([x], [scalar])([-np.ones((1, 2))])
    np.testing.assert_array_equal(s, [[0.0, 0.0]])


def test_clear_session_resets_layer_counters():
    K.get_uid("dense")
    K.clear_session()
    assert K.get_uid("dense") == 1


def test_compiled_function_is_a_symgraph_function():
    x = K.placeholder(ndim=1)
    assert isinstance(K.function([x], [x]).function, sg.Function)


def test_unchecked_takes_the_arrays_as_arguments_and_returns_the_same_list():
    x = K.placeholder(shape=(None, 2))
    y = K.placeholder(shape=(None, 2))
    f = K.function([x, y], [x + y, K.sum(x * y)])
    a = np.arange(6, dtype="float32").reshape(3, 2)
    b = np.ones((3, 2), "float32")
    checked, direct = f([a, b]), f.unchecked(a, b)
    assert isinstance(direct, list) and len(direct) == 2
    np.testing.assert_array_equal(direct[0], a + b)
    assert direct[1] == checked[1] == a.sum()


def _phase_function(phase=None):
    """x * 2 (train) or x * 3 (test), plus a counter updated by the phase's value."""
    x = K.placeholder(shape=(None, 2))
    count = K.variable(np.zeros(2, "float32"))
    y = K.in_train_phase(x * 2, x * 3)
    lp = K.learning_phase()
    f = K.function([x, lp], [y, K.sum(y)],
                   updates=[(count, count + K.cast(lp, "float32") + 1)], phase=phase)
    return f, count


def test_each_learning_phase_gets_its_own_function_equal_to_the_general_one():
    f, count = _phase_function(phase=1)
    assert set(f._compiled) == {1}  # only the phase asked for is compiled at once
    a = np.arange(6, dtype="float32").reshape(3, 2)
    got1, got0 = f([a, 1]), f([a, 0.0])
    assert set(f._compiled) == {0, 1}
    np.testing.assert_array_equal(got1[0], a * 2)
    np.testing.assert_array_equal(got0[0], a * 3)
    assert "ifelse" not in str(f._compiled[1])  # the phase is a constant there
    general = f.function  # the phase an input: compiled when asked for
    assert isinstance(general, sg.Function) and "ifelse" in str(general)
    lp = np.asarray(1, "uint8")
    for phase in (1, 0):
        v = np.asarray(phase, "uint8")
        for a_, b_ in zip(f.unchecked(a, v), general(a, v), strict=True):
            np.testing.assert_array_equal(a_, b_)
    np.testing.assert_array_equal(K.get_value(count), [2 + 1 + 2 + 2 + 1 + 1] * 2)
    with pytest.raises(ValueError, match="learning phase, which must be 0"):
        f([a, 2])
    assert f.unchecked(a, lp)[1] == a.sum() * 2
