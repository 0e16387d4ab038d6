"""One rank of the distributed keras_front tests (run by mpiexec, or alone for size 1).

    python mpi_worker.py SCENARIO OUT_DIR [batch_size]

Scenarios: 'fit' (fit with sharding, callbacks and validation, then fit_generator with
each rank's own generator), 'resume' (load rank 0's checkpoint, train one more epoch),
'fail' / 'hang' / 'kill' (rank 1 raises / stops answering / dies at batch 2), 'uneven'
(rank 1 passes fit one sample fewer). Each rank
sends its stdout to OUT_DIR/stdout<rank>.txt and saves what it ended with to
OUT_DIR/result<rank>.npz. The model, data and seeds are defined here once, and the tests
import them to train the single-process reference.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import keras_front.distributed as hvd
from keras_front.callbacks import CSVLogger, LambdaCallback, ModelCheckpoint
from keras_front.layers import Dense
from keras_front.models import Sequential
from keras_front.optimizers import Adam

N_SAMPLES, VALIDATION_SPLIT, EPOCHS = 43, 0.2, 2  # 34 to train: global batches 16, 16, 2
SHUFFLE_SEED = 5


def data(n: int = N_SAMPLES) -> tuple[np.ndarray, np.ndarray]:
    """The dataset (the same on every rank)."""
    rs = np.random.RandomState(0)
    x = rs.rand(n, 6).astype("float32")
    y = np.eye(3, dtype="float32")[rs.randint(0, 3, n)]
    return x, y


def build(seed: int, optimizer: object) -> Sequential:
    """The model, its weights drawn from NumPy's generator seeded with `seed`."""
    np.random.seed(seed)
    model = Sequential([Dense(8, input_dim=6, activation="tanh"),
                        Dense(3, activation="softmax")])
    model.compile(optimizer=optimizer, loss="categorical_crossentropy", metrics=["acc"])
    return model


def optimizer() -> Adam:
    return Adam(lr=0.05, clipnorm=0.5)


def generator_batches(n_ranks: int, rank: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Rank `rank`'s batches for fit_generator: its (unequal) part of each global batch of
    10 samples; with n_ranks=1, the global batches themselves."""
    x, y = data(30)
    batches = []
    for start in range(0, 30, 10):
        parts = np.array_split(np.arange(start, start + 10), n_ranks)
        batches.append((x[parts[rank]], y[parts[rank]]))
    return batches


def cycle(batches: list) -> object:
    while True:
        yield from batches


def scenario_fit(out: str, batch_size: int) -> dict[str, np.ndarray]:
    rank = hvd.rank()
    folder = os.path.join(out, f"rank{rank}")
    os.makedirs(folder, exist_ok=True)
    x, y = data()
    # Different initial weights on every rank: the broadcast makes them rank 0's.
    model = build(10 + rank, hvd.DistributedOptimizer(optimizer()))
    np.random.seed(SHUFFLE_SEED)
    history = model.fit(
        x, y, batch_size=batch_size, nb_epoch=EPOCHS, verbose=1,
        validation_split=VALIDATION_SPLIT,
        callbacks=[hvd.BroadcastGlobalVariablesCallback(0), hvd.MetricAverageCallback(),
                   ModelCheckpoint(os.path.join(folder, "ckpt.{epoch:02d}.h5")),
                   CSVLogger(os.path.join(folder, "log.csv"))])
    result = {f"w{i}": w for i, w in enumerate(model.get_weights())}
    result["mean_rank"] = hvd.allreduce(rank)
    result["sum_rank"] = hvd.allreduce([rank, 1], average=False)
    result["root_value"] = hvd.broadcast(np.arange(3) + rank, 1)
    result.update({f"opt{i}": w for i, w in enumerate(model.optimizer.get_weights())})
    result.update({f"h_{k}": np.array(v) for k, v in history.history.items()})

    gen_model = build(20, hvd.DistributedOptimizer(optimizer()))
    xv, yv = data(9)
    gen_history = gen_model.fit_generator(
        cycle(generator_batches(hvd.size(), rank)), steps_per_epoch=3, epochs=2,
        verbose=0, validation_data=(xv, yv), callbacks=[hvd.MetricAverageCallback()])
    result.update({f"g{i}": w for i, w in enumerate(gen_model.get_weights())})
    result.update({f"gh_{k}": np.array(v) for k, v in gen_history.history.items()})
    return result


def scenario_resume(out: str, batch_size: int, checkpoint: str) -> dict[str, np.ndarray]:
    x, y = data()
    model = hvd.load_model(checkpoint)
    model.fit(x, y, batch_size=batch_size, nb_epoch=EPOCHS + 1, initial_epoch=EPOCHS,
              verbose=0, validation_split=VALIDATION_SPLIT, shuffle=False,
              callbacks=[hvd.BroadcastGlobalVariablesCallback(0)])
    return {f"w{i}": w for i, w in enumerate(model.get_weights())}


def scenario_failure(kind: str, batch_size: int) -> None:
    x, y = data()
    if kind == "uneven":  # rank 1 passes fewer samples than the others
        x, y = x[:N_SAMPLES - hvd.rank()], y[:N_SAMPLES - hvd.rank()]
    model = build(10, hvd.DistributedOptimizer(optimizer()))

    def at_batch(batch: int, logs: dict) -> None:
        if hvd.rank() != 1 or batch != 2:
            return
        if kind == "fail":
            raise RuntimeError("rank 1 fails at batch 2")
        if kind == "hang":
            time.sleep(600)
        if kind == "kill":
            os.kill(os.getpid(), 9)

    model.fit(x, y, batch_size=batch_size, nb_epoch=EPOCHS, verbose=0,
              callbacks=[LambdaCallback(on_batch_end=at_batch)])


def main() -> None:
    scenario, out = sys.argv[1], sys.argv[2]
    batch_size = int(sys.argv[3]) if len(sys.argv) > 3 else 8
    hvd.init()
    rank = hvd.rank()
    if scenario in ("fit", "resume"):
        # This rank's stdout (progress bars) to its own file.
        stdout = os.open(os.path.join(out, f"stdout{rank}.txt"), os.O_WRONLY | os.O_CREAT)
        os.dup2(stdout, 1)
    if scenario == "fit":
        result = scenario_fit(out, batch_size)
    elif scenario == "resume":
        result = scenario_resume(out, batch_size, sys.argv[4])
    else:
        scenario_failure(scenario, batch_size)
        result = {}
    sys.stdout.flush()
    np.savez(os.path.join(out, f"result{rank}.npz"), size=hvd.size(), **result)


if __name__ == "__main__":
    main()
