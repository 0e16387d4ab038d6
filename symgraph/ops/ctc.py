"""Connectionist temporal classification (Graves et al. 2006): the CTC loss with its
gradient, and greedy and beam-search decoding.

    loss = ctc_loss(log_probs, labels, input_lengths, label_lengths)   # (batch,)
    decoded, neg_sum = ctc_greedy_decode(log_probs, input_lengths)
    *decoded, log_probs = ctc_beam_search(log_probs, input_lengths, beam_width, top_paths)

`log_probs` is (batch, time, classes): per-step log-probabilities, the blank being the
last class (TensorFlow's convention, which Keras 1.2.2 follows). `labels` is (batch,
max_label_length), entries past each sample's label length ignored. Only the first
input_lengths[b] steps of sample b count.

The loss is -log p(labels | inputs), summed over every alignment by the forward-backward
recursions in log space, vectorized over the batch (a loop over time). Its gradient with
respect to log_probs[b, t, k] is -(the posterior probability that step t emits k), computed
in the same pass and kept as the op's second output. An impossible alignment (a label
longer than the input allows) gives an infinite loss and a zero gradient.

The decoders return dense int64 label matrices padded with -1. Greedy: per step the most
likely class, repeats merged, blanks dropped; second output -sum_t max_k log_probs[t, k].
Beam search follows TensorFlow's CTCBeamSearchDecoder (the one Keras 1.2.2 calls), whose
scores subtract each step's largest input: with log-probabilities as inputs a path's score
is log p(path) - sum_t max_k log p_t(k); repeated labels of a beam are merged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..tensor import TensorType, as_tensor
from .registry import Op
from .shape import dimshuffle

_NEG_INF = -np.inf


def _checked(x: Any, ndim: int, kind: str, what: str, described: str) -> Any:
    """x as a tensor of `ndim` dims of the kind ('float' or 'int'), else an error."""
    x = as_tensor(x)
    is_kind = dtypes.is_float if kind == "float" else dtypes.is_int
    if x.ndim != ndim or not is_kind(x.dtype):
        raise ValueError(f"{what}: {described}, got {x.type}")
    return x


def _inputs(log_probs: Any, lengths: Any, what: str) -> tuple[Any, Any]:
    return (_checked(log_probs, 3, "float", what, "log_probs must be a float tensor (batch, "
                                                  "time, classes)"),
            _checked(lengths, 1, "int", what, "input lengths must be an integer vector "
                                              "(batch,)"))


def _extended_labels(labels: np.ndarray, label_lengths: np.ndarray, blank: int
                     ) -> np.ndarray:
    """(batch, 2 L + 1) labels with blanks around and between: blank, l1, blank, l2, ..."""
    batch, width = labels.shape[0], 2 * labels.shape[1] + 1
    ext = np.full((batch, width), blank, dtype=np.int64)
    for b in range(batch):
        n = int(label_lengths[b])
        ext[b, 1:2 * n:2] = labels[b, :n]
    return ext


def _shift(a: np.ndarray, k: int) -> np.ndarray:
    """a moved k places along the last axis (k > 0: right), -inf filling."""
    out = np.full_like(a, _NEG_INF)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def ctc_forward_backward(log_probs: np.ndarray, labels: np.ndarray,
                         input_lengths: np.ndarray, label_lengths: np.ndarray
                         ) -> tuple[np.ndarray, np.ndarray]:
    """(loss (batch,), d loss / d log_probs (batch, time, classes)) in float64."""
    lp = np.asarray(log_probs, dtype=np.float64)
    batch, steps, classes = lp.shape
    blank = classes - 1
    lengths = np.asarray(input_lengths, dtype=np.int64).reshape(-1)
    n_labels = np.asarray(label_lengths, dtype=np.int64).reshape(-1)
    labels = np.asarray(labels, dtype=np.int64).reshape(batch, -1)
    if np.any(n_labels > labels.shape[1]) or np.any(lengths > steps) or np.any(lengths < 0):
        raise ValueError(f"ctc_loss: label lengths {n_labels.tolist()} / input lengths "
                         f"{lengths.tolist()} exceed the labels' {labels.shape[1]} columns / "
                         f"the inputs' {steps} steps")
    ext = _extended_labels(labels, n_labels, blank)
    width = ext.shape[1]
    valid = np.arange(width)[None, :] < (2 * n_labels + 1)[:, None]
    skip = np.zeros_like(valid)
    skip[:, 2:] = (ext[:, 2:] != blank) & (ext[:, 2:] != ext[:, :-2])
    rows = np.arange(batch)[:, None]
    emit = lp[rows, :, ext].transpose(2, 0, 1)  # (batch, width, time) -> (time, batch, width)
    emit = np.where(valid[None], emit, _NEG_INF)

    alpha = np.full((steps, batch, width), _NEG_INF)
    if steps:
        alpha[0, :, 0] = emit[0, :, 0]
        alpha[0, :, 1] = np.where(n_labels > 0, emit[0, :, 1], _NEG_INF)
    for t in range(1, steps):
        prev = alpha[t - 1]
        moved = np.logaddexp(np.logaddexp(prev, _shift(prev, 1)),
                             np.where(skip, _shift(prev, 2), _NEG_INF))
        alpha[t] = np.where((t < lengths)[:, None], moved + emit[t], prev)

    last = np.maximum(lengths - 1, 0)
    final = alpha[last, np.arange(batch)]  # (batch, width)
    end = 2 * n_labels
    log_p = np.logaddexp(final[np.arange(batch), end],
                         np.where(n_labels > 0, final[np.arange(batch), end - 1], _NEG_INF))
    log_p = np.where(lengths > 0, log_p, np.where(n_labels == 0, 0.0, _NEG_INF))

    beta = np.full((steps, batch, width), _NEG_INF)
    back_skip = _shift(skip.astype(float), -2) > 0  # s -> s + 2 allowed
    start = np.full((batch, width), _NEG_INF)
    for t in range(steps - 1, -1, -1):
        if t + 1 < steps:
            nxt = beta[t + 1]
            moved = np.logaddexp(np.logaddexp(nxt, _shift(nxt, -1)),
                                 np.where(back_skip, _shift(nxt, -2), _NEG_INF)) + emit[t]
        else:
            moved = np.full((batch, width), _NEG_INF)
        start[:] = _NEG_INF
        start[np.arange(batch), end] = emit[t, np.arange(batch), end]
        start[np.arange(batch), np.maximum(end - 1, 0)] = np.where(
            n_labels > 0, emit[t, np.arange(batch), np.maximum(end - 1, 0)],
            start[np.arange(batch), np.maximum(end - 1, 0)])
        here = (t == lengths - 1)[:, None]
        before = (t < lengths - 1)[:, None]
        beta[t] = np.where(here, start, np.where(before, moved, _NEG_INF))

    finite = np.isfinite(log_p)
    with np.errstate(invalid="ignore"):
        posterior = np.exp(alpha + beta - emit - np.where(finite, log_p, 0.0)[None, :, None])
    posterior = np.where(np.isfinite(posterior) & finite[None, :, None], posterior, 0.0)
    grad = np.zeros((steps, batch, classes))
    t_idx = np.arange(steps)[:, None, None]
    np.add.at(grad, (np.broadcast_to(t_idx, posterior.shape),
                     np.broadcast_to(rows[None], posterior.shape),
                     np.broadcast_to(ext[None], posterior.shape)), posterior)
    return -log_p, -grad.transpose(1, 0, 2)


@dataclass(frozen=True)
class CTCLoss(Op):
    """Inputs (log_probs, labels, input_lengths, label_lengths); outputs the loss per
    sample and its gradient with respect to log_probs."""

    nout = 2

    @property
    def name(self) -> str:
        return "ctc_loss"

    def make_node(self, log_probs: Any, labels: Any, input_lengths: Any,
                  label_lengths: Any) -> Apply:
        log_probs, input_lengths = _inputs(log_probs, input_lengths, "ctc_loss")
        labels = _checked(labels, 2, "int", "ctc_loss", "labels must be an integer matrix "
                                                        "(batch, max_label_length)")
        label_lengths = _checked(label_lengths, 1, "int", "ctc_loss",
                                 "label lengths must be an integer vector (batch,)")
        batch = log_probs.type.shape[0]
        return Apply(self, [log_probs, labels, input_lengths, label_lengths],
                     [TensorType(log_probs.dtype, (batch,)), log_probs.type])

    def perform(self, node: Apply, log_probs: Any, labels: Any, input_lengths: Any,
                label_lengths: Any) -> Any:
        loss, grad = ctc_forward_backward(log_probs, labels, input_lengths, label_lengths)
        dtype = node.outputs[0].dtype
        return loss.astype(dtype), grad.astype(dtype)

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        g = output_grads[0]
        if g is None:
            return [None] * 4
        return [outputs[1] * dimshuffle(g, [0, "x", "x"]), None, None, None]

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        return [[True, False], [False, False], [False, False], [False, False]]


def ctc_loss(log_probs: Any, labels: Any, input_lengths: Any, label_lengths: Any) -> Any:
    """-log p(labels | inputs) per sample (see the module docstring)."""
    return CTCLoss()(log_probs, labels, input_lengths, label_lengths)[0]


# ---------------------------------------------------------------- decoding


def _dense(sequences: Sequence[Sequence[int]]) -> np.ndarray:
    width = max((len(s) for s in sequences), default=0)
    out = np.full((len(sequences), width), -1, dtype=np.int64)
    for i, s in enumerate(sequences):
        out[i, :len(s)] = s
    return out


@dataclass(frozen=True)
class CTCGreedyDecode(Op):
    """Best path decoding: outputs the labels (batch, n) padded with -1, and the negative
    sum of each step's largest log-probability (batch, 1)."""

    nout = 2

    @property
    def name(self) -> str:
        return "ctc_greedy_decode"

    def make_node(self, log_probs: Any, input_lengths: Any) -> Apply:
        log_probs, input_lengths = _inputs(log_probs, input_lengths, "ctc_greedy_decode")
        batch = log_probs.type.shape[0]
        return Apply(self, [log_probs, input_lengths],
                     [TensorType("int64", (batch, None)), TensorType(log_probs.dtype,
                                                                    (batch, 1))])

    def perform(self, node: Apply, log_probs: Any, input_lengths: Any) -> Any:
        blank = log_probs.shape[2] - 1
        best, sequences, scores = log_probs.argmax(axis=2), [], []
        for b, n in enumerate(np.asarray(input_lengths).reshape(-1)):
            path = best[b, :int(n)]
            keep = np.ones(len(path), dtype=bool)
            keep[1:] = path[1:] != path[:-1]
            sequences.append([int(k) for k in path[keep] if k != blank])
            scores.append(-log_probs[b, :int(n)].max(axis=1).sum())
        return _dense(sequences), np.asarray(scores, dtype=node.outputs[1].dtype)[:, None]

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return [None, None]


