"""The callback protocol and the callbacks every `fit` installs: Callback, CallbackList,
BaseLogger (epoch averages), History (what `fit` returns) and ProgbarLogger.

The training loop calls, in order: `on_train_begin`, then per epoch `on_epoch_begin`,
per batch `on_batch_begin` / `on_batch_end` (batch logs hold 'batch', 'size' and the
batch's loss and metrics), `on_epoch_end` (epoch logs; BaseLogger fills in the epoch
averages), and finally `on_train_end`. Keras 1.2 installs
`[BaseLogger()] + user_callbacks + [History()]` (+ `ProgbarLogger()` when verbose), so
every later callback sees BaseLogger's averages.

`params` (set by the loop) are Keras 1.2's keys — 'batch_size', 'nb_epoch',
'nb_sample', 'verbose', 'do_validation', 'metrics' — or Keras 2's 'epochs', 'samples',
'steps'; the callbacks here read either spelling.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

import numpy as np

from ..utils.generic_utils import Progbar

# Whether this process prints progress bars and writes files (ModelCheckpoint, CSVLogger):
# every process does, unless keras_front.distributed says only rank 0 of a job does.
_writer: Callable[[], bool] = lambda: True


def writes_output() -> bool:
    """True when this process prints progress and writes checkpoints and logs."""
    return _writer()


def set_writer(predicate: Callable[[], bool] | None) -> None:
    """Decide which processes write (None: all of them); keras_front.distributed uses it."""
    global _writer
    _writer = predicate if predicate is not None else (lambda: True)


def param(params: dict[str, Any], *names: str, default: Any = None) -> Any:
    """The first of `names` present in params (Keras 1.2 and Keras 2 spell some apart)."""
    for name in names:
        if name in params and params[name] is not None:
            return params[name]
    return default


class Callback:
    """Base class of callbacks: override the `on_*` hooks you need; the rest do nothing.

    `self.model` is the model being trained and `self.params` the loop's settings; both
    are set by the training loop before `on_train_begin`.
    """

    def __init__(self) -> None:
        self.validation_data: Any = None
        self.model: Any = None
        self.params: dict[str, Any] = {}

    def set_params(self, params: dict[str, Any]) -> None:
        """Remember the training loop's settings (epochs, samples, verbose, metrics...)."""
        self.params = params

    def set_model(self, model: Any) -> None:
        """Remember the model being trained."""
        self.model = model

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the start of epoch `epoch` (0-based)."""

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Called at the end of an epoch; logs hold the epoch's averaged metrics."""

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called before each batch; logs hold 'batch' and 'size'."""

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Called after each batch; logs also hold the batch's loss and metrics."""

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Called once when training starts."""

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Called once when training ends."""


class CallbackList:
    """Calls a list of callbacks in order: the training loop talks to this one object."""

    def __init__(self, callbacks: Iterable[Callback] | None = None, queue_length: int = 10):
        # queue_length is Keras's argument for its timing warnings (not reproduced here).
        self.callbacks = list(callbacks or [])
        self.queue_length = queue_length

    def append(self, callback: Callback) -> None:
        """Add one more callback at the end."""
        self.callbacks.append(callback)

    def __iter__(self) -> Iterator[Callback]:
        return iter(self.callbacks)

    def __len__(self) -> int:
        return len(self.callbacks)

    def set_params(self, params: dict[str, Any]) -> None:
        """Give every callback the loop's settings."""
        for callback in self.callbacks:
            callback.set_params(params)

    def set_model(self, model: Any) -> None:
        """Give every callback the model."""
        for callback in self.callbacks:
            callback.set_model(model)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback (one shared logs dict, as Keras does)."""
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_epoch_begin(epoch, logs)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback; earlier ones may add keys later ones read."""
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_epoch_end(epoch, logs)

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback."""
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_batch_begin(batch, logs)

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback."""
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_batch_end(batch, logs)

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback."""
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_train_begin(logs)

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Forward to every callback."""
        logs = {} if logs is None else logs
        for callback in self.callbacks:
            callback.on_train_end(logs)


# Batch-log keys that are bookkeeping, not metrics to average.
_BOOKKEEPING = ("batch", "size")


