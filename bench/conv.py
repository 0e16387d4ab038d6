"""A convnet training step: symgraph next to NumPy by hand, PyTorch eager and JAX jit.

    python -m bench.conv [--rounds 7] [--steps 20] [--peers /path/to/python]

The step is the issue-10 one (bench/conv_steps.py): (32, 1, 28, 28) -> 3x3 conv 32 +
bias + relu -> 2x2 max-pool -> dense 5408 -> 10 -> softmax cross-entropy -> SGD.

Every contender runs in a process of its own, started with its thread settings in the
environment before NumPy / BLAS load: "1 thread" sets OPENBLAS_NUM_THREADS,
OMP_NUM_THREADS and MKL_NUM_THREADS to 1 (torch.set_num_threads(1); JAX with XLA's
single-threaded Eigen), "2 threads" to 2. symgraph's convolution and pooling kernels use
as many threads as BLAS (symgraph/ops/threads.py); one more symgraph row runs BLAS on one
thread and the kernels on two (SYMGRAPH_FLAGS=threads=2), the set-up that never has
BLAS's spinning threads compete with ours. The processes are driven in rounds, one batch
of --steps steps each per round, so all see the same machine load; the table shows the
best round (milliseconds per step), the process CPU time of that round per step (more
than the wall time when threads help; much more when they spin), and the ratio to
PyTorch eager with the same threads.

PyTorch and JAX come from a separate environment (--peers, default $BENCH_PEERS_PYTHON
or /work/scratch/peers/bin/python); without one, their rows are left out. They are
never dependencies of this project.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass

from bench.peers import ROOT, peers_python


@dataclass
class Contender:
    """One worker process: what it runs, with which threads, in which Python."""

    name: str
    threads: int
    python: str
    kernel_threads: int = 0     # symgraph's sg.config.threads (0: as many as BLAS)

    @property
    def label(self) -> str:
        if self.kernel_threads and self.kernel_threads != self.threads:
            return f"{self.name} (BLAS {self.threads}, kernels {self.kernel_threads})"
        return self.name

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
            env[var] = str(self.threads)
        if self.kernel_threads:
            env["SYMGRAPH_FLAGS"] = ",".join(filter(None, [env.get("SYMGRAPH_FLAGS", ""),
                                                           f"threads={self.kernel_threads}"]))
        if self.name == "jax" and self.threads == 1:
            env["XLA_FLAGS"] = ("--xla_cpu_multi_thread_eigen=false "
                                "intra_op_parallelism_threads=1")
        env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
        return env


# ---------------------------------------------------------------- worker side


def worker(name: str, threads: int) -> None:
    """Build the step, report the first loss, then time `run N` requests from stdin."""
    from bench import conv_steps
    p = conv_steps.problem()
    build = {"numpy": conv_steps.numpy_step, "symgraph": conv_steps.symgraph_step,
             "jax": conv_steps.jax_step,
             "torch": lambda q: conv_steps.torch_step(q, threads)}[name]
    step = build(p)
    first = step()
    for _ in range(3):
        step()
    print(json.dumps({"loss": first}), flush=True)
    for line in sys.stdin:
        if not line.startswith("run"):
            break
        n = int(line.split()[1])
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(n):
            step()
        print(json.dumps({"wall": (time.perf_counter() - wall) / n,
                          "cpu": (time.process_time() - cpu) / n}), flush=True)


# ---------------------------------------------------------------- driver side


def contenders(peers: str | None) -> list[Contender]:
    """Every (contender, threads) pair to run."""
    own = sys.executable
    out = []
    for threads in (1, 2):
        out += [Contender("symgraph", threads, own), Contender("numpy", threads, own)]
        if peers:
            out += [Contender("torch", threads, peers), Contender("jax", threads, peers)]
    out.insert(4 if peers else 2, Contender("symgraph", 1, own, kernel_threads=2))
    return out


def start(c: Contender) -> tuple[subprocess.Popen, float]:
    """The worker process and its first loss."""
    proc = subprocess.Popen([c.python, "-m", "bench.conv", "--worker", c.name, "--threads",
                             str(c.threads)], cwd=ROOT, env=c.env(), text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    reply = proc.stdout.readline()
    if not reply:
        raise RuntimeError(f"bench.conv: the {c.label} worker ({c.python}) did not start")
    return proc, json.loads(reply)["loss"]


def measure(rounds: int, steps: int, peers: str | None) -> list[tuple[Contender, float, float]]:
    """(contender, best wall s/step, CPU s/step of that round) for each contender."""
    running = []
    for c in contenders(peers):
        try:
            proc, loss = start(c)
        except (RuntimeError, OSError) as e:
            print(f"  skipped {c.label} with {c.threads} thread(s): {e}")
            continue
        running.append((c, proc, loss))
    losses = [loss for _, _, loss in running]
    if max(losses) - min(losses) > 1e-4 * max(1.0, abs(losses[0])):
        raise AssertionError(f"the contenders' first losses differ: "
                             f"{[(c.label, c.threads, loss) for c, _, loss in running]}")
    best: dict[int, tuple[float, float]] = {}
    for _ in range(rounds):
        for k, (_, proc, _) in enumerate(running):
            proc.stdin.write(f"run {steps}\n")
            proc.stdin.flush()
            got = json.loads(proc.stdout.readline())
            if k not in best or got["wall"] < best[k][0]:
                best[k] = (got["wall"], got["cpu"])
    for _, proc, _ in running:
        proc.stdin.write("quit\n")
        proc.stdin.close()
        proc.wait()
    return [(c, *best[k]) for k, (c, _, _) in enumerate(running)]


def main() -> None:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--peers", default=peers_python())
    parser.add_argument("--worker")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    if args.worker:
        worker(args.worker, args.threads)
        return
    peers = args.peers if args.peers and os.path.exists(args.peers) else None
    print(f"Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; best of {args.rounds} rounds of "
          f"{args.steps} steps" + ("" if peers else "; no PyTorch/JAX environment found"))
    results = measure(args.rounds, args.steps, peers)
    torch = {c.threads: wall for c, wall, _ in results if c.name == "torch"}
    width = max(len(c.label) for c, _, _ in results)
    print(f"{'threads':>7}  {'contender':<{width}}  {'ms/step':>8}  {'CPU ms':>7}  "
          f"{'vs torch':>8}")
    for c, wall, cpu in results:
        threads = max(c.threads, c.kernel_threads)
        ratio = f"{wall / torch[threads]:8.2f}" if threads in torch else f"{'-':>8}"
        print(f"{threads:>7}  {c.label:<{width}}  {wall * 1e3:8.2f}  {cpu * 1e3:7.2f}  "
              f"{ratio}")


if __name__ == "__main__":
    main()
