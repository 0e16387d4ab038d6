"""Files in the exact layouts real Keras writes, made with h5py (Keras is not a dependency).

What Keras 1.2 (models.py save_model, topology.py save_weights_to_hdf5_group) and Keras
2.x (the same, plus backend / keras_version on the weights group and chunked attributes)
write, as h5py 2 stored it: every string a fixed-length bytes value ('S' dtype), lists of
strings 'S' arrays, the weight_names of a layer without weights an empty float64 array.

    keras1_sequential_file(path, weights, ...)   Keras 1.2.2, Theano: 'dense_1_W'
    keras2_functional_file(path, weights, ...)   Keras 2.1.6, TensorFlow: 'dense_1/kernel:0'
    keras1_weights_file / keras2_weights_file    save_weights files

`weights` is [W1, b1, W2, b2] of the two Dense layers every reference model has:
Dense(3, relu) on 4 inputs, then Dense(2, softmax).
"""

from __future__ import annotations

import json

import h5py
import numpy as np


def s(text: str) -> np.bytes_:
    """A string attribute as Keras writes it (fixed-length bytes)."""
    return np.bytes_(text.encode("utf-8"))


def s_list(items: list[str]) -> np.ndarray:
    """A string-list attribute as Keras writes it ('S' array; empty float64 for [])."""
    if not items:
        return np.array([], dtype=np.float64)
    return np.array([item.encode("utf-8") for item in items])


def reference_weights(seed: int = 0) -> list[np.ndarray]:
    """[W1 (4, 3), b1 (3,), W2 (3, 2), b2 (2,)] in float32."""
    rng = np.random.default_rng(seed)
    return [rng.normal(size=shape).astype("float32") for shape in [(4, 3), (3,), (3, 2), (2,)]]


def reference_predict(weights: list[np.ndarray], x: np.ndarray) -> np.ndarray:
    """What the reference model computes, in NumPy."""
    w1, b1, w2, b2 = weights
    h = np.maximum(x @ w1 + b1, 0.0)
    z = h @ w2 + b2
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


KERAS1_DENSE = {"W_constraint": None, "b_constraint": None, "activity_regularizer": None,
                "trainable": True, "init": "glorot_uniform", "bias": True,
                "b_regularizer": None, "W_regularizer": None}

KERAS1_SEQUENTIAL = {"class_name": "Sequential", "config": [
    {"class_name": "Dense", "config": {**KERAS1_DENSE, "name": "dense_1", "input_dtype": "float32",
                                       "input_dim": 4, "activation": "relu", "output_dim": 3,
                                       "batch_input_shape": [None, 4]}},
    {"class_name": "Dropout", "config": {"p": 0.5, "trainable": True, "name": "dropout_1"}},
    {"class_name": "Dense", "config": {**KERAS1_DENSE, "name": "dense_2", "input_dim": None,
                                       "activation": "softmax", "output_dim": 2}},
]}

KERAS1_TRAINING = {"optimizer_config": {"class_name": "SGD", "config": {
    "lr": 0.05, "momentum": 0.9, "decay": 0.0, "nesterov": False}},
    "loss": "categorical_crossentropy", "metrics": ["accuracy"], "sample_weight_mode": None,
    "loss_weights": None}


def _keras2_dense(name: str, units: int, activation: str) -> dict:
    return {"name": name, "trainable": True, "units": units, "activation": activation,
            "use_bias": True,
            "kernel_initializer": {"class_name": "VarianceScaling", "config": {
                "scale": 1.0, "mode": "fan_avg", "distribution": "uniform", "seed": None}},
            "bias_initializer": {"class_name": "Zeros", "config": {}},
            "kernel_regularizer": None, "bias_regularizer": None, "activity_regularizer": None,
            "kernel_constraint": None, "bias_constraint": None}


KERAS2_FUNCTIONAL = {"class_name": "Model", "config": {
    "name": "model_1",
    "layers": [
        {"name": "input_1", "class_name": "InputLayer",
         "config": {"batch_input_shape": [None, 4], "dtype": "float32", "sparse": False,
                    "name": "input_1"}, "inbound_nodes": []},
        {"name": "dense_1", "class_name": "Dense", "config": _keras2_dense("dense_1", 3, "relu"),
         "inbound_nodes": [[["input_1", 0, 0, {}]]]},
        {"name": "dense_2", "class_name": "Dense",
         "config": _keras2_dense("dense_2", 2, "softmax"),
         "inbound_nodes": [[["dense_1", 0, 0, {}]]]},
    ],
    "input_layers": [["input_1", 0, 0]], "output_layers": [["dense_2", 0, 0]]}}

