"""DistributedOptimizer: one process (the optimizer itself; the distributed twin's packing
checked against plain training) and MPI jobs of 2 and 4 ranks whose weights must equal one
process training on the same global batches."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph.distributed as sgd
from keras_front import backend as K
from keras_front import optimizers
from keras_front.distributed import DistributedOptimizer, distributed_class
from keras_front.distributed.optimizer import distributed_custom_objects
from tests.keras_front.distributed import mpi_worker as worker
from tests.keras_front.distributed.conftest import assert_every_rank_has, load
from tests.mpi_helpers import needs_mpi

# ---------------------------------------------------------------- one process


def test_on_one_process_it_returns_the_optimizer_itself():
    sgd_opt = optimizers.SGD(lr=0.1)
    assert DistributedOptimizer(sgd_opt) is sgd_opt
    assert isinstance(DistributedOptimizer("adam"), optimizers.Adam)


def test_average_dtype_is_checked():
    with pytest.raises(ValueError, match="average_dtype must be one of"):
        DistributedOptimizer(optimizers.SGD(), average_dtype="float16")


def test_the_twin_class_keeps_name_config_and_type():
    twin = distributed_class(optimizers.Adam)
    assert twin.__name__ == "Adam" and issubclass(twin, optimizers.Adam)
    assert distributed_class(twin) is twin
    opt = twin.from_config(optimizers.Adam(lr=0.003, beta_1=0.8).get_config())
    assert opt.get_config() == optimizers.Adam(lr=0.003, beta_1=0.8).get_config()
    assert opt.average_dtype == "float64" and opt.data_plan is not None
    with pytest.raises(TypeError, match="wraps keras_front optimizers"):
        distributed_class(dict)


def test_custom_objects_map_every_optimizer_class_to_its_twin():
    class MyOpt(optimizers.SGD):
        pass

    objects = distributed_custom_objects({"MyOpt": MyOpt, "f": len})
    assert objects["f"] is len
    assert objects["MyOpt"] is distributed_class(MyOpt)
    assert objects["Nadam"] is distributed_class(optimizers.Nadam)


def _allreduce_nodes(model):
    graph = model.train_function.function.graph
    return [n for n in graph.apply_nodes
            if isinstance(n.op, (sgd.AllReduce, sgd.AllReducePacked))]


@pytest.mark.parametrize("make,exact", [
    (lambda cls: cls(lr=0.1, momentum=0.9, nesterov=True, clipnorm=0.3), False),
    (lambda cls: cls(lr=0.05, clipvalue=0.01), True),
], ids=["clipnorm", "clipvalue"])
def test_one_packed_allreduce_and_the_same_steps_as_the_plain_optimizer(make, exact):
    # On one process the collective is a no-op, so the twin's train function (gradients
    # packed in float64, averaged with weight 1, unpacked, then clipped) takes the plain
    # optimizer's steps: bit for bit with clipvalue; with clipnorm up to float32 rounding,
    # since the plain graph folds the clipping scale into its gemm updates (the packed
    # gradients are materialized first).
    x, y = worker.data()
    K.clear_session()
    plain = worker.build(3, make(optimizers.SGD))
    twin = worker.build(3, make(distributed_class(optimizers.SGD)))
    for model in (plain, twin):
        model.fit(x, y, batch_size=10, nb_epoch=2, shuffle=False, verbose=0)
    nodes = _allreduce_nodes(twin)
    assert len(nodes) == 1 and nodes[0].op == sgd.AllReducePacked(
        len(plain.get_weights()), "mean", "float64", True, "gradients")
    assert nodes[0].inputs[-1].dtype == "float64"                 # the rank's weight
    for a, b in zip(plain.get_weights(), twin.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=0 if exact else 1e-6, atol=0 if exact else 1e-7)


def test_a_custom_get_gradients_is_averaged_after_it_runs():
    class Halving(optimizers.SGD):
        def get_gradients(self, loss, params):
            return [g * 0.5 for g in super().get_gradients(loss, params)]

    x, y = worker.data()
    K.clear_session()
    plain = worker.build(4, optimizers.SGD(lr=0.05))
    halved = worker.build(4, distributed_class(Halving)(lr=0.1))
    for model in (plain, halved):
        model.fit(x, y, batch_size=42, nb_epoch=1, shuffle=False, verbose=0)
    assert len(_allreduce_nodes(halved)) == 1
    for a, b in zip(plain.get_weights(), halved.get_weights(), strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)


# ---------------------------------------------------------------- MPI jobs


@needs_mpi
@pytest.mark.parametrize("n", [2, 4])
def test_every_rank_ends_with_the_weights_of_one_process_on_the_global_batch(
        n, fit_job, reference):
    folder = fit_job(n)
    results = [load(folder, r) for r in range(n)]
    assert all(int(r["size"]) == n for r in results)
    n_weights = len(reference["weights"])
    for rank, result in enumerate(results):
        for i in range(n_weights):
            # identical on every rank, bit for bit
            np.testing.assert_array_equal(result[f"w{i}"], results[0][f"w{i}"],
                                          err_msg=f"rank {rank} weight {i}")
            np.testing.assert_allclose(result[f"w{i}"], reference["weights"][i], rtol=0,
                                       atol=1e-6, err_msg=f"rank {rank} weight {i}")
        for i, state in enumerate(reference["optimizer"]):
            np.testing.assert_allclose(result[f"opt{i}"], state, rtol=1e-5, atol=1e-6)


@needs_mpi
@pytest.mark.parametrize("n", [2, 4])
def test_fit_generator_weighs_each_ranks_unequal_batches(n, fit_job, reference):
    # Each rank's generator yields its part (3+3+2+2 of 10 samples on 4 ranks) of the
    # global batches one process trains on.
    folder = fit_job(n)
    assert_every_rank_has(folder, n, "g", reference["gen_weights"])
    # MetricAverageCallback weighs each rank's epoch means by its samples; the
    # validation is split over the ranks and averaged by fit_generator.
    assert sorted(k[3:] for k in load(folder, 0) if k.startswith("gh_")) == \
        sorted(reference["gen_history"])
    assert_every_rank_has(folder, n, "gh_", reference["gen_history"], rtol=1e-6, atol=0)
