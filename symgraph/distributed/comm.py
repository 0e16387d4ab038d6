"""The process group behind `sg.distributed`: MPI through mpi4py, or a single process.

`mpi4py` is imported only when this process was started by an MPI launcher (mpiexec /
mpirun of MPICH, Open MPI, Intel MPI or MVAPICH; Slurm's srun), or when `init(mpi=True)`
asks for it. Otherwise the group is this one process: rank 0 of 1, and every collective
returns its input. So `import symgraph` never needs mpi4py, and a script written for a
cluster runs unchanged on a laptop.

Collectives never wait forever. Each one is started non-blocking (Iallreduce, Ibcast,
Ibarrier) and polled against a deadline (`init(timeout=)`, `$SYMGRAPH_DISTRIBUTED_TIMEOUT`,
300 s by default); a rank that waits longer prints what it was waiting for and aborts
the whole job (MPI_Abort), so mpiexec exits non-zero instead of hanging. An uncaught
exception on any rank is printed with its rank and aborts the job the same way (an
`sys.excepthook` installed by `init` when there is more than one rank). A rank that is
killed is noticed by the launcher, which ends the others.

Polling: a waiting rank calls MPI_Test (MPI makes progress only inside MPI calls) and
yields the CPU (sched_yield) between tests, which costs nothing on an idle core and lets an
oversubscribed rank's neighbours run; after 50 ms of waiting (a straggler, not a transfer)
it sleeps 1 ms between tests instead.
"""

from __future__ import annotations

import os
import sys
import time
import traceback
import zlib
from dataclasses import dataclass
from typing import Any

import numpy as np

DEFAULT_TIMEOUT = 300.0
_SPIN_SECONDS = 0.05

# Set by the launchers in each process they start: rank / number of processes.
_SIZE_VARS = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "MV2_COMM_WORLD_SIZE", "SLURM_STEP_NUM_TASKS")
_RANK_VARS = ("OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK", "MV2_COMM_WORLD_RANK")

_OPS = ("sum", "mean", "max", "min")


@dataclass
class Group:
    """The processes training together: this one's rank, their number, and the MPI
    communicators (None for a single process)."""

    rank: int = 0
    size: int = 1
    local_rank: int = 0
    local_size: int = 1
    comm: Any = None        # data collectives
    check_comm: Any = None  # agreement checks, apart so they never pair with data
    timeout: float = DEFAULT_TIMEOUT
    check_every_call: bool = False


_group: Group | None = None


def launched_size() -> int | None:
    """The number of processes an MPI launcher says it started, None when none did."""
    for name in _SIZE_VARS:
        value = os.environ.get(name)
        if value and value.isdigit():
            return int(value)
    if any(os.environ.get(name) for name in _RANK_VARS):
        return 0  # launched, size unknown until MPI says
    return None


def _timeout_from_env() -> float:
    value = os.environ.get("SYMGRAPH_DISTRIBUTED_TIMEOUT")
    if not value:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"SYMGRAPH_DISTRIBUTED_TIMEOUT must be a number of seconds, got "
                         f"{value!r}") from None
    return _check_timeout(seconds)


def _check_timeout(seconds: Any) -> float:
    seconds = float(seconds)
    if not seconds > 0:
        raise ValueError(f"the collective timeout must be a positive number of seconds, got "
                         f"{seconds!r}")
    return seconds


def _import_mpi(expected: int | None) -> Any:
    try:
        from mpi4py import MPI  # noqa: PLC0415 (optional dependency, imported on demand)
    except ImportError as e:
        started = f"started by an MPI launcher as one of {expected} processes" \
            if expected else "asked to use MPI"
        raise RuntimeError(f"symgraph.distributed: this process was {started}, but mpi4py "
                           f"cannot be imported ({e}). Install the distributed extra: "
                           f"pip install 'symgraph[distributed]' (mpi4py and an MPI)") from None
    return MPI


