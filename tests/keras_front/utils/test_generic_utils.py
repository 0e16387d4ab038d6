"""Lookup, serialization, custom objects, function saving and Progbar
(keras_front/utils/generic_utils.py)."""

import io
import sys

import pytest

from keras_front import layers, models
from keras_front.utils import generic_utils
from keras_front.utils.generic_utils import Progbar


class Thing:
    def __init__(self, size=1):
        self.size = size

    def get_config(self):
        return {"size": self.size}


def square(x):
    return x * x


MODULE = {"Thing": Thing, "square": square}


def test_get_from_module_keras_1_rules():
    assert generic_utils.get_from_module("square", MODULE, "op") is square
    assert generic_utils.get_from_module("Thing", MODULE, "op", instantiate=True,
                                         kwargs={"size": 3}).size == 3
    assert generic_utils.get_from_module({"name": "Thing", "size": 4}, MODULE, "op").size == 4
    assert generic_utils.get_from_module(square, MODULE, "op") is square
    with pytest.raises(ValueError, match="Invalid op: 'cube'"):
        generic_utils.get_from_module("cube", MODULE, "op")


def test_serialize_and_deserialize_keras_2_rules():
    config = generic_utils.serialize_keras_object(Thing(5))
    assert config == {"class_name": "Thing", "config": {"size": 5}}
    assert generic_utils.deserialize_keras_object(config, MODULE).size == 5
    assert generic_utils.serialize_keras_object(square) == "square"
    assert generic_utils.deserialize_keras_object("square", MODULE) is square
    assert isinstance(generic_utils.deserialize_keras_object("Thing", MODULE), Thing)
    with pytest.raises(ValueError, match="Unknown layer: Other"):
        generic_utils.deserialize_keras_object({"class_name": "Other", "config": {}}, MODULE,
                                               printable_module_name="layer")
    with pytest.raises(ValueError, match="Improper config format"):
        generic_utils.deserialize_keras_object({"config": {}}, MODULE)


def test_layer_classes_known_by_name_include_the_models():
    """keras_front.layers, the engine and keras_front.models register their classes, so a
    config naming any of them deserializes without importing upwards."""
    assert generic_utils.layer_class("Dense") is layers.Dense
    assert generic_utils.layer_class("InputLayer") is layers.InputLayer
    assert generic_utils.layer_class("Sequential") is models.Sequential
    assert generic_utils.layer_class("Model") is generic_utils.layer_class("Container") \
        is models.Model
    assert generic_utils.layer_class("NoSuchLayer") is None
    # custom objects first, then the global ones, then ours
    assert generic_utils.layer_class("Dense", {"Dense": Thing}) is Thing
    with generic_utils.CustomObjectScope({"Dense": square}):
        assert generic_utils.layer_class("Dense") is square
    dense = generic_utils.deserialize_layer({"class_name": "Dense",
                                             "config": {"output_dim": 3, "input_dim": 2}})
    assert isinstance(dense, layers.Dense) and dense.output_dim == 3
    with pytest.raises(ValueError, match=r"Unknown layer: Mystery\. If it is a custom layer, "
                                         r"pass it in custom_objects=\{'Mystery': Mystery\}"):
        generic_utils.deserialize_layer({"class_name": "Mystery", "config": {}})
    with pytest.raises(ValueError, match="A layer config must be a dict with 'class_name'"):
        generic_utils.deserialize_layer(["Dense"])


def test_safe_mode_scope_nests_and_restores():
    assert generic_utils.in_safe_mode()
    with generic_utils.SafeModeScope(False):
        assert not generic_utils.in_safe_mode()
        with generic_utils.SafeModeScope(None):  # None: leaves the setting alone
            assert not generic_utils.in_safe_mode()
        with generic_utils.SafeModeScope(True):
            assert generic_utils.in_safe_mode()
        assert not generic_utils.in_safe_mode()
    assert generic_utils.in_safe_mode()


def make_square():
    return square


