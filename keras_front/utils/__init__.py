"""keras_front.utils: np_utils (to_categorical, normalize), generic_utils (Progbar,
custom objects, (de)serialization helpers), layer_utils (print_summary), data_utils
(get_file: Keras's download cache) and io_utils (HDF5Matrix), with the Keras 2
top-level shortcuts."""

from . import data_utils, generic_utils, io_utils, layer_utils, np_utils
from .data_utils import get_file
from .generic_utils import (
    CustomObjectScope,
    Progbar,
    custom_object_scope,
    deserialize_keras_object,
    get_custom_objects,
    serialize_keras_object,
)
from .io_utils import HDF5Matrix
from .layer_utils import print_summary
from .np_utils import normalize, to_categorical
