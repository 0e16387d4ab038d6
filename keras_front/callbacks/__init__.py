"""keras_front.callbacks: hooks into the training loop, Keras 1.2's set with Keras 2's
additions (`from keras_front.callbacks import ModelCheckpoint, EarlyStopping`).

base.py holds the protocol and the callbacks `fit` installs itself (BaseLogger, History,
ProgbarLogger).
"""

from .base import BaseLogger, Callback, CallbackList, History, ProgbarLogger
