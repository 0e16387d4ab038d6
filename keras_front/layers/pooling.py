"""Pooling layers: MaxPooling1D/2D/3D, AveragePooling1D/2D/3D and the global poolings
GlobalMax/GlobalAveragePooling1D/2D/3D -- Keras 1.2.2's arguments, defaults, output shapes
and configs (pool_length / stride / border_mode for 1-d; pool_size / strides /
border_mode / dim_ordering for 2-d and 3-d), with Keras 2's spellings too (pool_size and
strides for 1-d, padding, data_format, int sizes; MaxPool2D, AvgPool2D,
GlobalMaxPool2D ... aliases).

The computation is Keras 1.2.2's Theano backend's (K.pool2d / K.pool3d): 'same' pads the
window size minus one (minus two for odd windows above 2) on both sides and keeps the
first ceil(length / stride) windows; averages leave the padding out.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import backend as K
from ..engine.base_layer import InputSpec, Layer
from .arguments import renamed
from .conv_base import border, int_tuple, ordering, output_lengths, spatial_axes

_POOL_MODES = ("valid", "same")


class _Pooling1D(Layer):
    """Pooling along the steps of (samples, steps, features)."""

    pool_mode = "max"

    def __init__(self, pool_length: int | None = None, stride: int | None = None,
                 border_mode: str | None = None, *, pool_size: Any = None,
                 strides: Any = None, padding: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        layer = type(self).__name__
        self.pool_length = int_tuple(layer, "pool_length", renamed(
            layer, ("pool_length", pool_length), ("pool_size", pool_size), 2), 1)[0]
        stride = renamed(layer, ("stride", stride), ("strides", strides))
        self.stride = self.pool_length if stride is None else \
            int_tuple(layer, "stride", stride, 1)[0]
        self.border_mode = self.padding = border(layer, border_mode, padding, _POOL_MODES)
        self.pool_size, self.strides = (self.pool_length,), (self.stride,)
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The pooling, as a 'tf' pool2d over one column."""
        out = K.pool2d(K.expand_dims(inputs, 2), (self.pool_length, 1), (self.stride, 1),
                       self.border_mode, "tf", self.pool_mode)
        return K.squeeze(out, 2)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(samples, pooled steps, features)."""
        (n,) = output_lengths([input_shape[1]], self.pool_size, self.border_mode,
                              self.strides, (1,))
        return (input_shape[0], n, input_shape[2])

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's config: stride, pool_length, border_mode."""
        return {**super().get_config(), "stride": self.stride, "pool_length": self.pool_length,
                "border_mode": self.border_mode}


class MaxPooling1D(_Pooling1D):
    """The maximum of each window of pool_length steps, stride steps apart."""


class AveragePooling1D(_Pooling1D):
    """The mean of each window of pool_length steps, stride steps apart."""

    pool_mode = "avg"


class _Pooling(Layer):
    """Pooling over the spatial dims of images (rank 2) or volumes (rank 3)."""

    rank = 2
    pool_mode = "max"

    def __init__(self, pool_size: Any, strides: Any, border_mode: str | None,
                 dim_ordering: str | None, padding: str | None, data_format: str | None,
                 **kwargs: Any):
        super().__init__(**kwargs)
        layer = type(self).__name__
        self.pool_size = int_tuple(layer, "pool_size", pool_size, self.rank)
        self.strides = self.pool_size if strides is None else \
            int_tuple(layer, "strides", strides, self.rank)
        self.border_mode = self.padding = border(layer, border_mode, padding, _POOL_MODES)
        self.dim_ordering = ordering(layer, dim_ordering, data_format)
        self.data_format = "channels_first" if self.dim_ordering == "th" else "channels_last"
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """K.pool2d / K.pool3d with the layer's window, strides, border mode, ordering."""
        pool = K.pool2d if self.rank == 2 else K.pool3d
        return pool(inputs, self.pool_size, self.strides, self.border_mode,
                    self.dim_ordering, self.pool_mode)

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """The spatial lengths pooled (Keras's conv_output_length), the rest kept."""
        axes = spatial_axes(self.rank, self.dim_ordering)
        lengths = output_lengths([input_shape[a] for a in axes], self.pool_size,
                                 self.border_mode, self.strides, (1,) * self.rank)
        out = list(input_shape)
        for a, n in zip(axes, lengths, strict=True):
            out[a] = n
        return tuple(out)

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's config: pool_size, border_mode, strides, dim_ordering."""
        return {**super().get_config(), "pool_size": self.pool_size,
                "border_mode": self.border_mode, "strides": self.strides,
                "dim_ordering": self.dim_ordering}


