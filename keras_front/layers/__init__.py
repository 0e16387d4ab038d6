"""keras_front.layers: the layers, under Keras 1.2's names and Keras 2's.

    from keras_front.layers import Dense, Dropout, Activation, Flatten, Input, merge
    from keras_front.layers.core import Dense            # Keras 1 module paths work too

`serialize(layer)` / `deserialize({'class_name', 'config'}, custom_objects)` turn layers
(and Sequential / Model) into configs and back.
"""

from typing import Any

from ..engine import Input, InputLayer, InputSpec, Layer
from ..engine.base_layer import Layer as _Layer
from ..utils.generic_utils import deserialize_layer as deserialize
from ..utils.generic_utils import register_layer_classes
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


def serialize(layer: Layer) -> dict[str, Any]:
    """{'class_name': the layer's class name, 'config': layer.get_config()}."""
    return {"class_name": type(layer).__name__, "config": layer.get_config()}


# deserialize({'class_name', 'config'}, custom_objects) finds these classes by name, and
# Sequential / Model / Container, which keras_front.models registers.
register_layer_classes({name: obj for name, obj in globals().items()
                        if isinstance(obj, type) and issubclass(obj, _Layer)})


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
