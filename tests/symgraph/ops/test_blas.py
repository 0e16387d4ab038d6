"""Gemm: beta * z + alpha * dot(x, y) through BLAS, with and without overwriting z."""

import numpy as np
import pytest

import symgraph as sg
from symgraph.ops import blas
from symgraph.ops.blas import Gemm, gemm, gemm_blas, gemm_numpy

RNG = np.random.default_rng(0)


def reference(z, alpha, x, y, beta):
    return beta * z + alpha * (x @ y)


@pytest.mark.parametrize("impl", [gemm_blas, gemm_numpy])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("order", ["C", "F"])
@pytest.mark.parametrize("xt, yt", [(False, False), (True, False), (False, True)])
def test_gemm_layouts(impl, dtype, order, xt, yt):
    x = RNG.random((3, 4)).astype(dtype)
    y = RNG.random((4, 5)).astype(dtype)
    x = np.asfortranarray(x) if xt else x  # column-major operands take BLAS's trans flags
    y = y.T.copy().T if yt else y
    z = np.asarray(RNG.random((3, 5)), dtype=dtype, order=order)
    want = reference(z, 0.5, x, y, 2.0)
    got = impl(z.copy(order="A"), 0.5, x, y, 2.0)
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=1e-5)
    zz = z.copy(order="A")
    out = impl(zz, 0.5, x, y, 2.0, overwrite=True)
    assert out is zz
    np.testing.assert_allclose(zz, want, rtol=1e-5)


@pytest.mark.parametrize("impl", [gemm_blas, gemm_numpy])
def test_gemm_without_overwrite_leaves_z(impl):
    z = np.ones((2, 2))
    out = impl(z, 1.0, np.eye(2), np.eye(2), 1.0)
    assert out is not z and np.array_equal(z, np.ones((2, 2)))
    np.testing.assert_array_equal(out, np.ones((2, 2)) + np.eye(2))


def test_blas_gemm_on_a_non_contiguous_z_copies_it():
    big = RNG.random((6, 6))
    z = big[::2, ::2]  # not contiguous: BLAS cannot write into it
    before = big.copy()
    want = z + big[:3, :2] @ big[:2, :3]
    np.testing.assert_allclose(gemm_blas(z, 1.0, big[:3, :2], big[:2, :3], 1.0,
                                         overwrite=True), want)
    np.testing.assert_array_equal(big, before)


def test_gemm_picks_scipy_blas_only_when_it_shares_numpys_or_runs_one_thread(monkeypatch):
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "1")
    assert blas.scipy_blas_is_safe()
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(blas, "_blas_info", lambda module: ("openblas", "/lib", "0.3"))
    assert blas.scipy_blas_is_safe()
    monkeypatch.setattr(blas, "_blas_info", lambda module: ("openblas", id(module), "0.3"))
    assert not blas.scipy_blas_is_safe()  # two libraries, two thread pools


@pytest.mark.parametrize("answer", [True, False])
def test_the_blas_decision_is_remembered_per_installation(tmp_path, monkeypatch, answer):
    from symgraph import cache
    monkeypatch.setenv("SYMGRAPH_CACHE_DIR", str(tmp_path))
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        monkeypatch.delenv(var, raising=False)
    asked = []
    monkeypatch.setattr(blas, "scipy_blas_is_safe", lambda: asked.append(1) or answer)
    assert blas.gemm_blas_decision() is answer and len(asked) == 1
    assert blas.gemm_blas_decision() is answer and len(asked) == 1  # from the cache
    key = blas._installation_key()
    cache.discard("blas", key)
    cache.write_bytes("blas", key, b"yes")  # not an answer: asked again
    assert blas.gemm_blas_decision() is answer and len(asked) == 2
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # one thread: safe without asking
    assert blas.gemm_blas_decision() is True and len(asked) == 2


@pytest.mark.parametrize("use_scipy", [True, False])
def test_gemm_dispatch(monkeypatch, use_scipy):
    monkeypatch.setattr(blas, "USE_SCIPY_GEMM", use_scipy)
    z = np.ones((2, 2))
    np.testing.assert_array_equal(gemm(z, 2.0, np.eye(2), np.eye(2), 1.0),
                                  np.ones((2, 2)) + 2 * np.eye(2))


@pytest.mark.parametrize("impl", [gemm_blas, gemm_numpy])
def test_gemm_of_an_empty_product(impl):
    np.testing.assert_array_equal(impl(np.ones((2, 3)), 1.0, np.ones((2, 0)), np.ones((0, 3)),
                                       3.0), np.full((2, 3), 3.0))


def test_gemm_with_a_z_that_broadcasts():
    np.testing.assert_allclose(gemm(np.ones((1, 3)), 2.0, np.eye(2), np.ones((2, 3)), 1.0),
                               np.full((2, 3), 3.0))


def test_gemm_op_values_and_types():
    z, x, y = sg.dmatrix("z"), sg.dmatrix("x"), sg.dmatrix("y")
    a = sg.dscalar("a")
    out = Gemm()(z, a, x, y, 1.0)
    assert out.type == sg.dmatrix().type and str(out.owner.op) == "gemm"
    f = sg.function([z, a, x, y], out, rewrites="none")
    args = RNG.random((2, 3)), 0.3, RNG.random((2, 4)), RNG.random((4, 3))
    np.testing.assert_allclose(f(*args), reference(args[0], 0.3, args[2], args[3], 1.0))
    assert Gemm(inplace=True).destroy_map == {0: 0} and Gemm().destroy_map == {}


def test_gemm_op_rejects_bad_inputs():
    z, x = sg.dmatrix("z"), sg.dmatrix("x")
    with pytest.raises(TypeError, match="gemm: z, x and y need one dtype"):
        Gemm()(z, 1.0, x, sg.fmatrix("y"), 1.0)
    with pytest.raises(TypeError, match="must be matrices"):
        Gemm()(z, 1.0, x, sg.dvector("y"), 1.0)
    with pytest.raises(ValueError, match="shapes do not line up"):
        Gemm()(z, 1.0, sg.tensor("x", "float64", (2, 3)), sg.tensor("y", "float64", (4, 2)),
               1.0)
    with pytest.raises(TypeError, match="alpha and beta must be numeric scalars"):
        Gemm()(z, sg.dvector("a"), x, x, 1.0)


def test_gemm_op_gradient():
    sg.verify_grad(lambda z, a, x, y, b: Gemm()(z, a, x, y, b),
                   [RNG.random((2, 3)), np.array(0.7), RNG.random((2, 4)), RNG.random((4, 3)),
                    np.array(1.3)])


@pytest.mark.parametrize("z_shape", [(1, 3), (2, 1), (1, 1)])
def test_gemm_op_gradient_when_z_broadcasts(z_shape):
    # z of unknown static shape may be broadcast against x @ y at run time; its gradient
    # came back in the product's shape, (2, 3), instead of z's.
    sg.verify_grad(lambda z, a, x, y, b: Gemm()(z, a, x, y, b),
                   [RNG.random(z_shape), np.array(0.7), RNG.random((2, 4)),
                    RNG.random((4, 3)), np.array(1.3)])
