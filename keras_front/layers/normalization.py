"""BatchNormalization with Keras 1.2.2's three modes.

    model.add(BatchNormalization(mode=0, axis=1, momentum=0.99))   # conv features, 'th'

- mode 0 (feature-wise, the default): while training, each feature (index along `axis`)
  is normalized with the batch's mean and variance, and the running statistics move
  towards them: running = running * momentum + batch * (1 - momentum) (applied with the
  training step's updates); at test time the running statistics are used.
- mode 1 (sample-wise): each sample is normalized over its last axis, in training and
  test alike; no running statistics are used.
- mode 2 (feature-wise, batch statistics always): like mode 0 while training, and the
  batch's own statistics at test time too.
Then y = gamma * x_normed + beta. Weights, in Keras 1.2.2's order: gamma, beta
(trainable), running_mean, running_std (non-trainable; saved and loaded with the
model). As in Keras 1.2.2 (Theano), "running_std" holds the running *variance*
(Keras 2 calls it moving_variance; both names are attributes here).

Keras 2 spellings: center / scale (False drops beta / gamma), beta_initializer,
gamma_initializer, moving_mean_initializer, moving_variance_initializer,
beta_/gamma_regularizer, beta_/gamma_constraint.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .. import backend as K
from .. import constraints, initializers, regularizers
from ..engine.base_layer import InputSpec, Layer
from .arguments import renamed, serialize_object


class BatchNormalization(Layer):
    """Normalizes activations by batch (modes 0, 2) or per sample (mode 1); see above."""

    def __init__(self, epsilon: float = 1e-3, mode: int = 0, axis: int = -1,
                 momentum: float = 0.99, weights: Any = None, beta_init: Any = None,
                 gamma_init: Any = None, gamma_regularizer: Any = None,
                 beta_regularizer: Any = None, *, center: bool = True, scale: bool = True,
                 beta_initializer: Any = None, gamma_initializer: Any = None,
                 moving_mean_initializer: Any = None, moving_variance_initializer: Any = None,
                 beta_constraint: Any = None, gamma_constraint: Any = None, **kwargs: Any):
        if mode not in (0, 1, 2):
            raise ValueError(f"BatchNormalization: mode must be 0, 1 or 2, got {mode!r}")
        self.supports_masking = True
        self.epsilon = float(epsilon)
        self.mode = int(mode)
        self.axis = int(axis)
        self.momentum = float(momentum)
        self.center, self.scale = bool(center), bool(scale)
        self.beta_init = self.beta_initializer = initializers.get(
            renamed("BatchNormalization", ("beta_init", beta_init),
                    ("beta_initializer", beta_initializer), "zero"))
        self.gamma_init = self.gamma_initializer = initializers.get(
            renamed("BatchNormalization", ("gamma_init", gamma_init),
                    ("gamma_initializer", gamma_initializer), "one"))
        self.moving_mean_initializer = initializers.get(moving_mean_initializer or "zero")
        self.moving_variance_initializer = initializers.get(
            moving_variance_initializer or "one")
        self.gamma_regularizer = regularizers.get(gamma_regularizer)
        self.beta_regularizer = regularizers.get(beta_regularizer)
        self.gamma_constraint = constraints.get(gamma_constraint)
        self.beta_constraint = constraints.get(beta_constraint)
        self.uses_learning_phase = self.mode == 0
        self.gamma: Any = None
        self.beta: Any = None
        super().__init__(weights=weights, **kwargs)

    # Keras 2 names of the running statistics.
    moving_mean = property(lambda self: self.running_mean, doc="Running mean (Keras 2 name).")
    moving_variance = property(lambda self: self.running_std,
                               doc="Running variance (Keras 1.2.2's running_std).")

    def build(self, input_shape: Sequence[int | None]) -> None:
        """gamma, beta, running_mean and running_std, one value per feature of `axis`."""
        ndim = len(input_shape)
        if not -ndim <= self.axis < ndim:
            raise ValueError(f"{self.name}: axis {self.axis} is out of range for input shape "
                             f"{tuple(input_shape)}")
        dim = input_shape[self.axis]
        if dim is None:
            raise ValueError(f"{self.name}: axis {self.axis} of the input should have a known "
                             f"size, got input shape {tuple(input_shape)}")
        self.input_spec = [InputSpec(ndim=ndim, axes={self.axis: dim})]
        shape = (dim,)
        if self.scale:
            self.gamma = self.add_weight(shape, self.gamma_init, name="gamma",
                                         regularizer=self.gamma_regularizer,
                                         constraint=self.gamma_constraint)
        if self.center:
            self.beta = self.add_weight(shape, self.beta_init, name="beta",
                                        regularizer=self.beta_regularizer,
                                        constraint=self.beta_constraint)
        self.running_mean = self.add_weight(shape, self.moving_mean_initializer,
                                            name="running_mean", trainable=False)
        self.running_std = self.add_weight(shape, self.moving_variance_initializer,
                                           name="running_std", trainable=False)
        self.built = True

    def call(self, inputs: Any, mask: Any = None) -> Any:
        """The normalized inputs (see the module docstring for the modes)."""
        if self.mode == 1:
            mean = K.mean(inputs, axis=-1, keepdims=True)
            std = K.sqrt(K.var(inputs, axis=-1, keepdims=True) + self.epsilon)
            normed = (inputs - mean) / (std + self.epsilon)
            return self._affine(normed)
        ndim = K.ndim(inputs)
        axis = self.axis % ndim
        reduction_axes = [i for i in range(ndim) if i != axis]
        normed, mean, var = K.normalize_batch_in_training(inputs, self.gamma, self.beta,
                                                          reduction_axes,
                                                          epsilon=self.epsilon)
        if self.mode == 2:
            return normed
        self.add_update([K.moving_average_update(self.running_mean, mean, self.momentum),
                         K.moving_average_update(self.running_std, var, self.momentum)],
                        inputs=inputs)
        broadcast = [1] * ndim
        broadcast[axis] = -1

        def at_axis(v: Any) -> Any:
            """A per-feature vector shaped to broadcast along `axis`."""
            return v if v is None or axis == ndim - 1 else K.reshape(v, broadcast)
        running = K.batch_normalization(inputs, at_axis(self.running_mean),
                                        at_axis(self.running_std), at_axis(self.beta),
                                        at_axis(self.gamma), epsilon=self.epsilon)
        return K.in_train_phase(normed, running)

    def _affine(self, normed: Any) -> Any:
        out = normed * self.gamma if self.gamma is not None else normed
        return out + self.beta if self.beta is not None else out

    def compute_output_shape(self, input_shape: Any) -> Any:
        """The input shape."""
        return input_shape

    def get_config(self) -> dict[str, Any]:
        """Keras 1.2.2's keys (center / scale only when False)."""
        config: dict[str, Any] = {"epsilon": self.epsilon, "mode": self.mode, "axis": self.axis,
                                  "gamma_regularizer": serialize_object(self.gamma_regularizer),
                                  "beta_regularizer": serialize_object(self.beta_regularizer),
                                  "momentum": self.momentum}
        for key in ("center", "scale"):
            if not getattr(self, key):
                config[key] = False
        return {**super().get_config(), **config}
