"""The CIFAR batch files shared by cifar10 and cifar100: Python 2 pickles of a dict
holding `data` (n, 3072) uint8 rows and a list of labels."""

from __future__ import annotations

import os

import numpy as np

from .. import backend as K
from .cache import DatasetFileError, Source, find_or_fetch, load_pickle_file


def load_batch(fpath: str, label_key: str = "labels") -> tuple[np.ndarray, list[int]]:
    """(data (n, 3, 32, 32) uint8, labels) from one CIFAR batch file (read safely)."""
    d = load_pickle_file(fpath, encoding="bytes")
    if not isinstance(d, dict):
        raise DatasetFileError(f"{fpath}: expected a dict of 'data' and labels, got "
                               f"{type(d).__name__}")
    d = {k.decode("utf8") if isinstance(k, bytes) else k: v for k, v in d.items()}
    if "data" not in d or label_key not in d:
        raise DatasetFileError(f"{fpath}: expected keys 'data' and {label_key!r}, found "
                               f"{sorted(d)}")
    data = np.asarray(d["data"])
    labels = d[label_key]
    if data.ndim != 2 or data.shape[1] != 3 * 32 * 32 or len(labels) != len(data):
        raise DatasetFileError(f"{fpath}: expected (n, 3072) image rows and n labels, got "
                               f"{data.shape} and {len(labels)} labels")
    return data.reshape(data.shape[0], 3, 32, 32), list(labels)


def load_folder(source: Source, parts: list[tuple[list[str], str]], label_key: str
                ) -> list[tuple[np.ndarray, np.ndarray]]:
    """For each (batch files, label dtype) of `parts`: (images, labels (n, 1)) read from
    the cached, unpacked archive; images in K.image_dim_ordering() ('th': (n, 3, 32, 32))."""
    folder, _ = find_or_fetch(source.fname, [source])
    out = []
    for files, label_dtype in parts:
        xs, ys = [], []
        for name in files:
            fpath = os.path.join(folder, name)
            if not os.path.exists(fpath):
                raise DatasetFileError(f"{fpath}: missing from the unpacked {source.fname}; "
                                       f"delete {folder} (and its .tar.gz) to fetch it again")
            x, y = load_batch(fpath, label_key)
            xs.append(x)
            ys.append(np.asarray(y, dtype=label_dtype))
        x = np.concatenate(xs).astype("uint8", copy=False)
        y = np.concatenate(ys).reshape(-1, 1)
        if K.image_dim_ordering() == "tf":
            x = x.transpose(0, 2, 3, 1)
        out.append((x, y))
    return out
