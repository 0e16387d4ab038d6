"""Files: atomic HDF5 writes, asking before overwriting (the prompt is utils.io_utils'), and
opening files for reading with errors that name the file.

Every save writes a temporary file in the target's directory, flushes and fsyncs it,
then renames it over the target (atomic on POSIX): an exception or a kill during the
save leaves the previous file as it was. The temporary file is removed on any
exception; only a hard kill can leave one behind (named `.<target>.<random>.tmp`), and
the next save to the same target removes it. A writer holds an exclusive flock on its
temporary file while it writes (the lock dies with the process), so a save removes only
the temporary files nobody holds: never a concurrent writer's.

Only regular files are saved to: a device node, FIFO or socket at the path is refused
(renaming over it would replace `/dev/null` by a regular file). A save that fails on the
file system (disk full, file-size limit) raises OSError naming the target.
"""

from __future__ import annotations

import contextlib
import errno as errno_codes
import os
import re
import stat
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import h5py

try:
    import fcntl
except ImportError:  # Windows: no flock; stale temporary files are then left alone
    fcntl = None  # type: ignore[assignment]

from ..utils.io_utils import ask_to_proceed_with_overwrite
from .layout import H5_ERRORS, SavedModelError


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


_FILE_KINDS = ((stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
               (stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISSOCK, "a socket"),
               (stat.S_ISDIR, "a directory"))


def check_save_target(filepath: str, path: str) -> None:
    """Raise unless `path` (filepath resolved) is a free name or a regular file in an
    existing directory: a save replaces what is there by a new regular file."""
    directory = os.path.dirname(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        mode = None
    if mode is not None and not stat.S_ISREG(mode):
        kind = next((name for test, name in _FILE_KINDS if test(mode)), "not a regular file")
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(f"{filepath}: is a directory; give the path of a file to "
                                    f"save to")
        raise OSError(errno_codes.EINVAL,
                      f"{filepath}: cannot save to {kind}: keras_front saves only to regular "
                      f"files (saving replaces the target, so {path} would become a regular "
                      f"file)")
    if not os.path.isdir(directory):
        raise FileNotFoundError(f"{filepath}: cannot save: the directory {directory} does not "
                                f"exist")


# Old temporary files with no writer and no data yet are removed only after this long:
# a writer creates its file, then locks it (an empty file may be a writer in between).
_EMPTY_TEMP_GRACE_S = 60.0


def _temp_name_pattern(path: str) -> re.Pattern[str]:
    """The names tempfile.mkstemp gives temporary files of `path` (8 random characters)."""
    return re.compile(re.escape(f".{os.path.basename(path)}.") + r"[a-z0-9_]{8}\.tmp")


def remove_stale_temp_files(path: str) -> list[str]:
    """Remove the temporary files of earlier saves to `path` that no writer holds (left
    by a hard kill); return their names. Without flock (Windows) nothing is removed."""
    if fcntl is None:
        return []
    directory, pattern = os.path.dirname(path), _temp_name_pattern(path)
    removed = []
    with contextlib.suppress(OSError):
        names = [n for n in os.listdir(directory) if pattern.fullmatch(n)]
        for name in names:
            candidate = os.path.join(directory, name)
            try:
                fd = os.open(candidate, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
            except OSError:
                continue  # gone meanwhile, or not ours to open
            try:
                info = os.fstat(fd)
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # held: a live writer
                young_and_empty = info.st_size == 0 and \
                    time.time() - info.st_mtime < _EMPTY_TEMP_GRACE_S
                if stat.S_ISREG(info.st_mode) and not young_and_empty:
                    os.unlink(candidate)
                    removed.append(name)
            except OSError:
                pass
            finally:
                os.close(fd)
    return removed


def _errno_of(error: BaseException) -> int | None:
    """The errno of an OSError, or the one HDF5 quotes in h5py's message ("errno = 28")."""
    if isinstance(error, OSError) and error.errno:
        return error.errno
    found = re.search(r"errno = (\d+)", str(error))
    return int(found.group(1)) if found else None


def _save_failed(filepath: str, error: BaseException) -> OSError:
    """The OSError to raise when writing `filepath` failed on the file system."""
    code = _errno_of(error)
    reason = f"{os.strerror(code)} ({error})" if code else str(error)
    message = f"{filepath}: cannot save: {reason}; the previous file, if any, is unchanged"
    return OSError(code, message) if code else OSError(message)


def _h5_file_for_writing(tmp: str) -> h5py.File:
    # We hold the file's flock ourselves (see remove_stale_temp_files); HDF5's own
    # lock on it would conflict with ours.
    try:
        return h5py.File(tmp, "w", locking=False)
    except ValueError:  # an HDF5 without the locking switch: its own lock marks the writer
        return h5py.File(tmp, "w")


@contextlib.contextmanager
def atomic_h5_file(filepath: str) -> Iterator[h5py.File]:
    """An HDF5 file opened for writing that replaces `filepath` only when the block ends
    without an exception (temp file in the same directory, fsync, rename)."""
    filepath = os.fspath(filepath)
    path = os.path.realpath(filepath)  # a symlink keeps pointing at the (new) file
    directory = os.path.dirname(path)
    check_save_target(filepath, path)
    remove_stale_temp_files(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp",
                               dir=directory)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # released when the process dies
        try:
            with _h5_file_for_writing(tmp) as f:
                yield f
                f.flush()
            _fsync(tmp)
            os.chmod(tmp, _new_file_mode(path))
            os.replace(tmp, path)
        except (OSError, RuntimeError) as e:
            if _errno_of(e) is None and not isinstance(e, OSError):
                raise
            raise _save_failed(filepath, e) from e
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, Exception) and not isinstance(e, OSError):
            e.add_note(f"(while saving {filepath}; the previous file, if any, is unchanged)")
        raise
    finally:
        os.close(fd)
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
