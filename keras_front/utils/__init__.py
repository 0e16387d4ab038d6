"""keras_front.utils: np_utils (to_categorical, normalize), generic_utils (Progbar,
custom objects, (de)serialization helpers), layer_utils (print_summary), data_utils
(get_file: Keras's download cache), io_utils (HDF5Matrix), visualize_util (plot /
plot_model, model_to_dot; vis_utils is Keras 2's name) and plotting (plot_history), with
the Keras 2 top-level shortcuts."""

from . import (
    data_utils,
    generic_utils,
    io_utils,
    layer_utils,
    np_utils,
    plotting,
    vis_utils,
    visualize_util,
)
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
from .plotting import plot_history
from .visualize_util import model_to_dot, plot_model
