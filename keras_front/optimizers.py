"""Optimizers: Keras 1.2's update rules as symbolic update pairs for `K.function`.

    opt = SGD(lr=0.01, momentum=0.9, nesterov=True, clipnorm=1.)
    updates = opt.get_updates(params, constraints, loss)    # Keras 1.x order
    updates = opt.get_updates(loss, params)                 # Keras 2 order
    train = K.function([x, y], [loss], updates=updates)
    K.set_value(opt.lr, 0.001)      # the compiled `train` uses the new rate from now on

Every rule is Keras 1.2's formula (learning-rate decay `lr / (1 + decay * iterations)`
with the iteration count before the step; constraints applied to the new parameter
value). Hyperparameters that Keras keeps as variables (`lr`, `decay`, `momentum`, `rho`,
`beta_1`, `beta_2`) are variables here too, so `K.set_value` changes a compiled step.
Differences from Keras 1.2, on purpose:
- `iterations` counts every step in every optimizer (Keras 1.2 counted only when decay
  was set, for SGD/RMSprop/Adagrad/Adadelta); the parameters move exactly as in Keras.
- `weights` lists all state: `iterations` first in every optimizer, then Nadam's
  `m_schedule`, then the per-parameter slots in Keras's order. Keras 1.2 left
  `iterations` out of RMSprop/Adagrad/Adadelta and `m_schedule` out of Nadam;
  `set_weights` accepts those shorter Keras 1.2 lists too (the omitted state is kept).
- clipnorm scales by `clipnorm / max(norm, clipnorm)`, Keras's `switch(norm >= c, g*c/norm,
  g)` without a branch (and without NaN for an all-zero gradient).
- `lr=` and `learning_rate=` are the same argument; `opt.lr` and `opt.learning_rate` the
  same variable. Assigning a number to either sets the variable's value.
- `epsilon=None` means `K.epsilon()` (Keras 2.1); `Adam(amsgrad=True)` is Keras 2.1's
  variant (its `vhat` slots are appended to `weights` only then).
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any

import numpy as np

import symgraph as sg
from symgraph.graph import SharedVariable, Variable

from . import backend as K
from .utils.generic_utils import get_custom_objects


def _learning_rate(name: str, lr: Any, learning_rate: Any, default: float) -> Any:
    """Resolve Keras 1's `lr=` and Keras 2's `learning_rate=` (the same argument)."""
    if lr is not None and learning_rate is not None and lr is not learning_rate:
        raise TypeError(f"{name}: pass the learning rate once, as lr= or as learning_rate= "
                        f"(got lr={lr!r} and learning_rate={learning_rate!r})")
    value = lr if lr is not None else learning_rate
    return default if value is None else value


def _is_finite_number(value: Any) -> bool:
    try:
        return bool(np.isfinite(float(value)))
    except (TypeError, ValueError):
        return False


def _as_variable(value: Any, name: str) -> Variable:
    return value if isinstance(value, SharedVariable) else K.variable(value, name=name)


class Optimizer:
    """Base class: gradients with clipping, state (`weights`), config; subclasses add a rule.

    Keyword arguments: clipnorm (rescale all gradients together when their global L2 norm
    exceeds it) and clipvalue (clip each gradient element to [-clipvalue, clipvalue]).
    Subclasses list their numeric hyperparameters in `_config_floats` (get_config's keys).
    """

    _config_floats: tuple[str, ...] = ()

    def __init__(self, **kwargs: Any):
        for key in kwargs:
            if key not in ("clipnorm", "clipvalue"):
                raise TypeError(f"Unexpected keyword argument passed to optimizer "
                                f"{type(self).__name__}: {key!r} (every optimizer also "
                                f"accepts clipnorm and clipvalue)")
        self.__dict__.update(kwargs)
        self.updates: list[tuple[Any, Any]] = []
        self.weights: list[Variable] = []
        # The Keras 1.2 order of `weights` when it differs (see set_weights).
        self._keras1_weights: list[Variable] | None = None

    # ---- the learning rate, under both of its names

    @property
    def lr(self) -> Variable:
        """The learning rate variable (`K.set_value(opt.lr, 0.01)` changes it)."""
        try:
            return self.__dict__["_lr"]
        except KeyError:
            raise AttributeError(f"{type(self).__name__} has no learning rate "
                                 f"(set self.lr in __init__)") from None

    @lr.setter
    def lr(self, value: Any) -> None:
        if not isinstance(value, Variable) and not _is_finite_number(value):
            raise ValueError(f"{type(self).__name__}: the learning rate must be a finite "
                             f"number, got {value!r}")
        current = self.__dict__.get("_lr")
        if isinstance(value, Variable) or current is None:
            self.__dict__["_lr"] = _as_variable(value, "lr")
        else:
            # Keep the variable compiled functions read; change its value.
            K.set_value(current, value)

    learning_rate = lr

    def _common_state(self, lr: Any, learning_rate: Any, default_lr: float,
                      decay: float | None = None) -> None:
        """The state every Keras 1.2 rule starts from: the step counter, the learning rate
        (under either name) and, for rules with learning-rate decay, `decay`."""
        self.iterations = K.variable(0.0, name="iterations")
        self.lr = _learning_rate(type(self).__name__, lr, learning_rate, default_lr)
        if decay is not None:
            self.decay = K.variable(decay, name="decay")
            self.initial_decay = decay

    # ---- updates

    def get_updates(self, *args: Any, **kwargs: Any) -> list[tuple[Any, Any]]:
        """The update pairs of one step: `get_updates(params, constraints, loss)` (Keras 1)
        or `get_updates(loss, params)` (Keras 2), told apart by the argument types."""
        params, constraints, loss = _updates_arguments(type(self).__name__, args, kwargs)
        self.updates = self._rule(list(params), constraints, loss)
        return self.updates

    def _rule(self, params: list[Variable], constraints: dict[Any, Any],
              loss: Any) -> list[tuple[Any, Any]]:
        raise NotImplementedError(f"{type(self).__name__} does not define an update rule "
                                  f"(override get_updates)")

    def get_gradients(self, loss: Any, params: Sequence[Variable]) -> list[Any]:
        """d loss / d params, clipped by clipnorm (global norm) then clipvalue."""
        return self.clip_gradients(K.gradients(loss, list(params)))

    def clip_gradients(self, grads: list[Any]) -> list[Any]:
        """The gradients rescaled by clipnorm (on their global L2 norm), then clipped
        elementwise by clipvalue (keras_front.distributed clips after averaging)."""
        clipnorm = getattr(self, "clipnorm", None)
        if clipnorm is not None and clipnorm > 0:
            norm = K.sqrt(sum(K.sum(K.square(g)) for g in grads))
            # = g * c / norm when norm >= c, else g (Keras's clip_norm).
            scale = clipnorm / K.maximum(norm, clipnorm)
            grads = [g * scale for g in grads]
        clipvalue = getattr(self, "clipvalue", None)
        if clipvalue is not None and clipvalue > 0:
            grads = [K.clip(g, -clipvalue, clipvalue) for g in grads]
        return grads

    def _start(self, loss: Any, params: list[Variable]) -> tuple[list[Any], Any]:
        """Gradients, the step's counter update, and the decayed learning rate."""
        grads = self.get_gradients(loss, params)
        self.updates = [K.update_add(self.iterations, 1)]
        lr = self.lr
        if getattr(self, "initial_decay", 0) > 0:
            lr = lr * (1.0 / (1.0 + self.decay * self.iterations))
        return grads, lr

    def _slots(self, params: list[Variable]) -> list[Variable]:
        """One zero-initialized state variable per parameter, of its shape and dtype."""
        return [K.zeros(K.get_variable_shape(p), dtype=K.dtype(p)) for p in params]

    def _apply(self, p: Variable, new_p: Any, constraints: dict[Any, Any]) -> None:
        """Append p <- constraint(new_p) (the constraint, if any, sees the new value)."""
        constraint = constraints.get(p) if constraints else None
        if constraint is None:
            constraint = K.get_keras_attr(p, "constraint")
        if constraint is not None:
            new_p = constraint(new_p)
        self.updates.append(K.update(p, new_p))

    # ---- state

    def get_weights(self) -> list[Any]:
        """The current values of the optimizer's state variables (see `weights`)."""
        return K.batch_get_value(self.weights)

    def set_weights(self, weights: Sequence[Any]) -> None:
        """Restore state saved by get_weights (or a Keras 1.2 list, which may be shorter)."""
        K.batch_set_value(self.weight_pairs(weights))

    def weight_pairs(self, weights: Sequence[Any]) -> list[tuple[Variable, Any]]:
        """(variable, value) pairs set_weights would set, counts and shapes checked; only
        the values' `.shape` is looked at (loading checks a file's arrays before reading)."""
        targets = self.weights
        keras1 = self._keras1_weights
        if len(weights) != len(targets) and keras1 is not None and len(weights) == len(keras1):
            targets = keras1
        if len(weights) != len(targets):
            raise ValueError(f"{type(self).__name__}.set_weights: expected {len(targets)} "
                             f"arrays (the optimizer's state; it is created by get_updates, "
                             f"i.e. when the model is compiled and trained), got "
                             f"{len(weights)}")
        pairs = []
        for i, (var, value) in enumerate(zip(targets, weights, strict=True)):
            shape = tuple(K.get_variable_shape(var))
            if tuple(getattr(value, "shape", ())) != shape:
                raise ValueError(f"{type(self).__name__}.set_weights: optimizer weight {i} "
                                 f"has shape {shape}, not compatible with the provided "
                                 f"weight shape {tuple(getattr(value, 'shape', ()))}")
            pairs.append((var, value))
        return pairs

    # ---- configuration

    def get_config(self) -> dict[str, Any]:
        """The constructor arguments: clipnorm/clipvalue when set, then `_config_floats`."""
        config: dict[str, Any] = {}
        for key in ("clipnorm", "clipvalue"):
            if key in self.__dict__:
                config[key] = self.__dict__[key]
        return {**config, **self._floats(*self._config_floats)}

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> Optimizer:
        """An optimizer built from get_config()'s dict (a Keras 1.x 'name' key is ignored)."""
        return cls(**{k: v for k, v in config.items() if k != "name"})

    def _floats(self, *names: str) -> dict[str, Any]:
        """{name: float value} of hyperparameters stored as variables or numbers."""
        out = {}
        for name in names:
            value = getattr(self, name)
            out[name] = float(K.get_value(value)) if isinstance(value, Variable) else value
        return out


def _updates_arguments(name: str, args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple:
    """(params, constraints, loss) from either Keras's get_updates signature."""
    bound = dict(kwargs)
    unknown = set(bound) - {"params", "constraints", "loss"}
    if unknown:
        raise TypeError(f"{name}.get_updates: unexpected argument(s) {sorted(unknown)}")
    if args and isinstance(args[0], (list, tuple)):
        keys = ("params", "constraints", "loss")        # Keras 1: (params, constraints, loss)
    else:
        keys = ("loss", "params")                       # Keras 2: (loss, params)
    if len(args) > len(keys):
        raise TypeError(f"{name}.get_updates takes (params, constraints, loss) or "
                        f"(loss, params); got {len(args)} positional arguments")
    for key, value in zip(keys, args, strict=False):
        if key in bound:
            raise TypeError(f"{name}.get_updates: {key} given twice")
        bound[key] = value
    if "params" not in bound or "loss" not in bound:
        raise TypeError(f"{name}.get_updates needs the parameters and the loss: "
                        f"get_updates(params, constraints, loss) or get_updates(loss, params)")
    params, loss = bound["params"], bound["loss"]
    if not isinstance(params, (list, tuple)):
        raise TypeError(f"{name}.get_updates: params must be a list of variables, got "
                        f"{type(params).__name__}")
    constraints = bound.get("constraints") or {}
    if not isinstance(constraints, dict):
        raise TypeError(f"{name}.get_updates: constraints must be a dict "
                        f"{{variable: constraint}}, got {type(constraints).__name__}")
    return params, constraints, loss


def collect_updates(optimizer: Any, params: Sequence[Variable], constraints: Any,
                    loss: Any) -> list[tuple[Any, Any]]:
    """Call any optimizer's get_updates in the order it was written for.

    Our optimizers take both orders; a user subclass overriding get_updates is called
    Keras 2 style when its first parameter is named 'loss', else Keras 1 style. (For the
    training engine.)
    """
    method = optimizer.get_updates
    if getattr(type(optimizer), "get_updates", None) is Optimizer.get_updates:
        return method(list(params), constraints or {}, loss)
    names = list(inspect.signature(method).parameters)
    if names and names[0] == "loss":
        return method(loss, list(params))
    return method(list(params), constraints or {}, loss)


# ------------------------------------------------------------------ the update rules


def _root(x: Any) -> Any:
    """sqrt of an accumulator of squares, non-negative by construction: K.sqrt's clip of
    negatives (Keras's guard for user code) would be one more pass over every weight's
    state in each compiled step, and cannot change these values."""
    return sg.sqrt(x)


def _epsilon(epsilon: float | None) -> float:
    """The fuzz factor: `epsilon=None` means K.epsilon() (Keras 2.1)."""
    return K.epsilon() if epsilon is None else epsilon


class SGD(Optimizer):
    """Stochastic gradient descent with momentum, learning-rate decay and Nesterov momentum.

    v = momentum * v - lr * g;  p += v  (Nesterov: p += momentum * v - lr * g).
    """

    _config_floats = ("lr", "momentum", "decay")

    def __init__(self, lr: float | None = None, momentum: float = 0.0, decay: float = 0.0,
                 nesterov: bool = False, learning_rate: float | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._common_state(lr, learning_rate, 0.01, decay)
        self.momentum = K.variable(momentum, name="momentum")
        self.nesterov = nesterov

    def _rule(self, params, constraints, loss):
        grads, lr = self._start(loss, params)
        moments = self._slots(params)
        self.weights = [self.iterations] + moments
        for p, g, m in zip(params, grads, moments, strict=True):
            v = self.momentum * m - lr * g  # velocity
            self.updates.append(K.update(m, v))
            new_p = p + self.momentum * v - lr * g if self.nesterov else p + v
            self._apply(p, new_p, constraints)
        return self.updates

    def get_config(self) -> dict[str, Any]:
        """The config, with the Nesterov flag."""
        return {**super().get_config(), "nesterov": self.nesterov}


class _Accumulating(Optimizer):
    """RMSprop and Adagrad: p -= lr * g / (sqrt(a) + epsilon), where each subclass says
    how the accumulator `a` of squared gradients is updated (`_accumulate`)."""

    _config_floats = ("lr", "decay", "epsilon")

    def _accumulate(self, a: Variable, g: Any) -> Any:
        raise NotImplementedError

    def _rule(self, params, constraints, loss):
        grads, lr = self._start(loss, params)
        accumulators = self._slots(params)
        self.weights = [self.iterations] + accumulators
        self._keras1_weights = accumulators
        for p, g, a in zip(params, grads, accumulators, strict=True):
            new_a = self._accumulate(a, g)
            self.updates.append(K.update(a, new_a))
            self._apply(p, p - lr * g / (_root(new_a) + self.epsilon), constraints)
        return self.updates


class RMSprop(_Accumulating):
    """RMSprop: divide the gradient by a running root-mean-square of recent gradients.

    a = rho * a + (1 - rho) * g**2;  p -= lr * g / (sqrt(a) + epsilon).
    Keras 1.2's default epsilon is 1e-8 (Keras 0.x, which some tutorials quote, had 1e-6).
    """

    _config_floats = ("lr", "rho", "decay", "epsilon")

    def __init__(self, lr: float | None = None, rho: float = 0.9, epsilon: float | None = 1e-8,
                 decay: float = 0.0, learning_rate: float | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._common_state(lr, learning_rate, 0.001, decay)
        self.rho = K.variable(rho, name="rho")
        self.epsilon = _epsilon(epsilon)

    def _accumulate(self, a: Variable, g: Any) -> Any:
        return self.rho * a + (1.0 - self.rho) * K.square(g)


class Adagrad(_Accumulating):
    """Adagrad: per-element rates shrinking with the sum of squared gradients.

    a += g**2;  p -= lr * g / (sqrt(a) + epsilon).
    """

    def __init__(self, lr: float | None = None, epsilon: float | None = 1e-8,
                 decay: float = 0.0, learning_rate: float | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._common_state(lr, learning_rate, 0.01, decay)
        self.epsilon = _epsilon(epsilon)

    def _accumulate(self, a: Variable, g: Any) -> Any:
        return a + K.square(g)


class Adadelta(Optimizer):
    """Adadelta: step sizes from running averages of squared gradients and squared steps.

    a = rho*a + (1-rho)*g**2;  u = g * sqrt(d + eps) / sqrt(a + eps);  p -= lr * u;
    d = rho*d + (1-rho)*u**2  (u uses the new a and the old d).
    """

    _config_floats = ("lr", "rho", "decay", "epsilon")

    def __init__(self, lr: float | None = None, rho: float = 0.95,
                 epsilon: float | None = 1e-8, decay: float = 0.0,
                 learning_rate: float | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self._common_state(lr, learning_rate, 1.0, decay)
        self.rho = rho  # a plain number in Keras 1.2
        self.epsilon = _epsilon(epsilon)

    def _rule(self, params, constraints, loss):
        grads, lr = self._start(loss, params)
        accumulators = self._slots(params)
        delta_accumulators = self._slots(params)
        self.weights = [self.iterations] + accumulators + delta_accumulators
        self._keras1_weights = accumulators + delta_accumulators
        for p, g, a, d in zip(params, grads, accumulators, delta_accumulators, strict=True):
            new_a = self.rho * a + (1.0 - self.rho) * K.square(g)
            self.updates.append(K.update(a, new_a))
            step = g * _root(d + self.epsilon) / _root(new_a + self.epsilon)
            self._apply(p, p - lr * step, constraints)
            self.updates.append(K.update(d, self.rho * d + (1.0 - self.rho) * K.square(step)))
        return self.updates


class _Moments(Optimizer):
    """Adam, Adamax and Nadam: first moment m and a second statistic of the gradients,
    with beta_1 / beta_2 as variables and Keras's default learning rates."""

    _config_floats = ("lr", "beta_1", "beta_2", "decay", "epsilon")

    def __init__(self, lr: Any, learning_rate: Any, default_lr: float, beta_1: float,
                 beta_2: float, epsilon: float | None, decay: float | None, **kwargs: Any):
        super().__init__(**kwargs)
        self._common_state(lr, learning_rate, default_lr, decay)
        self.beta_1 = K.variable(beta_1, name="beta_1")
        self.beta_2 = K.variable(beta_2, name="beta_2")
        self.epsilon = _epsilon(epsilon)

    def _first_moment(self, m: Variable, g: Any) -> Any:
        """m_t = beta_1 * m + (1 - beta_1) * g."""
        return self.beta_1 * m + (1.0 - self.beta_1) * g


class Adam(_Moments):
    """Adam: momentum and RMS scaling, with bias correction folded into the rate.

    t = iterations + 1;  lr_t = lr * sqrt(1 - beta_2**t) / (1 - beta_1**t);
    m = beta_1*m + (1-beta_1)*g;  v = beta_2*v + (1-beta_2)*g**2;
    p -= lr_t * m / (sqrt(v) + epsilon)   (amsgrad: sqrt(max of v so far)).
    """

    def __init__(self, lr: float | None = None, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = 1e-8, decay: float = 0.0, amsgrad: bool = False,
                 learning_rate: float | None = None, **kwargs: Any):
        super().__init__(lr, learning_rate, 0.001, beta_1, beta_2, epsilon, decay, **kwargs)
        self.amsgrad = amsgrad

    def _rule(self, params, constraints, loss):
        grads, lr = self._start(loss, params)
        t = self.iterations + 1
        lr_t = lr * (K.sqrt(1.0 - K.pow(self.beta_2, t)) / (1.0 - K.pow(self.beta_1, t)))
        ms, vs = self._slots(params), self._slots(params)
        vhats = self._slots(params) if self.amsgrad else []
        self.weights = [self.iterations] + ms + vs + vhats
        for i, (p, g, m, v) in enumerate(zip(params, grads, ms, vs, strict=True)):
            m_t = self._first_moment(m, g)
            v_t = self.beta_2 * v + (1.0 - self.beta_2) * K.square(g)
            self.updates.append(K.update(m, m_t))
            self.updates.append(K.update(v, v_t))
            if self.amsgrad:
                vhat_t = K.maximum(vhats[i], v_t)
                self.updates.append(K.update(vhats[i], vhat_t))
                v_t = vhat_t
            self._apply(p, p - lr_t * m_t / (_root(v_t) + self.epsilon), constraints)
        return self.updates

    def get_config(self) -> dict[str, Any]:
        """The config, with amsgrad only when set (Keras 1.2 configs have no such key)."""
        config = super().get_config()
        if self.amsgrad:
            config["amsgrad"] = True
        return config


class Adamax(_Moments):
    """Adamax: Adam with the infinity norm (Adam paper, section 7).

    lr_t = lr / (1 - beta_1**t);  m = beta_1*m + (1-beta_1)*g;  u = max(beta_2*u, |g|);
    p -= lr_t * m / (u + epsilon).
    """

    def __init__(self, lr: float | None = None, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = 1e-8, decay: float = 0.0,
                 learning_rate: float | None = None, **kwargs: Any):
        super().__init__(lr, learning_rate, 0.002, beta_1, beta_2, epsilon, decay, **kwargs)

    def _rule(self, params, constraints, loss):
        grads, lr = self._start(loss, params)
        lr_t = lr / (1.0 - K.pow(self.beta_1, self.iterations + 1))
        ms, us = self._slots(params), self._slots(params)
        self.weights = [self.iterations] + ms + us
        for p, g, m, u in zip(params, grads, ms, us, strict=True):
            m_t = self._first_moment(m, g)
            u_t = K.maximum(self.beta_2 * u, K.abs(g))
            self.updates.append(K.update(m, m_t))
            self.updates.append(K.update(u, u_t))
            self._apply(p, p - lr_t * m_t / (u_t + self.epsilon), constraints)
        return self.updates


class Nadam(_Moments):
    """Nadam: Adam with Nesterov momentum and a warming momentum schedule (Dozat 2015).

    mu_t = beta_1 * (1 - 0.5 * 0.96**(t * schedule_decay));  m_schedule *= mu_t;
    p -= lr * ((1-mu_t) * g/(1-m_schedule) + mu_{t+1} * m/(1-m_schedule*mu_{t+1}))
            / (sqrt(v / (1 - beta_2**t)) + epsilon).   No learning-rate decay (as Keras).
    """

    _config_floats = ("lr", "beta_1", "beta_2", "epsilon", "schedule_decay")

    def __init__(self, lr: float | None = None, beta_1: float = 0.9, beta_2: float = 0.999,
                 epsilon: float | None = 1e-8, schedule_decay: float = 0.004,
                 learning_rate: float | None = None, **kwargs: Any):
        super().__init__(lr, learning_rate, 0.002, beta_1, beta_2, epsilon, None, **kwargs)
        self.m_schedule = K.variable(1.0, name="m_schedule")
        self.schedule_decay = schedule_decay

    def _rule(self, params, constraints, loss):
        grads, _ = self._start(loss, params)
        t = self.iterations + 1
        momentum_t = self.beta_1 * (1.0 - 0.5 * 0.96 ** (t * self.schedule_decay))
        momentum_t1 = self.beta_1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * self.schedule_decay))
        m_schedule_new = self.m_schedule * momentum_t
        m_schedule_next = self.m_schedule * momentum_t * momentum_t1
        self.updates.append(K.update(self.m_schedule, m_schedule_new))
        ms, vs = self._slots(params), self._slots(params)
        self.weights = [self.iterations, self.m_schedule] + ms + vs
        self._keras1_weights = [self.iterations] + ms + vs
        for p, g, m, v in zip(params, grads, ms, vs, strict=True):
            g_prime = g / (1.0 - m_schedule_new)
            m_t = self._first_moment(m, g)
            m_t_prime = m_t / (1.0 - m_schedule_next)
            v_t = self.beta_2 * v + (1.0 - self.beta_2) * K.square(g)
            v_t_prime = v_t / (1.0 - K.pow(self.beta_2, t))
            m_t_bar = (1.0 - momentum_t) * g_prime + momentum_t1 * m_t_prime
            self.updates.append(K.update(m, m_t))
            self.updates.append(K.update(v, v_t))
            self._apply(p, p - self.lr * m_t_bar / (_root(v_t_prime) + self.epsilon),
                        constraints)
        return self.updates


# ------------------------------------------------------------------ lookup by name

# Keras's lower-case aliases (`optimizer=sgd` and `optimizers.sgd(lr=...)` both work).
sgd, rmsprop, adagrad, adadelta, adam, adamax, nadam = (
    SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam)

_ALL: dict[str, type[Optimizer]] = {cls.__name__.lower(): cls for cls in
                                    (SGD, RMSprop, Adagrad, Adadelta, Adam, Adamax, Nadam)}


def _class_for(name: str, custom_objects: dict[str, Any] | None = None) -> Any:
    # Custom objects first, by exact name; then ours, case-insensitively.
    found = (custom_objects or {}).get(name, get_custom_objects().get(name))
    if found is None:
        found = _ALL.get(name.lower())
    if found is None:
        raise ValueError(f"Unknown optimizer: {name!r} (known: "
                         f"{', '.join(sorted(_ALL))}; names are case-insensitive)")
    return found


def serialize(optimizer: Optimizer) -> dict[str, Any]:
    """{'class_name': ..., 'config': ...} of an optimizer (Keras 2's form)."""
    return {"class_name": type(optimizer).__name__, "config": optimizer.get_config()}


def deserialize(config: dict[str, Any],
                custom_objects: dict[str, Any] | None = None) -> Optimizer:
    """An optimizer from serialize()'s dict (class names are case-insensitive)."""
    if not isinstance(config, dict) or "class_name" not in config:
        raise ValueError(f"optimizers.deserialize: expected {{'class_name': ..., "
                         f"'config': ...}}, got {config!r}")
    cls = _class_for(config["class_name"], custom_objects)
    return cls.from_config(dict(config.get("config") or {}))


def get(identifier: Any, kwargs: dict[str, Any] | None = None) -> Optimizer:
    """An optimizer from a name ('sgd', 'Adam'...), an instance, or a config dict.

    A name builds the optimizer with its defaults (and Keras 1.x's `kwargs`); dicts may
    be Keras 2's {'class_name', 'config'} or Keras 1.x's {'name': ..., **arguments}.
    """
    if isinstance(identifier, Optimizer):
        return identifier
    if isinstance(identifier, str):
        return _class_for(identifier)(**(kwargs or {}))
    if isinstance(identifier, dict):
        if "class_name" in identifier:
            return deserialize(identifier)
        if "name" in identifier:
            arguments = {k: v for k, v in identifier.items() if k != "name"}
            return _class_for(identifier["name"])(**arguments)
    if hasattr(identifier, "get_updates"):
        return identifier  # a duck-typed optimizer
    raise ValueError(f"Could not interpret optimizer identifier: {identifier!r} (give a "
                     f"name such as 'sgd' or 'adam', an optimizer instance, or a config "
                     f"dict)")
