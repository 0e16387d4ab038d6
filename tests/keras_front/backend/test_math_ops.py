"""K's arithmetic (keras_front/backend/math_ops.py) against NumPy."""

import numpy as np
import pytest

import symgraph as sg
from keras_front import backend as K

RNG = np.random.default_rng(0)


def run(outputs, feeds):
    return K.function(list(feeds), outputs)(list(feeds.values()))


def ph_like(value):
    value = np.asarray(value)
    return K.placeholder(ndim=value.ndim, dtype=value.dtype.name)


UNARY = [
    ("square", np.square), ("abs", np.abs), ("exp", np.exp), ("sign", np.sign),
    ("sin", np.sin), ("cos", np.cos), ("round", np.round),
    ("log", np.log),
]


@pytest.mark.parametrize("name, ref", UNARY, ids=[u[0] for u in UNARY])
def test_unary_functions_match_numpy(name, ref):
    x = RNG.uniform(0.1, 3.0, size=(3, 4)).astype("float32") * \
        (1 if name == "log" else RNG.choice([-1, 1], size=(3, 4)))
    x[0, 0] = 2.5  # half-way value: Keras rounds half to even
    ph = ph_like(x)
    (out,) = run([getattr(K, name)(ph)], {ph: x})
    np.testing.assert_allclose(out, ref(x), rtol=1e-6, atol=1e-6)


def test_sqrt_clips_negatives_to_zero_first():
    x = np.array([-4.0, 0.0, 9.0], "float32")
    ph = ph_like(x)
    (out,) = run([K.sqrt(ph)], {ph: x})
    np.testing.assert_array_equal(out, [0.0, 0.0, 3.0])


def test_pow_maximum_minimum():
    a, b = RNG.uniform(0.5, 2, (2, 3)), RNG.uniform(0.5, 2, (2, 3))
    pa, pb = ph_like(a), ph_like(b)
    p, mx, mn = run([K.pow(pa, 3), K.maximum(pa, pb), K.minimum(pa, pb)], {pa: a, pb: b})
    np.testing.assert_allclose(p, a ** 3)
    np.testing.assert_array_equal(mx, np.maximum(a, b))
    np.testing.assert_array_equal(mn, np.minimum(a, b))


def test_clip_follows_keras_rules():
    x = np.array([-2.0, 0.5, 7.0])
    ph = ph_like(x)
    no_upper, swapped, normal = run(
        [K.clip(ph, 0.0, None), K.clip(ph, 1.0, 0.0), K.clip(ph, -1.0, 1.0)], {ph: x})
    np.testing.assert_array_equal(no_upper, [0.0, 0.5, 7.0])
    np.testing.assert_array_equal(swapped, [1.0, 1.0, 1.0])  # max < min: max becomes min
    np.testing.assert_array_equal(normal, [-1.0, 0.5, 1.0])


def test_comparisons_and_the_keras_1_spellings():
    a, b = np.array([1.0, 2.0, 3.0]), np.array([2.0, 2.0, 2.0])
    pa, pb = ph_like(a), ph_like(b)
    names = ["equal", "not_equal", "greater", "greater_equal", "less", "less_equal", "lesser",
             "lesser_equal"]
    refs = [np.equal, np.not_equal, np.greater, np.greater_equal, np.less, np.less_equal,
            np.less, np.less_equal]
    outs = run([getattr(K, n)(pa, pb) for n in names], {pa: a, pb: b})
    for name, out, ref in zip(names, outs, refs, strict=True):
        np.testing.assert_array_equal(out, ref(a, b), err_msg=name)


@pytest.mark.parametrize("axis", [None, 0, 1, -1, [0, 2], (1, 2)])
@pytest.mark.parametrize("keepdims", [False, True])
def test_reductions_take_int_list_or_none_axes(axis, keepdims):
    x = RNG.normal(size=(2, 3, 4))
    ph = ph_like(x)
    names = ["sum", "prod", "mean", "max", "min", "std", "var"]
    outs = run([getattr(K, n)(ph, axis=axis, keepdims=keepdims) for n in names], {ph: x})
    np_axis = tuple(axis) if isinstance(axis, list) else axis
    for name, out in zip(names, outs, strict=True):
        ref = getattr(np, name)(x, axis=np_axis, keepdims=keepdims)
        np.testing.assert_allclose(out, ref, rtol=1e-6, err_msg=name)


def test_mean_of_bools_and_ints_is_a_floatx_mean():
    b = np.array([[True, False, True, True]])
    i = np.array([1, 2], "int32")
    pb, pi = ph_like(b), ph_like(i)
    mb, mi = run([K.mean(pb, axis=-1), K.mean(pi)], {pb: b, pi: i})
    assert mb.dtype == np.float32 and mi.dtype == np.float32
    np.testing.assert_allclose(mb, [0.75])
    assert mi == 1.5


def test_any_all_argmax_argmin_default_to_keras_axes():
    x = np.array([[1.0, 5.0, 3.0], [7.0, 0.0, 0.0]])
    ph = ph_like(x)
    amax, amin, amax0, anyv, allv = run(
        [K.argmax(ph), K.argmin(ph), K.argmax(ph, axis=0), K.any(ph, axis=1),
         K.all(ph, axis=1)], {ph: x})
    np.testing.assert_array_equal(amax, [1, 0])
    np.testing.assert_array_equal(amin, [0, 1])
    np.testing.assert_array_equal(amax0, [1, 0, 0])
    np.testing.assert_array_equal(anyv, [True, True])
    np.testing.assert_array_equal(allv, [True, False])


