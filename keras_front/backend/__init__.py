"""K: the Keras 1.x backend API (names, argument orders and numerics of Keras 1.x's Theano
backend), implemented on symgraph.

    from keras_front import backend as K
    x = K.placeholder(shape=(None, 3)); w = K.variable(np.ones((3, 2)))
    f = K.function([x], [K.dot(x, w)])
    f([np.ones((4, 3))])  # -> [array of shape (4, 2)]

docs/keras_backend.md lists every function and the deliberate differences from Keras.
"""

import os as _os

import symgraph.graph as _sg_graph

from .common import (
    backend,
    cast_to_floatx,
    epsilon,
    floatx,
    get_uid,
    image_data_format,
    image_dim_ordering,
    normalize_dim_ordering,
    reset_uids,
    set_epsilon,
    set_floatx,
    set_image_data_format,
    set_image_dim_ordering,
)
from .conv_ops import (
    atrous_conv2d,
    conv1d,
    conv2d,
    conv3d,
    deconv2d,
    pool2d,
    pool3d,
    resize_images,
    resize_volumes,
    separable_conv2d,
)
from .ctc import ctc_batch_cost, ctc_decode
from .graph_ops import (
    Function,
    clear_session,
    function,
    gradients,
    in_test_phase,
    in_train_phase,
    learning_phase,
    print_tensor,
    set_learning_phase,
    stop_gradient,
    switch,
    uses_learning_phase,
)
from .math_ops import (
    abs,
    all,
    any,
    argmax,
    argmin,
    batch_dot,
    clip,
    cos,
    cumsum,
    dot,
    equal,
    exp,
    gather,
    greater,
    greater_equal,
    less,
    less_equal,
    lesser,
    lesser_equal,
    log,
    logsumexp,
    max,
    maximum,
    mean,
    min,
    minimum,
    not_equal,
    pow,
    prod,
    round,
    sign,
    sin,
    sqrt,
    square,
    std,
    sum,
    transpose,
    var,
)
from .nn import (
    batch_normalization,
    binary_crossentropy,
    categorical_crossentropy,
    dropout,
    elu,
    hard_sigmoid,
    in_top_k,
    l2_normalize,
    normalize_batch_in_training,
    relu,
    selu,
    sigmoid,
    softmax,
    softplus,
    softsign,
    sparse_categorical_crossentropy,
    tanh,
)
from .random_ops import random_binomial, random_normal, random_uniform, truncated_normal
from .rnn import foldl, foldr, map_fn, rnn
from .shape_ops import (
    arange,
    asymmetric_spatial_2d_padding,
    asymmetric_temporal_padding,
    batch_flatten,
    concatenate,
    expand_dims,
    flatten,
    one_hot,
    permute_dimensions,
    repeat,
    repeat_elements,
    reshape,
    reverse,
    spatial_2d_padding,
    spatial_3d_padding,
    squeeze,
    stack,
    temporal_padding,
    tile,
)
from .variables import (
    batch_get_value,
    batch_set_value,
    cast,
    constant,
    count_params,
    dtype,
    eval,
    eye,
    get_keras_attr,
    get_value,
    get_variable_shape,
    has_keras_attr,
    identity,
    int_shape,
    is_keras_tensor,
    is_placeholder,
    is_variable,
    moving_average_update,
    ndim,
    ones,
    ones_like,
    placeholder,
    random_normal_variable,
    random_uniform_variable,
    set_keras_attr,
    set_value,
    shape,
    update,
    update_add,
    update_sub,
    variable,
    zeros,
    zeros_like,
)

# The settings, where Keras 1.x keeps them (user code sometimes assigns them directly).
_FLOATX = "float32"
_EPSILON = 1e-7
_IMAGE_DIM_ORDERING = "tf"
# The backend whose conventions K follows, for Keras 1 code that branches on K._BACKEND
# (kernel flipping, dtype checks): Theano's. K.backend() names the engine: 'symgraph'.
_BACKEND = "theano"

# Graph nodes built inside keras_front belong to the user's line, not to ours.
_sg_graph.register_internal_package(_os.path.dirname(_os.path.dirname(_os.path.abspath(__file__)))
                                    + _os.sep + "__init__.py")
