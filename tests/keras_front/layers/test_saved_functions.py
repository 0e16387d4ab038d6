"""Functions in Lambda / Merge configs (keras_front/layers/saved_functions.py): one lookup
per function (regression: one custom object used for all of a layer's functions), this
process's own functions found without running bytecode, bytecode only with
safe_mode=False, and the error saying exactly that otherwise."""

import gc
import marshal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.layers import Input, Lambda, Merge, merge, saved_functions
from keras_front.models import Model, Sequential, model_from_json

X = np.arange(6, dtype="float32").reshape(2, 3)


def double(x):
    return 2 * x


def double_shape(shape):
    return shape[:-1] + (2 * shape[-1],)


def tile_twice(x):
    return K.concatenate([x, x], axis=-1)


@pytest.fixture
def other_process(monkeypatch):
    """Forget the functions this process wrote into configs, as a new process would."""
    return lambda: monkeypatch.setattr(saved_functions, "_DUMPED", {})


def test_each_function_of_a_lambda_is_looked_up_under_its_own_key(other_process):
    # Regression: custom_objects={'dbl': f} used to serve every function of layer 'dbl',
    # output_shape included (output shape (None, 3, None, 3)).
    x = Input(shape=(3,))
    model = Model(x, Lambda(tile_twice, output_shape=double_shape, name="dbl")(x))
    config = model.get_config()
    other_process()
    with pytest.raises(ValueError, match=r"'dbl' \(Lambda\) was saved with the Python bytecode "
                                         r"of its output_shape function.*"
                                         r"custom_objects=\{'dbl.output_shape'"):
        Model.from_config(config, custom_objects={"dbl": tile_twice})
    rebuilt = Model.from_config(config, custom_objects={"dbl": tile_twice,
                                                        "dbl.output_shape": double_shape})
    assert rebuilt.output_shape == (None, 6)
    np.testing.assert_array_equal(rebuilt.predict(X), np.concatenate([X, X], -1))


def test_merge_functions_are_looked_up_under_their_own_keys(other_process):
    # Regression: Merge.from_config raised "cannot make a constant from (None, 2)" (its mode
    # function was used as its output_shape function too).
    a, b = Input(shape=(3,)), Input(shape=(3,))
    out = merge([a, b], mode=lambda xs: xs[0] * xs[1] + 1, output_shape=lambda s: s[0],
                name="mix")
    config = Model([a, b], out).get_config()
    other_process()
    rebuilt = Model.from_config(config, custom_objects={
        "mix": lambda xs: xs[0] * xs[1] + 1, "mix.output_shape": lambda s: s[0]})
    np.testing.assert_allclose(rebuilt.predict([X, X]), X * X + 1)


def test_this_processs_functions_round_trip_without_custom_objects():
    x = Input(shape=(3,))
    model = Model(x, Lambda(lambda t, k: t * k + 1, arguments={"k": 3.0})(x))
    rebuilt = Model.from_config(model.get_config())
    assert rebuilt.layers[-1].function is model.layers[-1].function
    np.testing.assert_allclose(rebuilt.predict(X), X * 3 + 1)
    seq = Sequential([Merge([Sequential([Lambda(double, input_shape=(3,))]),
                             Sequential([Lambda(double, input_shape=(3,))])],
                            mode=lambda xs: xs[0] - xs[1] / 2, output_shape=(3,))])
    again = model_from_json(seq.to_json())
    np.testing.assert_allclose(again.predict([X, X]), X)


def test_a_closure_over_other_values_is_a_different_function():
    def scaled(k):
        return lambda t: t * k
    three, five = scaled(3.0), scaled(5.0)
    config = Lambda(five, name="f").get_config()
    Lambda(three, name="g").get_config()  # same code, other closure
    assert saved_functions.load_function(config["function"], "lambda", "f", "function",
                                         "Lambda") is five


def test_bytecode_loads_only_with_safe_mode_false(other_process):
    layer = Lambda(lambda t: t * 4.0, input_shape=(3,), name="times4")
    json_text = Sequential([layer]).to_json()
    config = layer.get_config()
    del layer
    gc.collect()
    other_process()
    with pytest.raises(ValueError, match=r"loading never runs code from a file or config "
                                         r"unless you opt in.*safe_mode=False"):
        Lambda.from_config(config)
    np.testing.assert_allclose(
        model_from_json(json_text, safe_mode=False).predict(X), X * 4)
    loaded = Lambda.from_config(config, safe_mode=False)
    assert loaded.function(2.0) == 8.0
    assert saved_functions.in_safe_mode()  # the opt-in ends with the call


def test_keras_1_2_2_bytecode_from_another_process_needs_the_opt_in():
    script = textwrap.dedent("""
        import marshal, sys
        f = lambda x: x * 10 + 1
        sys.stdout.write(marshal.dumps(f.__code__).decode('raw_unicode_escape'))
    """)
    code = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          check=True).stdout
    config = {"name": "ten", "function": [code, None, None], "function_type": "lambda",
              "output_shape": None, "output_shape_type": "raw", "arguments": {}}
    with pytest.raises(ValueError, match=r"'ten' \(Lambda\) was saved with the Python "
                                         r"bytecode of its function"):
        Lambda.from_config(config)
    assert Lambda.from_config(config, safe_mode=False).function(2) == 21
    assert marshal.loads(code.encode("raw_unicode_escape")).co_name == "<lambda>"


def test_functions_saved_by_name():
    # Keras 1.2.2 writes Python functions as bytecode, other callables by name
    assert Lambda(K.square).get_config()["function_type"] == "lambda"
    config = Lambda(np.negative).get_config()
    assert config["function_type"] == "function" and config["function"] == "negative"
    config = {**config, "function": "square"}  # found among K's functions
    assert Lambda.from_config(config).function is K.square
    with pytest.raises(ValueError, match="uses the function 'not_a_function' as its function"):
        Lambda.from_config({**config, "function": "not_a_function"})