def ctc_greedy_decode(log_probs: Any, input_lengths: Any) -> list[Any]:
    """[labels (batch, n) padded with -1, negative summed best log-probabilities]."""
    return CTCGreedyDecode()(log_probs, input_lengths)


class _Beam:
    """A prefix in the beam search's trie: probabilities (log) of ending in a blank, in
    its last label, and in total, at the previous step (old) and this one (new)."""

    __slots__ = ("label", "parent", "children", "old", "new", "active")

    def __init__(self, label: int, parent: _Beam | None):
        self.label, self.parent = label, parent
        self.children: dict[int, _Beam] = {}
        self.old = [_NEG_INF, _NEG_INF, _NEG_INF]  # blank, label, total
        self.new = [_NEG_INF, _NEG_INF, _NEG_INF]

    def labels(self, merge_repeated: bool) -> list[int]:
        out, node = [], self
        while node.parent is not None:
            out.append(node.label)
            node = node.parent
        out.reverse()
        if merge_repeated:
            out = [k for i, k in enumerate(out) if i == 0 or k != out[i - 1]]
        return out


def _beam_search(inputs: np.ndarray, width: int, top_paths: int, merge_repeated: bool
                 ) -> tuple[list[list[int]], list[float]]:
    """TensorFlow's CTC beam search on one sample's (time, classes) inputs."""
    blank = inputs.shape[1] - 1
    root = _Beam(-1, None)
    root.new = [0.0, _NEG_INF, 0.0]
    leaves = [root]
    for step in inputs:
        x = step - step.max()
        branches = sorted(leaves, key=lambda b: -b.new[2])
        in_beam = {id(b) for b in branches}
        for b in branches:
            b.old = list(b.new)
        leaves = []
        for b in branches:
            if b.parent is not None:
                if id(b.parent) in in_beam:  # the prefix is in the beam too
                    previous = b.parent.old[0] if b.label == b.parent.label else \
                        b.parent.old[2]
                    b.new[1] = np.logaddexp(b.new[1], previous)
                b.new[1] += x[b.label]
            b.new[0] = b.old[2] + x[blank]
            b.new[2] = np.logaddexp(b.new[0], b.new[1])
            leaves.append(b)
        def candidate(total: float, leaves: list[_Beam] = leaves) -> bool:
            """A total that enters the beam: it is not full, or this beats its worst."""
            return total > _NEG_INF and (len(leaves) < width or
                                         total > min(e.new[2] for e in leaves))
        for b in branches:
            if not candidate(b.old[2]):
                continue
            for label in range(blank):
                child = b.children.get(label)
                if child is None:
                    child = b.children[label] = _Beam(label, b)
                if child.new[2] > _NEG_INF:
                    continue  # in the beam: its update came from the first pass
                previous = b.old[0] if label == b.label else b.old[2]
                child.new = [_NEG_INF, previous + x[label], previous + x[label]]
                if candidate(child.new[2]):
                    if len(leaves) == width:
                        bottom = min(leaves, key=lambda e: e.new[2])
                        leaves.remove(bottom)
                        bottom.new = [_NEG_INF, _NEG_INF, _NEG_INF]
                    leaves.append(child)
                else:
                    child.old = [_NEG_INF, _NEG_INF, _NEG_INF]
                    child.new = [_NEG_INF, _NEG_INF, _NEG_INF]
    best = sorted(leaves, key=lambda b: -b.new[2])[:top_paths]
    return [b.labels(merge_repeated) for b in best], [float(b.new[2]) for b in best]


