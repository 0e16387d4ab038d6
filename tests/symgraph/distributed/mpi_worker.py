"""One rank of the symgraph.distributed tests (run by mpiexec).

    python mpi_worker.py SCENARIO OUT_DIR

'values': allreduce of every op and allreduce_packed, on rank-dependent inputs (`inputs`
below, which the tests use to compute the expected results); 'grad': the allreduce's
gradient against central finite differences of the sum of all ranks' costs, each rank's
inputs perturbed in turn; 'disagree': ranks reduce different sizes; 'timeout': rank 1
never reaches the barrier. Results go to OUT_DIR/result<rank>.npz.
"""

from __future__ import annotations

import os
import sys
import time

import numpy as np

import symgraph as sg


def inputs(rank: int) -> dict[str, np.ndarray]:
    """The arrays rank `rank` reduces."""
    return {"x": np.arange(6.0).reshape(2, 3) * (rank + 1) - rank,
            "i": np.array([rank, 2 * rank, -rank], dtype="int32"),
            "a": np.full((2, 2), rank + 0.5, dtype="float32"),
            "b": np.arange(3, dtype="float32") * rank,
            "weight": np.float64(rank + 1)}


def values(rank: int) -> dict[str, np.ndarray]:
    data = inputs(rank)
    x, i = sg.dmatrix("x"), sg.ivector("i")
    ops = ("sum", "mean", "max", "min")
    f = sg.function([x, i], [sg.distributed.allreduce(x, op) for op in ops] +
                    [sg.distributed.allreduce(i, "sum")])
    out = dict(zip([f"x_{op}" for op in ops] + ["i_sum"], f(data["x"], data["i"]),
                   strict=True))
    a, b, w = sg.fmatrix("a"), sg.fvector("b"), sg.dscalar("w")
    packed = sg.function([a, b, w], sg.distributed.allreduce_packed(
        [a, b], op="mean", weight=w, dtype="float64"))
    out["packed_a"], out["packed_b"] = packed(data["a"], data["b"], data["weight"])
    plain = sg.function([a, b], sg.distributed.allreduce_packed([a, b], op="sum"))
    out["sum_a"], out["sum_b"] = plain(data["a"], data["b"])
    return out


def gradients(rank: int, n_ranks: int) -> dict[str, np.ndarray]:
    out = {}
    rng = np.random.default_rng(rank)
    for op in ("sum", "mean"):
        x = sg.dvector("x")
        c = sg.constant(rng.random(3) + 0.5)
        cost = sg.sum(sg.sin(sg.distributed.allreduce(x * x, op)) * c)  # this rank's cost
        total = sg.distributed.allreduce(cost, "sum")                  # the job's cost
        f_total = sg.function([x], total)
        f_grad = sg.function([x], sg.grad(cost, x))
        point = rng.random(3)
        eps = 1e-6
        numeric = np.zeros((n_ranks, 3))
        for perturbed in range(n_ranks):      # every rank calls f_total in step
            for k in range(3):
                step = np.zeros(3)
                if perturbed == rank:
                    step[k] = eps
                numeric[perturbed, k] = (f_total(point + step) - f_total(point - step)) / \
                    (2 * eps)
        out[f"{op}_symbolic"] = f_grad(point)
        out[f"{op}_numeric"] = numeric[rank]
    return out


def packed_gradients(rank: int, n_ranks: int) -> dict[str, np.ndarray]:
    """The same check for allreduce_packed's weighted mean, w.r.t. the tensors and w."""
    rng = np.random.default_rng(10 + rank)
    x, w = sg.dvector("x"), sg.dscalar("w")
    y, z = sg.distributed.allreduce_packed([x * x, x[:2]], weight=w * w, dtype="float64")
    cost = sg.sum(sg.sin(y) * sg.constant(rng.random(3) + 0.5)) + sg.sum(z ** 3)
    total = sg.distributed.allreduce(cost, "sum")
    f_total = sg.function([x, w], total)
    f_grad = sg.function([x, w], sg.grad(cost, [x, w]))
    point, weight = rng.random(3), 1.0 + rank
    numeric = np.zeros((n_ranks, 4))
    for perturbed in range(n_ranks):
        for k in range(4):
            step = np.zeros(4)
            if perturbed == rank:
                step[k] = 1e-6
            up = f_total(point + step[:3], weight + step[3])
            down = f_total(point - step[:3], weight - step[3])
            numeric[perturbed, k] = (up - down) / 2e-6
    gx, gw = f_grad(point, weight)
    return {"packed_symbolic": np.append(gx, gw), "packed_numeric": numeric[rank]}


def main() -> None:
    scenario, out = sys.argv[1], sys.argv[2]
    sg.distributed.init()
    rank, n_ranks = sg.distributed.rank(), sg.distributed.size()
    if scenario == "values":
        result = values(rank)
    elif scenario == "grad":
        result = {**gradients(rank, n_ranks), **packed_gradients(rank, n_ranks)}
    elif scenario == "disagree":
        v = sg.dvector("v")
        sg.function([v], sg.distributed.allreduce(v, "sum", name="uneven"))(np.ones(3 + rank))
        result = {}
    else:  # timeout
        if rank == 1:
            time.sleep(600)
        sg.distributed.barrier("the test's barrier")
        result = {}
    np.savez(os.path.join(out, f"result{rank}.npz"), **result)


if __name__ == "__main__":
    main()
