"""Model: a Container that trains. compile() builds the symbolic loss and metrics; the
train / test / predict functions are compiled once, on first use, and reused by every
later fit / evaluate / predict / *_on_batch call (until the next compile()).

    model.compile(optimizer='adam', loss='categorical_crossentropy', metrics=['accuracy'])
    history = model.fit(x, y, batch_size=32, nb_epoch=10, validation_split=0.1)

The train function takes the model's inputs, one target and one sample-weight array per
output that has a loss, and the learning phase (1) when the graph depends on it; it
returns [total loss] + metrics and applies the layers' updates and the optimizer's.
Names follow Keras 1.2: metrics_names is ['loss', ('<output>_loss', ...), 'acc' or
'<output>_acc', <metric function __name__>, ...] ('accuracy' is logged as 'acc' too, also
for tf.keras-style code). The loops are in training_arrays.py and training_generator.py;
data checks in training_utils.py.

Differences from Keras 1.2, on purpose:
- `model.stop_training` is checked after every batch (Keras 2; Keras 1.2 finished the
  epoch); an epoch cut short is not validated, as in both.
- verbose=1 redraws the progress bar only on a terminal or in a notebook; into a file
  or a pipe it prints one finished line per epoch (Keras 1.2 wrote every redraw).
- validation_split leaving no sample on one side is an error naming both counts (Keras
  1.2 trained or validated on nothing).
- The arrays are checked and converted to the inputs' dtypes once per fit/evaluate/
  predict call, not per batch, and the compiled functions skip their own checks.
- fit_generator validates (x, y) data in batches of 32 (Keras 1.2: the size of the last
  training batch); the numbers are the same, batch size only changes the speed.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from .. import backend as K
from .. import losses as losses_module
from .. import metrics as metrics_module
from .. import optimizers
from . import training_arrays, training_generator
from .network import Container
from .training_arrays import unchecked
from .training_checks import (
    check_finite,
    check_has_samples,
    check_hyperparameters,
    check_sparse_labels,
    check_validation_split,
)
from .training_utils import (  # noqa: F401 (also Keras 1.2.2's keras.engine.training names)
    batch_shuffle,
    check_array_lengths,
    check_loss_and_target_compatibility,
    collect_metrics,
    dedupe_labels,
    make_batches,
    slice_arrays,
    standardize_input_data,
    standardize_sample_or_class_weights,
    standardize_weights,
    weighted_objective,
)

_DEFAULT_EPOCHS = 10  # Keras 1.2's default for nb_epoch

# Threads calling train_on_batch (or predict...) on a model whose function is not made
# yet must all get the same one: each compile of the train step would also create new
# optimizer state, and two functions would update the same variables without a common
# lock. Compiling is rare, so one lock serves every model.
_MAKING_FUNCTIONS = threading.RLock()


def _made_once(attribute: str) -> Callable[[Callable[[Any], None]], Callable[[Any], None]]:
    """Decorate a method making self.<attribute>: it runs under the lock, and not at all
    once the attribute is set (by another thread meanwhile, say)."""
    def decorate(make: Callable[[Any], None]) -> Callable[[Any], None]:
        @functools.wraps(make)
        def make_once(self: Any) -> None:
            if getattr(self, attribute) is None:
                with _MAKING_FUNCTIONS:
                    make(self)  # which returns at once when it was made meanwhile
        return make_once
    return decorate


def resolve_epochs(nb_epoch: int | None, epochs: int | None, default: int) -> int:
    """The number of epochs from Keras 1's nb_epoch or Keras 2's epochs (not both)."""
    if nb_epoch is not None and epochs is not None and nb_epoch != epochs:
        raise TypeError(f"Pass the number of epochs once, as nb_epoch= (Keras 1) or epochs= "
                        f"(Keras 2); got nb_epoch={nb_epoch} and epochs={epochs}")
    value = nb_epoch if nb_epoch is not None else epochs
    return default if value is None else int(value)


class Model(Container):
    """A graph of layers with compile / fit / evaluate / predict (Keras 1.2's Model).

    `Model(inputs, outputs, name=None)`; `Model(input=..., output=...)` also works.
    """

    def __init__(self, inputs: Any = None, outputs: Any = None, name: str | None = None,
                 input: Any = None, output: Any = None):  # noqa: A002 (Keras 1 names)
        super().__init__(inputs=inputs, outputs=outputs, name=name, input=input,
                         output=output)
        self._reset_compiled()

    def _reset_compiled(self) -> None:
        self._is_compiled = False
        self.optimizer: Any = None
        self.train_function: Any = None
        self.test_function: Any = None
        self.predict_function: Any = None
        self.stop_training = False
        self.history: Any = None

    # ------------------------------------------------------------ compile

    def compile(self, optimizer: Any, loss: Any = None, metrics: Any = None,
                loss_weights: Any = None, sample_weight_mode: Any = None,
                **kwargs: Any) -> None:
        """Set the optimizer, the loss per output and the metrics; build the loss graph.

        loss: a name, a function(y_true, y_pred), a list or a dict by output name, or
        None for outputs trained only by the losses their layers add (`add_loss`).
        metrics: a list (for every output) or a dict by output name; 'accuracy'/'acc'
        picks binary / categorical / sparse categorical accuracy from the output shape
        and the loss. Extra keyword arguments go to K.function.
        """
        self.optimizer = optimizers.get(optimizer)
        self.loss, self.metrics = loss, metrics
        self.loss_weights, self.sample_weight_mode = loss_weights, sample_weight_mode
        n = len(self.outputs)
        self.loss_functions = self._per_output(loss, "loss", losses_module.get)
        weights = self._per_output(loss_weights, "loss_weights", float, default=1.0)
        modes = self._per_output(sample_weight_mode, "sample_weight_mode", str)
        masks = [self._output_mask_of(x) for x in self.outputs]
        self._feed_indices = [i for i in range(n) if self.loss_functions[i] is not None]
        self._feed_output_names = [self.output_names[i] for i in self._feed_indices]
        self.targets, self.sample_weights, self.sample_weight_modes = [], [], []
        self.metrics_names, self.metrics_tensors = ["loss"], []
        total_loss: Any = None
        for i in self._feed_indices:
            name, output = self.output_names[i], self.outputs[i]
            target = K.placeholder(ndim=K.ndim(output), dtype=K.dtype(output),
                                   name=f"{name}_target")
            mode = modes[i]
            if mode not in (None, "temporal"):
                raise ValueError(f'sample_weight_mode should be None or "temporal", got '
                                 f"{mode!r} for output {name!r}")
            sample_weight = K.placeholder(ndim=2 if mode == "temporal" else 1,
                                          name=f"{name}_sample_weights")
            self.targets.append(target)
            self.sample_weights.append(sample_weight)
            self.sample_weight_modes.append(mode)
            output_loss = weighted_objective(self.loss_functions[i])(target, output,
                                                                     sample_weight, masks[i])
            if n > 1:
                self.metrics_names.append(f"{name}_loss")
                self.metrics_tensors.append(output_loss)
            term = weights[i] * output_loss if weights[i] != 1.0 else output_loss
            total_loss = term if total_loss is None else total_loss + term
        for penalty in self.losses:
            total_loss = penalty if total_loss is None else total_loss + penalty
        if total_loss is None:
            raise ValueError("The model cannot be compiled because it has no loss to optimize: "
                             "give compile() a loss, or add losses in layers (add_loss).")
        self.total_loss = total_loss
        nested = collect_metrics(metrics, self.output_names)
        for i in self._feed_indices:
            prefix = f"{self.output_layers[i].name}_" if n > 1 else ""
            for metric in nested[i]:
                fn, metric_name = self._metric(metric, i)
                value = fn(self.targets[self._feed_indices.index(i)], self.outputs[i])
                # A metric may return {name: value} (Keras 1.2.2): one entry per name.
                named = value.items() if isinstance(value, dict) else [(metric_name, value)]
                for name, tensor in named:
                    self.metrics_names.append(prefix + name)
                    self.metrics_tensors.append(K.mean(tensor))
        self._function_kwargs = kwargs
        self._collected_trainable_weights = self.trainable_weights
        self.train_function = self.test_function = self.predict_function = None
        self._is_compiled = True

    def _per_output(self, value: Any, what: str, convert: Any, default: Any = None) -> list:
        """One entry per output from a single value, a list, or a dict by output name."""
        names = self.output_names
        if isinstance(value, dict):
            unknown = [k for k in value if k not in names]
            if unknown:
                raise ValueError(f"Unknown entry in {what} dictionary: {unknown[0]!r}. Only "
                                 f"expected the following keys: {names}")
            if what == "loss":
                missing = [name for name in names if name not in value]
                if missing:
                    raise ValueError(f"Output {missing[0]!r} missing from loss dictionary "
                                     f"(use None for an output without a loss)")
            items = [value.get(name, default) for name in names]
        elif isinstance(value, (list, tuple)):
            if len(value) != len(names):
                raise ValueError(f"When passing a list as {what}, it should have one entry per "
                                 f"model output. The model has {len(names)} outputs, but you "
                                 f"passed {what}={value!r}")
            items = list(value)
        else:
            items = [default if value is None else value] * len(names)
        items = [default if v is None else v for v in items]
        return [None if v is None else convert(v) for v in items]

    def _metric(self, metric: Any, i: int) -> tuple[Any, str]:
        """(function, name) of a metric for output i; 'accuracy'/'acc' by Keras's rule."""
        if metric in ("accuracy", "acc"):
            loss_fn = self.loss_functions[i]
            if self.internal_output_shapes[i][-1] == 1 or \
                    loss_fn is losses_module.binary_crossentropy:
                return metrics_module.binary_accuracy, "acc"
            if loss_fn is losses_module.sparse_categorical_crossentropy:
                return metrics_module.sparse_categorical_accuracy, "acc"
            return metrics_module.categorical_accuracy, "acc"
        fn = metrics_module.get(metric)
        return fn, getattr(fn, "__name__", type(fn).__name__)

    # ------------------------------------------------------------ compiled functions

    def _phase_inputs(self) -> list[Any]:
        phase = K.learning_phase()
        return [] if isinstance(phase, int) else [phase]

    def _phase_values(self, value: int) -> list[np.ndarray]:
        return [np.array(value, dtype=K.dtype(p)) for p in self._phase_inputs()]

    def _check_compiled(self) -> None:
        if not self._is_compiled:
            raise RuntimeError("You must compile a model before training/testing. Use "
                               "`model.compile(optimizer, loss)`.")

    @_made_once("train_function")
    def _make_train_function(self) -> None:
        """Compile [total loss] + metrics with every update, once (reused afterwards)."""
        self._check_compiled()
        if self.train_function is not None:
            return
        inputs = self.inputs + self.targets + self.sample_weights + self._phase_inputs()
        training_updates = optimizers.collect_updates(
            self.optimizer, self._collected_trainable_weights, self.constraints,
            self.total_loss)
        updates = self.updates + list(training_updates)
        self.train_function = K.function(inputs, [self.total_loss] + self.metrics_tensors,
                                         updates=updates, phase=1,
                                         **self._kwargs("train_function"))

    @_made_once("test_function")
    def _make_test_function(self) -> None:
        """Compile [total loss] + metrics (stateful layers' updates only), once."""
        self._check_compiled()
        if self.test_function is not None:
            return
        inputs = self.inputs + self.targets + self.sample_weights + self._phase_inputs()
        self.test_function = K.function(inputs, [self.total_loss] + self.metrics_tensors,
                                        updates=self.state_updates, phase=0,
                                        **self._kwargs("test_function"))

    @_made_once("predict_function")
    def _make_predict_function(self) -> None:
        """Compile the outputs from the inputs, once (no compile() needed)."""
        if self.predict_function is not None:
            return
        kwargs = getattr(self, "_function_kwargs", {})
        self.predict_function = K.function(self.inputs + self._phase_inputs(), self.outputs,
                                           updates=self.state_updates, phase=0,
                                           **{"name": "predict_function", "trust_input": True,
                                              **kwargs})

    def _kwargs(self, name: str) -> dict[str, Any]:
        # Batches are checked and converted before the loop, so the calls skip checks.
        return {"name": name, "trust_input": True, **self._function_kwargs}

    # ------------------------------------------------------------ data

    @property
    def _input_dtypes(self) -> list[str]:
        return [K.dtype(x) for x in self.inputs]

    def _standardize_user_data(self, x: Any, y: Any, sample_weight: Any = None,
                               class_weight: Any = None, check_batch_axis: bool = False,
                               batch_size: int | None = None, lazy: bool = False
                               ) -> tuple[list, list, list]:
        """(inputs, targets, sample weights) as checked arrays in the functions' dtypes
        (with `lazy`, HDF5 data stays on disk for the batch loops to read)."""
        self._check_compiled()
        x = standardize_input_data(x, self.input_names, self.internal_input_shapes,
                                   check_batch_axis, "model input", self._input_dtypes, lazy)
        feed = self._feed_indices
        if not feed:
            if y is not None and not (isinstance(y, (list, tuple, dict)) and not y):
                raise ValueError("The model has no loss on any output (compiled with "
                                 "loss=None), so `y` must be None")
            y_arrays: list[np.ndarray] = []
        else:
            shapes = []
            for i in feed:
                shape, fn = self.internal_output_shapes[i], self.loss_functions[i]
                if fn is losses_module.sparse_categorical_crossentropy:
                    shapes.append(tuple(shape[:-1]) + (1,))
                elif fn is losses_module.categorical_crossentropy:
                    shapes.append(None)  # checked below, with advice for integer labels
                elif getattr(losses_module, getattr(fn, "__name__", ""), None) is fn:
                    shapes.append(shape)
                else:
                    shapes.append(None)  # custom losses decide what targets they take
            y_arrays = standardize_input_data(y, self._feed_output_names, shapes,
                                              check_batch_axis, "model target",
                                              [K.dtype(t) for t in self.targets], lazy)
        sample_weights = standardize_sample_or_class_weights(
            sample_weight, self._feed_output_names, "sample_weight")
        class_weights = standardize_sample_or_class_weights(
            class_weight, self._feed_output_names, "class_weight")
        weights = [standardize_weights(ref, sw, cw, mode) for ref, sw, cw, mode in
                   zip(y_arrays, sample_weights, class_weights, self.sample_weight_modes,
                       strict=True)]
        check_array_lengths(x, y_arrays, weights, self.input_names, self._feed_output_names)
        check_loss_and_target_compatibility(
            y_arrays, [self.loss_functions[i] for i in feed],
            [self.internal_output_shapes[i] for i in feed], self._feed_output_names)
        for labels, i, name in zip(y_arrays, feed, self._feed_output_names, strict=True):
            if self.loss_functions[i] is losses_module.sparse_categorical_crossentropy:
                check_sparse_labels(labels, self.internal_output_shapes[i][-1], name,
                                    "Error when checking model target")
        if self.stateful and batch_size and x and x[0].shape[0] % batch_size != 0:
            raise ValueError(f"In a stateful network, you should only pass inputs with a number "
                             f"of samples that can be divided by the batch size. Found: "
                             f"{x[0].shape[0]} samples. Batch size: {batch_size}.")
        return x, y_arrays, weights

    def _check_training_data(self, arrays: list[np.ndarray], caller: str) -> None:
        """Refuse no samples, and NaN or inf in the inputs, targets or sample weights."""
        check_has_samples(arrays, caller)
        names = [f"input {n!r}" for n in self.input_names]
        names += [f"the targets of output {n!r}" for n in self._feed_output_names]
        names += [f"the sample weights of output {n!r}" for n in self._feed_output_names]
        check_finite(arrays, names, caller)

    # ------------------------------------------------------------ training and inference

    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = 32,
            nb_epoch: int | None = None, verbose: int = 1, callbacks: Any = None,
            validation_split: float = 0.0, validation_data: Any = None,
            shuffle: bool | str = True, class_weight: Any = None, sample_weight: Any = None,
            initial_epoch: int = 0, epochs: int | None = None, **kwargs: Any) -> Any:
        """Train for a number of epochs; returns the History (history.history['loss'], ...).

        validation_split holds out the LAST fraction of the samples, taken before any
        shuffling; validation_data is (x, y) or (x, y, sample_weight). shuffle: True
        (samples, every epoch), 'batch' (whole batches) or False.
        """
        if kwargs:
            raise TypeError(f"Unrecognized keyword arguments: {sorted(kwargs)}")
        epochs = resolve_epochs(nb_epoch, epochs, _DEFAULT_EPOCHS)
        batch_size = 32 if batch_size is None else batch_size
        validation_split = check_validation_split(validation_split)
        x, y, weights = self._standardize_user_data(x, y, sample_weight, class_weight,
                                                    batch_size=batch_size, lazy=True)
        self._check_training_data(x + y + weights, "fit")
        check_hyperparameters(self.optimizer, "fit")
        val_ins = None
        if validation_data:
            if not isinstance(validation_data, (list, tuple)) or \
                    len(validation_data) not in (2, 3):
                raise ValueError(f"When passing validation_data, it must contain 2 (x_val, "
                                 f"y_val) or 3 (x_val, y_val, val_sample_weights) items, "
                                 f"however it contains {len(validation_data)} items")
            val_x, val_y, val_weights = self._standardize_user_data(
                validation_data[0], validation_data[1],
                validation_data[2] if len(validation_data) == 3 else None,
                batch_size=batch_size, lazy=True)
            val_ins = val_x + val_y + val_weights
        elif validation_split > 0.0:
            n = x[0].shape[0]
            split_at = int(n * (1.0 - validation_split))
            if split_at == 0 or split_at == n:
                raise ValueError(f"validation_split={validation_split} of {n} samples leaves "
                                 f"{split_at} for training and {n - split_at} for validation; "
                                 f"both need at least one")
            ins = x + y + weights
            val_ins = [a[split_at:] for a in ins]
            x = [a[:split_at] for a in x]
            y = [a[:split_at] for a in y]
            weights = [a[:split_at] for a in weights]
        self._make_train_function()
        if val_ins is not None:
            self._make_test_function()
        labels = dedupe_labels(self.metrics_names)
        val_f = unchecked(self.test_function) if val_ins is not None else None
        return training_arrays.fit_loop(
            self, unchecked(self.train_function), x + y + weights, self._phase_values(1),
            labels, batch_size, epochs, verbose, callbacks, val_f, val_ins,
            self._phase_values(0), shuffle, initial_epoch)

    def evaluate(self, x: Any, y: Any = None, batch_size: int = 32, verbose: int = 1,
                 sample_weight: Any = None) -> Any:
        """The loss (and metrics) on data: a float, or a list in metrics_names order."""
        x, y, weights = self._standardize_user_data(x, y, sample_weight,
                                                    batch_size=batch_size, lazy=True)
        self._make_test_function()
        outs = training_arrays.test_loop(unchecked(self.test_function), x + y + weights,
                                         self._phase_values(0), batch_size, verbose)
        return outs[0] if len(outs) == 1 else outs

    def predict(self, x: Any, batch_size: int = 32, verbose: int = 0) -> Any:
        """The outputs for inputs x, batch by batch: an array (a list for several outputs)."""
        x = standardize_input_data(x, self.input_names, self.internal_input_shapes, False,
                                   "model input", self._input_dtypes, lazy=True)
        if self.stateful and x and x[0].shape[0] > batch_size and \
                x[0].shape[0] % batch_size != 0:  # Keras 1.2.2: a single short batch is fine
            raise ValueError(f"In a stateful network, you should only pass inputs with a number "
                             f"of samples that can be divided by the batch size. Found: "
                             f"{x[0].shape[0]} samples. Batch size: {batch_size}.")
        self._make_predict_function()
        outs = training_arrays.predict_loop(unchecked(self.predict_function), x,
                                            self._phase_values(0), batch_size, verbose)
        return outs[0] if len(outs) == 1 else outs

    def train_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None,
                       class_weight: Any = None) -> Any:
        """One gradient step on one batch; the loss (and metrics) before the step."""
        x, y, weights = self._standardize_user_data(x, y, sample_weight, class_weight,
                                                    check_batch_axis=True)
        self._check_training_data(x + y + weights, "train_on_batch")
        self._make_train_function()
        outs = [float(o) for o in unchecked(self.train_function)(*x, *y, *weights,
                                                                 *self._phase_values(1))]
        return outs[0] if len(outs) == 1 else outs

    def test_on_batch(self, x: Any, y: Any = None, sample_weight: Any = None) -> Any:
        """The loss (and metrics) on one batch, without training."""
        x, y, weights = self._standardize_user_data(x, y, sample_weight,
                                                    check_batch_axis=True)
        self._make_test_function()
        outs = [float(o) for o in unchecked(self.test_function)(*x, *y, *weights,
                                                                *self._phase_values(0))]
        return outs[0] if len(outs) == 1 else outs

    def predict_on_batch(self, x: Any) -> Any:
        """The outputs for one batch of inputs."""
        x = standardize_input_data(x, self.input_names, self.internal_input_shapes, True,
                                   "model input", self._input_dtypes)
        self._make_predict_function()
        outs = unchecked(self.predict_function)(*x, *self._phase_values(0))
        return outs[0] if len(outs) == 1 else outs

    # ------------------------------------------------------------ generators

    def fit_generator(self, generator: Any, samples_per_epoch: int | None = None,
                      nb_epoch: int | None = None, verbose: int = 1, callbacks: Any = None,
                      validation_data: Any = None, nb_val_samples: int | None = None,
                      class_weight: Any = None, max_q_size: int = 10, nb_worker: int = 1,
                      pickle_safe: bool = False, initial_epoch: int = 0, *,
                      steps_per_epoch: int | None = None, epochs: int | None = None,
                      validation_steps: int | None = None, **kwargs: Any) -> Any:
        """Train on batches from a generator of (x, y) or (x, y, sample_weight).

        An epoch is `samples_per_epoch` samples (Keras 1; positional) or
        `steps_per_epoch` batches (Keras 2). Batches are drawn in this thread: the queue
        and worker arguments (max_q_size/max_queue_size, nb_worker/workers, pickle_safe/
        use_multiprocessing) are accepted and have no effect. In a distributed job
        (keras_front.distributed) each rank brings its own generator of its own data.
        """
        training_generator.check_queue_kwargs(kwargs)
        self._check_compiled()
        check_hyperparameters(self.optimizer, "fit_generator")
        return training_generator.fit_generator(
            self, generator, samples=samples_per_epoch, steps=steps_per_epoch,
            epochs=resolve_epochs(nb_epoch, epochs, 1), verbose=verbose, callbacks=callbacks,
            validation_data=validation_data, val_samples=nb_val_samples,
            val_steps=validation_steps, class_weight=class_weight, initial_epoch=initial_epoch)

    def evaluate_generator(self, generator: Any, val_samples: int | None = None,
                           max_q_size: int = 10, nb_worker: int = 1, pickle_safe: bool = False,
                           *, steps: int | None = None, **kwargs: Any) -> Any:
        """The loss (and metrics) averaged over `val_samples` samples (Keras 1) or `steps`
        batches (Keras 2) from a generator, weighted by batch size."""
        training_generator.check_queue_kwargs(kwargs)
        return training_generator.evaluate_generator(self, generator, samples=val_samples,
                                                     steps=steps)

    def predict_generator(self, generator: Any, val_samples: int | None = None,
                          max_q_size: int = 10, nb_worker: int = 1, pickle_safe: bool = False,
                          *, steps: int | None = None, verbose: int = 0,
                          **kwargs: Any) -> Any:
        """The outputs for `val_samples` samples (Keras 1) or `steps` batches (Keras 2) of
        inputs from a generator (of x, or of (x, y[, sample_weight]))."""
        training_generator.check_queue_kwargs(kwargs)
        return training_generator.predict_generator(self, generator, samples=val_samples,
                                                    steps=steps, verbose=verbose)