def init(timeout: float | None = None, comm: Any = None, mpi: bool | None = None,
         check_every_call: bool = False) -> Group:
    """Join the job's process group (idempotent: later calls may change the timeout).

    timeout: seconds any collective may wait for the other ranks before aborting the job.
    comm: an mpi4py communicator to use instead of COMM_WORLD. mpi: True to use MPI even
    without a launcher, False never to, None (default) when a launcher started us.
    check_every_call: check on every collective (not only a node's first) that all ranks
    reduce the same number of elements of the same dtype and name (a debugging aid).
    """
    global _group
    if timeout is not None:
        timeout = _check_timeout(timeout)
    if _group is not None:
        if timeout is not None:
            _group.timeout = timeout
        _group.check_every_call = _group.check_every_call or check_every_call
        return _group
    timeout = timeout if timeout is not None else _timeout_from_env()
    expected = launched_size()
    use_mpi = comm is not None or (mpi if mpi is not None else expected is not None)
    if not use_mpi:
        _group = Group(timeout=timeout, check_every_call=check_every_call)
        return _group
    MPI = _import_mpi(expected)
    comm = comm if comm is not None else MPI.COMM_WORLD
    size = comm.Get_size()
    if expected and comm is MPI.COMM_WORLD and size != expected:
        raise RuntimeError(f"symgraph.distributed: the launcher started {expected} processes "
                           f"but MPI sees {size}: this MPI library does not talk to that "
                           f"launcher (with Slurm try `srun --mpi=pmi2` or `--mpi=pmix`, or "
                           f"launch with the mpiexec of the MPI that mpi4py uses)")
    local = comm.Split_type(MPI.COMM_TYPE_SHARED)
    # Private communicators: our collectives never pair with the user's own on `comm`,
    # and MPI errors on them raise (mpi4py's MPI.Exception) instead of killing silently.
    ours, checks = comm.Dup(), comm.Dup()
    for c in (ours, checks):
        c.Set_errhandler(MPI.ERRORS_RETURN)
    _group = Group(rank=comm.Get_rank(), size=size, local_rank=local.Get_rank(),
                   local_size=local.Get_size(), comm=ours, check_comm=checks,
                   timeout=timeout, check_every_call=check_every_call)
    local.Free()
    if size > 1:
        _install_excepthook(_group)
    return _group


def group() -> Group:
    """The process group, joining it first if needed (see init)."""
    return _group if _group is not None else init()


def rank() -> int:
    """This process's rank, 0..size()-1 (0 without MPI)."""
    return group().rank


def size() -> int:
    """The number of processes in the job (1 without MPI)."""
    return group().size


def local_rank() -> int:
    """This process's rank among the job's processes on the same machine."""
    return group().local_rank


def local_size() -> int:
    """The number of the job's processes on this machine."""
    return group().local_size


def set_timeout(seconds: float) -> None:
    """How long a collective may wait for the other ranks before the job is aborted."""
    group().timeout = _check_timeout(seconds)


# ---------------------------------------------------------------- failure handling


def abort(message: str, code: int = 1) -> None:
    """Print `message` (with this rank) and end the whole job: MPI_Abort on every rank."""
    g = group()
    sys.stderr.write(f"[rank {g.rank}/{g.size}] {message}\n")
    if g.comm is None:
        raise SystemExit(code)
    _abort(g, code)


# Seconds between printing why the job ends and ending it: the launcher forwards each
# rank's output asynchronously, and MPI_Abort right away can lose the message.
_FLUSH_SECONDS = 1.0


def _abort(g: Group, code: int) -> None:
    sys.stderr.flush()
    sys.stdout.flush()
    time.sleep(_FLUSH_SECONDS)
    g.comm.Abort(code)


