"""Weight initializers (keras_front/initializers.py): Keras 1.x functions reproduce Keras
1.x's NumPy draws; Keras 2 classes have the documented statistics."""

import numpy as np
import pytest

from keras_front import backend as K
from keras_front import initializers


def seeded(fn, seed=1234):
    np.random.seed(seed)
    return fn()


# (name, shape, dim_ordering, NumPy draw that Keras 1.x makes for it)
KERAS1 = [
    ("uniform", (30, 40), "th", lambda: np.random.uniform(-0.05, 0.05, (30, 40))),
    ("normal", (30, 40), "th", lambda: np.random.normal(0.0, 0.05, (30, 40))),
    ("lecun_uniform", (30, 40), "th",
     lambda: np.random.uniform(-np.sqrt(3 / 30), np.sqrt(3 / 30), (30, 40))),
    ("glorot_uniform", (30, 40), "th",
     lambda: np.random.uniform(-np.sqrt(6 / 70), np.sqrt(6 / 70), (30, 40))),
    ("glorot_normal", (30, 40), "th", lambda: np.random.normal(0.0, np.sqrt(2 / 70), (30, 40))),
    ("he_uniform", (30, 40), "th",
     lambda: np.random.uniform(-np.sqrt(6 / 30), np.sqrt(6 / 30), (30, 40))),
    ("he_normal", (30, 40), "th", lambda: np.random.normal(0.0, np.sqrt(2 / 30), (30, 40))),
    # conv kernels: 'th' (out, in, rows, cols), 'tf' (rows, cols, in, out); fan_in = 3 * 25,
    # fan_out = 16 * 25
    ("glorot_uniform", (16, 3, 5, 5), "th",
     lambda: np.random.uniform(-np.sqrt(6 / 475), np.sqrt(6 / 475), (16, 3, 5, 5))),
    ("glorot_uniform", (5, 5, 3, 16), "tf",
     lambda: np.random.uniform(-np.sqrt(6 / 475), np.sqrt(6 / 475), (5, 5, 3, 16))),
    ("he_normal", (16, 3, 5, 5), "th", lambda: np.random.normal(0, np.sqrt(2 / 75),
                                                                 (16, 3, 5, 5))),
    # other ranks: fan_in = fan_out = sqrt(size)
    ("lecun_uniform", (4, 6, 9), "th",
     lambda: np.random.uniform(-np.sqrt(3 / np.sqrt(216)), np.sqrt(3 / np.sqrt(216)),
                               (4, 6, 9))),
]


@pytest.mark.parametrize("name, shape, ordering, draw", KERAS1,
                         ids=[f"{k[0]}-{k[2]}-{len(k[1])}d" for k in KERAS1])
def test_keras_1_functions_reproduce_keras_1_draws(name, shape, ordering, draw):
    fn = getattr(initializers, name)
    value = seeded(lambda: fn(shape, name="W", dim_ordering=ordering))
    assert value.dtype == np.float32 and value.shape == shape
    np.testing.assert_array_equal(value, seeded(draw).astype("float32"))


def test_get_binds_dim_ordering_and_keeps_the_name():
    init = initializers.get("glorot_uniform", dim_ordering="tf")
    assert init.__name__ == "glorot_uniform"
    value = seeded(lambda: init((5, 5, 3, 16)))
    np.testing.assert_array_equal(value, seeded(KERAS1[8][3]).astype("float32"))
    assert initializers.get("he_normal") is initializers.he_normal


def test_uniform_and_normal_take_a_scale():
    u = initializers.uniform((100, 100), scale=0.5)
    assert -0.5 <= u.min() and u.max() < 0.5 and u.max() > 0.45
    n = initializers.normal((200, 100), 0.2)
    assert abs(n.std() - 0.2) < 0.01


@pytest.mark.parametrize("shape", [(4, 6), (6, 4), (3, 2, 5)])
def test_keras_1_orthogonal_is_orthonormal_times_1_1(shape):
    q = initializers.orthogonal(shape).reshape(shape[0], -1) / 1.1
    if q.shape[0] <= q.shape[1]:
        np.testing.assert_allclose(q @ q.T, np.eye(q.shape[0]), atol=1e-5)
    else:
        np.testing.assert_allclose(q.T @ q, np.eye(q.shape[1]), atol=1e-5)


def test_keras_2_orthogonal_flattens_all_but_the_last_axis():
    q = initializers.Orthogonal(gain=2.0, seed=1)((3, 3, 2, 4)).reshape(-1, 4) / 2.0
    np.testing.assert_allclose(q.T @ q, np.eye(4), atol=1e-5)
    with pytest.raises(ValueError, match="at least 2 dims"):
        initializers.Orthogonal()((5,))


def test_identity_zero_one():
    np.testing.assert_array_equal(initializers.identity((3, 3), scale=2), 2 * np.eye(3))
    np.testing.assert_array_equal(initializers.Identity(gain=0.5)((2, 2)), 0.5 * np.eye(2))
    with pytest.raises(ValueError, match="2D square matrices, got shape \\(2, 3\\)"):
        initializers.identity((2, 3))
    np.testing.assert_array_equal(initializers.zero((2, 2)), np.zeros((2, 2)))
    np.testing.assert_array_equal(initializers.one((2,)), np.ones(2))


def test_keras_2_constant_classes():
    assert initializers.Zeros()((2, 3)).sum() == 0
    assert initializers.Ones()((2, 3), dtype="float64").dtype == np.float64
    np.testing.assert_array_equal(initializers.Constant(0.7)((2,)), np.float32([0.7, 0.7]))


