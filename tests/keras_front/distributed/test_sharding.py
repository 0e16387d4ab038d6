"""ShardedPlan's cut of every global batch among the ranks, for many rank counts, checked
against the single-process batches (the plan's arithmetic runs without MPI: each rank's
view is taken by pretending to be that rank)."""

from __future__ import annotations

import numpy as np
import pytest

import symgraph.distributed as sgd
from keras_front import backend as K
from keras_front.distributed import ShardedPlan
from keras_front.distributed.sharding import weighted_average
from keras_front.engine.data_plan import LOCAL
from keras_front.engine.training_utils import make_batches


def plans(monkeypatch, n_ranks):
    """The plan as each of n_ranks ranks sees it."""
    weight = K.variable(1.0, dtype="float64")
    for rank in range(n_ranks):
        monkeypatch.setattr(sgd, "size", lambda: n_ranks)
        monkeypatch.setattr(sgd, "rank", lambda rank=rank: rank)
        yield rank, ShardedPlan(weight)


@pytest.mark.parametrize("n_ranks", [1, 2, 3, 4, 5])
@pytest.mark.parametrize("n_samples,batch_size", [(42, 8), (33, 4), (7, 2), (1, 3), (64, 16)])
def test_each_step_cuts_the_global_batch_into_disjoint_parts(monkeypatch, n_ranks,
                                                             n_samples, batch_size):
    global_batches = make_batches(n_samples, batch_size * n_ranks)
    steps = {rank: plan.batches(n_samples, batch_size)
             for rank, plan in plans(monkeypatch, n_ranks)}
    assert all(len(s) == len(global_batches) for s in steps.values())
    for j, (start, end) in enumerate(global_batches):
        counted = []
        for rank in range(n_ranks):
            first, last, size = steps[rank][j]
            if size == 0:          # a placeholder row of the global batch, weighing 0
                assert last - first == 1 and start <= first < end
            else:
                assert last - first == size <= batch_size
                counted.extend(range(first, last))
        assert counted == list(range(start, end))    # in order, disjoint, complete
        sizes = [steps[rank][j][2] for rank in range(n_ranks)]
        assert max(sizes) - min(sizes) <= 1              # as even as possible


@pytest.mark.parametrize("n_ranks", [1, 2, 3, 4])
@pytest.mark.parametrize("n_samples", [0, 1, 9, 10])
def test_validation_rows_are_consecutive_parts(monkeypatch, n_ranks, n_samples):
    parts = [plan.rows(n_samples) for _, plan in plans(monkeypatch, n_ranks)]
    assert parts[0][0] == 0 and parts[-1][1] == n_samples
    assert all(a[1] == b[0] for a, b in zip(parts, parts[1:], strict=False))
    assert max(e - s for s, e in parts) - min(e - s for s, e in parts) <= 1


def test_the_step_weight_follows_the_samples_counted(monkeypatch):
    weight = K.variable(1.0, dtype="float64")
    plan = ShardedPlan(weight)
    plan.before_batch(8)
    assert K.get_value(weight) == 8.0
    plan.before_batch(0)
    assert K.get_value(weight) == 0.0
    plan.end()
    assert K.get_value(weight) == 1.0


def test_on_one_process_rank_0_shuffles_as_the_local_plan_does():
    plan = ShardedPlan(K.variable(1.0, dtype="float64"))
    np.random.seed(3)
    mine, shuffled = plan.epoch_order(np.arange(20), True, 4)
    np.random.seed(3)
    local, _ = LOCAL.epoch_order(np.arange(20), True, 4)
    assert shuffled and np.array_equal(mine, local)
    assert plan.epoch_order(np.arange(5), False, 4)[1] is False
    assert weighted_average([2.0, 4.0], 3.0, "x") == [2.0, 4.0]
    assert plan.agree_to_stop(True) and not plan.agree_to_stop(False)