def _install_excepthook(g: Group) -> None:
    """Any uncaught exception: print it with this rank's number, then abort the job (the
    other ranks would otherwise wait in their next collective)."""
    previous = sys.excepthook

    def abort_on_exception(kind: type[BaseException], value: BaseException, tb: Any) -> None:
        text = "".join(traceback.format_exception(kind, value, tb))
        prefix = f"[rank {g.rank}/{g.size}] "
        sys.stderr.write("".join(prefix + line + "\n" for line in text.splitlines()))
        sys.stderr.write(f"{prefix}uncaught {kind.__name__}: aborting all {g.size} ranks\n")
        try:
            _abort(g, 1)
        except Exception:  # noqa: BLE001 (already failing: fall back to the old hook)
            previous(kind, value, tb)

    abort_on_exception.previous = previous  # type: ignore[attr-defined]
    sys.excepthook = abort_on_exception


def wait(request: Any, what: str) -> None:
    """Poll a non-blocking MPI request until it completes; past the group's timeout,
    abort the job with a message naming `what`."""
    if request.Test():
        return
    g = group()
    start = time.monotonic()
    while not request.Test():
        waited = time.monotonic() - start
        if waited > g.timeout:
            stack = "".join(traceback.format_stack(limit=12)[:-1])
            abort(f"symgraph.distributed: {what} waited {g.timeout:g} s for the other "
                  f"{g.size - 1} rank(s) and timed out: a rank has failed, hung, or ran a "
                  f"different sequence of collectives (a different number of steps, or "
                  f"model.stop_training set on some ranks only). Aborting the job.\n"
                  f"Waiting at:\n{stack}")
        if waited < _SPIN_SECONDS:
            os.sched_yield()
        else:
            time.sleep(0.001)


# ---------------------------------------------------------------- collectives on arrays


def _mpi_op(op: str) -> Any:
    from mpi4py import MPI  # noqa: PLC0415 (only reached once MPI is initialized)
    return {"sum": MPI.SUM, "mean": MPI.SUM, "max": MPI.MAX, "min": MPI.MIN}[op]


def check_op(op: str, where: str) -> str:
    """`op` if it names a reduction this module has, else a ValueError naming `where`."""
    if op not in _OPS:
        raise ValueError(f"{where}: op must be one of {', '.join(map(repr, _OPS))}, got {op!r}")
    return op


def agree(array: np.ndarray, op: str, name: str) -> None:
    """Check that every rank is about to reduce the same count and dtype under the same
    name and op; raise (on every rank) naming the differences otherwise."""
    g = group()
    if g.comm is None or g.size == 1:
        return
    from mpi4py import MPI  # noqa: PLC0415
    header = np.array([array.size, array.dtype.num, _OPS.index(op),
                       zlib.crc32(name.encode())], dtype=np.int64)
    both = np.concatenate([header, -header])
    out = np.empty_like(both)
    wait(g.check_comm.Iallreduce(both, out, MPI.MIN), f"the agreement check of {name!r}")
    low, high = out[:4], -out[4:]
    if np.array_equal(low, high):
        return
    differences = []
    if low[0] != high[0]:
        differences.append(f"{low[0]:,} to {high[0]:,} elements")
    if low[1] != high[1]:
        differences.append("different dtypes")
    if low[2] != high[2]:
        differences.append("different ops")
    if low[3] != high[3]:
        differences.append("different names")
    raise RuntimeError(f"symgraph.distributed: the ranks disagree on the allreduce this rank "
                       f"calls {name!r} ({array.size:,} {array.dtype} elements, op={op!r}): "
                       f"{', '.join(differences)} across ranks. Every rank must build the "
                       f"same graph and call it the same number of times.")


def _contiguous(array: Any) -> np.ndarray:
    array = np.asarray(array)
    return array if array.flags.c_contiguous else np.array(array, order="C")