def test_logsumexp_is_stable():
    x = np.array([[1000.0, 1000.0], [-1000.0, 0.0]])
    ph = ph_like(x)
    (out,) = run([K.logsumexp(ph, axis=1)], {ph: x})
    np.testing.assert_allclose(out, [1000.0 + np.log(2.0), np.log1p(np.exp(-1000.0))])


@pytest.mark.parametrize("axis", [0, 1, -1])
def test_cumsum_matches_numpy_and_differentiates(axis):
    x = RNG.normal(size=(3, 4))
    ph = ph_like(x)
    (out,) = run([K.cumsum(ph, axis=axis)], {ph: x})
    np.testing.assert_allclose(out, np.cumsum(x, axis=axis), rtol=1e-10)
    sg.verify_grad(lambda v: K.cumsum(v, axis=axis), [x])


@pytest.mark.parametrize("xs, ys", [((3,), (3,)), ((2, 3), (3, 4)), ((2, 3), (3,)),
                                    ((2, 3, 4), (4, 5)), ((2, 3, 4), (6, 4, 5))])
def test_dot_has_numpy_dot_semantics(xs, ys):
    a, b = RNG.normal(size=xs), RNG.normal(size=ys)
    pa, pb = ph_like(a), ph_like(b)
    (out,) = run([K.dot(pa, pb)], {pa: a, pb: b})
    np.testing.assert_allclose(out, np.dot(a, b), rtol=1e-10)


def test_batch_dot_keras_docstring_example():
    x = np.array([[1.0, 2.0], [3.0, 4.0]])
    y = np.array([[5.0, 6.0], [7.0, 8.0]])
    px, py = ph_like(x), ph_like(y)
    (out,) = run([K.batch_dot(px, py, axes=1)], {px: x, py: y})
    np.testing.assert_array_equal(out, [[17.0], [53.0]])  # diag of x.dot(y.T), as (batch, 1)


BATCH_DOT = [
    # shapes, axes, einsum reference
    ((4, 20), (4, 30, 20), (1, 2), "bk,bjk->bj"),
    ((4, 3, 5), (4, 5, 6), None, "bik,bkj->bij"),
    ((4, 3, 5), (4, 6, 5), (2, 2), "bik,bjk->bij"),
    ((4, 5, 3), (4, 5, 6), 1, "bki,bkj->bij"),
    ((4, 2, 3, 5), (4, 5, 7), (3, 1), "bijk,bkl->bijl"),
]


@pytest.mark.parametrize("xs, ys, axes, spec", BATCH_DOT)
def test_batch_dot_matches_einsum(xs, ys, axes, spec):
    a, b = RNG.normal(size=xs), RNG.normal(size=ys)
    pa, pb = ph_like(a), ph_like(b)
    (out,) = run([K.batch_dot(pa, pb, axes=axes)], {pa: a, pb: b})
    np.testing.assert_allclose(out, np.einsum(spec, a, b), rtol=1e-10)


def test_batch_dot_keeps_static_shapes_and_differentiates():
    x = K.placeholder(shape=(None, 20))
    y = K.placeholder(shape=(None, 30, 20))
    assert K.int_shape(K.batch_dot(x, y, axes=(1, 2))) == (None, 30)
    a, b = RNG.normal(size=(2, 3, 4)), RNG.normal(size=(2, 4, 5))
    sg.verify_grad(lambda u, v: K.batch_dot(u, v), [a, b])


def test_batch_dot_errors_name_the_problem():
    x, y = K.placeholder(shape=(None, 3)), K.placeholder(shape=(None, 4))
    with pytest.raises(ValueError, match="sizes 3 and 4 differ"):
        K.batch_dot(x, y, axes=1)
    with pytest.raises(ValueError, match="cannot sum over the batch axis"):
        K.batch_dot(x, x, axes=0)
    with pytest.raises(ValueError, match="need at least 2 dims"):
        K.batch_dot(K.placeholder(shape=(3,)), x)


def test_transpose_and_gather():
    x = RNG.normal(size=(4, 3))
    idx = np.array([[2, 0], [1, 1]], "int32")
    px, pi = ph_like(x), ph_like(idx)
    t, g = run([K.transpose(px), K.gather(px, pi)], {px: x, pi: idx})
    np.testing.assert_array_equal(t, x.T)
    np.testing.assert_array_equal(g, x[idx])


@pytest.mark.parametrize("name", ["max", "min", "sum", "prod", "any", "all", "logsumexp",
                                  "square", "abs", "exp", "log", "round", "sign", "sin", "cos",
                                  "equal", "not_equal", "greater", "greater_equal", "less",
                                  "less_equal", "maximum", "minimum", "softplus", "tanh"])
def test_functions_made_from_rows_carry_their_keras_name_and_a_docstring(name):
    fn = getattr(K, name)
    assert fn.__name__ == name and fn.__qualname__ == name
    assert fn.__doc__ and fn.__doc__.strip().endswith(".")
