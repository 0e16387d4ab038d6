"""writes_output / set_writer: a process told not to write (every rank but 0 of a
distributed job) prints no progress and writes no ModelCheckpoint or CSVLogger file,
while still training and tracking the best value."""

from __future__ import annotations

import numpy as np
import pytest

from keras_front import backend as K
from keras_front.callbacks import CSVLogger, ModelCheckpoint
from keras_front.callbacks.base import set_writer, writes_output
from keras_front.layers import Dense
from keras_front.models import Sequential


@pytest.fixture
def silent():
    set_writer(lambda: False)
    yield
    set_writer(None)


def test_everyone_writes_by_default():
    assert writes_output()


def test_a_process_that_does_not_write_trains_silently(silent, tmp_path, capsys):
    K.clear_session()
    model = Sequential([Dense(2, input_dim=3)])
    model.compile(optimizer="sgd", loss="mse")
    x, y = np.random.rand(16, 3).astype("float32"), np.random.rand(16, 2).astype("float32")
    checkpoint = ModelCheckpoint(str(tmp_path / "m.{epoch:02d}.h5"), monitor="loss",
                                 save_best_only=True, verbose=1)
    history = model.fit(x, y, nb_epoch=2, verbose=1, validation_split=0.25,
                        callbacks=[checkpoint, CSVLogger(str(tmp_path / "log.csv"))])
    model.evaluate(x, y, verbose=1)
    assert list(tmp_path.iterdir()) == []
    assert capsys.readouterr().out == ""
    assert checkpoint.best == min(history.history["loss"])
    set_writer(None)
    model.fit(x, y, nb_epoch=1, verbose=0, callbacks=[CSVLogger(str(tmp_path / "log.csv"))])
    assert [p.name for p in tmp_path.iterdir()] == ["log.csv"]
