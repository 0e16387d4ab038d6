"""Reading the dataset files Keras keeps in its cache, without running code from them.

Keras 1.2.2 cached its datasets as Python 2 pickles (mnist.pkl.gz, imdb_full.pkl,
reuters.pkl, the cifar batches, the *_word_index.pkl files); Keras 2 as .npz archives
(mnist.npz, imdb.npz, reuters.npz) whose ragged sequences are pickled object arrays.
A pickle can name any Python callable to run while loading, so both are read here with
`SafeUnpickler`, which only rebuilds what these formats hold: NumPy arrays, dtypes and
scalars, and Python's plain containers and numbers. A file naming anything else is a
`DatasetFileError` naming the file and the refused name; nothing from it is run.

`find_or_fetch` picks the file a loader reads: the first of its candidates (Keras 1.2.2's
name, then Keras 2's) already in the cache, else it downloads one; offline, the error
lists every file name that would do, where to put it and where each comes from.
"""

from __future__ import annotations

import codecs
import gzip
import io
import json
import os
import pickle
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, BinaryIO

import numpy as np

from ..utils.data_utils import DownloadError, cache_directory, get_file, validate_file


class DatasetFileError(ValueError):
    """A dataset file is missing, damaged, or not in the format its loader reads."""


def _encode_latin1(text: str, encoding: str = "latin1", errors: str = "strict") -> bytes:
    """What Python 3 writes for bytes in a protocol-2 pickle (_codecs.encode), limited to
    latin-1, the only encoding such pickles use."""
    if codecs.lookup(encoding).name != "iso8859-1":
        raise pickle.UnpicklingError(f"refusing _codecs.encode with encoding {encoding!r}")
    return codecs.encode(text, "latin1", errors)


_ALLOWED: dict[tuple[str, str], Callable[..., Any]] = {
    ("numpy", "ndarray"): np.ndarray,
    ("numpy", "dtype"): np.dtype,
    ("_codecs", "encode"): _encode_latin1,
}
for _module in ("numpy.core.multiarray", "numpy._core.multiarray"):
    _ALLOWED[_module, "_reconstruct"] = np._core.multiarray._reconstruct
    _ALLOWED[_module, "scalar"] = np._core.multiarray.scalar
for _module in ("numpy.core.numeric", "numpy._core.numeric"):
    _ALLOWED[_module, "_frombuffer"] = np._core.numeric._frombuffer
for _module in ("builtins", "__builtin__"):
    for _type in (list, dict, tuple, set, frozenset, bytearray, bytes, str, int, float,
                  complex, bool, slice, range):
        _ALLOWED[_module, _type.__name__] = _type


class SafeUnpickler(pickle.Unpickler):
    """An Unpickler that rebuilds only NumPy arrays/dtypes/scalars and builtin containers
    and numbers; any other global in the stream is refused before it is looked up."""

    def find_class(self, module: str, name: str) -> Any:
        found = _ALLOWED.get((module, name))
        if found is None:
            raise pickle.UnpicklingError(
                f"refusing to load {module}.{name}: dataset files hold only arrays, lists, "
                f"dicts and numbers, so this file was not made by Keras (or was tampered with)")
        return found


def safe_load_pickle(f: BinaryIO, encoding: str = "latin1") -> Any:
    """Unpickle `f` with SafeUnpickler ('latin1' reads Python 2 str as text, 'bytes' keeps
    them bytes: Keras 1.2.2 used 'bytes' for mnist and cifar, 'latin1' elsewhere)."""
    return SafeUnpickler(f, encoding=encoding).load()


def load_pickle_file(path: str, encoding: str = "latin1") -> Any:
    """A (possibly gzipped) pickle file, read safely; errors name the file."""
    try:
        with open(path, "rb") as raw:
            gzipped = raw.read(2) == b"\x1f\x8b"
        opener = gzip.open if gzipped else open
        with opener(path, "rb") as f:
            return safe_load_pickle(f, encoding)
    except FileNotFoundError:
        raise DatasetFileError(f"{path}: no such file") from None
    except (pickle.UnpicklingError, EOFError, OSError, ValueError, TypeError, KeyError,
            IndexError, AttributeError, UnicodeDecodeError) as e:
        raise DatasetFileError(f"{path}: cannot read it as a Keras dataset pickle "
                               f"({type(e).__name__}: {e}); it is damaged or truncated: "
                               f"delete it to download it again") from e


