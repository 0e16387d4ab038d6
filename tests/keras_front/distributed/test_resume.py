"""A checkpoint written by rank 0 of a 2-rank job resumes on 4 ranks and on one process
(keras_front.distributed.load_model), as one process resumes it with plain keras_front."""

from __future__ import annotations

import pytest

from keras_front import backend as K
from keras_front.saving import load_model
from tests.keras_front.distributed import mpi_worker as worker
from tests.keras_front.distributed.conftest import GLOBAL_BATCH, WORKER, assert_every_rank_has
from tests.mpi_helpers import check, needs_mpi, run_mpi, run_plain


@needs_mpi
@pytest.mark.parametrize("n", [1, 4])
def test_a_rank_0_checkpoint_resumes_on_any_number_of_ranks(n, fit_job, tmp_path):
    checkpoint = fit_job(2) / "rank0" / f"ckpt.{worker.EPOCHS - 1:02d}.h5"  # 0-based
    args = ("resume", str(tmp_path), str(GLOBAL_BATCH // n), str(checkpoint))
    check(run_mpi(n, WORKER, *args) if n > 1 else run_plain(WORKER, *args))
    K.clear_session()
    x, y = worker.data()
    model = load_model(str(checkpoint))
    model.fit(x, y, batch_size=GLOBAL_BATCH, nb_epoch=worker.EPOCHS + 1,
              initial_epoch=worker.EPOCHS, verbose=0,
              validation_split=worker.VALIDATION_SPLIT, shuffle=False)
    assert_every_rank_has(tmp_path, n, "w", model.get_weights())
