"""Double-buffered updates: a shared variable's storage is never written during a call.

A kernel computing shared variable S's new value writes it into a private buffer of the
compiled function (`UpdateBuffer(S)`), not into S's array: a call that fails half way
leaves every shared value as it was (updates are all or nothing), and a thread reading S
meanwhile sees its whole old value. Once the call has succeeded, S takes the new array
and the private slot takes S's old one (the generated code's `hand back` line), which the
next call writes into -- if nothing else holds it by then (a caller's `get_value(
borrow=True)`, another thread still computing with it): the reference count says so,
and otherwise a fresh array is used. In steady state an update allocates nothing, as
Theano's in-place updates did, without ever overwriting memory anyone can see.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..graph import Apply, StorageCell, Variable
from .registry import Op, RenderContext, keep_input_shape

# References to the spare inside take_spare: the slot, the local name, getrefcount's
# argument. More means someone else holds the array (or a view of it).
_PRIVATE_REFS = 3


def take_spare(slot: StorageCell, like: np.ndarray, copy: bool = False) -> np.ndarray:
    """The slot's array if nothing else holds it and it matches `like`; else a new one.
    With `copy`, it receives like's values (for ops that read the buffer they overwrite)."""
    spare = slot.value
    if spare is None or sys.getrefcount(spare) > _PRIVATE_REFS or spare is like or \
            spare.shape != like.shape or spare.dtype != like.dtype or \
            not spare.flags.writeable:
        spare = None
    if spare is None:
        return np.array(like, copy=True) if copy else np.empty_like(like)
    if copy:
        np.copyto(spare, like)
    return spare


@dataclass(frozen=True, eq=False)
class UpdateBuffer(Op):
    """A private array shaped like the shared variable it reads, for the kernel computing
    that variable's new value to write into (`copy`: holding its current values).

    Never equal to another (each is one function's slot), never folded; its slot is not
    a parameter, so a graph holding one reads back from JSON with a fresh slot.
    """

    copy: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "slot", StorageCell(None))

    @property
    def name(self) -> str:
        return "update_buffer"

    def make_node(self, shared: Any) -> Apply:
        if not isinstance(shared, Variable) or not hasattr(shared.type, "dtype"):
            raise TypeError(f"update_buffer: needs a tensor variable, got {shared!r}")
        return Apply(self, [shared], [shared.type])

    def render(self, ctx: RenderContext, node: Apply, ins: Sequence[str]) -> str:
        fn = ctx.ref(take_spare, "take_spare")
        copy = ", copy=True" if self.copy else ""
        return f"{fn}({ctx.ref(self.slot, 'spare')}, {ins[0]}{copy})"

    def hand_back(self, ctx: RenderContext, old_value: str) -> str:
        """The line that makes the shared variable's old array this slot's spare (after
        the call has assigned the new values)."""
        return f"{ctx.ref(self.slot, 'spare')}.value = {old_value}"

    def grad(self, inputs: Sequence[Variable], outputs: Sequence[Variable],
             output_grads: Sequence[Variable | None]) -> list[Variable | None]:
        return [None]

    infer_shape = keep_input_shape
