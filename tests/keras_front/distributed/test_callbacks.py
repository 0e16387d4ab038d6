"""BroadcastGlobalVariablesCallback, MetricAverageCallback and rank-0-only output, checked
in the MPI jobs of conftest.py against the single-process reference; and their
single-process behaviour (nothing changes)."""

from __future__ import annotations

import csv

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.distributed import (
    BroadcastGlobalVariablesCallback,
    MetricAverageCallback,
    broadcast_variables,
)
from keras_front.optimizers import SGD
from keras_front.saving import load_model
from tests.keras_front.distributed import mpi_worker as worker
from tests.keras_front.distributed.conftest import assert_every_rank_has, load
from tests.mpi_helpers import needs_mpi


@needs_mpi
@pytest.mark.parametrize("n", [2, 4])
def test_only_rank_0_prints_and_writes_files(n, fit_job):
    folder = fit_job(n)
    assert sorted(p.name for p in (folder / "rank0").iterdir()) == \
        ["ckpt.00.h5", "ckpt.01.h5", "log.csv"]  # {epoch} is 0-based (Keras 1.2.2)
    for rank in range(1, n):
        assert list((folder / f"rank{rank}").iterdir()) == [], f"rank {rank} wrote files"
        assert (folder / f"stdout{rank}.txt").read_text() == "", f"rank {rank} printed"
    progress = (folder / "stdout0.txt").read_text()
    assert "Epoch 1/2" in progress and "Epoch 2/2" in progress and "val_loss" in progress


@needs_mpi
@pytest.mark.parametrize("n", [2, 4])
def test_epoch_metrics_are_those_of_one_process_on_all_the_data(n, fit_job, reference):
    # MetricAverageCallback (training metrics, weighted by each rank's samples) and fit's
    # parallel validation: every rank's History equals the single-process one.
    folder = fit_job(n)
    assert sorted(k[2:] for k in load(folder, 0) if k.startswith("h_")) == \
        ["acc", "loss", "val_acc", "val_loss"]
    assert_every_rank_has(folder, n, "h_", reference["history"], rtol=1e-6, atol=0)


@needs_mpi
def test_rank_0s_csv_and_checkpoint_describe_the_job(fit_job, reference):
    folder = fit_job(2)
    with open(folder / "rank0" / "log.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["epoch"]) for r in rows] == [0, 1]
    for key, values in reference["history"].items():
        np.testing.assert_allclose([float(r[key]) for r in rows], values, rtol=1e-6)
    K.clear_session()
    restored = load_model(str(folder / "rank0" / "ckpt.01.h5"))  # the last epoch (0-based)
    for saved, final in zip(restored.get_weights(), reference["weights"], strict=True):
        np.testing.assert_allclose(saved, final, atol=1e-6)


def test_on_one_process_the_callbacks_change_nothing():
    K.clear_session()
    model = worker.build(1, SGD())
    before = model.get_weights()
    callback = BroadcastGlobalVariablesCallback(0)
    callback.set_model(model)
    callback.on_train_begin()
    broadcast_variables(model.weights)
    for a, b in zip(before, model.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    average = MetricAverageCallback()
    average.set_model(model)
    logs = {"loss": 0.25, "acc": np.float32(0.5), "note": "text"}
    average.on_epoch_begin(0)
    average.on_batch_end(0, {"size": 4})
    average.on_epoch_end(0, logs)
    assert logs == {"loss": 0.25, "acc": np.float32(0.5), "note": "text"}
