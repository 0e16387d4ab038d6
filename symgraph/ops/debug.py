"""Debugging ops: Print, the identity that prints its input's value when it is computed
(Theano's Print; Keras's K.print_tensor).

    y = Print("activations: ")(x)     # use y where x was used

The op is marked nondeterministic, so it is never constant-folded, merged away or moved
out of a scan's loop (it prints on every step there); its gradient passes through.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Apply, Variable
from ..tensor import as_tensor
from .registry import Op, keep_input_shape


@dataclass(frozen=True)
class Print(Op):
    """Identity that writes `message` and the value (and optionally other attributes,
    e.g. 'shape') to stdout each time it runs."""

    message: str = ""
    attrs: tuple[str, ...] = ("__str__",)
    nondeterministic = True

    @property
    def name(self) -> str:
        return "print"

    def make_node(self, x: Any) -> Apply:
        x = as_tensor(x)
        return Apply(self, [x], [x.type])

    def perform(self, node: Apply, x: Any) -> Any:
        parts = [str(x) if a == "__str__" else f"{a}={getattr(np.asarray(x), a)}"
                 for a in self.attrs]
        sys.stdout.write(f"{self.message}{' '.join(parts)}\n")
        return np.array(x, copy=True)

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return [output_grads[0]]

    infer_shape = keep_input_shape
