"""fit / evaluate / predict on batches drawn from a Python generator, in this thread.

A generator yields (x, y), (x, y, sample_weight) — or just x for prediction. How much
makes an epoch: Keras 1 counts samples (`samples_per_epoch`, `nb_val_samples`,
`val_samples`: stop once at least that many were seen), Keras 2 counts batches
(`steps_per_epoch`, `validation_steps`, `steps`). An object with __len__ and
__getitem__ (Keras 2's Sequence) is read in index order, `len()` batches per epoch.
Keras's queue and worker processes are not reproduced: batches are drawn when needed.

In a distributed job (keras_front.distributed) every rank brings its own generator, of
its own share of the data: fit_generator does not shard batches. Every rank must run the
same number of steps (give `steps_per_epoch`, or batches of one size everywhere), since
each step averages the gradients of all ranks; validation results are averaged over them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import numpy as np

from .data_plan import plan_of
from .training_arrays import configure_callbacks, end_epoch, unchecked, validate
from .training_utils import dedupe_labels

_QUEUE_KWARGS = ("max_queue_size", "workers", "use_multiprocessing", "shuffle")


def check_queue_kwargs(kwargs: dict[str, Any]) -> None:
    """Accept Keras 2's queue/worker arguments (no effect here); reject anything else."""
    unknown = [k for k in kwargs if k not in _QUEUE_KWARGS]
    if unknown:
        raise TypeError(f"Unrecognized keyword arguments: {unknown}")


def _batches(generator: Any) -> Iterator[Any]:
    """An endless iterator over the generator's batches (a Sequence restarts at 0)."""
    if hasattr(generator, "__next__"):
        return generator
    if hasattr(generator, "__getitem__") and hasattr(generator, "__len__"):
        def cycle() -> Iterator[Any]:
            while True:
                for i in range(len(generator)):
                    yield generator[i]
        return cycle()
    raise TypeError(f"Expected a generator (or an object with __len__ and __getitem__) of "
                    f"batches, got {type(generator).__name__}")


def _budget(what: str, samples: int | None, steps: int | None, generator: Any) -> tuple:
    """('samples' | 'steps', amount) from the Keras 1 or Keras 2 argument."""
    if samples is not None and steps is not None:
        raise TypeError(f"{what}: pass a number of samples (Keras 1) or of steps (Keras 2), "
                        f"not both")
    if samples is not None:
        return "samples", int(samples)
    if steps is None and hasattr(generator, "__len__"):
        steps = len(generator)
    if steps is None:
        raise ValueError(f"{what}: say how many batches to draw: a number of samples (Keras 1, "
                         f"e.g. samples_per_epoch) or steps (Keras 2, e.g. steps_per_epoch)")
    return "steps", int(steps)


def _split(output: Any, with_targets: bool = True) -> tuple[Any, Any, Any]:
    if isinstance(output, tuple):
        if len(output) == 2:
            return output[0], output[1], None
        if len(output) == 3:
            return output
    elif not with_targets:
        return output, None, None
    raise ValueError(f"output of generator should be a tuple (x, y, sample_weight) or (x, y). "
                     f"Found: {str(output)[:200]}")


def _batch_size(x: Any) -> int:
    if isinstance(x, dict):
        x = next(iter(x.values()))
    if isinstance(x, (list, tuple)):
        x = x[0]
    return int(np.shape(x)[0])


def _done(kind: str, amount: int, seen: int, steps: int) -> bool:
    return (seen if kind == "samples" else steps) >= amount