@dataclass(frozen=True)
class CTCBeamSearch(Op):
    """Beam-search decoding: outputs `top_paths` label matrices (batch, n) padded with -1,
    then the paths' scores (batch, top_paths)."""

    beam_width: int = 100
    top_paths: int = 1
    merge_repeated: bool = True

    @property
    def name(self) -> str:
        return "ctc_beam_search"

    @property
    def nout(self) -> int:  # type: ignore[override]
        return self.top_paths + 1

    def make_node(self, log_probs: Any, input_lengths: Any) -> Apply:
        log_probs, input_lengths = _inputs(log_probs, input_lengths, "ctc_beam_search")
        if not 1 <= self.top_paths <= self.beam_width:
            raise ValueError(f"ctc_beam_search: top_paths must be in 1..beam_width "
                             f"({self.beam_width}), got {self.top_paths}")
        batch = log_probs.type.shape[0]
        return Apply(self, [log_probs, input_lengths],
                     [TensorType("int64", (batch, None))] * self.top_paths +
                     [TensorType(log_probs.dtype, (batch, self.top_paths))])

    def perform(self, node: Apply, log_probs: Any, input_lengths: Any) -> Any:
        paths: list[list[list[int]]] = [[] for _ in range(self.top_paths)]
        scores = np.full((log_probs.shape[0], self.top_paths), _NEG_INF)
        for b, n in enumerate(np.asarray(input_lengths).reshape(-1)):
            found, score = _beam_search(np.asarray(log_probs[b, :int(n)], np.float64),
                                        self.beam_width, self.top_paths, self.merge_repeated)
            for i in range(self.top_paths):
                paths[i].append(found[i] if i < len(found) else [])
            scores[b, :len(score)] = score
        return tuple(_dense(p) for p in paths) + (scores.astype(node.outputs[-1].dtype),)

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return [None, None]


def ctc_beam_search(log_probs: Any, input_lengths: Any, beam_width: int = 100,
                    top_paths: int = 1, merge_repeated: bool = True) -> list[Any]:
    """[labels of path 1, ..., labels of path top_paths, scores (batch, top_paths)]."""
    out = CTCBeamSearch(int(beam_width), int(top_paths), bool(merge_repeated))(
        log_probs, input_lengths)
    return out if isinstance(out, list) else [out]
