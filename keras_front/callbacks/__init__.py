"""keras_front.callbacks: hooks into the training loop, Keras 1.2's set with Keras 2's
additions (`from keras_front.callbacks import ModelCheckpoint, EarlyStopping`).

base.py holds the protocol and the callbacks `fit` installs itself (BaseLogger, History,
ProgbarLogger); monitors.py the callbacks that watch a logged quantity (ModelCheckpoint,
EarlyStopping, ReduceLROnPlateau, TerminateOnNaN); hooks.py LearningRateScheduler,
CSVLogger, LambdaCallback, and TensorBoard / RemoteMonitor, which raise (not supported);
live_plot.py LivePlot (training curves redrawn each epoch, in a notebook or a file).
"""

from .base import BaseLogger, Callback, CallbackList, History, ProgbarLogger
from .hooks import (
    CSVLogger,
    LambdaCallback,
    LearningRateScheduler,
    RemoteMonitor,
    TensorBoard,
)
from .live_plot import LivePlot
from .monitors import EarlyStopping, ModelCheckpoint, ReduceLROnPlateau, TerminateOnNaN
