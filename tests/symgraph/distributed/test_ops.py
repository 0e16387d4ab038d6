"""The AllReduce op and allreduce_packed: on one process (values pass through, gradients,
errors, what the rewrites may not do) and in MPI jobs of 2 and 4 ranks (values against
NumPy on every rank's inputs, gradients against finite differences of the job's cost)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import symgraph as sg
from symgraph.distributed import AllReduce, AllReducePacked, allreduce, allreduce_packed
from tests.mpi_helpers import check, needs_mpi, run_mpi
from tests.symgraph.distributed import mpi_worker as worker

WORKER = Path(worker.__file__)

# ---------------------------------------------------------------- one process


@pytest.mark.parametrize("op", ["sum", "mean", "max", "min"])
def test_one_process_gets_its_input_back(op):
    x = sg.dmatrix("x")
    value = np.arange(6.0).reshape(2, 3)
    out = sg.function([x], allreduce(x, op))(value)
    np.testing.assert_array_equal(out, value)


def test_the_gradient_of_sum_and_mean_is_checked_by_finite_differences():
    for op in ("sum", "mean"):
        sg.verify_grad(lambda x, op=op: sg.sin(allreduce(x * 3, op)) ** 2,
                       [np.array([0.3, -1.2, 2.0])])


def test_max_and_min_have_no_gradient():
    x = sg.dvector("x")
    with pytest.raises(NotImplementedError, match=r"allreduce\{op='max'\}.*no gradient"):
        sg.grad(allreduce(x, "max").sum(), x)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="op must be one of 'sum', 'mean', 'max', 'min'"):
        allreduce(sg.dvector("x"), "prod")
    with pytest.raises(TypeError, match=r"op='mean'.*needs a float tensor, got i32\[\?\]"):
        allreduce(sg.ivector("i"), "mean")
    with pytest.raises(TypeError, match="cannot reduce a bool tensor"):
        allreduce(sg.dvector("x") > 0, "sum")


def test_it_is_never_folded_nor_merged():
    # Every call of a function must run each collective once on every rank.
    x = sg.dvector("x")
    f = sg.function([x], [allreduce(x, "sum") + allreduce(x, "sum"),
                          allreduce(sg.constant(np.ones(3)), "sum")])
    nodes = [n for n in f.graph.apply_nodes if isinstance(n.op, AllReduce)]
    assert len(nodes) == 3
    np.testing.assert_array_equal(f(np.array([1.0, 2.0, 3.0]))[0], [2.0, 4.0, 6.0])


def test_it_round_trips_through_json():
    x = sg.dvector("x")
    y = allreduce(x * 2, "mean", name="grads")
    (z,) = sg.from_json(sg.to_json([y]))
    assert z.owner.op == AllReduce("mean", "grads")
    assert str(z.owner.op) == "allreduce{op=mean, label=grads}"


@pytest.mark.parametrize("static", [True, False])
def test_packed_tensors_come_back_in_their_shapes_and_dtypes(static):
    values = [np.arange(6, dtype="float32").reshape(2, 3), np.float64(2.5),
              np.arange(4, dtype="float32").reshape(1, 2, 2)]
    xs = [sg.tensor(f"x{i}", dtype=v.dtype.name, shape=v.shape if static else
                    (None,) * v.ndim) for i, v in enumerate(values)]
    for kwargs in ({"op": "sum"}, {"op": "mean", "weight": 3.0, "dtype": "float64"}):
        f = sg.function(xs, allreduce_packed(xs, **kwargs))
        outs = f(*values)
        for out, value in zip(outs, values, strict=True):
            assert out.dtype == value.dtype and out.shape == np.shape(value)
            np.testing.assert_array_equal(out, value)
        assert sum(isinstance(n.op, AllReducePacked) for n in f.graph.apply_nodes) == 1


def test_the_packed_gradients_are_checked_by_finite_differences():
    point = [np.array([0.3, -1.2, 2.0]), np.array([[0.5, 1.5]]), np.array(1.7)]

    def plain(a, b):
        y, z = allreduce_packed([a * a, b], op="mean")
        return sg.concatenate([sg.sin(y), z.flatten() ** 3])

    def weighted(a, b, w):
        y, z = allreduce_packed([a * a, b], weight=w * w, dtype="float64")
        return sg.concatenate([sg.sin(y), z.flatten() ** 3])

    sg.verify_grad(plain, point[:2])
    sg.verify_grad(weighted, point)


def test_packing_arguments_are_checked():
    x = sg.dvector("x")
    assert allreduce_packed([]) == []
    with pytest.raises(ValueError, match="op must be 'sum' or 'mean'"):
        allreduce_packed([x], op="max")
    with pytest.raises(ValueError, match="a weight makes a weighted mean"):
        allreduce_packed([x], op="sum", weight=2.0)
    with pytest.raises(ValueError, match="the weight must be a scalar"):
        allreduce_packed([x], weight=sg.dvector("w"))
    with pytest.raises(TypeError, match="cannot reduce a bool"):
        allreduce_packed([x > 0])


# ---------------------------------------------------------------- MPI jobs


def results(folder: Path, n: int) -> list[dict[str, np.ndarray]]:
    out = []
    for rank in range(n):
        with np.load(folder / f"result{rank}.npz") as f:
            out.append(dict(f))
    return out


@needs_mpi
@pytest.mark.parametrize("n", [2, 4])
def test_every_rank_gets_the_reduction_of_all_inputs(n, tmp_path):
    check(run_mpi(n, WORKER, "values", str(tmp_path)))
    data = [worker.inputs(r) for r in range(n)]
    xs = np.stack([d["x"] for d in data])
    weights = np.array([d["weight"] for d in data])
    expected = {
        "x_sum": xs.sum(0), "x_mean": xs.mean(0), "x_max": xs.max(0), "x_min": xs.min(0),
        "i_sum": np.sum([d["i"] for d in data], axis=0, dtype="int32"),
        "packed_a": np.einsum("r,rij->ij", weights, np.stack([d["a"] for d in data]))
        / weights.sum(),
        "packed_b": np.einsum("r,ri->i", weights, np.stack([d["b"] for d in data]))
        / weights.sum(),
        "sum_a": np.sum([d["a"] for d in data], axis=0),
        "sum_b": np.sum([d["b"] for d in data], axis=0)}
    for rank, result in enumerate(results(tmp_path, n)):
        for key, value in expected.items():
            assert result[key].dtype == np.asarray(value).dtype or key.startswith("packed")
            np.testing.assert_allclose(result[key], value, rtol=1e-6,
                                       err_msg=f"rank {rank} {key}")


@needs_mpi
def test_the_gradient_is_that_of_the_sum_of_every_ranks_cost(tmp_path):
    check(run_mpi(2, WORKER, "grad", str(tmp_path)))
    for rank, result in enumerate(results(tmp_path, 2)):
        for op in ("sum", "mean", "packed"):
            np.testing.assert_allclose(result[f"{op}_symbolic"], result[f"{op}_numeric"],
                                       rtol=1e-5, atol=1e-7, err_msg=f"rank {rank} {op}")


@needs_mpi
def test_ranks_that_reduce_different_sizes_stop_with_a_clear_error(tmp_path):
    result = run_mpi(2, WORKER, "disagree", str(tmp_path), timeout=120)
    assert result.returncode != 0
    assert "the ranks disagree on the allreduce this rank calls 'uneven'" in result.stderr
    assert "3 to 4 elements" in result.stderr
