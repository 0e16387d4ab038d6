"""Keras's file cache: `get_file` downloads a file once into ~/.keras/datasets (or
$KERAS_HOME), checks its hash, extracts archives, and hands back the local path.

    path = get_file('mnist.npz', origin='https://.../mnist.npz', file_hash='731c...')

Any URL urllib opens works (https, http, ftp, file://). A download goes to a temporary
file beside the target and is renamed into place only once complete and (when a hash
is given) checked, so an interrupted or failed download leaves no partial file. A cached
file whose hash does not match is fetched again. Offline, the error names the file,
where to put it by hand and where it comes from. Extraction refuses archive members that
would land outside the cache directory, links and device files. Nothing is written
outside the cache directory and the paths the caller gives.
"""

from __future__ import annotations

import contextlib
import hashlib
import http.client
import os
import shutil
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import warnings
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from .generic_utils import Progbar

_CHUNK = 1 << 16


class DownloadError(OSError):
    """A file could not be fetched; the message says where to put it by hand."""


def keras_home() -> str:
    """The Keras cache root, looked up on every call: $KERAS_HOME, else ~/.keras."""
    home = os.environ.get("KERAS_HOME")
    return os.path.expanduser(home) if home else os.path.join(os.path.expanduser("~"), ".keras")


def cache_directory(cache_subdir: str = "datasets", cache_dir: str | None = None,
                    create: bool = True) -> str:
    """The folder get_file keeps `cache_subdir` files in (made when `create`).

    When the Keras home cannot be written, Keras falls back to <tmp>/.keras: so do we,
    with a warning naming both places.
    """
    base = os.path.expanduser(cache_dir) if cache_dir else keras_home()
    datadir = os.path.join(base, cache_subdir)
    if not create:
        return datadir
    try:
        os.makedirs(datadir, exist_ok=True)
    except PermissionError:
        fallback = os.path.join(tempfile.gettempdir(), ".keras", cache_subdir)
        warnings.warn(f"get_file: cannot write to {datadir}; using {fallback} instead",
                      stacklevel=3)
        os.makedirs(fallback, exist_ok=True)
        return fallback
    return datadir


# ---------------------------------------------------------------- hashes


def _resolve_algorithm(file_hash: str, algorithm: str) -> str:
    if algorithm not in ("auto", "md5", "sha256"):
        raise ValueError(f"hash_algorithm must be 'auto', 'md5' or 'sha256', got "
                         f"{algorithm!r}")
    if algorithm == "auto":
        return "sha256" if len(file_hash) == 64 else "md5"
    return algorithm


def hash_file(fpath: str, algorithm: str = "sha256", chunk_size: int = _CHUNK) -> str:
    """The hex digest of a file ('md5' or 'sha256'), read in chunks."""
    hasher = hashlib.sha256() if algorithm == "sha256" else hashlib.md5()
    with open(fpath, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            hasher.update(chunk)
    return hasher.hexdigest()


def validate_file(fpath: str, file_hash: str, algorithm: str = "auto",
                  chunk_size: int = _CHUNK) -> bool:
    """Whether the file's md5 or sha256 digest is `file_hash` (Keras 1.2.2 passes an md5;
    'auto' picks sha256 for a 64-character hash, else md5)."""
    algo = _resolve_algorithm(str(file_hash), algorithm)
    return hash_file(fpath, algo, chunk_size) == str(file_hash).lower()


# ---------------------------------------------------------------- writing files


@contextlib.contextmanager
def atomic_open(fpath: str, verify: Callable[[str], None] | None = None
                ) -> Iterator[IO[bytes]]:
    """A binary file to write that replaces `fpath` only when the block ends without an
    exception (a temporary file beside it, then a rename); on error nothing is left.

    `verify(temporary_path)` runs on the complete file before the rename; raising there
    discards it.
    """
    folder = os.path.dirname(os.path.abspath(fpath))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(fpath)}.", suffix=".part",
                               dir=folder)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
        if verify is not None:
            verify(tmp)
        os.replace(tmp, fpath)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _where(fpath: str, origin: str) -> str:
    return (f"To use it offline, fetch {origin} elsewhere and put it at {fpath} "
            f"(the Keras cache is $KERAS_HOME, else ~/.keras)")


