"""The job's processes as keras_front sees them: joining (which also decides that only
rank 0 prints progress and writes files), rank, size, local rank; and Horovod's
`allreduce` / `broadcast` of plain values."""

from __future__ import annotations

from typing import Any

import numpy as np

import symgraph.distributed as sgd

from ..callbacks.base import set_writer


def init(timeout: float | None = None, comm: Any = None) -> None:
    """Join the job (idempotent): MPI when a launcher started this process, else a single
    process. timeout: seconds a collective may wait for the others before the job is
    aborted (default 300, or $SYMGRAPH_DISTRIBUTED_TIMEOUT). From now on only rank 0
    prints progress bars and writes checkpoints and CSV logs."""
    group = sgd.init(timeout=timeout, comm=comm)
    if group.size > 1:
        set_writer(lambda: group.rank == 0)


def rank() -> int:
    """This process's rank in the job (0 on a single process)."""
    init()
    return sgd.rank()


def size() -> int:
    """The number of processes in the job (1 on a single process)."""
    init()
    return sgd.size()


def local_rank() -> int:
    """This process's rank among the job's processes on its machine."""
    init()
    return sgd.local_rank()


def local_size() -> int:
    """The number of the job's processes on this machine."""
    init()
    return sgd.local_size()


def allreduce(value: Any, average: bool = True, name: str = "allreduce") -> np.ndarray:
    """The sum (or, by default, the mean) over all ranks of a number or array, as a
    float64 array (e.g. a metric computed on each rank's data)."""
    init()
    return sgd.allreduce_array(np.array(value, dtype=np.float64),
                               "mean" if average else "sum", name)


def broadcast(value: Any, root_rank: int = 0, name: str = "broadcast") -> np.ndarray:
    """`root_rank`'s value of an array (the same shape and dtype on every rank)."""
    init()
    return sgd.broadcast_array(np.asarray(value), root_rank, name)
