"""Regularizing noise, active only while training (learning phase 1): GaussianNoise
(additive, std sigma / Keras 2 stddev) and GaussianDropout (multiplicative, mean 1,
std sqrt(p / (1 - p)), Keras 2 rate)."""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import backend as K
from ..engine.base_layer import Layer
from .arguments import drop_rate, renamed


class GaussianNoise(Layer):
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

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        def noised() -> Any:
            return inputs + K.random_normal(K.shape(inputs), mean=0.0, std=self.sigma,
                                            dtype=K.dtype(inputs))
        return K.in_train_phase(noised, inputs, training=training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "sigma": self.sigma}


class GaussianDropout(Layer):
    """x * N(1, p / (1 - p)) noise while training (0 < p < 1); x at test time."""

    def __init__(self, p: float | None = None, *, rate: float | None = None, **kwargs: Any):
        self.p = self.rate = drop_rate("GaussianDropout", p, rate)
        self.supports_masking = True
        self.uses_learning_phase = 0.0 < self.p < 1.0
        super().__init__(**kwargs)

    def call(self, inputs: Any, mask: Any = None, training: Any = None) -> Any:
        if not 0.0 < self.p < 1.0:
            return inputs

        def noised() -> Any:
            std = float(np.sqrt(self.p / (1.0 - self.p)))
            return inputs * K.random_normal(K.shape(inputs), mean=1.0, std=std,
                                            dtype=K.dtype(inputs))
        return K.in_train_phase(noised, inputs, training=training)

    def compute_output_shape(self, input_shape: Any) -> Any:
        return input_shape

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "p": self.p}
