"""The batch loops over NumPy arrays behind fit, evaluate and predict.

The arrays arrive checked and converted (training_utils), and the loops call the
compiled function directly with the batch arrays as arguments (`K.Function.unchecked`,
compiled with trust_input), so a step is: take the batch's rows (a view, or a gather in
shuffled order, made a chunk of batches ahead on a worker thread: prefetch.py), call the
function, hand the numbers to the callbacks. Nothing is built, compiled or validated per
batch. Constant arguments (the learning phase) are passed after
the batch arrays and never sliced.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from .. import callbacks as callbacks_module
from ..callbacks.base import writes_output
from ..utils.generic_utils import Progbar
from .data_plan import DataPlan, plan_of
from .lazy_rows import take
from .prefetch import batch_arrays
from .training_utils import make_batches


def unchecked(function: Any) -> Callable[..., Any]:
    """What the loops call with one batch's arrays as arguments: a K.Function's compiled
    function (no per-call checks), or any list-taking function (a user's replacement of
    model.train_function) adapted to that form."""
    direct = getattr(function, "unchecked", None)
    if direct is not None:
        return direct
    return lambda *arrays: function(list(arrays))


def configure_callbacks(model: Any, callbacks: Any, verbose: int, count_mode: str,
                        labels: list[str], do_validation: bool, params: dict[str, Any],
                        validation_arrays: list[np.ndarray] | None = None
                        ) -> tuple[callbacks_module.CallbackList, Any]:
    """The callbacks of one fit (BaseLogger, the user's, a new History as model.history, and
    a ProgbarLogger when verbose) set up with the model and params; and the model they
    see (Keras's callback_model, when a wrapper sets one).

    The validation arrays (inputs, targets, sample weights) are given to every callback as
    `validation_data` (Keras 2) and to the model as `model.validation_data` (Keras 1.2's
    callbacks read them there); None for no validation or a validation generator.
    """
    model.history = callbacks_module.History()
    cbks = [callbacks_module.BaseLogger()] + list(callbacks or []) + [model.history]
    if verbose:
        cbks.append(callbacks_module.ProgbarLogger(count_mode=count_mode))
    cbks = callbacks_module.CallbackList(cbks)
    callback_model = getattr(model, "callback_model", None) or model
    cbks.set_model(callback_model)
    metrics = list(labels) + (["val_" + label for label in labels] if do_validation else [])
    cbks.set_params({**params, "verbose": verbose, "do_validation": do_validation,
                     "metrics": metrics})
    callback_model.stop_training = False
    for cbk in cbks:
        cbk.validation_data = validation_arrays
    model.validation_data = callback_model.validation_data = validation_arrays
    return cbks, callback_model


def end_epoch(cbks: callbacks_module.CallbackList, callback_model: Any, epoch: int,
              labels: list[str], val_outs: list[Any] | None) -> bool:
    """Log the validation results as 'val_<name>', run on_epoch_end; True to stop."""
    epoch_logs: dict[str, Any] = {}
    for label, value in zip(labels, val_outs or [], strict=False):
        epoch_logs["val_" + label] = value
    cbks.on_epoch_end(epoch, epoch_logs)
    return bool(callback_model.stop_training)


def fit_loop(model: Any, f: Any, ins: list[np.ndarray], tail: list[Any], out_labels: list[str],
             batch_size: int, epochs: int, verbose: int, callbacks: Any, val_f: Any,
             val_ins: list[np.ndarray] | None, val_tail: list[Any], shuffle: bool | str,
             initial_epoch: int = 0) -> Any:
    """Train for epochs initial_epoch..epochs-1 and return the History callback.

    f (and val_f) take the arrays of a batch as arguments (see `unchecked`); `ins` are
    the checked arrays, sliced per batch, `tail` the constant arguments after them.

    Validation (val_f on val_ins) runs after the last batch of every epoch; its results
    join the epoch logs as 'val_<name>'. A callback setting `model.stop_training` ends
    the epoch after the current batch (Keras 2's check; Keras 1.2 finished the epoch),
    without validation, and ends training.

    The model's DataPlan (data_plan.py) says which rows each step trains on in this process
    and combines the validation results of several processes.
    """
    do_validation = bool(val_f) and val_ins is not None
    n_samples = ins[0].shape[0] if ins else 0
    plan = plan_of(model)
    batches = plan.batches(n_samples, batch_size)
    n_here = sum(size for _, _, size in batches)
    if verbose and do_validation and writes_output():
        print(f"Train on {n_here} samples, validate on {val_ins[0].shape[0]} samples")
    cbks, callback_model = configure_callbacks(
        model, callbacks, verbose, "samples", out_labels, do_validation,
        {"batch_size": batch_size, "nb_epoch": epochs, "epochs": epochs,
         "nb_sample": n_here, "samples": n_here, "steps": None}, val_ins)
    cbks.on_train_begin()
    index_array = np.arange(n_samples)
    for epoch in range(initial_epoch, epochs):
        cbks.on_epoch_begin(epoch)
        index_array, shuffled = plan.epoch_order(index_array, shuffle, batch_size)
        stopped = False
        arrays = batch_arrays(ins, index_array if shuffled else None, batches)
        try:
            for batch_index, (_, _, size) in enumerate(batches):
                batch_logs: dict[str, Any] = {"batch": batch_index, "size": size}
                cbks.on_batch_begin(batch_index, batch_logs)
                plan.before_batch(size)
                outs = f(*next(arrays), *tail)
                for label, value in zip(out_labels, outs, strict=False):
                    batch_logs[label] = float(value)
                cbks.on_batch_end(batch_index, batch_logs)
                if callback_model.stop_training:
                    stopped = True
                    break
        finally:
            arrays.close()
        # As in Keras, an epoch cut short by stop_training is not validated.
        val_outs = None
        if do_validation and not stopped:
            val_outs = validate(plan, val_f, val_ins, val_tail, batch_size, len(out_labels))
        if plan.agree_to_stop(end_epoch(cbks, callback_model, epoch, out_labels, val_outs)):
            break
    plan.end()
    cbks.on_train_end()
    return model.history


def validate(plan: DataPlan, f: Any, ins: list[np.ndarray], tail: list[Any],
             batch_size: int, n_outputs: int) -> list[float]:
    """test_loop on this process's rows of the validation data (all of them for a single
    process), combined over processes by the plan."""
    n_samples = ins[0].shape[0] if ins else 0
    start, end = plan.rows(n_samples)
    if end > start or end - start == n_samples:  # (test_loop rejects no data at all)
        local = test_loop(f, [a[start:end] for a in ins], tail, batch_size)
    else:
        local = [0.0] * n_outputs
    return plan.average(local, end - start)


def test_loop(f: Any, ins: list[np.ndarray], tail: list[Any], batch_size: int,
              verbose: int = 0) -> list[float]:
    """Each output of f averaged over all samples (batch results weighted by batch size)."""
    n_samples = ins[0].shape[0] if ins else 0
    if n_samples == 0:
        raise ValueError("evaluate: got 0 samples")
    progbar = Progbar(target=n_samples) if verbose == 1 and writes_output() else None
    totals: list[float] = []
    for start, end in make_batches(n_samples, batch_size):
        outs = f(*take(ins, None, start, end), *tail)
        if not totals:
            totals = [0.0] * len(outs)
        for i, value in enumerate(outs):
            totals[i] += float(value) * (end - start)
        if progbar is not None:
            progbar.update(end)
    return [t / n_samples for t in totals]


def predict_loop(f: Any, ins: list[np.ndarray], tail: list[Any], batch_size: int,
                 verbose: int = 0) -> list[np.ndarray]:
    """f's outputs for all samples, batch by batch, gathered into one array per output."""
    n_samples = ins[0].shape[0] if ins else 0
    if n_samples == 0:
        raise ValueError("predict: got 0 samples")
    progbar = Progbar(target=n_samples) if verbose == 1 and writes_output() else None
    results: list[np.ndarray] = []
    for start, end in make_batches(n_samples, batch_size):
        outs = f(*take(ins, None, start, end), *tail)
        if not results:
            results = [np.empty((n_samples,) + o.shape[1:], dtype=o.dtype) for o in outs]
        for result, out in zip(results, outs, strict=True):
            result[start:end] = out
        if progbar is not None:
            progbar.update(end)
    return results