class _Pooling2D(_Pooling):
    def __init__(self, pool_size: Any = (2, 2), strides: Any = None,
                 border_mode: str | None = None, dim_ordering: str | None = "default", *,
                 padding: str | None = None, data_format: str | None = None, **kwargs: Any):
        super().__init__(pool_size, strides, border_mode, dim_ordering, padding, data_format,
                         **kwargs)


class _Pooling3D(_Pooling):
    rank = 3

    def __init__(self, pool_size: Any = (2, 2, 2), strides: Any = None,
                 border_mode: str | None = None, dim_ordering: str | None = "default", *,
                 padding: str | None = None, data_format: str | None = None, **kwargs: Any):
        super().__init__(pool_size, strides, border_mode, dim_ordering, padding, data_format,
                         **kwargs)


class MaxPooling2D(_Pooling2D):
    """The maximum of each pool_size window of an image, strides apart (default: the
    window, so windows do not overlap)."""


class AveragePooling2D(_Pooling2D):
    """The mean of each pool_size window of an image (padding left out)."""

    pool_mode = "avg"


class MaxPooling3D(_Pooling3D):
    """The maximum of each pool_size window of a volume."""


class AveragePooling3D(_Pooling3D):
    """The mean of each pool_size window of a volume (padding left out)."""

    pool_mode = "avg"


class _GlobalPooling(Layer):
    """The max or mean over every spatial position: (batch, channels) out."""

    rank = 1
    reduce = staticmethod(K.max)

    def __init__(self, dim_ordering: str | None = "default", *,
                 data_format: str | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        given = dim_ordering not in (None, "default") or data_format is not None
        # Sequences are (samples, steps, features) whatever the image ordering; Keras 2.2's
        # data_format='channels_first' reads (samples, features, steps).
        self.dim_ordering = ordering(type(self).__name__, dim_ordering, data_format) \
            if self.rank > 1 or given else "tf"
        self.input_spec = InputSpec(ndim=self.rank + 2)

    def _axes(self) -> list[int]:
        return list(spatial_axes(self.rank, self.dim_ordering))

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The reduction over the spatial axes."""
        axes = self._axes()
        return type(self).reduce(inputs, axis=axes if len(axes) > 1 else axes[0])

    def compute_output_shape(self, input_shape: Sequence[int | None]) -> tuple:
        """(batch, channels)."""
        channel = 1 if self.dim_ordering == "th" else self.rank + 1
        return (input_shape[0], input_shape[channel])

    def get_config(self) -> dict[str, Any]:
        """The config (with dim_ordering for images, volumes and channels-first steps)."""
        config = super().get_config()
        if self.rank > 1 or self.dim_ordering == "th":
            config["dim_ordering"] = self.dim_ordering
        return config


class GlobalMaxPooling1D(_GlobalPooling):
    """The maximum over the steps: (samples, steps, features) -> (samples, features)."""


class GlobalAveragePooling1D(_GlobalPooling):
    """The mean over the steps: (samples, steps, features) -> (samples, features)."""

    reduce = staticmethod(K.mean)


class GlobalMaxPooling2D(_GlobalPooling):
    """The maximum over rows and columns: (samples, channels)."""

    rank = 2


class GlobalAveragePooling2D(_GlobalPooling):
    """The mean over rows and columns: (samples, channels)."""

    rank = 2
    reduce = staticmethod(K.mean)


class GlobalMaxPooling3D(_GlobalPooling):
    """The maximum over the three spatial dims: (samples, channels)."""

    rank = 3


class GlobalAveragePooling3D(_GlobalPooling):
    """The mean over the three spatial dims: (samples, channels)."""

    rank = 3
    reduce = staticmethod(K.mean)


# Keras 2's names.
MaxPool1D, MaxPool2D, MaxPool3D = MaxPooling1D, MaxPooling2D, MaxPooling3D
AvgPool1D, AvgPool2D, AvgPool3D = AveragePooling1D, AveragePooling2D, AveragePooling3D
GlobalMaxPool1D, GlobalMaxPool2D, GlobalMaxPool3D = (GlobalMaxPooling1D, GlobalMaxPooling2D,
                                                     GlobalMaxPooling3D)
GlobalAvgPool1D, GlobalAvgPool2D, GlobalAvgPool3D = (
    GlobalAveragePooling1D, GlobalAveragePooling2D, GlobalAveragePooling3D)
