"""Regularizing noise, active only while training (learning phase 1): GaussianNoise
(additive, std sigma / Keras 2 stddev) and GaussianDropout (multiplicative, mean 1,
std sqrt(p / (1 - p)), Keras 2 rate)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend as K
from ..engine.base_layer import Layer
from .arguments import drop_rate, renamed


class TrainingNoise(Layer):
    """Base of the layers that perturb their input while training (learning phase 1) and
    are the identity at test time: a subclass gives `noised(inputs)` and sets
    `uses_learning_phase` (False makes the layer the identity, e.g. a drop rate of 0)."""

    def noised(self, inputs: Any) -> Any:
        """The perturbed inputs (a graph built once, for the training branch)."""
        raise NotImplementedError

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        """noised(inputs) in the training phase, the inputs unchanged at test time."""
        if not self.uses_learning_phase:
            return inputs
        return K.in_train_phase(lambda: self.noised(inputs), inputs, training=training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape (the noise is elementwise)."""
        return input_shape


class RateDropout(TrainingNoise):
    """Base of the dropout layers: the rate `p` (Keras 2: `rate`) in [0, 1), 0 = identity."""

    def __init__(self, p: float | None = None, *, rate: float | None = None, **kwargs: Any):
        self.p = self.rate = drop_rate(type(self).__name__, p, rate)
        self.supports_masking = True
        self.uses_learning_phase = 0.0 < self.p < 1.0
        super().__init__(**kwargs)

    def get_config(self) -> dict[str, Any]:
        """The config: p (Keras 1.2's name of the rate)."""
        return {**super().get_config(), "p": self.p}


class GaussianNoise(TrainingNoise):
    """x + N(0, sigma**2) noise while training; x at test time."""

    def __init__(self, sigma: float | None = None, *, stddev: float | None = None,
                 **kwargs: Any):
        sigma = renamed("GaussianNoise", ("sigma", sigma), ("stddev", stddev))
        if sigma is None:
            raise TypeError("GaussianNoise needs the noise's standard deviation: "
                            "GaussianNoise(sigma) (Keras 2: stddev)")
        self.sigma = self.stddev = float(sigma)
        self.supports_masking = True
        self.uses_learning_phase = True
        super().__init__(**kwargs)

    def noised(self, inputs: Any) -> Any:
        """inputs + N(0, sigma**2) noise."""
        return inputs + K.random_normal(K.shape(inputs), mean=0.0, std=self.sigma,
                                        dtype=K.dtype(inputs))

    def get_config(self) -> dict[str, Any]:
        """The config: sigma (Keras 1.2's name of stddev)."""
        return {**super().get_config(), "sigma": self.sigma}


class GaussianDropout(RateDropout):
    """x * N(1, p / (1 - p)) noise while training (0 < p < 1); x at test time."""

    def noised(self, inputs: Any) -> Any:
        """inputs * N(1, p / (1 - p)) noise."""
        std = float(np.sqrt(self.p / (1.0 - self.p)))
        return inputs * K.random_normal(K.shape(inputs), mean=1.0, std=std,
                                        dtype=K.dtype(inputs))


class SpatialDropout1D(RateDropout):
    """Dropout of whole feature maps: (samples, time, features) inputs lose entire
    features (the same for every timestep), Keras 1.2.2's SpatialDropout1D(p)."""

    def noised(self, inputs: Any) -> Any:
        """The inputs with features dropped for all timesteps at once."""
        return K.dropout(inputs, self.p, self._noise_shape(K.ndim(inputs)))

    def _noise_shape(self, ndim: int) -> tuple[int | None, ...]:
        return (None, 1, None)


class _SpatialDropoutND(SpatialDropout1D):
    """SpatialDropout2D / 3D: whole channels dropped, along dim_ordering ('th': channels
    first, 'tf': last; Keras 2's data_format works too)."""

    def __init__(self, p: float | None = None, dim_ordering: str = "default", *,
                 rate: float | None = None, data_format: str | None = None, **kwargs: Any):
        self.dim_ordering = K.normalize_dim_ordering(
            renamed(type(self).__name__, ("dim_ordering", None if dim_ordering == "default"
                                          else dim_ordering), ("data_format", data_format),
                    "default"))
        super().__init__(p, rate=rate, **kwargs)

    def _noise_shape(self, ndim: int) -> tuple[int | None, ...]:
        spatial = (1,) * (ndim - 2)
        return (None, None) + spatial if self.dim_ordering == "th" else \
            (None,) + spatial + (None,)

    def get_config(self) -> dict[str, Any]:
        """The config: p and dim_ordering."""
        return {**super().get_config(), "dim_ordering": self.dim_ordering}


class SpatialDropout2D(_SpatialDropoutND):
    """Dropout of whole channels of (samples, channels, rows, cols) ('th') or (samples,
    rows, cols, channels) ('tf') inputs."""


class SpatialDropout3D(_SpatialDropoutND):
    """Dropout of whole channels of 5D (volumetric) inputs."""
