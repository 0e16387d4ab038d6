"""keras_front.saving: models and weights in Keras's HDF5 layout, architectures as JSON and
YAML -- files written atomically, loaded only after they are checked, and never running
code found in them.

    model.save('model.h5')                         # -> save_model
    model = keras.models.load_model('model.h5')    # -> load_model
    model.save_weights('w.h5'); model.load_weights('w.h5', by_name=True)
    model_from_json(model.to_json()); model_from_yaml(model.to_yaml())

Modules, by concern:
    layout.py        Keras's file layout (the facts), string attributes, reading a
                     weights group with checks; SavedModelError
    files.py         atomic writes (asking before overwriting: utils.io_utils), opening
                     files for reading
    configs.py       to_json / to_yaml, and checked rebuilding from configs
    weights.py       save_weights / load_weights, matching weights to layers, the
                     convolution-kernel hook for files of other backends
    training.py      the training config and the optimizer's state
    random_state.py  the random generators' states (exact resumption with Dropout)
    model_file.py    save_model / load_model
Model.save / save_weights / load_weights / to_json / to_yaml and keras_front.models'
functions call the functions exported here.
"""

from ..utils.np_utils import flip_kernel as convert_kernel  # (kernel, spatial_axes)
from ..utils.np_utils import kernels_need_flip
from .configs import model_from_json, model_from_yaml, model_to_json, model_to_yaml
from .files import ask_to_proceed_with_overwrite
from .layout import SavedModelError
from .model_file import load_model, save_model
from .weights import load_weights, save_weights

__all__ = ["SavedModelError", "ask_to_proceed_with_overwrite", "convert_kernel",
           "kernels_need_flip", "load_model", "load_weights", "model_from_json",
           "model_from_yaml", "model_to_json", "model_to_yaml", "save_model", "save_weights"]