def fit_generator(model: Any, generator: Any, samples: int | None, steps: int | None,
                  epochs: int, verbose: int, callbacks: Any, validation_data: Any,
                  val_samples: int | None, val_steps: int | None, class_weight: Any,
                  initial_epoch: int) -> Any:
    """Train with train_on_batch on drawn batches; returns the History callback."""
    kind, amount = _budget("fit_generator", samples, steps, generator)
    batches = _batches(generator)
    val_is_gen = validation_data is not None and not isinstance(validation_data, (list, tuple))
    do_validation = val_is_gen or bool(validation_data)
    model._make_train_function()
    if do_validation:
        model._make_test_function()
        if val_is_gen:
            _budget("fit_generator validation", val_samples, val_steps, validation_data)
        elif len(validation_data) not in (2, 3):
            raise ValueError(f"validation_data should be a tuple (val_x, val_y, "
                             f"val_sample_weight) or (val_x, val_y). Found: "
                             f"{str(validation_data)[:200]}")
    val_ins = None
    if do_validation and not val_is_gen:
        val_x, val_y, val_w = model._standardize_user_data(
            validation_data[0], validation_data[1],
            validation_data[2] if len(validation_data) == 3 else None)
        val_ins = val_x + val_y + val_w
    labels = dedupe_labels(model.metrics_names)
    cbks, callback_model = configure_callbacks(
        model, callbacks, verbose, kind, labels, do_validation,
        {"nb_epoch": epochs, "epochs": epochs,
         "nb_sample": amount if kind == "samples" else None,
         "samples": amount if kind == "samples" else None,
         "steps": amount if kind == "steps" else None}, val_ins)
    plan = plan_of(model)
    cbks.on_train_begin()
    for epoch in range(initial_epoch, epochs):
        cbks.on_epoch_begin(epoch)
        seen = step = 0
        while not _done(kind, amount, seen, step):
            x, y, sample_weight = _split(next(batches))
            size = _batch_size(x)
            batch_logs: dict[str, Any] = {"batch": step, "size": size}
            cbks.on_batch_begin(step, batch_logs)
            plan.before_batch(size)
            outs = model.train_on_batch(x, y, sample_weight=sample_weight,
                                        class_weight=class_weight)
            for label, value in zip(labels, outs if isinstance(outs, list) else [outs],
                                    strict=False):
                batch_logs[label] = value
            cbks.on_batch_end(step, batch_logs)
            seen, step = seen + size, step + 1
            if callback_model.stop_training:
                break
        if kind == "samples" and seen > amount:
            warnings.warn("Epoch comprised more than `samples_per_epoch` samples, which might "
                          "affect learning results. Set `samples_per_epoch` correctly to avoid "
                          "this warning.", stacklevel=3)
        val_outs = None
        if do_validation and not callback_model.stop_training:  # (Keras: a cut epoch is not)
            if val_is_gen:
                val_outs = evaluate_generator(model, validation_data, samples=val_samples,
                                              steps=val_steps)
                # Each rank drew the same budget from its own generator: equal weights.
                val_outs = plan.average(val_outs if isinstance(val_outs, list) else [val_outs],
                                        1.0)
            else:
                val_outs = validate(plan, unchecked(model.test_function), val_ins,
                                    model._phase_values(0), 32, len(labels))
        if plan.agree_to_stop(end_epoch(cbks, callback_model, epoch, labels, val_outs)):
            break
    plan.end()
    cbks.on_train_end()
    return model.history


def evaluate_generator(model: Any, generator: Any, samples: int | None = None,
                       steps: int | None = None) -> Any:
    """test_on_batch over drawn batches, averaged with batch sizes as weights."""
    kind, amount = _budget("evaluate_generator", samples, steps, generator)
    batches = _batches(generator)
    seen = step = 0
    outs: list[list[float]] = []
    sizes: list[int] = []
    while not _done(kind, amount, seen, step):
        x, y, sample_weight = _split(next(batches))
        result = model.test_on_batch(x, y, sample_weight=sample_weight)
        outs.append(result if isinstance(result, list) else [result])
        size = _batch_size(x)
        sizes.append(size)
        seen, step = seen + size, step + 1
    if not outs:
        raise ValueError("evaluate_generator: no batches were drawn")
    averages = [float(np.average([o[i] for o in outs], weights=sizes))
                for i in range(len(outs[0]))]
    return averages[0] if len(averages) == 1 else averages


def predict_generator(model: Any, generator: Any, samples: int | None = None,
                      steps: int | None = None, verbose: int = 0) -> Any:
    """predict_on_batch over drawn batches, the outputs concatenated."""
    kind, amount = _budget("predict_generator", samples, steps, generator)
    batches = _batches(generator)
    seen = step = 0
    gathered: list[list[np.ndarray]] = []
    while not _done(kind, amount, seen, step):
        x, _, _ = _split(next(batches), with_targets=False)
        result = model.predict_on_batch(x)
        result = result if isinstance(result, list) else [result]
        if not gathered:
            gathered = [[] for _ in result]
        for store, out in zip(gathered, result, strict=True):
            store.append(out)
        seen, step = seen + _batch_size(x), step + 1
    if not gathered:
        raise ValueError("predict_generator: no batches were drawn")
    outputs = [np.concatenate(parts) for parts in gathered]
    return outputs[0] if len(outputs) == 1 else outputs
