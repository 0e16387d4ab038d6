"""DistributedOptimizer: any keras_front optimizer, with gradients averaged over all ranks.

The train function `fit` compiles once stays ONE compiled function: it computes the
gradients, packs them into one contiguous float64 buffer (one collective per step, however
many weights), averages them over the ranks in symgraph's allreduce op, clips them
(clipnorm / clipvalue, as one process would clip the gradient of the global batch) and
applies the wrapped optimizer's rule. Every rank then holds the same weights.

Averaging: each rank's gradients are weighted by the samples it trained on in the step
(`local_weight`, which fit sets; 1 by default, i.e. a plain mean, for train_on_batch in a
loop of one's own). The sum runs in float64: adding float32 gradients in float64 is exact
for any practical number of ranks, so the average is the float32 rounding of the exact
weighted mean whatever order MPI adds in, and identical on every rank.
`average_dtype='float32'` halves the bytes sent, rounding the sum in float32.

The wrapper is a subclass of the optimizer's own class with the same name, so
`isinstance` checks, `get_config` and saved model files are the original optimizer's;
`keras_front.distributed.load_model` wraps the optimizer of a loaded model again.
"""

from __future__ import annotations

from functools import cache
from typing import Any

import symgraph.distributed as sgd

from .. import backend as K
from .. import optimizers
from .process import init
from .sharding import ShardedPlan

_AVERAGE_DTYPES = ("float64", "float32")


class _Distributed:
    """Mixed in before an optimizer class: gradients averaged over ranks, then clipped."""

    def __init__(self, *args: Any, average_dtype: str = "float64", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._setup_distributed(average_dtype)

    def _setup_distributed(self, average_dtype: str) -> None:
        if average_dtype not in _AVERAGE_DTYPES:
            raise ValueError(f"DistributedOptimizer: average_dtype must be one of "
                             f"{_AVERAGE_DTYPES}, got {average_dtype!r}")
        self.average_dtype = average_dtype
        self.local_weight = K.variable(1.0, dtype="float64", name="local_weight")
        self.data_plan = ShardedPlan(self.local_weight)

    def get_gradients(self, loss: Any, params: Any) -> list[Any]:
        """The gradients averaged over all ranks in one collective, then clipped."""
        if _overrides_gradients(type(self)):
            # The optimizer computes (and clips) its gradients its own way: average those.
            return self.average_gradients(super().get_gradients(loss, params))
        return self.clip_gradients(self.average_gradients(K.gradients(loss, list(params))))

    def average_gradients(self, grads: list[Any]) -> list[Any]:
        """The rank-weighted mean of `grads` over all ranks (one packed allreduce)."""
        return sgd.allreduce_packed(grads, op="mean", weight=self.local_weight,
                                    dtype=self.average_dtype, name="gradients")


def _overrides_gradients(cls: type) -> bool:
    """Whether the wrapped class computes gradients its own way (not Optimizer's)."""
    owner = next(c for c in cls.__mro__
                 if c is not _Distributed and "get_gradients" in c.__dict__)
    return owner is not optimizers.Optimizer


@cache
def distributed_class(cls: type) -> type:
    """The distributed twin of an optimizer class: same name, `_Distributed` mixed in."""
    if issubclass(cls, _Distributed):
        return cls
    if not (isinstance(cls, type) and issubclass(cls, optimizers.Optimizer)):
        raise TypeError(f"DistributedOptimizer wraps keras_front optimizers (subclasses of "
                        f"keras_front.optimizers.Optimizer), got {cls!r}")
    return type(cls.__name__, (_Distributed, cls),
                {"__module__": cls.__module__, "__qualname__": cls.__qualname__,
                 "__doc__": f"{cls.__name__} with gradients averaged over all ranks "
                            f"(keras_front.distributed.DistributedOptimizer)."})


def DistributedOptimizer(optimizer: Any, average_dtype: str = "float64") -> Any:  # noqa: N802
    """`optimizer` (an instance or a name) with its gradients averaged over all ranks.

    On a single process (no MPI launcher) it returns the optimizer itself: the same
    script trains exactly as plain keras_front. Wrap before `model.compile`.
    average_dtype: 'float64' (default, exact sums) or 'float32' (half the traffic).
    """
    init()
    optimizer = optimizers.get(optimizer)
    if average_dtype not in _AVERAGE_DTYPES:
        raise ValueError(f"DistributedOptimizer: average_dtype must be one of "
                         f"{_AVERAGE_DTYPES}, got {average_dtype!r}")
    if sgd.size() == 1 or isinstance(optimizer, _Distributed):
        return optimizer
    wrapped = object.__new__(distributed_class(type(optimizer)))
    wrapped.__dict__.update(optimizer.__dict__)  # the same lr, iterations... variables
    wrapped._setup_distributed(average_dtype)
    return wrapped


def distributed_custom_objects(custom_objects: dict[str, Any] | None) -> dict[str, Any]:
    """custom_objects in which every optimizer class (ours and the caller's) is replaced by
    its distributed twin, for load_model."""
    objects = dict(custom_objects or {})
    classes = {cls.__name__: cls for cls in optimizers._ALL.values()}
    classes.update((name, value) for name, value in objects.items()
                   if isinstance(value, type) and issubclass(value, optimizers.Optimizer))
    objects.update((name, distributed_class(cls)) for name, cls in classes.items())
    return objects