def _download(origin: str, fpath: str, file_hash: str | None, algorithm: str) -> None:
    """Fetch `origin` into `fpath` (atomically), checking the hash when given."""
    fname = os.path.basename(fpath)

    def check_hash(tmp: str) -> None:
        if file_hash is None:
            return
        got = hash_file(tmp, _resolve_algorithm(file_hash, algorithm))
        if got != file_hash.lower():
            raise DownloadError(f"get_file: {fname} downloaded from {origin} has hash {got}, "
                                f"expected {file_hash}: the file there changed or the "
                                f"download was damaged. {_where(fpath, origin)}")

    print("Downloading data from", origin)
    try:
        with contextlib.closing(urllib.request.urlopen(origin)) as response, \
                atomic_open(fpath, check_hash) as out:
            total = response.headers.get("Content-Length") if response.headers else None
            bar = Progbar(int(total)) if total and total.isdigit() and int(total) > 0 else None
            done = 0
            while chunk := response.read(_CHUNK):
                out.write(chunk)
                done += len(chunk)
                if bar is not None:
                    bar.update(min(done, bar.target or done))
            if total and total.isdigit() and done < int(total):
                raise DownloadError(f"get_file: the download of {fname} from {origin} "
                                    f"stopped after {done} of {total} bytes. "
                                    f"{_where(fpath, origin)}")
    except DownloadError:
        raise
    except (urllib.error.URLError, http.client.HTTPException, OSError, ValueError) as e:
        reason = getattr(e, "reason", None) or e
        raise DownloadError(f"get_file: could not download {fname} from {origin} "
                            f"({type(e).__name__}: {reason}). {_where(fpath, origin)}") from e


# ---------------------------------------------------------------- archives


def _inside(root: str, name: str) -> bool:
    target = os.path.realpath(os.path.join(root, name))
    return os.path.commonpath([root, target]) == root


def _check_tar(archive: tarfile.TarFile, root: str, source: str) -> None:
    for member in archive.getmembers():
        if member.issym() or member.islnk():
            raise ValueError(f"{source}: refusing to extract the link {member.name!r} -> "
                             f"{member.linkname!r} (archives in the Keras cache may hold only "
                             f"files and folders)")
        if not (member.isfile() or member.isdir()):
            raise ValueError(f"{source}: refusing to extract {member.name!r}: not a regular "
                             f"file or folder")
        if os.path.isabs(member.name) or not _inside(root, member.name):
            raise ValueError(f"{source}: refusing to extract {member.name!r}: it would land "
                             f"outside {root}")


def _check_zip(archive: zipfile.ZipFile, root: str, source: str) -> None:
    for info in archive.infolist():
        mode = info.external_attr >> 16
        if (mode & 0o170000) == 0o120000:
            raise ValueError(f"{source}: refusing to extract the link {info.filename!r} "
                             f"(archives in the Keras cache may hold only files and folders)")
        if os.path.isabs(info.filename) or not _inside(root, info.filename):
            raise ValueError(f"{source}: refusing to extract {info.filename!r}: it would land "
                             f"outside {root}")


def _archive_kind(fpath: str, archive_format: Any) -> str | None:
    formats = {"auto": ["tar", "zip"], None: []}.get(archive_format, archive_format)
    if isinstance(formats, str):
        formats = [formats]
    for kind in formats:
        if kind == "tar" and tarfile.is_tarfile(fpath):
            return "tar"
        if kind == "zip" and zipfile.is_zipfile(fpath):
            return "zip"
        if kind not in ("tar", "zip"):
            raise ValueError(f"archive_format: unknown format {kind!r} (expected 'tar', 'zip', "
                             f"'auto' or a list of them)")
    return None


