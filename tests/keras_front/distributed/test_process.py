"""Joining the job, and what a failing rank does to it: the same script on one process
trains as plain keras_front; under mpiexec a rank that raises, hangs or dies ends the job
with a non-zero exit and a message naming it, within a bounded time."""

from __future__ import annotations

import time

import numpy as np
import pytest

import keras_front.distributed as hvd
from keras_front import backend as K
from keras_front.callbacks.base import writes_output
from tests.keras_front.distributed.conftest import GLOBAL_BATCH, WORKER, load
from tests.mpi_helpers import check, needs_mpi, run_mpi, run_plain


def test_one_process_is_rank_0_of_1_and_writes():
    hvd.init()
    assert (hvd.rank(), hvd.size(), hvd.local_rank(), hvd.local_size()) == (0, 1, 0, 1)
    assert writes_output()


def test_one_process_reduces_and_broadcasts_to_itself():
    assert hvd.allreduce(3) == 3.0 and hvd.allreduce(np.float32(2), average=False) == 2.0
    np.testing.assert_array_equal(hvd.broadcast(np.arange(3)), [0, 1, 2])


@needs_mpi
@pytest.mark.parametrize("n", [2, 4])
def test_plain_values_are_reduced_and_broadcast_over_the_ranks(n, fit_job):
    folder = fit_job(n)
    for rank in range(n):
        result = load(folder, rank)
        assert result["mean_rank"] == (n - 1) / 2
        np.testing.assert_array_equal(result["sum_rank"], [n * (n - 1) / 2, n])
        np.testing.assert_array_equal(result["root_value"], [1, 2, 3])


def test_without_a_launcher_the_script_trains_as_plain_keras_front(tmp_path, reference):
    check(run_plain(WORKER, "fit", str(tmp_path), str(GLOBAL_BATCH)))
    result = load(tmp_path, 0)
    assert int(result["size"]) == 1
    for i, w in enumerate(reference["weights"]):
        np.testing.assert_array_equal(result[f"w{i}"], w)
    for key, values in reference["history"].items():
        np.testing.assert_array_equal(result[f"h_{key}"], values)
    assert sorted(p.name for p in (tmp_path / "rank0").iterdir()) == \
        ["ckpt.00.h5", "ckpt.01.h5", "log.csv"]  # {epoch} is 0-based (Keras 1.2.2)
    K.clear_session()


def ended(kind, tmp_path, **env) -> str:
    """Run the failing scenario on 2 ranks; check it ended non-zero within 30 s; stderr."""
    start = time.monotonic()
    result = run_mpi(2, WORKER, kind, str(tmp_path), "4", env=env, timeout=120)
    seconds = time.monotonic() - start
    assert result.returncode != 0
    assert seconds < 30, f"the job took {seconds:.0f} s to end"
    return result.stderr


@needs_mpi
def test_a_rank_that_raises_ends_the_job_with_its_error(tmp_path):
    stderr = ended("fail", tmp_path)
    assert "[rank 1/2]" in stderr
    assert "RuntimeError: rank 1 fails at batch 2" in stderr
    assert "aborting all 2 ranks" in stderr


@needs_mpi
def test_a_rank_that_stops_answering_times_the_others_out(tmp_path):
    stderr = ended("hang", tmp_path, SYMGRAPH_DISTRIBUTED_TIMEOUT="3")
    assert "[rank 0/2]" in stderr
    assert "waited 3 s for the other 1 rank(s) and timed out" in stderr
    assert "allreduce 'gradients'" in stderr


@needs_mpi
def test_a_rank_that_dies_ends_the_job(tmp_path):
    ended("kill", tmp_path)


@needs_mpi
def test_ranks_passing_different_data_to_fit_are_told_so(tmp_path):
    stderr = ended("uneven", tmp_path)
    assert "ValueError: fit with a DistributedOptimizer: every rank must pass the same " \
           "arrays" in stderr
    assert "the ranks range over 42..43 samples" in stderr
