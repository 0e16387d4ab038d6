"""The process group: launcher detection, joining without MPI, the timeout setting, the
collectives on one process, and a collective that times out under MPI."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from symgraph.distributed import comm
from tests.mpi_helpers import needs_mpi, run_mpi
from tests.symgraph.distributed import mpi_worker as worker

_LAUNCHER_VARS = comm._SIZE_VARS + comm._RANK_VARS


@pytest.fixture
def fresh_group(monkeypatch):
    """A process that has not joined a group yet, started by no launcher."""
    monkeypatch.setattr(comm, "_group", None)
    for name in _LAUNCHER_VARS + ("SYMGRAPH_DISTRIBUTED_TIMEOUT",):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_importing_symgraph_does_not_import_mpi4py():
    code = "import sys, symgraph; assert 'mpi4py' not in sys.modules, 'imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("env,expected", [
    ({}, None), ({"PMI_SIZE": "4", "PMI_RANK": "1"}, 4), ({"OMPI_COMM_WORLD_SIZE": "8"}, 8),
    ({"PMIX_RANK": "0"}, 0), ({"SLURM_STEP_NUM_TASKS": "2"}, 2)])
def test_the_launchers_variables_tell_how_many_processes_started(fresh_group, env, expected):
    for name, value in env.items():
        fresh_group.setenv(name, value)
    assert comm.launched_size() == expected


def test_without_a_launcher_the_group_is_this_process(fresh_group):
    group = comm.init()
    assert (group.rank, group.size, group.comm) == (0, 1, None)
    assert comm.init() is group and comm.rank() == 0 and comm.size() == 1
    value = np.arange(3.0)
    assert comm.allreduce_array(value, "mean") is value
    assert comm.broadcast_array(value, 0) is value
    comm.barrier()


def test_the_timeout_comes_from_init_or_the_environment(fresh_group):
    fresh_group.setenv("SYMGRAPH_DISTRIBUTED_TIMEOUT", "12.5")
    assert comm.init().timeout == 12.5
    assert comm.init(timeout=3).timeout == 3.0
    comm.set_timeout(7)
    assert comm.group().timeout == 7.0
    with pytest.raises(ValueError, match="positive number of seconds, got -1"):
        comm.set_timeout(-1)


def test_a_bad_timeout_variable_is_named(fresh_group):
    fresh_group.setenv("SYMGRAPH_DISTRIBUTED_TIMEOUT", "soon")
    with pytest.raises(ValueError, match="SYMGRAPH_DISTRIBUTED_TIMEOUT must be a number"):
        comm.init()


def test_launched_without_mpi4py_is_an_error_not_a_lone_process(fresh_group):
    fresh_group.setenv("PMI_SIZE", "4")
    fresh_group.setitem(sys.modules, "mpi4py", None)   # makes the import fail
    with pytest.raises(RuntimeError, match=r"one of 4 processes, but mpi4py cannot be "
                                           r"imported.*symgraph\[distributed\]"):
        comm.init()


@needs_mpi
def test_a_collective_waiting_past_the_timeout_aborts_the_job(tmp_path):
    start = time.monotonic()
    result = run_mpi(2, Path(worker.__file__), "timeout", str(tmp_path),
                     env={"SYMGRAPH_DISTRIBUTED_TIMEOUT": "2"}, timeout=120)
    assert result.returncode != 0
    assert time.monotonic() - start < 30
    assert "[rank 0/2] symgraph.distributed: the test's barrier waited 2 s" in result.stderr
