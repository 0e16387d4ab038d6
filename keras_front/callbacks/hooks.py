"""Callbacks that run user code or write records: LearningRateScheduler, CSVLogger,
LambdaCallback; and TensorBoard / RemoteMonitor, which keras_front does not support.
"""

from __future__ import annotations

import csv
import inspect
import numbers
import os
from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from .. import backend as K
from .base import Callback, writes_output


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch: `lr = schedule(epoch)`.

    `epoch` is 0-based. A schedule taking two arguments is called `schedule(epoch, lr)`
    with the current rate (Keras 2.2). The result must be a real number.
    """

    def __init__(self, schedule: Callable[..., Any], verbose: int = 0):
        super().__init__()
        if not callable(schedule):
            raise TypeError(f"LearningRateScheduler: schedule must be a function of the "
                            f"epoch, got {type(schedule).__name__}")
        self.schedule = schedule
        self.verbose = verbose

    def _takes_lr(self) -> bool:
        try:
            params = inspect.signature(self.schedule).parameters.values()
        except (TypeError, ValueError):
            return False
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                      p.POSITIONAL_OR_KEYWORD)]
        return len(positional) >= 2 or any(p.kind is p.VAR_POSITIONAL for p in params)

    def on_epoch_begin(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Set the optimizer's learning rate to schedule(epoch) before the epoch runs."""
        optimizer = getattr(self.model, "optimizer", None)
        if not hasattr(optimizer, "lr"):
            raise ValueError('LearningRateScheduler: the optimizer must have a "lr" '
                             'attribute.')
        if self._takes_lr():
            lr = self.schedule(epoch, float(K.get_value(optimizer.lr)))
        else:
            lr = self.schedule(epoch)
        if isinstance(lr, np.ndarray) and lr.ndim == 0:
            lr = lr.item()
        if isinstance(lr, bool) or not isinstance(lr, numbers.Real):
            raise ValueError(f'The output of the "schedule" function should be float '
                             f'(epoch {epoch} gave {lr!r} of type {type(lr).__name__}).')
        if not np.isfinite(lr):
            raise ValueError(f'The output of the "schedule" function should be a finite '
                             f'learning rate (epoch {epoch} gave {lr!r}).')
        K.set_value(optimizer.lr, float(lr))
        if self.verbose > 0:
            print(f"Epoch {epoch + 1:05d}: LearningRateScheduler setting learning rate "
                  f"to {float(lr)}.")


class CSVLogger(Callback):
    """Write one CSV row per epoch: 'epoch' (0-based) then the epoch logs' keys, sorted.

    The columns are fixed by the first epoch; a key missing later is written 'NA'.
    append=True adds to an existing file (writing the header only if the file is empty).
    The file is flushed after every row and closed when training ends.
    """

    def __init__(self, filename: str | os.PathLike[str], separator: str = ",",
                 append: bool = False):
        super().__init__()
        self.filename = os.fspath(filename)
        self.sep = separator
        self.append = append
        self.keys: list[str] | None = None
        self.append_header = True
        self.csv_file: Any = None
        self.writer: Any = None

    def on_train_begin(self, logs: dict[str, Any] | None = None) -> None:
        """Open the CSV file (appending when `append`), so each fit writes its rows (on the
        process that writes output: rank 0 of a distributed job)."""
        if writes_output():
            self._open()

    def _open(self) -> None:
        self._close()
        self.keys, self.writer = None, None
        self.append_header = True
        if self.append:
            if os.path.exists(self.filename):
                with open(self.filename, encoding="utf-8") as f:
                    self.append_header = not f.readline()
            mode = "a"
        else:
            mode = "w"
        # newline='' lets the csv module choose line endings (no blank rows on Windows).
        self.csv_file = open(self.filename, mode, newline="", encoding="utf-8")

    @staticmethod
    def _cell(value: Any) -> Any:
        if isinstance(value, str):
            return value
        if isinstance(value, np.ndarray) and value.ndim == 0:
            return value.item()
        if isinstance(value, Iterable):
            return f"[{', '.join(map(str, value))}]"
        return value

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        """Write one row: the epoch and every logged value (header on the first row)."""
        logs = logs or {}
        if not writes_output():
            return
        if self.csv_file is None or self.csv_file.closed:
            self._open()  # used without on_train_begin (e.g. called directly)
        if self.writer is None:
            self.keys = sorted(logs)
            self.writer = csv.DictWriter(self.csv_file, fieldnames=["epoch", *self.keys],
                                         delimiter=self.sep, extrasaction="ignore")
            if self.append_header:
                self.writer.writeheader()
        row = {"epoch": epoch}
        row.update((key, self._cell(logs[key]) if key in logs else "NA")
                   for key in self.keys or ())
        self.writer.writerow(row)
        self.csv_file.flush()

    def _close(self) -> None:
        if self.csv_file is not None and not self.csv_file.closed:
            self.csv_file.close()

    def on_train_end(self, logs: dict[str, Any] | None = None) -> None:
        """Close the CSV file."""
        self._close()
        self.writer = None


def _ignore(*args: Any) -> None:
    return None


class LambdaCallback(Callback):
    """A callback made of functions: `LambdaCallback(on_epoch_end=lambda epoch, logs: ...)`.

    Hooks take the same arguments as Callback's: on_epoch_begin/end(epoch, logs),
    on_batch_begin/end(batch, logs), on_train_begin/end(logs). Extra keyword arguments
    become attributes.
    """

    def __init__(self, on_epoch_begin: Callable[..., Any] | None = None,
                 on_epoch_end: Callable[..., Any] | None = None,
                 on_batch_begin: Callable[..., Any] | None = None,
                 on_batch_end: Callable[..., Any] | None = None,
                 on_train_begin: Callable[..., Any] | None = None,
                 on_train_end: Callable[..., Any] | None = None, **kwargs: Any):
        super().__init__()
        self.__dict__.update(kwargs)
        hooks = {"on_epoch_begin": on_epoch_begin, "on_epoch_end": on_epoch_end,
                 "on_batch_begin": on_batch_begin, "on_batch_end": on_batch_end,
                 "on_train_begin": on_train_begin, "on_train_end": on_train_end}
        for name, fn in hooks.items():
            if fn is not None and not callable(fn):
                raise TypeError(f"LambdaCallback: {name} must be callable, got "
                                f"{type(fn).__name__}")
            # Instance attributes shadow the methods, as in Keras.
            setattr(self, name, fn if fn is not None else _ignore)


class _Unsupported(Callback):
    """A Keras callback that needs something keras_front does not have."""

    reason = ""

    def __init__(self, *args: Any, **kwargs: Any):
        raise NotImplementedError(f"keras_front.callbacks.{type(self).__name__} is not "
                                  f"supported: {self.reason}")


class TensorBoard(_Unsupported):
    """Not supported: TensorBoard logs need TensorFlow."""

    reason = ("it writes TensorFlow event files, and keras_front runs on symgraph without "
              "TensorFlow. Use CSVLogger or the History returned by fit() instead.")


class RemoteMonitor(_Unsupported):
    """Not supported: it posts to a web server."""

    reason = ("it posts epoch results to a web server, which keras_front does not do. "
              "Use CSVLogger or a LambdaCallback instead.")
