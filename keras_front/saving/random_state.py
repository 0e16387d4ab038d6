"""The states of a model's random generators (Dropout, GaussianNoise ... masks), so that a
reloaded model draws the same numbers the saved one would have drawn next.

Each random draw in a symgraph graph owns a NumPy Generator held in a shared variable
(symgraph/ops/random.py); rebuilding a model from its config creates new generators,
seeded afresh. save_model stores the bit-generator states of the generators the model's
outputs depend on, in graph order, as JSON in the root attribute `keras_front_state`
(which Keras ignores); load_model puts them back into the rebuilt model's generators,
which are found the same way. Only plain data is stored (the bit generator's name and
its integers), and numpy checks it when it is assigned.
"""

from __future__ import annotations

from typing import Any

from symgraph.graph import graph_inputs
from symgraph.ops.random import RandomGeneratorVariable

from .layout import SavedModelError, warn

STATE_VERSION = 1


def random_generators(model: Any) -> list[RandomGeneratorVariable]:
    """The generator variables the model's outputs depend on, in a rebuild-stable order."""
    return [v for v in graph_inputs(list(model.outputs)) if isinstance(v, RandomGeneratorVariable)]


def random_state(model: Any) -> dict[str, Any]:
    """{'version', 'random_generators': [bit generator state dicts]} of the model."""
    states = [var.get_value(borrow=True).bit_generator.state
              for var in random_generators(model)]
    return {"version": STATE_VERSION, "random_generators": states}


def restore_random_state(model: Any, state: Any, source: str) -> None:
    """Put saved generator states back into the rebuilt model's generators (in place, so
    compiled functions see them). A model whose draws differ from the saved one's gets a
    warning and keeps fresh generators."""
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION or \
            not isinstance(state.get("random_generators"), list):
        raise SavedModelError(source, "attribute 'keras_front_state' is not a random-state "
                                      "record this version of keras_front wrote")
    saved = state["random_generators"]
    generators = random_generators(model)
    if len(saved) != len(generators):
        warn(f"{source}: the file has the states of {len(saved)} random generators "
             f"but the rebuilt model draws from {len(generators)}; random layers "
             f"(Dropout, noise) start from fresh generators")
        return
    checked = []
    for i, (var, value) in enumerate(zip(generators, saved, strict=True)):
        bit_generator = var.get_value(borrow=True).bit_generator
        if not isinstance(value, dict) or \
                value.get("bit_generator") != type(bit_generator).__name__:
            raise SavedModelError(source, f"random generator #{i} in 'keras_front_state' is not "
                                          f"a {type(bit_generator).__name__} state")
        checked.append((bit_generator, value))
    for i, (bit_generator, value) in enumerate(checked):
        try:
            bit_generator.state = value
        except (TypeError, ValueError, KeyError, OverflowError) as e:
            raise SavedModelError(source, f"random generator #{i} in 'keras_front_state' is "
                                          f"not a valid state ({e})") from None
