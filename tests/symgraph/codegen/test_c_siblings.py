"""Elementwise nodes computed in their consumer's C kernel (codegen/c_siblings.py): Adam's
moments and weight in one loop give the NumPy backend's values call after call, on
contiguous and strided (transposed) gradients, float32 and float64; producers with another
use, another shape or no output stay separate kernels. And the update buffers' spares
taken in C (c_backend.render_take_spare)."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph as sg
from tests.helpers import needs_cc

pytestmark = needs_cc


def _adam(dtype: str, shape: tuple[int, int], transposed: bool, backend: str):
    """An Adam step on one weight (Keras's formulas) as a compiled function of the
    gradient; its shared variables (weight, m, v) start from the same values."""
    rng = np.random.default_rng(0)
    w = sg.shared(rng.standard_normal(shape).astype(dtype), name="w")
    m = sg.shared(np.zeros(shape, dtype), name="m")
    v = sg.shared(np.zeros(shape, dtype), name="v")
    g_in = sg.tensor("g", dtype=dtype, shape=shape[::-1] if transposed else shape)
    g = g_in.T if transposed else g_in
    lr = np.asarray(0.01, dtype)
    m_t = 0.9 * m + (1 - 0.9) * g
    v_t = 0.999 * v + (1 - 0.999) * sg.square(g)
    w_t = w - lr * m_t / (sg.sqrt(v_t) + 1e-7)
    f = sg.function([g_in], sg.sum(w_t), updates=[(m, m_t), (v, v_t), (w, w_t)],
                    backend=backend)
    return f, (w, m, v)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("transposed", [False, True])
def test_adam_in_one_kernel_matches_numpy(dtype, transposed):
    fc, c_vars = _adam(dtype, (33, 17), transposed, "c")
    fn, n_vars = _adam(dtype, (33, 17), transposed, "numpy")
    assert "_sg_multi" in fc.source  # one kernel computes m', v' and the weight
    rng = np.random.default_rng(1)
    # C may contract a * b + c into one rounding (FMA): near-zero moments differ by
    # an ulp of their terms, hence the absolute tolerance
    rtol, atol = (1e-5, 1e-7) if dtype == "float32" else (1e-12, 1e-15)
    for _ in range(4):
        g = rng.standard_normal((17, 33) if transposed else (33, 17)).astype(dtype)
        np.testing.assert_allclose(fc(g), fn(g), rtol=rtol)
        for a, b in zip(c_vars, n_vars, strict=True):
            np.testing.assert_allclose(a.get_value(), b.get_value(), rtol=rtol, atol=atol)


def _two_updates(backend: str, other_use: bool):
    """tanh(a' + b') * x with updates a' = exp(a) * x, b' = 2b + 1 (a (3,) vector); with
    `other_use`, a' also feeds a max, else it is also returned."""
    x = sg.fmatrix("x")
    a = sg.shared(np.ones((4, 3), "float32"), name="a")
    b = sg.shared(np.ones(3, "float32"), name="b")
    a_t = sg.exp(a) * x
    b_t = b * 2 + 1
    outs = [sg.tanh(a_t + b_t) * x, sg.max(a_t) if other_use else a_t]
    return sg.function([x], outs, updates=[(b, b_t), (a, a_t)], backend=backend), a


@pytest.mark.parametrize("other_use", [True, False])
def test_which_producers_join_and_their_values(other_use):
    """b' has another shape than the kernel using it, and with other_use a' has a use
    besides the kernel: they stay apart. Otherwise a' joins, and the output returned for
    it is an array of its own, never the shared variable's new storage."""
    f, a = _two_updates("c", other_use)
    ref, a_ref = _two_updates("numpy", other_use)
    assert ("_sg_multi" in f.source) is not other_use
    assert f.source.count(":= _sg_multi[") == (0 if other_use else 1)
    xv = np.arange(12, dtype="float32").reshape(4, 3) / 24
    for _ in range(3):  # exp of exp: SIMD exp's ulps grow, hence 1e-5
        got, want = f(xv), ref(xv)
        for g, w in zip(got, want, strict=True):
            np.testing.assert_allclose(g, w, rtol=1e-5)
        assert not np.shares_memory(got[1], a.get_value(borrow=True))
        np.testing.assert_allclose(a.get_value(), a_ref.get_value(), rtol=1e-5)


def test_a_producer_without_an_output_use_is_fused_by_fusion_instead():
    x = sg.fmatrix("x")
    s = sg.shared(np.zeros((2, 2), "float32"), name="s")
    s_t = s + x * 3
    f = sg.function([x], [], updates=[(s, s_t * s_t + 1)], backend="c")
    assert "_sg_multi" not in f.source  # one fused kernel already
    f(np.ones((2, 2), "float32"))
    np.testing.assert_allclose(s.get_value(), np.full((2, 2), 10.0))


def test_update_buffers_taken_in_c_reuse_only_private_arrays():
    """The C backend's take_spare: in steady state the two buffers alternate; an old
    value a caller still holds is never written; a spare of another shape is replaced
    (the Python take_spare's cases, through its fallback)."""
    w = sg.shared(np.zeros((2, 3)), name="w", shape=(None, 3))
    f = sg.function([], [], updates={w: w * 2.0 + 1.0}, backend="c")
    assert "update_buffer" in f.source and "take_spare" in f.source.split("# Python")[0]
    f()
    f()
    ids = {id(w.get_value(borrow=True))}
    f()
    ids.add(id(w.get_value(borrow=True)))
    f()
    assert id(w.get_value(borrow=True)) in ids and len(ids) == 2  # two buffers alternate
    held = w.get_value(borrow=True)
    kept = held.copy()
    f()
    f()  # the spare is `held`, which the caller holds: a new array, `held` untouched
    np.testing.assert_array_equal(held, kept)
    np.testing.assert_array_equal(w.get_value(), (kept * 2 + 1) * 2 + 1)
    w.set_value(np.ones((4, 3)))
    f()
    f()
    np.testing.assert_array_equal(w.get_value(), np.full((4, 3), 7.0))
