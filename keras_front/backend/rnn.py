"""Loops for K: rnn (Keras 1.x's Theano rnn, on sg.scan), map_fn, foldl and foldr.

rnn's step function is Keras's: `output, new_states = step_function(x_t, states)`, where
`states` is the previous states followed by the `constants` (recurrent layers pass their
dropout masks that way; a constant may be a list of tensors, as Keras's LSTM passes
one mask per gate). With `unroll=True` the loop is written out `input_length` times
instead of becoming one scan node.

The step function may use any tensor of the enclosing graph (weights, constants): scan
hoists whatever does not change between steps out of the loop, computed once per call.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import symgraph as sg
from symgraph.graph import Variable
from symgraph.tensor import TensorType

StepFunction = Callable[[Variable, list[Any]], tuple[Variable, list[Variable]]]


def _time_major(x: Variable) -> Variable:
    """(samples, time, ...) <-> (time, samples, ...)."""
    return sg.transpose(x, [1, 0, *range(2, x.ndim)])


def rnn(step_function: StepFunction, inputs: Any, initial_states: Sequence[Any],
        go_backwards: bool = False, mask: Any = None, constants: Sequence[Any] | None = None,
        unroll: bool = False, input_length: int | None = None
        ) -> tuple[Variable, Variable, list[Variable]]:
    """Run step_function over axis 1 of inputs (samples, time, ...).

    Returns (last_output, outputs, new_states): outputs is (samples, time, ...) in the
    order the steps ran (reversed when go_backwards). Where mask (samples, time) is 0,
    the step keeps the previous output and states.
    """
    inputs = sg.as_tensor(inputs)
    if inputs.ndim < 3:
        raise ValueError(f"rnn: the input should be at least 3D (samples, time, ...), got "
                         f"{inputs.type}")
    if unroll and input_length is None:
        raise ValueError("When specifying `unroll=True`, an `input_length` must be provided "
                         "to `rnn`.")
    xs = _time_major(inputs)
    states = [sg.as_tensor(s) for s in initial_states]
    constants = list(constants or [])
    ms = None
    if mask is not None:
        mask = sg.as_tensor(mask)
        if mask.ndim == 2:  # (samples, time) -> (samples, time, 1): one flag per sample
            mask = sg.expand_dims(mask, 2)
        ms = _time_major(mask)

    if unroll:
        outputs, states = _unrolled(step_function, xs, ms, states, constants, go_backwards,
                                    input_length)
    else:
        outputs, states = _scanned(step_function, xs, ms, states, constants, go_backwards)
    return outputs[-1], _time_major(outputs), states


def _keep(m: Variable, new: Variable, old: Variable) -> Variable:
    """new where the step is unmasked, old where it is masked (m: (samples, 1))."""
    while m.ndim < new.ndim:
        m = sg.expand_dims(m, m.ndim)
    return sg.switch(m, new, old)


def _distinct(output: Variable, states: list[Variable]) -> Variable:
    """The output, copied when it is also a state: sg.scan gives a step output that is
    one of its states no gradient through the state unless the two are distinct."""
    return output.copy() if any(output is s for s in states) else output


def _scanned(step_function: StepFunction, xs: Variable, ms: Variable | None,
             states: list[Variable], constants: list[Any],
             go_backwards: bool) -> tuple[Variable, list[Variable]]:
    if ms is None:
        def step(x_t, *prev):
            output, new_states = step_function(x_t, list(prev) + constants)
            return [_distinct(output, list(new_states)), *new_states]

        results, _ = sg.scan(step, sequences=[xs], outputs_info=[None, *states],
                             go_backwards=go_backwards, return_list=True)
    else:
        def step(x_t, m_t, output_tm1, *prev):
            output, new_states = step_function(x_t, list(prev) + constants)
            kept = [_keep(m_t, new, old) for new, old in zip(new_states, prev, strict=True)]
            return [_keep(m_t, output, output_tm1), *kept]

        results, _ = sg.scan(step, sequences=[xs, ms],
                             outputs_info=[_zero_output(step_function, xs, states, constants),
                                           *states],
                             go_backwards=go_backwards, return_list=True)
    outputs, stacked = results[0], results[1:]
    return outputs, [s[-1] for s in stacked]


def _zero_output(step_function: StepFunction, xs: Variable, states: list[Variable],
                 constants: list[Any]) -> Variable:
    """Zeros shaped like a step's output (the output of steps masked from the start).
    The step is traced on placeholders only to learn the output's rank and dims; no
    step is computed."""
    x_t = TensorType(xs.dtype, xs.type.shape[1:]).make_variable(name="x_t")
    output = sg.as_tensor(step_function(x_t, list(states) + constants)[0])
    shape = [sg.shape_i(xs, 1) if i == 0 else d for i, d in enumerate(output.type.shape)]
    if any(d is None for d in shape):  # unknown dims: compute one step for the shape
        output = sg.as_tensor(step_function(xs[0], list(states) + constants)[0])
        return sg.zeros_like(output)
    return sg.zeros(shape, dtype=output.dtype)


def _unrolled(step_function: StepFunction, xs: Variable, ms: Variable | None,
              states: list[Variable], constants: list[Any], go_backwards: bool,
              input_length: int) -> tuple[Variable, list[Variable]]:
    steps = range(input_length - 1, -1, -1) if go_backwards else range(input_length)
    outputs: list[Variable] = []
    for t in steps:
        output, new_states = step_function(xs[t], states + constants)
        if ms is not None:
            prev = outputs[-1] if outputs else sg.zeros_like(output)
            output = _keep(ms[t], output, prev)
            new_states = [_keep(ms[t], new, old)
                          for new, old in zip(new_states, states, strict=True)]
        outputs.append(output)
        states = list(new_states)
    return sg.stack(outputs, axis=0), states


# ---------------------------------------------------------------- higher-order functions


def map_fn(fn: Callable[[Variable], Any], elems: Any, name: str | None = None,
           dtype: str | None = None) -> Variable:
    """fn applied to each element of elems along its first axis, the results stacked."""
    elems = sg.as_tensor(elems)
    out, _ = sg.scan(fn, sequences=[elems], name=name or "map_fn")
    return out if dtype is None else sg.cast(out, dtype)


def foldl(fn: Callable[[Variable, Variable], Any], elems: Any, initializer: Any = None,
          name: str | None = None) -> Variable:
    """fn(...fn(fn(initializer, elems[0]), elems[1])...): elems reduced left to right
    (initializer defaults to elems[0], folding the rest)."""
    elems = sg.as_tensor(elems)
    if initializer is None:
        initializer, elems = elems[0], elems[1:]
    out, _ = sg.scan(lambda x, acc: fn(acc, x), sequences=[elems],
                     outputs_info=[sg.as_tensor(initializer)], name=name or "foldl")
    return _last_or(out, initializer)


def foldr(fn: Callable[[Variable, Variable], Any], elems: Any, initializer: Any = None,
          name: str | None = None) -> Variable:
    """foldl from the right: elems reduced last to first (initializer: elems[-1])."""
    elems = sg.as_tensor(elems)
    if initializer is None:
        initializer, elems = elems[-1], elems[:-1]
    out, _ = sg.scan(lambda x, acc: fn(acc, x), sequences=[elems],
                     outputs_info=[sg.as_tensor(initializer)], go_backwards=True,
                     name=name or "foldr")
    return _last_or(out, initializer)


def _last_or(stacked: Variable, initializer: Any) -> Variable:
    """The last accumulated value, or the initializer when there was nothing to fold."""
    initializer = sg.cast(sg.as_tensor(initializer), stacked.dtype)
    steps = stacked.type.shape[0]
    if steps is not None:  # known when the graph is built
        return stacked[-1] if steps else initializer
    return sg.ifelse(sg.gt(sg.shape_i(stacked, 0), 0), stacked[-1], initializer)
