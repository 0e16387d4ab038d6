"""The C backend's Bernoulli kernel (dropout masks): the very numbers NumPy draws, call
after call, for float32 and float64 p, every output dtype, odd and even counts, a 32-bit
half kept by an earlier draw, and bit generators other than PCG64; draws it does not
cover stay on NumPy; errors name the op."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as sg
from symgraph.codegen.c_random import bernoulli_p
from tests.helpers import needs_cc

pytestmark = needs_cc


def _bernoulli(seed: int, size, p, dtype: str, backend: str):
    stream = sg.RandomStream(seed)
    n = sg.iscalar("n")
    draw = stream.binomial(size=size(n) if callable(size) else size, n=1, p=p, dtype=dtype)
    f = sg.function([n], draw, backend=backend, on_unused_input="ignore")
    return f, stream.generators[0]


def _expected(gen: np.random.Generator, shape, p, p_dtype: str, dtype: str) -> np.ndarray:
    """What a Bernoulli draw is, computed with NumPy alone from a copy of the generator."""
    u = gen.random(shape, dtype=np.dtype(p_dtype))
    return (u < np.asarray(p, dtype=p_dtype)).astype(dtype)


@pytest.mark.parametrize("p_dtype", ["float32", "float64"])
@pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "int8", "bool"])
def test_draws_are_numpys_call_after_call(p_dtype, dtype):
    p = np.asarray(0.3, dtype=p_dtype)
    size = (lambda n: (n, 7))
    f, rng_var = _bernoulli(5, size, p, dtype, "c")
    assert "random_binomial" in f.source and "sg_bitgen" in f.source  # the C kernel ran
    ref = np.random.Generator(np.random.PCG64())
    ref.bit_generator.state = rng_var.get_value().bit_generator.state
    for n in (3, 4, 1, 0, 6, 5, 601, 600):  # odd counts keep a 32-bit half for the next call
        got = f(n)
        want = _expected(ref, (n, 7), p, p_dtype, dtype)
        assert got.dtype == want.dtype and got.shape == (n, 7)
        np.testing.assert_array_equal(got, want, err_msg=f"n={n}")
    assert rng_var.get_value().bit_generator.state == ref.bit_generator.state


@pytest.mark.parametrize("shape", [(9,), (4, 5), (2, 3, 5), (0, 3)])
def test_backends_agree_on_every_shape(shape):
    fc, _ = _bernoulli(11, shape, 0.7, "float32", "c")
    fn, _ = _bernoulli(11, shape, 0.7, "float32", "numpy")
    for _ in range(3):
        a, b = fc(0), fn(0)
        assert a.shape == shape
        np.testing.assert_array_equal(a, b)


def test_a_half_kept_by_an_earlier_numpy_draw_is_used_first():
    f, rng_var = _bernoulli(2, (5, 3), np.float32(0.5), "float32", "c")
    gen = rng_var.get_value()
    gen.random(1, dtype=np.float32)  # leaves the high half of a 64-bit draw kept
    assert gen.bit_generator.state["has_uint32"] == 1
    rng_var.set_value(gen)
    ref = np.random.Generator(np.random.PCG64())
    ref.bit_generator.state = gen.bit_generator.state
    np.testing.assert_array_equal(f(0), _expected(ref, (5, 3), 0.5, "float32", "float32"))
    assert rng_var.get_value().bit_generator.state == ref.bit_generator.state


@pytest.mark.parametrize("bitgen", [np.random.MT19937, np.random.Philox, np.random.SFC64])
def test_other_bit_generators_draw_as_numpy(bitgen):
    f, rng_var = _bernoulli(0, (7, 5), np.float32(0.4), "float32", "c")
    rng_var.set_value(np.random.Generator(bitgen(123)))
    ref = np.random.Generator(bitgen(123))
    for _ in range(3):
        np.testing.assert_array_equal(f(0), _expected(ref, (7, 5), 0.4, "float32", "float32"))


def test_a_symbolic_p_is_read_at_call_time():
    stream = sg.RandomStream(3)
    p = sg.fscalar("p")
    f = sg.function([p], stream.binomial(size=(40,), n=1, p=p, dtype="float32"), backend="c")
    ref = np.random.Generator(np.random.PCG64())
    ref.bit_generator.state = stream.generators[0].get_value().bit_generator.state
    for pv in (0.0, 0.25, 1.0):
        np.testing.assert_array_equal(f(pv), _expected(ref, (40,), pv, "float32", "float32"))


def test_only_bernoulli_draws_with_one_p_run_in_c():
    stream = sg.RandomStream(0)
    mask = stream.binomial(size=(4,), n=1, p=0.5, dtype="float32")
    counts = stream.binomial(size=(4,), n=3, p=0.5)
    per_row = stream.binomial(size=(2, 3), n=1, p=np.full(3, 0.5, "float32"), dtype="float32")
    assert bernoulli_p(mask.owner) is not None
    assert bernoulli_p(counts.owner) is None and bernoulli_p(per_row.owner) is None
    f = sg.function([], [mask, counts, per_row], backend="c")
    driver = f.source.split("# Python driver")[1]
    assert driver.count(".binomial(") == 1 and driver.count(".random(") == 1  # NumPy's
    a, b, c = f()
    assert set(np.unique(a)) <= {0, 1} and b.max() <= 3 and c.shape == (2, 3)


def test_errors_name_the_op():
    f, rng_var = _bernoulli(0, lambda n: (n,), np.float32(0.5), "float32", "c")
    with pytest.raises(ValueError, match="random_binomial.*negative dimensions"):
        f(-1)
    rng_var.container.value = "not a generator"  # past set_value's check, as a bug would
    with pytest.raises(TypeError, match="random_binomial.*numpy.random.Generator, got str"):
        f(2)
