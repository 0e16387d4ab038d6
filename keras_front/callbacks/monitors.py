"""Callbacks that watch a logged quantity and act on it: ModelCheckpoint (save the model),
EarlyStopping (stop training), ReduceLROnPlateau (lower the learning rate) and
TerminateOnNaN (stop on a NaN/inf loss).

Keras 1.2's semantics, including its counting of `patience`: training stops (or the rate
drops) at the `patience + 1`-th epoch in a row without improvement. Keras 2.1+ acts one
epoch earlier; `patience=0` acts at the first such epoch in both.

ModelCheckpoint fills `{epoch}` in its file path 0-based, as Keras 1.2.2 does
(`'weights.{epoch:02d}.h5'` names the first epoch's file `weights.00.h5`; Keras 2 counts
from 1): a compatibility decision of issue 10, so Keras 1 scripts find their files.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import numpy as np

from .. import backend as K
from .base import Callback, is_finite_number, writes_output


def resolve_mode(callback: str, mode: str, monitor: str) -> str:
    """'min' or 'max': `mode`, or for 'auto' max for accuracies and f-measures, else min."""
    if mode not in ("auto", "min", "max"):
        warnings.warn(f"{callback} mode {mode!r} is unknown, fallback to auto mode.",
                      RuntimeWarning, stacklevel=3)
        mode = "auto"
    if mode == "auto":
        return "max" if "acc" in monitor or monitor.startswith("fmeasure") else "min"
    return mode


def _initial_best(mode: str) -> float:
    """The value any first epoch improves on: -inf when larger is better, else inf."""
    return -np.inf if mode == "max" else np.inf


def _monitored(logs: dict[str, Any] | None, monitor: str, missing: str) -> float | None:
    """The monitored value of the epoch as a float; None (after warning `missing`) when the
    logs lack it, so the callback skips this epoch as Keras does."""
    current = (logs or {}).get(monitor)
    if current is None:
        # stacklevel 3: the warning points at the code that ended the epoch.
        warnings.warn(missing, RuntimeWarning, stacklevel=3)
        return None
    return float(np.asarray(current, dtype=np.float64).reshape(()))


class ModelCheckpoint(Callback):
    """Save the model after every `period` epochs to `filepath`, a format string.

    `'weights.{epoch:02d}-{val_loss:.2f}.hdf5'` is filled with the 1-based epoch number
    (Keras 2.1+'s numbering; Keras 1.2 used the 0-based index) and any key of the epoch
    logs. With save_best_only, the model is saved only when `monitor` improves on the best
    value so far (direction by `mode`). Saving calls `model.save_weights(path,
    overwrite=True)` or `model.save(path, overwrite=True)`. As in Keras, the directory of
    the path must exist. In a distributed job only rank 0 writes (and prints); every rank
    keeps track of the best value.
    """

    def __init__(self, filepath: str | os.PathLike[str], monitor: str = "val_loss",
                 verbose: int = 0, save_best_only: bool = False,
                 save_weights_only: bool = False, mode: str = "auto", period: int = 1):
        super().__init__()
        self.filepath = os.fspath(filepath)
        self.monitor = monitor
        self.verbose = verbose
        self.save_best_only = save_best_only
        self.save_weights_only = save_weights_only
        self.period = period
        self.epochs_since_last_save = 0
        self.mode = resolve_mode("ModelCheckpoint", mode, monitor)
        self.best = _initial_best(self.mode)

    def _improved(self, current: float) -> bool:
        return current > self.best if self.mode == "max" else current < self.best

    def format_filepath(self, epoch: int, logs: dict[str, Any]) -> str:
        """The file path of epoch `epoch`: the template filled from the logs, {epoch}
        0-based as Keras 1.2.2 fills it (the first epoch's file is '00...' with
        '{epoch:02d}'; compatibility decision of issue 10)."""
        try:
            return self.filepath.format(**{**logs, "epoch": epoch})
        except KeyError as e:
            fields = ", ".join(["epoch", *sorted(logs)])
            raise KeyError(f"ModelCheckpoint: the file path {self.filepath!r} names "
                           f"{e.args[0]!r}, which is not in this epoch's logs (available: "
                           f"{fields}; 'val_' keys need validation data)") from None

    def _save(self, filepath: str) -> None:
        if not writes_output():
            return
        if self.save_weights_only:
            self.model.save_weights(filepath, overwrite=True)
        else:
            self.model.save(filepath, overwrite=True)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Save every `period` epochs (only improvements with save_best_only)."""
        logs = logs or {}
        self.epochs_since_last_save += 1
        if self.epochs_since_last_save < self.period:
            return
        self.epochs_since_last_save = 0
        filepath = self.format_filepath(epoch, logs)
        if not self.save_best_only:
            if self.verbose > 0 and writes_output():
                print(f"Epoch {epoch + 1:05d}: saving model to {filepath}")
            self._save(filepath)
            return
        current = _monitored(logs, self.monitor,
                             f"Can save best model only with {self.monitor} available, "
                             f"skipping.")
        if current is None:
            return
        if self._improved(current):
            if self.verbose > 0 and writes_output():
                print(f"Epoch {epoch + 1:05d}: {self.monitor} improved from {self.best:0.5f} "
                      f"to {current:0.5f}, saving model to {filepath}")
            self.best = current
            self._save(filepath)
        elif self.verbose > 0 and writes_output():
            print(f"Epoch {epoch + 1:05d}: {self.monitor} did not improve")


class EarlyStopping(Callback):
    """Stop training (`model.stop_training = True`) when `monitor` stops improving.

    An epoch improves when the value beats the best so far by more than `min_delta`
    (in the direction of `mode`); after `patience + 1` epochs in a row without
    improvement training stops (Keras 1.2's count).
    """

    def __init__(self, monitor: str = "val_loss", min_delta: float = 0, patience: int = 0,
                 verbose: int = 0, mode: str = "auto"):
        super().__init__()
        self.monitor = monitor
        self.patience = patience
        self.verbose = verbose
        self.mode = resolve_mode("EarlyStopping", mode, monitor)
        # Keras stores the delta signed: added to the value before comparing.
        self.min_delta = abs(min_delta) if self.mode == "max" else -abs(min_delta)
        self.wait = 0
        self.stopped_epoch = 0
        self.best = _initial_best(self.mode)

    def _improved(self, current: float) -> bool:
        shifted = current - self.min_delta
        return shifted > self.best if self.mode == "max" else shifted < self.best

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        # Reset, so one instance can serve several fits.
        """Reset the patience count and the best value, so one instance serves several fits."""
        self.wait = 0
        self.stopped_epoch = 0
        self.best = _initial_best(self.mode)

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Count an epoch without improvement, and stop training when patience runs out."""
        current = _monitored(logs, self.monitor,
                             f"Early stopping requires {self.monitor} available!")
        if current is None:
            return
        if self._improved(current):
            self.best = current
            self.wait = 0
            return
        if self.wait >= self.patience:
            self.stopped_epoch = epoch
            self.model.stop_training = True
        self.wait += 1

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Print the epoch training stopped at (verbose)."""
        if self.stopped_epoch > 0 and self.verbose > 0:
            print(f"Epoch {self.stopped_epoch + 1:05d}: early stopping")


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by `factor` when `monitor` has stopped improving.

    Improvement means beating the best value by more than `epsilon` (Keras 2.1.6+ calls
    it `min_delta`; both are accepted). After `patience + 1` epochs without improvement
    the rate becomes `max(lr * factor, min_lr)`, then `cooldown` epochs pass before
    counting again. The current rate is added to the epoch logs as 'lr' (so History
    records it), as Keras 1.2 does. The rate is read and written with K.get_value /
    K.set_value on `model.optimizer.lr`, so compiled train functions follow it.
    """

    def __init__(self, monitor: str = "val_loss", factor: float = 0.1, patience: int = 10,
                 verbose: int = 0, mode: str = "auto", epsilon: float = 1e-4,
                 cooldown: int = 0, min_lr: float = 0, min_delta: float | None = None):
        super().__init__()
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau does not support a factor >= 1.0 "
                             f"(got factor={factor})")
        self.monitor = monitor
        self.factor = factor
        self.min_lr = min_lr
        self.epsilon = epsilon if min_delta is None else min_delta
        self.patience = patience
        self.verbose = verbose
        self.cooldown = cooldown
        self.mode = mode
        self._reset()

    def _reset(self) -> None:
        self.mode = resolve_mode("ReduceLROnPlateau", self.mode, self.monitor)
        self.best = _initial_best(self.mode)
        self.cooldown_counter = 0
        self.wait = 0
        self.lr_epsilon = self.min_lr * 1e-4

    def _improved(self, current: float) -> bool:
        if self.mode == "max":
            return current > self.best + self.epsilon
        return current < self.best - self.epsilon

    def in_cooldown(self) -> bool:
        """True while epochs of the cooldown after a reduction remain."""
        return self.cooldown_counter > 0

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Reset the best value, the patience and the cooldown for a new fit."""
        self._reset()

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Log the current rate as 'lr' and lower it after `patience` stalled epochs."""
        logs = {} if logs is None else logs
        lr_variable = self.model.optimizer.lr
        logs["lr"] = float(K.get_value(lr_variable))
        current = _monitored(logs, self.monitor,
                             f"Learning Rate Plateau Reducing requires {self.monitor} "
                             f"available!")
        if current is None:
            return
        if self.in_cooldown():
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improved(current):
            self.best = current
            self.wait = 0
        elif not self.in_cooldown():
            if self.wait >= self.patience:
                old_lr = float(K.get_value(lr_variable))
                if old_lr > self.min_lr + self.lr_epsilon:
                    new_lr = max(old_lr * self.factor, self.min_lr)
                    K.set_value(lr_variable, new_lr)
                    if self.verbose > 0:
                        print(f"Epoch {epoch + 1:05d}: reducing learning rate to {new_lr}.")
                    self.cooldown_counter = self.cooldown
                    self.wait = 0
            self.wait += 1


class TerminateOnNaN(Callback):
    """Stop training (`model.stop_training = True`) as soon as a batch loss is NaN or inf.

    The training loop checks `model.stop_training` after every batch (Keras 2's loop).
    """

    def on_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
        """Stop training after a batch whose loss is NaN or infinite."""
        loss = (logs or {}).get("loss")
        if loss is not None and not is_finite_number(loss):
            print(f"Batch {batch}: Invalid loss, terminating training")
            self.model.stop_training = True
