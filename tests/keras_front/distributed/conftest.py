"""The MPI jobs several test modules check, each run once per session, and the single-
process reference they are compared with (plain keras_front, the same global batch)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from keras_front import backend as K
from tests.keras_front.distributed import mpi_worker as worker
from tests.mpi_helpers import check, run_mpi

WORKER = Path(worker.__file__)
GLOBAL_BATCH = 16


def load(folder: Path, rank: int) -> dict[str, np.ndarray]:
    with np.load(folder / f"result{rank}.npz") as f:
        return dict(f)


def assert_every_rank_has(folder: Path, n: int, prefix: str, expected: Any,
                          rtol: float = 0.0, atol: float = 1e-6) -> None:
    """Every rank saved `prefix<key>` close to expected[key] (a list: keys 0, 1, ...)."""
    pairs = list(expected.items() if isinstance(expected, dict) else enumerate(expected))
    for rank in range(n):
        result = load(folder, rank)
        assert int(result["size"]) == n
        for key, value in pairs:
            np.testing.assert_allclose(result[f"{prefix}{key}"], value, rtol=rtol, atol=atol,
                                       err_msg=f"rank {rank}: {prefix}{key}")


@pytest.fixture(scope="session")
def fit_job(tmp_path_factory):
    """Run the 'fit' scenario on n ranks (batch GLOBAL_BATCH / n each), once per n."""
    jobs: dict[int, Path] = {}

    def run(n: int) -> Path:
        if n not in jobs:
            folder = tmp_path_factory.mktemp(f"fit{n}")
            check(run_mpi(n, WORKER, "fit", str(folder), str(GLOBAL_BATCH // n)))
            jobs[n] = folder
        return jobs[n]
    return run


@pytest.fixture(scope="session")
def reference():
    """One process, plain keras_front: what the distributed jobs must equal."""
    K.clear_session()
    x, y = worker.data()
    model = worker.build(10, worker.optimizer())
    np.random.seed(worker.SHUFFLE_SEED)
    history = model.fit(x, y, batch_size=GLOBAL_BATCH, nb_epoch=worker.EPOCHS, verbose=0,
                        validation_split=worker.VALIDATION_SPLIT)
    gen_model = worker.build(20, worker.optimizer())
    xv, yv = worker.data(9)
    gen_history = gen_model.fit_generator(
        worker.cycle(worker.generator_batches(1, 0)), steps_per_epoch=3, epochs=2,
        verbose=0, validation_data=(xv, yv))
    return {"weights": model.get_weights(), "optimizer": model.optimizer.get_weights(),
            "history": history.history, "gen_weights": gen_model.get_weights(),
            "gen_history": gen_history.history}