def allreduce_array(array: np.ndarray, op: str = "sum", name: str = "allreduce",
                    check: bool = False) -> np.ndarray:
    """A new array: the elementwise sum / mean / max / min of `array` over all ranks.

    check: run `agree` first (the group's check_every_call turns it on everywhere).
    Without MPI (one process) it is the array itself.
    """
    g = group()
    if g.comm is None:
        return array
    send = _contiguous(array)
    if check or g.check_every_call:
        agree(send, op, name)
    out = np.empty_like(send)
    wait(g.comm.Iallreduce(send, out, _mpi_op(op)), f"allreduce {name!r} ({send.size:,} "
                                                    f"{send.dtype} elements)")
    if op == "mean":
        if out.dtype.kind not in "fc":
            raise TypeError(f"allreduce {name!r}: op='mean' needs a float array, got "
                            f"{out.dtype}")
        out /= g.size
    return out


# One reusable buffer per (size, dtype) for the packed allreduce: a fresh 80 MB array every
# step costs its page faults again (half the time of the packing for a 10M model).
_buffers: dict[tuple[int, str], np.ndarray] = {}


def allreduce_packed_arrays(arrays: list[np.ndarray], op: str = "mean", dtype: str = "float64",
                            weight: float | None = None, name: str = "allreduce_packed",
                            check: bool = False) -> tuple[list[np.ndarray], float]:
    """Reduce several arrays over all ranks with one collective: each is written (cast to
    `dtype`, times `weight`) into its slice of one buffer, the buffer is summed over the
    ranks in place, and each slice comes back divided (by the number of ranks for 'mean',
    by the sum of the weights with `weight`) in its array's dtype and shape.

    Returns (the arrays, the sum of the weights over the ranks, or the number of ranks).
    """
    check_op(op, name)
    g = group()
    sizes = [a.size for a in arrays]
    total = sum(sizes) + (weight is not None)
    key = (total, np.dtype(dtype).name)
    buffer = _buffers.get(key)
    if buffer is None:
        buffer = _buffers[key] = np.empty(total, dtype=dtype)
    start = 0
    for array, size in zip(arrays, sizes, strict=True):
        piece = buffer[start:start + size]
        if weight is None:
            piece[...] = np.reshape(array, -1)
        else:
            np.multiply(np.reshape(array, -1), weight, out=piece, casting="unsafe")
        start += size
    if weight is not None:
        buffer[-1] = weight
    if g.comm is not None:
        if check or g.check_every_call:
            agree(buffer, op, name)
        from mpi4py import MPI  # noqa: PLC0415 (only reached once MPI is initialized)
        wait(g.comm.Iallreduce(MPI.IN_PLACE, buffer, MPI.SUM),
             f"allreduce {name!r} ({total:,} {buffer.dtype} elements)")
    divisor = float(buffer[-1]) if weight is not None else float(g.size if op == "mean" else 1)
    outs, start = [], 0
    for array, size in zip(arrays, sizes, strict=True):
        out = np.empty(size, dtype=array.dtype)
        np.divide(buffer[start:start + size], divisor, out=out, casting="unsafe")
        outs.append(out.reshape(np.shape(array)))
        start += size
    return outs, divisor


def broadcast_array(array: np.ndarray, root: int = 0, name: str = "broadcast") -> np.ndarray:
    """`array` as rank `root` has it, on every rank (same shape and dtype everywhere)."""
    g = group()
    if g.comm is None:
        return array
    if not 0 <= root < g.size:
        raise ValueError(f"broadcast {name!r}: root rank {root} is not in 0..{g.size - 1}")
    buffer = np.array(array, order="C")  # a copy: MPI writes into it
    wait(g.comm.Ibcast(buffer, root=root), f"broadcast {name!r} ({buffer.size:,} "
                                           f"{buffer.dtype} elements)")
    return buffer


def barrier(name: str = "barrier") -> None:
    """Wait until every rank gets here (with the group's timeout)."""
    g = group()
    if g.comm is not None:
        wait(g.comm.Ibarrier(), name)
