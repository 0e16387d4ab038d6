"""keras_front.distributed: synchronous data-parallel training over MPI, Horovod-style.

    import keras_front.distributed as hvd
    hvd.init()
    model.compile(optimizer=hvd.DistributedOptimizer(SGD(lr=0.01 * hvd.size())), loss=...)
    model.fit(x, y, batch_size=32, callbacks=[hvd.BroadcastGlobalVariablesCallback(0),
                                              hvd.MetricAverageCallback(),
                                              ModelCheckpoint('ckpt.{epoch:02d}.h5')])

    mpiexec -n 4 python train.py        # or mpirun, or srun under Slurm

The same script runs unchanged on one process: without an MPI launcher, size() is 1,
DistributedOptimizer returns the optimizer itself and the callbacks do nothing.

Under a launcher: `fit` gives each rank its share of every global batch (size() x
batch_size samples; sharding.py), the train function averages the gradients of all ranks
in one collective per step (optimizer.py), validation runs in parallel and is averaged,
and only rank 0 prints progress and writes ModelCheckpoint / CSVLogger files.
`fit_generator` does not shard: each rank brings its own generator of its own data.
A rank that fails aborts the job (symgraph.distributed); a checkpoint written by rank 0
resumes on any number of ranks with `load_model` below.

Requires the `distributed` extra (mpi4py and an MPI): pip install 'symgraph[distributed]'.
"""

from __future__ import annotations

from typing import Any

from ..models import load_model as _load_model
from .callbacks import BroadcastGlobalVariablesCallback, MetricAverageCallback, broadcast_variables
from .optimizer import DistributedOptimizer, distributed_class, distributed_custom_objects
from .process import allreduce, broadcast, init, local_rank, local_size, rank, size
from .sharding import ShardedPlan

__all__ = ["BroadcastGlobalVariablesCallback", "DistributedOptimizer", "MetricAverageCallback",
           "ShardedPlan", "allreduce", "broadcast", "broadcast_variables", "distributed_class",
           "init", "load_model", "local_rank", "local_size", "rank", "size"]


def load_model(filepath: str, custom_objects: dict[str, Any] | None = None,
               compile: bool = True) -> Any:  # noqa: A002 (Keras's argument name)
    """keras_front's load_model, with the saved optimizer wrapped in DistributedOptimizer:
    resume from a checkpoint (written by rank 0) on any number of ranks. Every rank loads
    the file; add BroadcastGlobalVariablesCallback when only rank 0 can read it fresh."""
    if size() > 1 and compile:
        custom_objects = distributed_custom_objects(custom_objects)
    return _load_model(filepath, custom_objects=custom_objects, compile=compile)
