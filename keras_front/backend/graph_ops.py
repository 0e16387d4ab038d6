"""Compiling and differentiating for K: function, gradients, the learning phase, switches.

`K.function(inputs, outputs, updates)` compiles once (symgraph's function with Theano's
`allow_input_downcast=True, on_unused_input='ignore'`) and is called with a LIST of
arrays, returning a list. The learning phase is an ordinary uint8 scalar input named
`keras_learning_phase`: the engine lists it among the inputs and feeds 1 to train, 0 to
test (and K.function compiles one function per phase value, the phase a constant in it);
`set_learning_phase(0|1)` replaces it by a constant for the whole session.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

import symgraph as sg
from symgraph.graph import Variable, ancestors
from symgraph.ops.debug import Print

from .common import reset_uids

_PHASE_PLACEHOLDER = sg.tensor("keras_learning_phase", dtype="uint8", shape=())
_learning_phase: Variable | int = _PHASE_PLACEHOLDER

# symgraph.function options K.function passes through (Keras forwards its **kwargs).
_FUNCTION_KWARGS = ("givens", "backend", "rewrites", "name", "include", "exclude",
                    "check_rewrites", "trust_input", "phase")


def learning_phase() -> Variable | int:
    """The learning-phase placeholder (0 = test, 1 = train), or the int fixed by
    set_learning_phase."""
    return _learning_phase


def set_learning_phase(value: int) -> None:
    """Fix the learning phase to 0 (test) or 1 (train) for every graph built from now on."""
    global _learning_phase
    if value not in (0, 1):
        raise ValueError(f"Expected learning phase to be 0 or 1, got {value!r}.")
    _learning_phase = int(value)


def uses_learning_phase(x: Any) -> bool:
    """True when computing x needs the learning-phase placeholder as an input."""
    xs = x if isinstance(x, (list, tuple)) else [x]
    xs = [v for v in xs if isinstance(v, Variable)]
    return _PHASE_PLACEHOLDER in set(ancestors(xs))


def clear_session() -> None:
    """Forget layer-name counters and any learning phase fixed by set_learning_phase."""
    global _learning_phase
    reset_uids()
    _learning_phase = _PHASE_PLACEHOLDER


# ---------------------------------------------------------------- function


class Function:
    """A compiled K.function: call it with a list of arrays, get a list of arrays.

    When the learning phase is among the inputs, each phase value gets its own compiled
    function, the phase fixed as a constant (what the engine always feeds: 1 to train, 0
    to test): the ifelse of every dropout and its gradient's zeros fold away, and a train
    step computes exactly what the general function computes with the phase 1. Each is
    compiled on first use (`phase=` compiles that one at once, so compile errors show
    where the function is made); `function` is the general one, compiled when asked for.
    """

    def __init__(self, inputs: Sequence[Variable], outputs: Any,
                 updates: Any = (), name: str | None = None, phase: int | None = None,
                 **kwargs: Any):
        self.inputs = list(inputs)
        self.outputs = outputs
        self.updates = _unique_updates(updates)
        self.name = name
        self._options = {"allow_input_downcast": True, "on_unused_input": "ignore",
                         "name": name, **kwargs}
        self._compiled: dict[int | None, Any] = {}
        # Which argument is the learning phase (None: not an input, or given a value).
        self._phase_arg = None if _PHASE_PLACEHOLDER in (kwargs.get("givens") or {}) else \
            next((i for i, v in enumerate(self.inputs) if v is _PHASE_PLACEHOLDER), None)
        if self._phase_arg is None:
            # The compiled function itself, called with the arrays as arguments: for
            # callers whose arrays are already checked and of the inputs' dtypes (the
            # training loops), it skips __call__'s list and dtype handling.
            self.unchecked: Callable[..., Any] = self.function
        else:
            self.unchecked = self._by_phase
            if phase is not None:
                self.for_phase(phase)

    def _compile(self, phase: int | None) -> Any:
        fn = self._compiled.get(phase)
        if fn is None:
            options = dict(self._options)
            if phase is not None:
                options["givens"] = {**(options.get("givens") or {}), _PHASE_PLACEHOLDER:
                                     np.asarray(phase, dtype=_PHASE_PLACEHOLDER.dtype)}
            fn = self._compiled[phase] = sg.function(
                self.inputs, self.outputs, updates=self.updates, **options)
        return fn

    @property
    def function(self) -> Any:
        """The compiled symgraph function of all the inputs (the phase an input too)."""
        return self._compile(None)

    def for_phase(self, value: Any) -> Any:
        """The compiled function for one learning-phase value (what fit runs with 1)."""
        return self._compile(1 if value else 0)

    def _by_phase(self, *arrays: Any) -> Any:
        """unchecked for a function of the learning phase: the phase's own function (one
        dict lookup per step once compiled)."""
        key = 1 if arrays[self._phase_arg] else 0
        fn = self._compiled.get(key) or self._compile(key)
        return fn(*arrays)

    def __call__(self, inputs: Sequence[Any]) -> Any:
        if not isinstance(inputs, (list, tuple)):
            raise TypeError(f"K.function expects a list of input arrays, got "
                            f"{type(inputs).__name__}")
        if len(inputs) != len(self.inputs):
            raise ValueError(f"K.function{' ' + self.name if self.name else ''}: expected "
                             f"{len(self.inputs)} input array(s), got {len(inputs)}")
        args = [_downcast(v, a, i) for i, (v, a) in
                enumerate(zip(self.inputs, inputs, strict=True))]
        fn = self.function if self._phase_arg is None else \
            self.for_phase(args[self._phase_arg])
        return fn(*args)


def _downcast(var: Variable, value: Any, i: int) -> np.ndarray:
    """Theano's allow_input_downcast: convert any numeric value to the input's dtype."""
    if var is _PHASE_PLACEHOLDER:
        return _phase_value(value, i)
    if type(value) is np.ndarray and value.dtype == var.dtype:
        return value
    if isinstance(value, Variable):
        raise TypeError(f"K.function: input {i} ({var.name or '?'}) got the symbolic "
                        f"{value!r}; feed arrays")
    try:
        return np.asarray(value, dtype=var.dtype)
    except (TypeError, ValueError) as e:
        raise TypeError(f"K.function: input {i} ({var.name or '?'}: {var.type}) cannot take "
                        f"a {type(value).__name__}: {e}") from e


def _phase_value(value: Any, i: int) -> np.ndarray:
    """The learning phase fed through K.function: 0 (test) or 1 (train), nothing else
    (a uint8 cast would wrap 256 to 0 or truncate 0.5 to test mode)."""
    try:
        valid = np.ndim(value) == 0 and not isinstance(value, (str, bytes)) and \
            any(bool(value == phase) for phase in (0, 1))
    except (TypeError, ValueError):
        valid = False
    if not valid:
        raise ValueError(f"K.function: input {i} is the learning phase, which must be 0 "
                         f"(test) or 1 (train); got {value!r}")
    return np.asarray(int(bool(value == 1)), dtype=_PHASE_PLACEHOLDER.dtype)


def _unique_updates(updates: Any) -> list[tuple[Any, Any]]:
    """Updates as (variable, new value) pairs; a variable updated twice keeps its first."""
    if updates is None:
        return []
    pairs = list(updates.items()) if isinstance(updates, dict) else list(updates)
    seen: dict[Any, Any] = {}
    for pair in pairs:
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise TypeError(f"K.function: each update must be a (variable, new_value) pair, "
                            f"got {pair!r}")
        var, value = pair
        if var not in seen:
            seen[var] = value
    return list(seen.items())


def function(inputs: Sequence[Variable], outputs: Any, updates: Any = (),
             **kwargs: Any) -> Function:
    """Compile outputs (and updates) as a function of the listed inputs.

    Theano's compile `mode=` (e.g. 'FAST_COMPILE', which Keras 1.x forwards from
    model.compile) has no meaning for symgraph: it is ignored with a warning.
    """
    if "mode" in kwargs:
        warnings.warn(f"K.function: mode={kwargs.pop('mode')!r} is Theano's compile mode; "
                      f"the symgraph backend ignores it (use rewrites='fast_compile' or "
                      f"'none' for a faster compile)", stacklevel=2)
    for key in kwargs:
        if key not in _FUNCTION_KWARGS:
            raise ValueError(f'Invalid argument "{key}" passed to K.function with the '
                             f'symgraph backend (accepted: {", ".join(_FUNCTION_KWARGS)})')
    return Function(inputs, outputs, updates=updates, **kwargs)


def gradients(loss: Any, variables: Any) -> Any:
    """d loss / d variables as symbolic tensors (a list when variables is a list)."""
    return sg.grad(loss, variables)


def print_tensor(x: Any, message: str = "") -> Variable:
    """x, printing `message` and its value whenever it is computed (use the result)."""
    return Print(str(message))(x)


def stop_gradient(variables: Any) -> Any:
    """The same value(s), with no gradient flowing back through them."""
    if isinstance(variables, (list, tuple)):
        return [sg.stop_gradient(v) for v in variables]
    return sg.stop_gradient(variables)


# ---------------------------------------------------------------- control flow


def switch(condition: Any, then_expression: Any, else_expression: Any) -> Variable:
    """Elementwise then/else by condition (callables are called first).

    A condition with fewer dims than the branches gets size-1 axes appended (Keras 2's
    rule), so a (batch,) condition selects whole rows of (batch, dim) branches.
    """
    then_expression = then_expression() if callable(then_expression) else then_expression
    else_expression = else_expression() if callable(else_expression) else else_expression
    cond = sg.as_tensor(condition)
    expr_ndim = max(sg.as_tensor(then_expression).ndim, sg.as_tensor(else_expression).ndim)
    if 0 < cond.ndim < expr_ndim:
        cond = sg.expand_dims(cond, tuple(range(cond.ndim, expr_ndim)))
    return sg.switch(cond, then_expression, else_expression)


def in_train_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """x in the training phase, alt otherwise (only the branch taken is computed)."""
    if training is None:
        training = learning_phase()
    if not isinstance(training, Variable):
        chosen = x if training else alt
        return chosen() if callable(chosen) else chosen
    x = _call(x)
    alt = _call(alt)
    x, alt = sg.as_tensor(x), sg.as_tensor(alt)
    # A branch of lower rank (e.g. a scalar 0 for "no penalty") is broadcast to the other.
    if alt.ndim < x.ndim:
        alt = alt + sg.zeros_like(x)
    elif x.ndim < alt.ndim:
        x = x + sg.zeros_like(alt)
    return sg.ifelse(training, x, alt)


def in_test_phase(x: Any, alt: Any, training: Any = None) -> Any:
    """x in the test phase, alt otherwise."""
    return in_train_phase(alt, x, training=training)


def _call(f: Callable[[], Any] | Any) -> Any:
    return f() if callable(f) else f
