"""Embedding: integer indices -> dense vectors (rows of a trainable matrix).

    model.add(Embedding(20000, 128, input_length=80, mask_zero=True, dropout=0.2))

Keras 1.2.2's Embedding(input_dim, output_dim, init='uniform', input_length=None,
W_regularizer, activity_regularizer, W_constraint, mask_zero=False, weights=None,
dropout=0.); Keras 2's embeddings_initializer / embeddings_regularizer /
embeddings_constraint spellings work too. `mask_zero=True` makes index 0 padding: the
layer outputs a mask (samples, time) that recurrent layers follow. `dropout` drops
whole words while training (rows of the matrix, the same for every occurrence in the
batch), scaling the rest by 1 / (1 - dropout).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import backend as K
from .. import constraints, initializers, regularizers
from ..engine.base_layer import Layer
from .arguments import renamed, serialize_initializer, serialize_object


class Embedding(Layer):
    """Turns indices (samples, sequence_length) into vectors (samples, length, output_dim).
    The weight is `W` (Keras 2: `embeddings`), shape (input_dim, output_dim)."""

    def __init__(self, input_dim: int, output_dim: int, init: Any = None,
                 input_length: int | None = None, W_regularizer: Any = None,  # noqa: N803
                 activity_regularizer: Any = None, W_constraint: Any = None,  # noqa: N803
                 mask_zero: bool = False, weights: Any = None, dropout: float = 0.0, *,
                 embeddings_initializer: Any = None, embeddings_regularizer: Any = None,
                 embeddings_constraint: Any = None, **kwargs: Any):
        self.input_dim = int(input_dim)
        self.output_dim = int(output_dim)
        self.init = self.embeddings_initializer = initializers.get(
            renamed("Embedding", ("init", init),
                    ("embeddings_initializer", embeddings_initializer), "uniform"))
        self.input_length = input_length
        self.mask_zero = bool(mask_zero)
        self.dropout = float(dropout)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"Embedding: dropout must be in [0, 1), got {dropout}")
        self.W_regularizer = self.embeddings_regularizer = regularizers.get(
            renamed("Embedding", ("W_regularizer", W_regularizer),
                    ("embeddings_regularizer", embeddings_regularizer)))
        self.activity_regularizer = regularizers.get(activity_regularizer)
        self.W_constraint = self.embeddings_constraint = constraints.get(
            renamed("Embedding", ("W_constraint", W_constraint),
                    ("embeddings_constraint", embeddings_constraint)))
        self.uses_learning_phase = 0.0 < self.dropout < 1.0
        if kwargs.get("input_shape") is None and kwargs.get("batch_input_shape") is None:
            kwargs["input_shape"] = (input_length,)
        kwargs.setdefault("input_dtype", "int32")
        self.W: Any = None
        super().__init__(weights=weights, **kwargs)

    embeddings = property(lambda self: self.W, doc="The embedding matrix (Keras 2 name).")

    def build(self, input_shape: Sequence[int | None]) -> None:
        """The (input_dim, output_dim) matrix."""
        self.W = self.add_weight((self.input_dim, self.output_dim), self.init, name="W",
                                 regularizer=self.W_regularizer, constraint=self.W_constraint)
        self.built = True

    def compute_mask(self, inputs: Any, mask: Any = None) -> Any:
        """With mask_zero: True where the index is not 0; else None."""
        if not self.mask_zero:
            return None
        return K.not_equal(inputs, 0)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(samples, input_length or the input's length, output_dim)."""
        length = self.input_length if self.input_length is not None else input_shape[1] \
            if len(input_shape) > 1 else None
        return (input_shape[0], length, *input_shape[2:], self.output_dim)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The rows of W at the indices (whole rows dropped while training with dropout)."""
        if not K.dtype(inputs).startswith(("int", "uint")):
            inputs = K.cast(inputs, "int32")
        W = self.W  # noqa: N806 (Keras's name)
        if self.uses_learning_phase:
            retain = 1.0 - self.dropout
            keep = K.random_binomial((self.input_dim, 1), p=retain, dtype=K.dtype(W))
            W = K.in_train_phase(lambda: self.W * (keep / retain), self.W)  # noqa: N806
        return K.gather(W, inputs)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's keys."""
        config = {"input_dim": self.input_dim, "output_dim": self.output_dim,
                  "init": serialize_initializer(self.init), "input_length": self.input_length,
                  "mask_zero": self.mask_zero,
                  "W_regularizer": serialize_object(self.W_regularizer),
                  "activity_regularizer": serialize_object(self.activity_regularizer),
                  "W_constraint": serialize_object(self.W_constraint),
                  "dropout": self.dropout}
        return {**super().get_config(), **config}