def test_get_identifier_resolves_names_configs_and_callables_alike():
    table = {"Thing": Thing, "make_square": make_square}
    # A table of objects (activations, losses): names map to the entries themselves.
    assert generic_utils.get_identifier("Thing", table, "op") is Thing
    assert generic_utils.get_identifier(square, table, "op") is square
    # A table of makers (regularizers, constraints): our names make a new object with
    # Keras 1.x's kwargs, configs too; a custom function a config names is returned.
    made = generic_utils.get_identifier("Thing", table, "op", makes_objects=True,
                                        kwargs={"size": 3})
    assert isinstance(made, Thing) and made.size == 3
    assert generic_utils.get_identifier("make_square", table, "op", makes_objects=True) \
        is square
    assert generic_utils.get_identifier({"name": "Thing", "size": 4}, table, "op",
                                        makes_objects=True).size == 4
    assert generic_utils.get_identifier({"class_name": "Thing", "config": {"size": 5}},
                                        table, "op", makes_objects=True).size == 5
    with generic_utils.custom_object_scope({"cube": lambda x: x ** 3}):
        custom = generic_utils.get_identifier("cube", table, "op", makes_objects=True)
        assert custom(2) == 8
    with pytest.raises(ValueError, match="Invalid op: 'cube'"):
        generic_utils.get_identifier("cube", table, "op")
    with pytest.raises(ValueError, match=r"Could not interpret op function identifier: \{"):
        generic_utils.get_identifier({"name": "Thing"}, table, "op", described="op function")


def test_custom_objects_are_found_inside_a_scope_only():
    with generic_utils.custom_object_scope({"cube": lambda x: x ** 3}):
        assert generic_utils.get_from_module("cube", MODULE, "op")(2) == 8
        assert "cube" in generic_utils.get_custom_objects()
    assert "cube" not in generic_utils.get_custom_objects()
    assert generic_utils.deserialize_keras_object("cube", MODULE,
                                                  custom_objects={"cube": square}) is square


def test_has_arg_and_to_list():
    def f(x, mask=None, **kwargs):
        return x

    assert generic_utils.has_arg(f, "mask") and not generic_utils.has_arg(f, "training")
    assert generic_utils.has_arg(f, "training", accept_all=True)
    assert generic_utils.to_list(3) == [3] and generic_utils.to_list([3]) == [3]


def test_func_dump_and_load_round_trip_with_closure_and_defaults():
    offset = 10

    def shift(x, scale=2):
        return x * scale + offset

    code, defaults, closure = generic_utils.func_dump(shift)
    assert isinstance(code, str)
    again = generic_utils.func_load(code, defaults, closure)
    assert again(1) == 12 and again(1, scale=3) == 13
    assert generic_utils.func_load((code, defaults, closure))(0) == 10


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progbar_redraws_in_place_on_a_terminal(monkeypatch):
    out = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", out)
    bar = Progbar(target=4, width=8, interval=0.0)
    bar.update(2, [("loss", 0.5)])
    bar.update(4, [("loss", 0.25)])
    text = out.getvalue()
    assert text.count("\r") == 2 and text.endswith("\n") and text.count("\n") == 1
    assert "2/4 [===>....] - ETA:" in text
    assert "4/4 [========]" in text
    assert "loss: 0.3750" in text  # averaged over samples: (0.5 * 2 + 0.25 * 2) / 4


def test_progbar_prints_one_line_per_epoch_to_a_file(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    bar = Progbar(target=10)
    for i in range(1, 11):
        bar.update(i, [("acc", 1.0)])
    text = sys.stdout.getvalue()
    assert "\r" not in text and text.count("\n") == 1
    assert text.startswith("10/10 [==============================]") and "acc: 1.0000" in text


def test_progbar_verbose_2_prints_only_the_summary(monkeypatch):
    monkeypatch.setattr(sys, "stdout", FakeTerminal())
    bar = Progbar(target=3, verbose=2)
    bar.add(1, [("loss", 1e-5)])
    assert sys.stdout.getvalue() == ""
    bar.add(2, [("loss", 1e-5), ("lr", "0.1")])
    text = sys.stdout.getvalue()
    assert text.count("\n") == 1 and "loss: 1.0000e-05" in text and "lr: 0.1" in text
    assert "[" not in text


def test_progbar_stateful_metrics_are_shown_as_given(monkeypatch):
    monkeypatch.setattr(sys, "stdout", io.StringIO())
    monkeypatch.delitem(sys.modules, "ipykernel", raising=False)
    bar = Progbar(target=2, stateful_metrics=["val"])
    bar.update(1, [("val", 3.0)])
    bar.update(2, [("val", 5.0)])
    assert "val: 5.0000" in sys.stdout.getvalue()
