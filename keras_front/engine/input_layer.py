"""InputLayer and Input(): where a model's data enters (a K.placeholder with Keras metadata).

    x = Input(shape=(784,))             # a (None, 784) float32 Keras tensor named input_1
    x = Input(batch_shape=(32, 784), dtype='float32', name='pixels')
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import backend as K
from .base_layer import Layer
from .node import Node


class InputLayer(Layer):
    """The layer behind an Input tensor: one node whose output is the placeholder."""

    def __init__(self, input_shape: Sequence[int | None] | None = None,
                 batch_input_shape: Sequence[int | None] | None = None,
                 input_dtype: str | None = None, input_tensor: Any = None,
                 sparse: bool = False, name: str | None = None, batch_size: int | None = None,
                 dtype: str | None = None):
        if sparse:
            raise NotImplementedError("InputLayer(sparse=True): symgraph has no sparse tensors; "
                                      "feed dense arrays")
        if not name:
            name = f"input_{K.get_uid('input')}"
        super().__init__(name=name)
        self.trainable = False
        self.built = True
        self.sparse = sparse
        if batch_input_shape is None:
            if input_shape is None:
                if input_tensor is None:
                    raise ValueError("An Input layer should be passed either a "
                                     "`batch_input_shape` or an `input_shape`.")
                batch_input_shape = K.int_shape(input_tensor)
            else:
                batch_input_shape = (batch_size,) + tuple(input_shape)
        batch_input_shape = tuple(None if d is None else int(d) for d in batch_input_shape)
        input_dtype = input_dtype or dtype
        if not input_dtype:
            input_dtype = K.floatx() if input_tensor is None else K.dtype(input_tensor)
        self.batch_input_shape = batch_input_shape
        self.input_dtype = input_dtype
        if input_tensor is None:
            input_tensor = K.placeholder(shape=batch_input_shape, dtype=input_dtype, name=name)
        else:
            K.set_keras_attr(input_tensor, "_keras_shape", batch_input_shape)
        K.set_keras_attr(input_tensor, "_uses_learning_phase", False)
        K.set_keras_attr(input_tensor, "_keras_history", (self, 0, 0))
        Node(self, inbound_layers=[], node_indices=[], tensor_indices=[],
             input_tensors=[input_tensor], output_tensors=[input_tensor], input_masks=[None],
             output_masks=[None], input_shapes=[batch_input_shape],
             output_shapes=[batch_input_shape])

    def get_config(self) -> dict[str, Any]:
        """batch_input_shape, input_dtype, sparse and name (Keras 1.2's keys)."""
        return {"batch_input_shape": self.batch_input_shape, "input_dtype": self.input_dtype,
                "sparse": self.sparse, "name": self.name}


Layer._input_layer_class = InputLayer  # for Layer.create_input_layer (see there)


def Input(shape: Sequence[int | None] | None = None,  # noqa: N802 (Keras's name)
          batch_shape: Sequence[int | None] | None = None, name: str | None = None,
          dtype: str | None = None, sparse: bool = False, tensor: Any = None,
          batch_size: int | None = None) -> Any:
    """A Keras tensor to start a functional model from; `shape` excludes the batch axis."""
    if batch_shape is None and shape is None and tensor is None:
        raise ValueError("Please provide to Input either a `shape` or a `batch_shape` argument. "
                         "Note that `shape` does not include the batch dimension.")
    if shape is not None and batch_shape is None:
        if isinstance(shape, int):
            shape = (shape,)
        batch_shape = (batch_size,) + tuple(shape)
    layer = InputLayer(batch_input_shape=batch_shape, name=name, input_dtype=dtype,
                       sparse=sparse, input_tensor=tensor)
    outputs = layer.inbound_nodes[0].output_tensors
    return outputs[0] if len(outputs) == 1 else outputs