class BaseLogger(Callback):
    """Averages the batch metrics over the epoch, weighted by batch size, into epoch logs.

    Keras 1.2 averages the names in `params['metrics']`; without that list every
    numeric batch key except 'batch' and 'size' is averaged. Keys the epoch logs already
    hold from elsewhere (validation results) are overwritten only when batches logged
    them too.
    """

    def __init__(self) -> None:
        super().__init__()
        self.seen = 0
        self.totals: dict[str, Any] = {}

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Start the epoch's totals at zero."""
        self.seen = 0
        self.totals = {}

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Add the batch's values, weighted by its size, to the epoch's totals."""
        logs = logs or {}
        batch_size = logs.get("size", 0)
        self.seen += batch_size
        for key, value in logs.items():
            if key in _BOOKKEEPING:
                continue
            self.totals[key] = self.totals.get(key, 0) + value * batch_size

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Put each metric's size-weighted epoch mean into the epoch logs."""
        if logs is None or not self.seen:
            return
        names = self.params.get("metrics")
        if names is None:
            names = list(self.totals)
        for key in names:
            if key in self.totals:
                # Written into the shared logs so callbacks after this one see the average.
                logs[key] = self.totals[key] / self.seen


class History(Callback):
    """Records the epoch logs: `history.epoch` (indices) and `history.history[key]` lists.

    `model.fit` returns it: `history.history['loss']`, `['val_acc']`...
    """

    def __init__(self) -> None:
        super().__init__()
        self.epoch: list[int] = []
        self.history: dict[str, list[Any]] = {}

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Start a new record (one History per fit)."""
        self.epoch = []
        self.history = {}

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Append the epoch number and every logged value."""
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class ProgbarLogger(Callback):
    """Prints 'Epoch i/n' and a progress bar with the running metrics to stdout.

    count_mode='samples' (Keras 1.2's only mode) advances the bar by the batch size;
    'steps' (Keras 2) by one per batch. Verbosity is `params['verbose']`.
    """

    def __init__(self, count_mode: str = "samples"):
        super().__init__()
        if count_mode not in ("samples", "steps"):
            raise ValueError(f"ProgbarLogger: unknown count_mode {count_mode!r}; "
                             "use 'samples' or 'steps'")
        self.use_steps = count_mode == "steps"
        self.verbose = 1
        self.epochs: int | None = None
        self.target: int | None = None
        self.seen = 0
        self.progbar: Progbar | None = None
        self.log_values: list[tuple[str, Any]] = []

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Read verbosity and the number of epochs from the loop's params (silent on a
        process that does not write output, see writes_output)."""
        self.verbose = param(self.params, "verbose", default=1) if writes_output() else 0
        self.epochs = param(self.params, "epochs", "nb_epoch")

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Print 'Epoch i/n' and start a bar over the epoch's samples (or steps)."""
        if self.use_steps:
            self.target = param(self.params, "steps")
        else:
            self.target = param(self.params, "samples", "nb_sample")
        if self.verbose:
            print(f"Epoch {epoch + 1}/{self.epochs if self.epochs is not None else '?'}")
            self.progbar = Progbar(target=self.target, verbose=self.verbose)
        self.seen = 0
        self.log_values = []

    def _metric_names(self, logs: dict[str, Any]) -> list[str]:
        names = self.params.get("metrics")
        if names is None:
            names = [k for k in logs if k not in _BOOKKEEPING]
        return list(names)

    def _below_target(self) -> bool:
        return self.target is None or self.seen < self.target

    def on_batch_begin(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Forget the previous batch's values."""
        if self._below_target():
            self.log_values = []

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Advance the bar by the batch and show its metrics."""
        logs = logs or {}
        self.seen += 1 if self.use_steps else logs.get("size", 0)
        for key in self._metric_names(logs):
            if key in logs:
                self.log_values.append((key, logs[key]))
        # The last batch is drawn by on_epoch_end, together with the epoch's
        # validation results, so the finished line is printed once.
        if self.verbose and self.progbar is not None and self._below_target():
            self.progbar.update(self.seen, self.log_values)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Finish the bar with the epoch's values, validation included."""
        logs = logs or {}
        for key in self._metric_names(logs):
            if key in logs:
                self.log_values.append((key, logs[key]))
        if self.verbose and self.progbar is not None:
            self.progbar.update(self.seen, self.log_values, force=True)


def is_finite_number(value: Any) -> bool:
    """True when value is a finite real scalar (NaN and +-inf are not)."""
    try:
        return bool(np.isfinite(np.asarray(value, dtype=np.float64)).all())
    except (TypeError, ValueError):
        return False
