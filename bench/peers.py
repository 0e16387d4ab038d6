"""What the benchmarks share for running code in another Python: the peers' interpreter
(PyTorch, JAX, PyTensor, Keras 3 live in an environment of their own, never a dependency
of this project), a script's one JSON line of results, and best-of-N fresh processes
with an empty and with a filled cache folder."""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

DEFAULT_PEERS = "/work/scratch/peers/bin/python"
ROOT = Path(__file__).resolve().parents[1]


def peers_python() -> str:
    """The peers' interpreter: $BENCH_PEERS_PYTHON, else DEFAULT_PEERS."""
    return os.environ.get("BENCH_PEERS_PYTHON", DEFAULT_PEERS)


def peer_has(python: str | None, module: str, env: dict[str, str] | None = None) -> bool:
    """Whether `python` exists and can `import module` (e.g. "keras, jax")."""
    return bool(python) and os.path.exists(python) and not subprocess.run(
        [python, "-c", f"import {module}"], capture_output=True,
        env={**os.environ, **(env or {})}).returncode


def run_json(python: str, script_or_args: str | Sequence[str],
             env: dict[str, str] | None = None, timeout: float = 900) -> dict:
    """The last stdout line, as JSON, of `python -c script` (or `python *args`) run in
    the repository's root with `env` added; RuntimeError with stderr's last line if it
    fails."""
    args = ["-c", script_or_args] if isinstance(script_or_args, str) else list(script_or_args)
    out = subprocess.run([python, *args], capture_output=True, text=True, cwd=ROOT,
                         env={**os.environ, **(env or {})}, timeout=timeout)
    if out.returncode != 0:
        raise RuntimeError((out.stderr.strip().splitlines() or ["failed"])[-1])
    return json.loads(out.stdout.strip().splitlines()[-1])


def fresh_cold_warm(python: str, script: str | Sequence[str],
                    env_for: Callable[[str], dict[str, str]], runs: int,
                    timeout: float = 900) -> tuple[dict, dict]:
    """Best (cold, warm) results, by "first", of `runs` fresh processes each: cold with
    an empty cache folder every time, warm with the folder a first process filled.
    env_for(folder) is the environment that points the process at that folder."""
    def best(a: dict | None, b: dict) -> dict:
        return b if a is None or b["first"] < a["first"] else a

    cold = warm = None
    with tempfile.TemporaryDirectory(prefix="bench-fresh-") as tmp:
        for k in range(runs):
            cold = best(cold, run_json(python, script, env_for(os.path.join(tmp, f"cold{k}")),
                                       timeout))
        filled = env_for(os.path.join(tmp, "warm"))
        run_json(python, script, filled, timeout)
        for _ in range(runs):
            warm = best(warm, run_json(python, script, filled, timeout))
    return cold, warm  # type: ignore[return-value]