def test_random_classes_have_their_statistics():
    n = initializers.RandomNormal(1.0, 0.5, seed=1)((300, 100))
    assert abs(n.mean() - 1.0) < 0.01 and abs(n.std() - 0.5) < 0.01
    u = initializers.RandomUniform(-1.0, 3.0, seed=1)((300, 100))
    assert u.min() >= -1.0 and u.max() < 3.0 and abs(u.mean() - 1.0) < 0.02
    t = initializers.TruncatedNormal(0.0, 2.0, seed=1)((300, 100))
    assert np.abs(t).max() <= 4.0 and abs(t.std() - 2.0 * 0.8796) < 0.02


@pytest.mark.parametrize("mode, n", [("fan_in", 30), ("fan_out", 50), ("fan_avg", 40)])
def test_variance_scaling_uniform_limit_and_normal_variance(mode, n):
    scale = 2.0
    u = initializers.VarianceScaling(scale, mode, "uniform", seed=2)((30, 50))
    limit = np.sqrt(3 * scale / n)
    assert u.min() >= -limit and u.max() <= limit and u.max() > 0.95 * limit
    big = (3000, 50) if mode == "fan_out" else None
    shape = big or (30, 50)
    var = scale / {"fan_in": shape[0], "fan_out": shape[1],
                   "fan_avg": (shape[0] + shape[1]) / 2}[mode]
    normal = initializers.VarianceScaling(scale, mode, "normal", seed=2)(shape)
    # truncated at 2 std of the underlying normal, rescaled so the variance is exact
    assert np.abs(normal).max() <= 2 * np.sqrt(var) / 0.87962566103423978 + 1e-6
    assert abs(normal.var() / var - 1.0) < 0.1
    plain = initializers.VarianceScaling(scale, mode, "untruncated_normal", seed=2)(shape)
    assert abs(plain.var() / var - 1.0) < 0.1


def test_variance_scaling_fans_of_conv_kernels():
    vs = initializers.VarianceScaling(1.0, "fan_in")
    assert vs.variance((3, 8, 16)) == pytest.approx(1 / 24)  # conv1d (length, in, out)
    assert vs.variance((5, 5, 3, 16)) == pytest.approx(1 / 75)
    assert vs.variance((16, 3, 5, 5), dim_ordering="th") == pytest.approx(1 / 75)


def test_variance_scaling_rejects_bad_arguments():
    with pytest.raises(ValueError, match="`scale` must be a positive float"):
        initializers.VarianceScaling(0.0)
    with pytest.raises(ValueError, match="invalid `mode` 'fan_max'"):
        initializers.VarianceScaling(mode="fan_max")
    with pytest.raises(ValueError, match="invalid `distribution` 'cauchy'"):
        initializers.VarianceScaling(distribution="cauchy")


def test_keras_2_function_spellings_return_initializer_objects():
    g = initializers.glorot_uniform(seed=3)
    assert isinstance(g, initializers.VarianceScaling)
    assert g.get_config() == {"scale": 1.0, "mode": "fan_avg", "distribution": "uniform",
                              "seed": 3}
    assert initializers.he_normal().get_config()["scale"] == 2.0
    assert initializers.lecun_normal(5).get_config() == {
        "scale": 1.0, "mode": "fan_in", "distribution": "normal", "seed": 5}
    assert initializers.lecun_uniform().get_config()["distribution"] == "uniform"
    r = initializers.uniform(-0.1, 0.1)
    assert (r.minval, r.maxval) == (-0.1, 0.1)
    assert initializers.normal().get_config() == {"mean": 0.0, "stddev": 0.05, "seed": None}
    assert initializers.orthogonal().gain == 1.0
    assert isinstance(initializers.zero(), initializers.Zeros)
    assert isinstance(initializers.identity(), initializers.Identity)


def test_lecun_normal_with_a_shape():
    w = initializers.lecun_normal((400, 300), seed=1)
    assert abs(w.var() * 400 - 1.0) < 0.05


def test_seeds_reproduce_and_differ():
    a = initializers.glorot_normal(seed=7)((20, 30))
    np.testing.assert_array_equal(a, initializers.glorot_normal(seed=7)((20, 30)))
    assert not np.array_equal(a, initializers.glorot_normal(seed=8)((20, 30)))
    b = initializers.RandomUniform(seed=1)((4,))
    np.testing.assert_array_equal(b, initializers.RandomUniform(seed=1)((4,)))


def test_get_serialize_deserialize():
    assert initializers.get(None) is None
    assert isinstance(initializers.get("Zeros"), initializers.Zeros)
    assert isinstance(initializers.get("zeros"), initializers.Zeros)
    assert isinstance(initializers.get("truncated_normal"), initializers.TruncatedNormal)
    config = initializers.serialize(initializers.RandomUniform(-1, 1, seed=4))
    assert config == {"class_name": "RandomUniform",
                      "config": {"minval": -1, "maxval": 1, "seed": 4}}
    again = initializers.get(config)
    np.testing.assert_array_equal(again((3,)), initializers.RandomUniform(-1, 1, seed=4)((3,)))
    assert initializers.serialize(initializers.glorot_uniform) == "glorot_uniform"
    vs = initializers.deserialize({"class_name": "glorot_normal", "config": {}})
    assert isinstance(vs, initializers.VarianceScaling)
    with pytest.raises(ValueError, match="Invalid initialization: 'xavier'"):
        initializers.get("xavier")
    with pytest.raises(ValueError, match="Unknown initializer: Glorot"):
        initializers.deserialize({"class_name": "Glorot", "config": {}})


def test_callables_pass_through_and_results_become_variables():
    def my_init(shape, name=None, dim_ordering="th"):
        return initializers.normal(shape, scale=0.01, name=name)

    init = initializers.get(my_init)
    assert init is my_init
    v = K.variable(init((3, 2)), name="dense_W")
    assert K.int_shape(v) == (3, 2) and v.dtype == "float32"
