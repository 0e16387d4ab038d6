"""Files: atomic HDF5 writes, Keras's overwrite prompt, and opening files for reading with
errors that name the file.

Every save writes a temporary file in the target's directory, flushes and fsyncs it,
then renames it over the target (atomic on POSIX): an exception or a kill during the
save leaves the previous file as it was. The temporary file is removed on any
exception; only a hard kill can leave one behind (named `.<target>.<random>.tmp`).
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from typing import Any

import h5py

from .layout import H5_ERRORS, SavedModelError


def _stdin_is_terminal() -> bool:
    stdin = sys.stdin
    try:
        return stdin is not None and stdin.isatty()
    except (AttributeError, ValueError):  # replaced or closed stdin
        return False


def ask_to_proceed_with_overwrite(filepath: str) -> bool:
    """Keras's prompt: ask on the terminal whether to overwrite `filepath` (True: yes).

    Without a terminal to ask on (scripts, notebooks, CI) it raises FileExistsError
    instead of waiting for an answer that cannot come.
    """
    if not _stdin_is_terminal():
        raise FileExistsError(f"{filepath} already exists and overwrite=False; not asking "
                              f"whether to overwrite it because stdin is not a terminal. "
                              f"Pass overwrite=True, or choose another path.")
    try:
        answer = input(f"[WARNING] {filepath} already exists - overwrite? [y/n]").strip()
        while answer.lower() not in ("y", "n"):
            answer = input('Enter "y" (overwrite) or "n" (cancel).').strip()
    except EOFError:
        raise FileExistsError(f"{filepath} already exists and overwrite=False; no answer "
                              f"to the overwrite question (end of input)") from None
    if answer.lower() == "n":
        return False
    print("[TIP] Next time specify overwrite=True!")
    return True


def may_write(filepath: str, overwrite: bool) -> bool:
    """Whether to write `filepath`: always when overwrite or the path is free, else ask."""
    if overwrite or not os.path.exists(filepath):
        return True
    return ask_to_proceed_with_overwrite(filepath)


def _new_file_mode(path: str) -> int:
    """The existing file's permissions, else what open() would give a new file."""
    try:
        return os.stat(path).st_mode & 0o7777
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def _fsync(path: str, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (getattr(os, "O_DIRECTORY", 0) if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_h5_file(filepath: str) -> Iterator[h5py.File]:
    """An HDF5 file opened for writing that replaces `filepath` only when the block ends
    without an exception (temp file in the same directory, fsync, rename)."""
    path = os.path.realpath(filepath)  # a symlink keeps pointing at the (new) file
    directory = os.path.dirname(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{filepath}: is a directory; give the path of a file to save "
                                f"to")
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{filepath}: cannot save: the directory {directory} does not "
                                f"exist")
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                               dir=directory)
    os.close(fd)
    try:
        with h5py.File(tmp, "w") as f:
            yield f
            f.flush()
        _fsync(tmp)
        os.chmod(tmp, _new_file_mode(path))
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    with contextlib.suppress(OSError):  # the rename itself durable (not on every OS/FS)
        _fsync(directory, directory=True)


@contextlib.contextmanager
def open_h5_for_reading(filepath: Any) -> Iterator[tuple[h5py.File, str]]:
    """(the open file, its path for messages); a missing file, a directory, a file that is
    not HDF5, or one HDF5 cannot open (truncated, corrupted) raises naming the file."""
    if isinstance(filepath, h5py.Group):
        raise TypeError("keras_front loads from a file path, not from an open h5py object")
    path = os.fspath(filepath)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path}: is a directory, not a model or weights file")
    try:
        is_hdf5 = h5py.is_hdf5(path)
    except H5_ERRORS:
        is_hdf5 = False
    if not is_hdf5:
        raise SavedModelError(path, "not an HDF5 file (no HDF5 signature): keras_front loads "
                                    "the .h5/.hdf5 files that model.save() and save_weights() "
                                    "write")
    try:
        f = h5py.File(path, "r")
    except H5_ERRORS as e:
        raise SavedModelError(path, f"HDF5 cannot open it ({e}): the file is truncated or "
                                    f"corrupted") from None
    try:
        yield f, path
    finally:
        f.close()


def reading_errors(path: str, action: str) -> contextlib.AbstractContextManager[None]:
    """A block of file reads in which h5py's errors become SavedModelError naming `path`."""
    return _ReadingErrors(path, action)


class _ReadingErrors(contextlib.AbstractContextManager):
    def __init__(self, path: str, action: str):
        self.path, self.action = path, action

    def __exit__(self, kind: Any, error: Any, tb: Any) -> None:
        if error is not None and isinstance(error, H5_ERRORS) and \
                not isinstance(error, SavedModelError):
            raise SavedModelError(self.path, f"cannot {self.action} ({type(error).__name__}: "
                                             f"{error}): the file is truncated or corrupted") \
                from None