KERAS2_TRAINING = {"optimizer_config": {"class_name": "Adam", "config": {
    "lr": 0.0010000000474974513, "beta_1": 0.8999999761581421, "beta_2": 0.9990000128746033,
    "decay": 0.0, "epsilon": 1e-07, "amsgrad": False}},
    "loss": "categorical_crossentropy", "metrics": ["accuracy"], "sample_weight_mode": None,
    "loss_weights": None}


def _dense_groups(group: h5py.Group, weights: list[np.ndarray], names: list[list[str]],
                  layer_names: list[str]) -> None:
    arrays = {"dense_1": weights[:2], "dense_2": weights[2:]}
    for layer in layer_names:
        g = group.create_group(layer)
        weight_names = names.pop(0) if layer in arrays else []
        g.attrs["weight_names"] = s_list(weight_names)
        for name, value in zip(weight_names, arrays.get(layer, []), strict=True):
            g.create_dataset(name, data=value)  # '/' in a name makes nested groups


def keras1_sequential_file(path: str, weights: list[np.ndarray],
                           optimizer_state: list[np.ndarray] | None = None,
                           tensorflow_names: bool = False) -> None:
    """A Keras 1.2.2 model file (Theano names 'dense_1_W'; TensorFlow's add ':0')."""
    suffix = ":0" if tensorflow_names else ""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = s("1.2.2")
        f.attrs["model_config"] = s(json.dumps(KERAS1_SEQUENTIAL))
        f.attrs["training_config"] = s(json.dumps(KERAS1_TRAINING))
        group = f.create_group("model_weights")
        layer_names = ["dense_1", "dropout_1", "dense_2"]
        group.attrs["layer_names"] = s_list(layer_names)
        _dense_groups(group, weights, [[f"dense_1_W{suffix}", f"dense_1_b{suffix}"],
                                       [f"dense_2_W{suffix}", f"dense_2_b{suffix}"]],
                      layer_names)
        if optimizer_state is not None:  # SGD: [iterations] + moments; Theano: unnamed
            opt = f.create_group("optimizer_weights")
            names = [f"param_{i}" for i in range(len(optimizer_state))]
            opt.attrs["weight_names"] = s_list(names)
            for name, value in zip(names, optimizer_state, strict=True):
                opt.create_dataset(name, data=value)


def keras2_functional_file(path: str, weights: list[np.ndarray],
                           optimizer_state: list[np.ndarray] | None = None,
                           chunked_layer_names: bool = False) -> None:
    """A Keras 2.1.6 model file written with the TensorFlow backend."""
    with h5py.File(path, "w") as f:
        f.attrs["keras_version"] = s("2.1.6")
        f.attrs["backend"] = s("tensorflow")
        f.attrs["model_config"] = s(json.dumps(KERAS2_FUNCTIONAL))
        f.attrs["training_config"] = s(json.dumps(KERAS2_TRAINING))
        group = f.create_group("model_weights")
        layer_names = ["input_1", "dense_1", "dense_2"]
        if chunked_layer_names:  # how Keras 2.1+ splits attributes over 64512 bytes
            group.attrs["layer_names0"] = s_list(layer_names[:2])
            group.attrs["layer_names1"] = s_list(layer_names[2:])
        else:
            group.attrs["layer_names"] = s_list(layer_names)
        group.attrs["backend"] = s("tensorflow")
        group.attrs["keras_version"] = s("2.1.6")
        _dense_groups(group, weights, [["dense_1/kernel:0", "dense_1/bias:0"],
                                       ["dense_2/kernel:0", "dense_2/bias:0"]], layer_names)
        if optimizer_state is not None:  # Adam: iterations, ms, vs, vhats
            opt = f.create_group("optimizer_weights")
            names = ["Adam/iterations:0"] + [
                f"training/Adam/Variable{'' if i == 0 else f'_{i}'}:0"
                for i in range(len(optimizer_state) - 1)]
            opt.attrs["weight_names"] = s_list(names)
            for name, value in zip(names, optimizer_state, strict=True):
                opt.create_dataset(name, data=value)