def extract_archive(fpath: str, path: str = ".", archive_format: Any = "auto") -> bool:
    """Extract a tar (any compression) or zip archive into `path`; False when `fpath` is
    none of `archive_format`.

    Every member is checked before anything is written: a member with an absolute path
    or a path leaving `path` (..), a link or a device file makes it a ValueError naming
    the member. The members go to a temporary folder inside `path` first and are moved
    into place at the end, so a failure leaves `path` as it was.
    """
    kind = _archive_kind(fpath, archive_format)
    if kind is None:
        return False
    root = os.path.realpath(path)
    os.makedirs(root, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=f".{os.path.basename(fpath)}.", dir=root)
    try:
        if kind == "tar":
            with tarfile.open(fpath) as archive:
                _check_tar(archive, root, fpath)
                archive.extractall(staging, filter="data")
        else:
            with zipfile.ZipFile(fpath) as archive:
                _check_zip(archive, root, fpath)
                archive.extractall(staging)
        for entry in os.listdir(staging):
            target = os.path.join(root, entry)
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            elif os.path.lexists(target):
                os.unlink(target)
            os.replace(os.path.join(staging, entry), target)
    except (tarfile.TarError, zipfile.BadZipFile, EOFError) as e:
        raise ValueError(f"{fpath}: damaged or truncated archive ({e}); delete it and try "
                         f"again") from e
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return True


# ---------------------------------------------------------------- get_file


def get_file(fname: str, origin: str, untar: bool = False, md5_hash: str | None = None,
             file_hash: str | None = None, cache_subdir: str = "datasets",
             hash_algorithm: str = "auto", extract: bool = False,
             archive_format: Any = "auto", cache_dir: str | None = None) -> str:
    """The local path of `fname`, downloaded from `origin` unless already cached.

    Keras 1.2.2's arguments (`untar`: `fname` names the folder a .tar.gz unpacks to;
    `md5_hash`) and Keras 2's (`file_hash` md5 or sha256 with `hash_algorithm`, `extract`
    with `archive_format`, `cache_dir`). The cache is `cache_dir`, else $KERAS_HOME, else
    ~/.keras, read at each call; files go to its `cache_subdir` (an absolute
    `cache_subdir` is used as is). A cached file with the wrong hash is fetched again; a
    download with the wrong hash raises DownloadError and leaves nothing behind.
    """
    if md5_hash is not None and file_hash is not None and md5_hash != file_hash:
        raise ValueError("get_file: pass md5_hash (Keras 1) or file_hash (Keras 2), not both")
    if md5_hash is not None:
        file_hash, hash_algorithm = md5_hash, "md5"
    if file_hash is not None:
        _resolve_algorithm(str(file_hash), hash_algorithm)  # reject a bad name early
    datadir = cache_directory(cache_subdir, cache_dir)
    untar_fpath = os.path.join(datadir, fname)
    fpath = untar_fpath + ".tar.gz" if untar else untar_fpath

    if untar and os.path.isdir(untar_fpath) and not os.path.exists(fpath):
        return untar_fpath  # unpacked by hand, or the archive was removed: nothing to check
    download = not os.path.exists(fpath)
    if not download and file_hash is not None and \
            not validate_file(fpath, file_hash, hash_algorithm):
        print(f"A local file was found at {fpath}, but its hash does not match "
              f"{file_hash}: it is incomplete or outdated. Downloading it again.")
        download = True
    if download:
        _download(origin, fpath, file_hash, hash_algorithm)
        if untar and os.path.isdir(untar_fpath):
            shutil.rmtree(untar_fpath)  # unpacked from the old archive
    if untar:
        if not os.path.exists(untar_fpath):
            print("Untaring file...", file=sys.stdout)
            extract_archive(fpath, datadir, archive_format="tar")
            if not os.path.exists(untar_fpath):
                raise ValueError(f"{fpath}: the archive has no {fname}/ folder; it is not "
                                 f"the file get_file expected from {origin}")
        return untar_fpath
    if extract:
        extract_archive(fpath, datadir, archive_format)
    return fpath
