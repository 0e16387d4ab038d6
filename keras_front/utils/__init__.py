"""keras_front.utils: np_utils (to_categorical, normalize), generic_utils (Progbar,
custom objects, (de)serialization helpers) and layer_utils (print_summary), with the
Keras 2 top-level shortcuts."""

from . import generic_utils, layer_utils, np_utils
from .generic_utils import (
    CustomObjectScope,
    Progbar,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    serialize_keras_object,
)
from .layer_utils import print_summary
from .np_utils import normalize, to_categorical
