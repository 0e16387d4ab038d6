"""K.rnn: iterate a step function over the time axis (Keras 1.x's Theano rnn, on sg.scan).

The step function is Keras's: `output, new_states = step_function(x_t, states)`, where
`states` is the previous states followed by the `constants` (recurrent layers pass their
dropout masks that way). With `unroll=True` the loop is written out `input_length` times
instead of becoming one scan node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import symgraph as sg
from symgraph.graph import Variable

StepFunction = Callable[[Variable, list[Variable]], tuple[Variable, list[Variable]]]


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
    constants = [sg.as_tensor(c) for c in constants or []]
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


def _scanned(step_function: StepFunction, xs: Variable, ms: Variable | None,
             states: list[Variable], constants: list[Variable],
             go_backwards: bool) -> tuple[Variable, list[Variable]]:
    n_states = len(states)
    if ms is None:
        def step(x_t, *rest):
            output, new_states = step_function(x_t, list(rest))
            if any(output is s for s in new_states):
                # Work around sg.scan: a step output that is also a state gets no gradient
                # through the state unless the two are distinct variables.
                output = output.copy()
            return [output, *new_states]

        results, _ = sg.scan(step, sequences=[xs], outputs_info=[None, *states],
                             non_sequences=constants, go_backwards=go_backwards,
                             return_list=True)
    else:
        # A zero output of the right shape, for steps masked before any output exists.
        initial_output = step_function(xs[0], states + constants)[0] * 0

        def step(x_t, m_t, output_tm1, *rest):
            prev, consts = list(rest[:n_states]), list(rest[n_states:])
            output, new_states = step_function(x_t, prev + consts)
            kept = [_keep(m_t, new, old) for new, old in zip(new_states, prev, strict=True)]
            return [_keep(m_t, output, output_tm1), *kept]

        results, _ = sg.scan(step, sequences=[xs, ms], outputs_info=[initial_output, *states],
                             non_sequences=constants, go_backwards=go_backwards,
                             return_list=True)
    outputs, stacked = results[0], results[1:]
    return outputs, [s[-1] for s in stacked]


def _unrolled(step_function: StepFunction, xs: Variable, ms: Variable | None,
              states: list[Variable], constants: list[Variable], go_backwards: bool,
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
