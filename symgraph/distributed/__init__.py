"""symgraph.distributed: collectives over MPI (mpi4py) as graph ops, for data-parallel
training in Horovod's style; on a single process everything here is a no-op.

    import symgraph as sg
    sg.distributed.init()                          # joins the job when mpiexec started us
    grads = sg.grad(cost, params)
    grads = sg.distributed.allreduce_packed(grads, op='mean', dtype='float64')  # ONE collective
    train = sg.function([x, y], cost, updates=[(p, p - lr * g) for p, g in zip(params, grads)])

    mpiexec -n 4 python train.py

`comm.py` is the process group (init, rank, size, timeouts, abort on failure) and the
collectives on NumPy arrays; `ops.py` the AllReduce and AllReducePacked ops. mpi4py is
imported only when a launcher started the process (or `init(mpi=True)`).
"""

from .comm import (
    DEFAULT_TIMEOUT,
    abort,
    agree,
    allreduce_array,
    allreduce_packed_arrays,
    barrier,
    broadcast_array,
    group,
    init,
    launched_size,
    local_rank,
    local_size,
    rank,
    set_timeout,
    size,
)
from .ops import AllReduce, AllReducePacked, allreduce, allreduce_packed