def keras1_weights_file(path: str, weights: list[np.ndarray]) -> None:
    """Keras 1.2's save_weights of the Sequential reference model (layer_names only)."""
    with h5py.File(path, "w") as f:
        layer_names = ["dense_1", "dropout_1", "dense_2"]
        f.attrs["layer_names"] = s_list(layer_names)
        _dense_groups(f, weights, [["dense_1_W", "dense_1_b"], ["dense_2_W", "dense_2_b"]],
                      layer_names)


def keras2_weights_file(path: str, weights: list[np.ndarray], backend: str = "tensorflow",
                        layer_names: tuple[str, str] = ("dense_1", "dense_2")) -> None:
    """Keras 2's save_weights of a Sequential of two Dense layers."""
    with h5py.File(path, "w") as f:
        f.attrs["layer_names"] = s_list(list(layer_names))
        f.attrs["backend"] = s(backend)
        f.attrs["keras_version"] = s("2.2.4")
        for layer, pair in zip(layer_names, (weights[:2], weights[2:]), strict=True):
            g = f.create_group(layer)
            names = [f"{layer}/kernel:0", f"{layer}/bias:0"]
            g.attrs["weight_names"] = s_list(names)
            for name, value in zip(names, pair, strict=True):
                g.create_dataset(name, data=value)


# The configs Keras 2.2.4 writes for the layers keras_front has (a Sequential's layers).
KERAS2_LAYERS = [
 {'class_name': 'Dense',
  'config': {'name': 'dense_1',
             'trainable': True,
             'batch_input_shape': [None, 4],
             'dtype': 'float32',
             'units': 6,
             'activation': 'relu',
             'use_bias': True,
             'kernel_initializer': {'class_name': 'VarianceScaling',
                                    'config': {'scale': 1.0,
                                               'mode': 'fan_avg',
                                               'distribution': 'uniform',
                                               'seed': None}},
             'bias_initializer': {'class_name': 'Zeros', 'config': {}},
             'kernel_regularizer': {'class_name': 'L1L2', 'config': {'l1': 0.0, 'l2': 0.01}},
             'bias_regularizer': None,
             'activity_regularizer': None,
             'kernel_constraint': {'class_name': 'MaxNorm',
                                   'config': {'max_value': 2, 'axis': 0}},
             'bias_constraint': None}},
 {'class_name': 'Dropout',
  'config': {'name': 'dropout_1',
             'trainable': True,
             'rate': 0.5,
             'noise_shape': None,
             'seed': None}},
 {'class_name': 'LeakyReLU',
  'config': {'name': 'leaky_re_lu_1', 'trainable': True, 'alpha': 0.30000001192092896}},
 {'class_name': 'PReLU',
  'config': {'name': 'p_re_lu_1',
             'trainable': True,
             'alpha_initializer': {'class_name': 'Zeros', 'config': {}},
             'alpha_regularizer': None,
             'alpha_constraint': None,
             'shared_axes': None}},
 {'class_name': 'GaussianNoise',
  'config': {'name': 'gaussian_noise_1', 'trainable': True, 'stddev': 0.1}},
 {'class_name': 'GaussianDropout',
  'config': {'name': 'gaussian_dropout_1', 'trainable': True, 'rate': 0.1}},
 {'class_name': 'Reshape',
  'config': {'name': 'reshape_1', 'trainable': True, 'target_shape': [2, 3]}},
 {'class_name': 'Flatten',
  'config': {'name': 'flatten_1', 'trainable': True, 'data_format': 'channels_last'}},
 {'class_name': 'Activation',
  'config': {'name': 'activation_1', 'trainable': True, 'activation': 'softmax'}},
 {'class_name': 'ELU', 'config': {'name': 'elu_1', 'trainable': True, 'alpha': 1.0}},
 {'class_name': 'ThresholdedReLU',
  'config': {'name': 'tr_1', 'trainable': True, 'theta': 1.0}},
 {'class_name': 'RepeatVector',
  'config': {'name': 'repeat_vector_1', 'trainable': True, 'n': 2}},
 {'class_name': 'Permute', 'config': {'name': 'permute_1', 'trainable': True, 'dims': [2, 1]}},
 {'class_name': 'Masking',
  'config': {'name': 'masking_1', 'trainable': True, 'mask_value': 0.0}},
 {'class_name': 'ActivityRegularization',
  'config': {'name': 'ar_1', 'trainable': True, 'l1': 0.0, 'l2': 0.0}}]