def _read_npy(f: BinaryIO, member: str, path: str) -> np.ndarray:
    """One .npy member: plain arrays by NumPy, object arrays through SafeUnpickler."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version == (2, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        shape, fortran, dtype = np.lib.format._read_array_header(f, version)
    if dtype.hasobject:
        array = safe_load_pickle(f, "latin1")
        if not isinstance(array, np.ndarray) or array.shape != tuple(shape):
            raise DatasetFileError(f"{path}: member {member} does not hold the "
                                   f"{tuple(shape)} array its header announces")
        return array
    count = int(np.prod(shape, dtype=np.int64))
    data = f.read(count * dtype.itemsize)
    if len(data) != count * dtype.itemsize:
        raise DatasetFileError(f"{path}: member {member} is truncated")
    order = "F" if fortran else "C"
    return np.frombuffer(data, dtype=dtype, count=count).reshape(shape, order=order).copy()


def load_npz_file(path: str) -> dict[str, np.ndarray]:
    """Every array of an .npz archive, object arrays included, read safely."""
    arrays = {}
    try:
        with zipfile.ZipFile(path) as archive:
            for member in archive.namelist():
                key = member[:-4] if member.endswith(".npy") else member
                with archive.open(member) as f:
                    arrays[key] = _read_npy(io.BufferedReader(f), member, path)
    except FileNotFoundError:
        raise DatasetFileError(f"{path}: no such file") from None
    except DatasetFileError:
        raise
    except (zipfile.BadZipFile, pickle.UnpicklingError, EOFError, OSError, ValueError,
            TypeError) as e:
        raise DatasetFileError(f"{path}: cannot read it as an .npz archive "
                               f"({type(e).__name__}: {e}); it is damaged or truncated: "
                               f"delete it to download it again") from e
    return arrays


def load_json_file(path: str) -> Any:
    """A JSON file (Keras 2's word indexes); errors name the file."""
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise DatasetFileError(f"{path}: cannot read it as JSON ({e}); delete it to download "
                               f"it again") from e


def require_keys(arrays: dict[str, Any], keys: Sequence[str], path: str) -> None:
    """A DatasetFileError naming the file and what it lacks, unless every key is there."""
    missing = [k for k in keys if k not in arrays]
    if missing:
        raise DatasetFileError(f"{path}: expected arrays {list(keys)}, missing {missing} "
                               f"(found {sorted(arrays)})")


# ---------------------------------------------------------------- which file to read


@dataclass(frozen=True)
class Source:
    """One file a loader can read: its cache name, where it is downloaded from, its hash
    (md5 or sha256; None when Keras never published one)."""

    fname: str
    origin: str
    file_hash: str | None = None
    untar: bool = False


def find_or_fetch(path: str, candidates: Sequence[Source]) -> tuple[str, Source]:
    """(local path, the source it is) for the file a loader reads.

    `path` is the loader's `path=` argument. When it names one of the `candidates`, that
    file is used if it is in the cache, else any other candidate in the cache (Keras
    1.2.2's and Keras 2's files hold the same data); with none there, the candidates are
    downloaded in the order given until one arrives. Any other `path` (a name of the
    user's or an absolute path) is fetched as that file from the origin of the candidate
    of the same kind (by extension), as Keras 1.2.2 did.
    """
    names = [c.fname for c in candidates]
    if path not in names:
        wanted = os.path.splitext(path)[1]
        like = next((c for c in candidates if os.path.splitext(c.fname)[1] == wanted),
                    candidates[0])
        source = Source(path, like.origin, None, like.untar)
        return _fetch(source), source
    datadir = cache_directory(create=False)
    by_preference = sorted(candidates, key=lambda c: c.fname != path)
    for source in by_preference:
        local = os.path.join(datadir, source.fname)
        if source.untar and (os.path.isdir(local) or os.path.exists(local + ".tar.gz")):
            return _fetch(source), source
        if not source.untar and os.path.exists(local):
            if source.file_hash is None or validate_file(local, source.file_hash):
                return local, source
    failures = []
    for source in candidates:
        try:
            return _fetch(source), source
        except DownloadError as e:
            failures.append(e)
    alternatives = "; ".join(f"{c.fname} from {c.origin}" for c in candidates)
    raise DownloadError(f"{failures[0]}. Any of these files in {datadir} will do: "
                        f"{alternatives}") from failures[-1]


def _fetch(source: Source) -> str:
    return get_file(source.fname, origin=source.origin, file_hash=source.file_hash,
                    untar=source.untar)
