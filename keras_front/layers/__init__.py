"""keras_front.layers: the layers, under Keras 1.2's names and Keras 2's.

    from keras_front.layers import Dense, Dropout, Activation, Flatten, Input, merge
    from keras_front.layers.core import Dense            # Keras 1 module paths work too

`serialize(layer)` / `deserialize({'class_name', 'config'}, custom_objects)` turn layers
(and Sequential / Model) into configs and back.
"""

from typing import Any

from ..engine import Input, InputLayer, InputSpec, Layer
from ..engine.base_layer import Layer as _Layer
from ..utils.generic_utils import CustomObjectScope, get_custom_objects, has_arg
from .advanced_activations import (
    ELU,
    LeakyReLU,
    ParametricSoftplus,
    PReLU,
    SReLU,
    ThresholdedReLU,
)
from .convolutional import (
    AtrousConv1D,
    AtrousConv2D,
    AtrousConvolution1D,
    AtrousConvolution2D,
    Conv1D,
    Conv2D,
    Conv2DTranspose,
    Conv3D,
    Convolution1D,
    Convolution2D,
    Convolution3D,
    Deconv2D,
    Deconvolution2D,
    SeparableConv2D,
    SeparableConvolution2D,
)
from .convolutional_recurrent import ConvLSTM2D
from .core import (
    Activation,
    ActivityRegularization,
    Dense,
    Dropout,
    Flatten,
    Lambda,
    Masking,
    Permute,
    RepeatVector,
    Reshape,
)
from .embeddings import Embedding
from .legacy import Highway, MaxoutDense, TimeDistributedDense
from .local import LocallyConnected1D, LocallyConnected2D
from .merge import (
    Add,
    Average,
    Concatenate,
    Dot,
    Maximum,
    Merge,
    Minimum,
    Multiply,
    Subtract,
    add,
    average,
    concatenate,
    dot,
    maximum,
    merge,
    minimum,
    multiply,
    subtract,
)
from .noise import (
    GaussianDropout,
    GaussianNoise,
    SpatialDropout1D,
    SpatialDropout2D,
    SpatialDropout3D,
)
from .normalization import BatchNormalization
from .pooling import (
    AveragePooling1D,
    AveragePooling2D,
    AveragePooling3D,
    AvgPool1D,
    AvgPool2D,
    AvgPool3D,
    GlobalAveragePooling1D,
    GlobalAveragePooling2D,
    GlobalAveragePooling3D,
    GlobalAvgPool1D,
    GlobalAvgPool2D,
    GlobalAvgPool3D,
    GlobalMaxPool1D,
    GlobalMaxPool2D,
    GlobalMaxPool3D,
    GlobalMaxPooling1D,
    GlobalMaxPooling2D,
    GlobalMaxPooling3D,
    MaxPool1D,
    MaxPool2D,
    MaxPool3D,
    MaxPooling1D,
    MaxPooling2D,
    MaxPooling3D,
)
from .recurrent import GRU, LSTM, Recurrent, SimpleRNN
from .resizing import (
    Cropping1D,
    Cropping2D,
    Cropping3D,
    UpSampling1D,
    UpSampling2D,
    UpSampling3D,
    ZeroPadding1D,
    ZeroPadding2D,
    ZeroPadding3D,
)
from .wrappers import Bidirectional, TimeDistributed, Wrapper


def _layer_classes() -> dict[str, Any]:
    """Every layer class exported here (read at call time: later modules add theirs)."""
    from .. import models
    classes = {name: obj for name, obj in globals().items()
               if isinstance(obj, type) and issubclass(obj, _Layer)}
    classes.update(Sequential=models.Sequential, Model=models.Model, Container=models.Model)
    return classes


def serialize(layer: Layer) -> dict[str, Any]:
    """{'class_name': the layer's class name, 'config': layer.get_config()}."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


def deserialize(config: dict[str, Any], custom_objects: dict[str, Any] | None = None) -> Layer:
    """The layer (or model) described by {'class_name', 'config'}; custom classes come from
    custom_objects or the global custom objects."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"A layer config must be a dict with 'class_name' and 'config'; got "
                         f"{str(config)[:200]}")
    name = config["class_name"]
    custom_objects = custom_objects or {}
    cls = custom_objects.get(name) or get_custom_objects().get(name) or \
        _layer_classes().get(name)
    if cls is None:
        raise ValueError(f"Unknown layer: {name}. If it is a custom layer, pass it in "
                         f"custom_objects={{'{name}': {name}}}")
    with CustomObjectScope(custom_objects):
        if has_arg(cls.from_config, "custom_objects"):
            return cls.from_config(config.get("config", {}), custom_objects=custom_objects)
        return cls.from_config(config.get("config", {}))


__all__ = [
    "ELU", "Activation", "ActivityRegularization", "Add", "Average", "Concatenate", "Dense",
    "Dot", "Dropout", "Flatten", "GaussianDropout", "GaussianNoise", "Input", "InputLayer",
    "InputSpec", "Lambda", "Layer", "LeakyReLU", "Masking", "Maximum", "Merge", "Minimum",
    "Multiply", "PReLU", "Permute", "RepeatVector", "Reshape", "Subtract", "ThresholdedReLU",
    "add", "average", "concatenate", "deserialize", "dot", "maximum", "merge", "minimum",
    "multiply", "serialize", "subtract",
    # issue 10: recurrent, embeddings, normalization, wrappers, legacy layers
    "GRU", "LSTM", "BatchNormalization", "ConvLSTM2D", "Bidirectional", "Embedding", "Highway",
    "MaxoutDense", "ParametricSoftplus", "Recurrent", "SReLU", "SimpleRNN",
    "SpatialDropout1D", "SpatialDropout2D", "SpatialDropout3D", "TimeDistributed",
    "TimeDistributedDense", "Wrapper",
    # convolution, pooling, resizing, locally connected (convolutional.py, pooling.py,
    # resizing.py, local.py)
    "AtrousConv1D", "AtrousConv2D", "AtrousConvolution1D", "AtrousConvolution2D", "Conv1D",
    "Conv2D", "Conv2DTranspose", "Conv3D", "Convolution1D", "Convolution2D", "Convolution3D",
    "Deconv2D", "Deconvolution2D", "SeparableConv2D", "SeparableConvolution2D",
    "LocallyConnected1D", "LocallyConnected2D", "AveragePooling1D", "AveragePooling2D",
    "AveragePooling3D", "AvgPool1D", "AvgPool2D", "AvgPool3D", "GlobalAveragePooling1D",
    "GlobalAveragePooling2D", "GlobalAveragePooling3D", "GlobalAvgPool1D", "GlobalAvgPool2D",
    "GlobalAvgPool3D", "GlobalMaxPool1D", "GlobalMaxPool2D", "GlobalMaxPool3D",
    "GlobalMaxPooling1D", "GlobalMaxPooling2D", "GlobalMaxPooling3D", "MaxPool1D",
    "MaxPool2D", "MaxPool3D", "MaxPooling1D", "MaxPooling2D", "MaxPooling3D", "Cropping1D",
    "Cropping2D", "Cropping3D", "UpSampling1D", "UpSampling2D", "UpSampling3D",
    "ZeroPadding1D", "ZeroPadding2D", "ZeroPadding3D",
]
