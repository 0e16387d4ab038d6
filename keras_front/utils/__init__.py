"""keras_front.utils: np_utils (to_categorical, normalize) and generic_utils (Progbar,
custom objects, (de)serialization helpers), with the Keras 2 top-level shortcuts."""

from . import generic_utils, np_utils
from .generic_utils import (
    CustomObjectScope,
    Progbar,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    serialize_keras_object,
)
from .np_utils import normalize, to_categorical
