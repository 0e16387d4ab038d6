"""Fused recurrent loops: a whole sequence of SimpleRNN, GRU or LSTM steps as one op.

    outs, h_T, [c_T,] *saved = FusedRNN('lstm', 'tanh', 'hard_sigmoid')(xz, U, h0, c0)

`scan` runs any step function, but each step is a call of a compiled graph (dozens of
small NumPy calls) and its gradient recomputes the step. For the three standard cells
this op runs the loop in NumPy directly: per step one matrix product h . U (GRU: two)
and a few vectorized expressions, keeping the gate activations; the gradient op runs
backpropagation through time on them with one product per step for dh and ONE product
for all steps for dU -- the work a hand-written NumPy implementation does.

Inputs (time-major): xz (T, B, G*H), the input projections of every step with their
biases (gate blocks: LSTM i, f, c, o; GRU z, r, h; SimpleRNN one); U (H, G*H); h0 (B, H);
for LSTM c0 (B, H); with `masked`, mask (T, B): 0 keeps the previous output and states
(the first outputs are zeros until a step is unmasked), as Keras's rnn does; with
`dropped`, mu (B, H): a recurrent dropout mask multiplying h before every product.
Outputs: the outputs (T, B, H), the final states, then what the gradient needs.

The cells (Keras 1.2.2's formulations; `act` and `inner` name activations in _ACTS):
    SimpleRNN  h' = act(x + (h mu) U)
    GRU        z, r = inner(x_zr + (h mu) U_zr); hh = act(x_h + (r h mu) U_h);
               h' = z h + (1 - z) hh
    LSTM       i, f, o = inner(...), g = act(...) of x + (h mu) U; c' = f c + i g;
               h' = o act(c')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from .. import dtypes
from ..graph import Apply, Variable
from ..lazy import LazyModule
from ..tensor import TensorType, as_tensor
from .allocation import zeros_like
from .elemwise import cast
from .indexing import getitem
from .registry import Op
from .shape import transpose

_special = LazyModule("scipy.special")  # imported when first needed, not by `import symgraph`


def _expit(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    return _special.expit(z, out=out)


def _hard_sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    out = np.multiply(z, z.dtype.type(0.2), out=out)
    out += z.dtype.type(0.5)
    return np.clip(out, 0, 1, out=out)


def _linear(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    if out is None:
        return z.copy()
    out[...] = z
    return out


# name -> (activation (z, out=None) -> out, derivative from the activation's OUTPUT)
_ACTS = {
    "tanh": (np.tanh, lambda y: 1 - y * y),
    "sigmoid": (_expit, lambda y: y * (1 - y)),
    "hard_sigmoid": (_hard_sigmoid, lambda y: ((y > 0) & (y < 1)) * y.dtype.type(0.2)),
    "relu": (lambda z, out=None: np.maximum(z, 0, out=out),
             lambda y: (y > 0).astype(y.dtype)),
    "linear": (_linear, lambda y: np.ones_like(y)),
}
CELLS = {"simple": 1, "gru": 3, "lstm": 4}  # gate blocks per cell


def supports(cell: str, activation: str, inner_activation: str) -> bool:
    """True when FusedRNN can run this cell with these activations (by name)."""
    return cell in CELLS and activation in _ACTS and inner_activation in _ACTS


@dataclass(frozen=True)
class _Cell(Op):
    """What FusedRNN and its gradient share: the cell, its activations, which optional
    inputs there are."""

    cell: str
    activation: str = "tanh"
    inner_activation: str = "hard_sigmoid"
    masked: bool = False
    dropped: bool = False

    @property
    def n_states(self) -> int:
        return 2 if self.cell == "lstm" else 1


@dataclass(frozen=True)
class FusedRNN(_Cell):
    """The loop (see the module docstring); outputs (outs, h_T, [c_T], gates, hs[, cs])."""

    @property
    def name(self) -> str:
        return f"fused_{self.cell}"

    @property
    def nout(self) -> int:  # type: ignore[override]
        return 6 if self.cell == "lstm" else 4

    def make_node(self, xz: Any, u: Any, *rest: Any) -> Apply:
        xz, u = as_tensor(xz), as_tensor(u)
        n_states = self.n_states
        expected = 2 + n_states + self.masked + self.dropped
        if len(rest) + 2 != expected or not supports(self.cell, self.activation,
                                                     self.inner_activation):
            raise ValueError(f"{self.name}: expected {expected} inputs and known activations, "
                             f"got {len(rest) + 2} ({self.activation}, {self.inner_activation})")
        rest = tuple(as_tensor(r) for r in rest)
        if xz.ndim != 3 or u.ndim != 2 or not dtypes.is_float(xz.dtype):
            raise ValueError(f"{self.name}: xz must be a float (time, batch, gates*units) tensor "
                             f"and U a matrix, got {xz.type} and {u.type}")
        steps, batch, width = xz.type.shape
        units = u.type.shape[0]
        state = TensorType(xz.dtype, (batch, units))
        outs = [TensorType(xz.dtype, (steps, batch, units)), state] + [state] * (n_states - 1)
        outs.append(TensorType(xz.dtype, (steps, batch, width)))      # gate activations
        outs.append(TensorType(xz.dtype, (steps, batch, units)))      # h before each step
        if self.cell == "lstm":
            outs.append(TensorType(xz.dtype, (steps, batch, units)))  # c before each step
        return Apply(self, [xz, u, *rest], outs)

    def perform(self, node: Apply, xz: np.ndarray, u: np.ndarray, *rest: np.ndarray) -> Any:
        lstm = self.cell == "lstm"
        h = np.array(rest[0], dtype=xz.dtype)
        c = np.array(rest[1], dtype=xz.dtype) if lstm else None
        k = 2 if lstm else 1
        mask = rest[k].astype(bool) if self.masked else None
        mu = rest[k + self.masked] if self.dropped else None
        act, _ = _ACTS[self.activation]
        inner, _ = _ACTS[self.inner_activation]
        steps, batch, width = xz.shape
        units = u.shape[0]
        outs = np.zeros((steps, batch, units), xz.dtype)
        gates = np.empty((steps, batch, width), xz.dtype)
        hs = np.empty((steps, batch, units), xz.dtype)
        cs = np.empty((steps, batch, units), xz.dtype) if lstm else None
        out = np.zeros((batch, units), xz.dtype)
        pre = np.empty((batch, width), xz.dtype)  # pre-activations of one step
        for t in range(steps):
            hs[t] = h
            hm = h if mu is None else h * mu
            g = gates[t]
            if self.cell == "simple":
                np.add(np.dot(hm, u, out=pre), xz[t], out=pre)
                h_new, c_new = act(pre, out=g), None
            elif self.cell == "gru":
                zr = hm @ u[:, :2 * units]
                zr += xz[t, :, :2 * units]
                inner(zr, out=g[:, :2 * units])
                z, r = g[:, :units], g[:, units:2 * units]
                hh = (r * hm) @ u[:, 2 * units:]
                hh += xz[t, :, 2 * units:]
                act(hh, out=g[:, 2 * units:])
                h_new, c_new = z * h + (1 - z) * g[:, 2 * units:], None
            else:
                cs[t] = c
                np.add(np.dot(hm, u, out=pre), xz[t], out=pre)
                inner(pre[:, :2 * units], out=g[:, :2 * units])
                act(pre[:, 2 * units:3 * units], out=g[:, 2 * units:3 * units])
                inner(pre[:, 3 * units:], out=g[:, 3 * units:])
                c_new = g[:, units:2 * units] * c
                c_new += g[:, :units] * g[:, 2 * units:3 * units]
                h_new = act(c_new)
                h_new *= g[:, 3 * units:]
            if mask is None:
                h, c, out = h_new, c_new, h_new
            else:
                m = mask[t][:, None]
                h = np.where(m, h_new, h)
                c = np.where(m, c_new, c) if lstm else None
                out = np.where(m, h_new, out)
            outs[t] = out
        result = [outs, h] + ([c] if lstm else []) + [gates, hs] + ([cs] if lstm else [])
        return tuple(np.asarray(r, dtype=xz.dtype) for r in result)

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        n_states = self.n_states
        xz, u = inputs[0], inputs[1]
        k = 2 + n_states
        mask = [inputs[k]] if self.masked else []
        mu = [inputs[k + self.masked]] if self.dropped else []
        grads_in = [g if g is not None else zeros_like(o)
                    for o, g in zip(outputs[:1 + n_states], output_grads[:1 + n_states],
                                    strict=True)]
        saved = list(outputs[1 + n_states:])
        back = FusedRNNGrad(self.cell, self.activation, self.inner_activation, self.masked,
                            self.dropped)(xz, u, *mask, *mu, *saved, *grads_in)
        back = back if isinstance(back, list) else [back]
        return back + [None] * (len(mask) + len(mu))

    def connection_pattern(self, node: Apply) -> list[list[bool]]:
        n_out, n_states = self.nout, self.n_states
        differentiable = [[j < 1 + n_states for j in range(n_out)]] * (2 + n_states)
        return differentiable + [[False] * n_out] * (self.masked + self.dropped)


@dataclass(frozen=True)
class FusedRNNGrad(_Cell):
    """Backpropagation through time for FusedRNN: inputs (xz, U, [mask], [mu], gates, hs,
    [cs], d outs, d h_T, [d c_T]); outputs (d xz, d U, d h0, [d c0])."""

    @property
    def name(self) -> str:
        return f"fused_{self.cell}_grad"

    @property
    def nout(self) -> int:  # type: ignore[override]
        return 4 if self.cell == "lstm" else 3

    def make_node(self, *inputs: Any) -> Apply:
        inputs = [as_tensor(i) for i in inputs]
        xz, u = inputs[0], inputs[1]
        state = TensorType(xz.dtype, (xz.type.shape[1], u.type.shape[0]))
        outs = [xz.type, u.type, state] + ([state] if self.cell == "lstm" else [])
        return Apply(self, inputs, outs)

    def _factors(self, gates: np.ndarray, hs: np.ndarray, hm: np.ndarray, cs: Any,
                 units: int) -> dict[str, np.ndarray]:
        """What multiplies the incoming gradients at each step, for all steps at once
        (vectorized over time: the loop then does a few products per step)."""
        act, act_d = _ACTS[self.activation]
        _, inner_d = _ACTS[self.inner_activation]
        if self.cell == "simple":
            return {"act": act_d(gates)}
        if self.cell == "gru":
            z, r, hh = gates[..., :units], gates[..., units:2 * units], gates[..., 2 * units:]
            return {"hh": (1 - z) * act_d(hh), "z": (hs - hh) * inner_d(z),
                    "r": hm * inner_d(r), "r_hm": r * hm}
        i, f = gates[..., :units], gates[..., units:2 * units]
        g, o = gates[..., 2 * units:3 * units], gates[..., 3 * units:]
        c_new = f * cs + i * g
        tc = act(c_new)
        ifc = np.stack([g * inner_d(i), cs * inner_d(f), i * act_d(g)], axis=2)
        return {"dc": o * act_d(tc), "ifc": ifc, "o": tc * inner_d(o)}

    def perform(self, node: Apply, *args: np.ndarray) -> Any:
        lstm = self.cell == "lstm"
        xz, u = args[0], args[1]
        k = 2
        mask = args[k].astype(bool) if self.masked else None
        k += self.masked
        mu = args[k] if self.dropped else None
        k += self.dropped
        gates, hs = args[k], args[k + 1]
        cs = args[k + 2] if lstm else None
        k += 3 if lstm else 2
        d_outs, dh = args[k], np.array(args[k + 1], dtype=xz.dtype)
        dc = np.array(args[k + 2], dtype=xz.dtype) if lstm else None
        steps, batch, width = xz.shape
        units = u.shape[0]
        dxz = np.zeros_like(xz)
        hm_all = hs if mu is None else hs * mu
        factors = self._factors(gates, hs, hm_all, cs, units)
        extra = factors.get("r_hm")  # GRU: what U_h multiplied, every step
        carry = np.zeros((batch, units), xz.dtype)  # d of the output repeated when masked
        for t in range(steps - 1, -1, -1):
            d_new = d_outs[t] + carry
            m = mask[t][:, None] if mask is not None else None
            dh_new = dh + (d_new if m is None else d_new * m)
            dz = dxz[t]
            if self.cell == "simple":
                np.multiply(dh_new, factors["act"][t], out=dz)
                dh_prev = dz @ u.T
            elif self.cell == "gru":
                np.multiply(dh_new, factors["hh"][t], out=dz[:, 2 * units:])
                d_rhm = dz[:, 2 * units:] @ u[:, 2 * units:].T
                np.multiply(dh_new, factors["z"][t], out=dz[:, :units])
                np.multiply(d_rhm, factors["r"][t], out=dz[:, units:2 * units])
                d_hm = dz[:, :2 * units] @ u[:, :2 * units].T
                d_hm += d_rhm * gates[t, :, units:2 * units]
                dh_prev = dh_new * gates[t, :, :units] + (d_hm if mu is None else d_hm * mu)
            else:
                dc_new = dc + dh_new * factors["dc"][t]
                blocks = dz.reshape(batch, 4, units)
                np.multiply(dc_new[:, None, :], factors["ifc"][t], out=blocks[:, :3])
                np.multiply(dh_new, factors["o"][t], out=blocks[:, 3])
                dh_prev = dz @ u.T
                dc_prev = dc_new * gates[t, :, units:2 * units]
            if self.cell == "simple" or lstm:
                dh_prev = dh_prev if mu is None else dh_prev * mu
            if m is None:
                dh = dh_prev
                dc = dc_prev if lstm else None
            else:
                dz *= m
                dh = np.where(m, dh_prev, dh)
                dc = np.where(m, dc_prev, dc) if lstm else None
                carry = np.where(m, 0, d_new)
        flat_h = hm_all.reshape(-1, units)
        flat_dz = dxz.reshape(-1, width)
        if self.cell == "gru":
            du = np.empty_like(u)
            du[:, :2 * units] = flat_h.T @ flat_dz[:, :2 * units]
            du[:, 2 * units:] = extra.reshape(-1, units).T @ flat_dz[:, 2 * units:]
        else:
            du = flat_h.T @ flat_dz
        result = [dxz, du, dh] + ([dc] if lstm else [])
        return tuple(np.asarray(r, dtype=xz.dtype) for r in result)


def fused_rnn(cell: str, xz: Any, u: Any, states: list[Any], mask: Any = None, mu: Any = None,
              activation: str = "tanh", inner_activation: str = "hard_sigmoid",
              go_backwards: bool = False) -> tuple[Any, Any, list[Any]]:
    """The loop on batch-major xz (B, T, G*H), as Keras's rnn returns it: (last output,
    outputs (B, T, H) in the order the steps ran, final states). mask (B, T); mu (B, H)."""
    seq = transpose(as_tensor(xz), [1, 0, 2])
    ms = None if mask is None else transpose(cast(as_tensor(mask), "bool"), [1, 0])
    if go_backwards:
        seq = getitem(seq, slice(None, None, -1))
        ms = None if ms is None else getitem(ms, slice(None, None, -1))
    op = FusedRNN(cell, activation, inner_activation, ms is not None, mu is not None)
    out = op(seq, u, *states, *([ms] if ms is not None else []),
             *([mu] if mu is not None else []))
    n_states = 2 if cell == "lstm" else 1
    outs, final = out[0], out[1:1 + n_states]
    return getitem(outs, -1), transpose(outs, [1, 0, 2]), list(final)
