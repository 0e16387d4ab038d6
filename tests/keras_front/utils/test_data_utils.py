"""keras_front/utils/data_utils.py: get_file's download, hash check, extraction and cache."""

from __future__ import annotations

import hashlib
import http.server
import io
import os
import tarfile
import threading
import zipfile

import pytest

from keras_front.utils import data_utils
from keras_front.utils.data_utils import DownloadError, get_file, validate_file


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    return tmp_path / "keras"


def _write(path, data: bytes):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _files(folder):
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_downloads_a_file_url_into_the_cache_once(home, tmp_path):
    source = _write(tmp_path / "site" / "data.bin", os.urandom(300_000))
    path = get_file("data.bin", origin=source.as_uri())
    assert path == str(home / "datasets" / "data.bin")
    assert open(path, "rb").read() == source.read_bytes()
    source.unlink()  # cached now: no second download
    assert get_file("data.bin", origin=source.as_uri()) == path
    assert _files(home) == ["datasets", "datasets/data.bin"]


def test_the_cache_folder_is_read_at_each_call(tmp_path, monkeypatch):
    source = _write(tmp_path / "site" / "a.txt", b"hello")
    monkeypatch.delenv("KERAS_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "h1"))
    assert get_file("a.txt", source.as_uri()) == str(tmp_path / "h1/.keras/datasets/a.txt")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "kh"))
    assert get_file("a.txt", source.as_uri(), cache_subdir="models") == \
        str(tmp_path / "kh/models/a.txt")
    assert get_file("a.txt", source.as_uri(), cache_dir=str(tmp_path / "cd")) == \
        str(tmp_path / "cd/datasets/a.txt")


@pytest.mark.parametrize("algorithm", ["md5", "sha256"])
def test_validate_file_against_hashlib(tmp_path, algorithm):
    path = _write(tmp_path / "f", os.urandom(200_000))
    digest = hashlib.new(algorithm, path.read_bytes()).hexdigest()
    assert validate_file(str(path), digest)  # 'auto' tells md5 from sha256 by length
    assert validate_file(str(path), digest.upper(), algorithm)
    assert not validate_file(str(path), "0" * len(digest))
    with pytest.raises(ValueError, match="hash_algorithm must be"):
        validate_file(str(path), digest, "sha1")


def test_a_cached_file_with_the_wrong_hash_is_fetched_again(home, tmp_path):
    good = _write(tmp_path / "site" / "w.h5", b"the real weights")
    _write(home / "datasets" / "w.h5", b"half a download")
    path = get_file("w.h5", good.as_uri(), md5_hash=hashlib.md5(good.read_bytes()).hexdigest())
    assert open(path, "rb").read() == b"the real weights"
    sha = hashlib.sha256(b"the real weights").hexdigest()
    assert get_file("w.h5", "file:///nowhere", file_hash=sha) == path  # valid: kept


def test_a_download_with_the_wrong_hash_leaves_nothing(home, tmp_path):
    source = _write(tmp_path / "site" / "d.bin", b"tampered")
    with pytest.raises(DownloadError, match=r"d\.bin downloaded from .* has hash"):
        get_file("d.bin", source.as_uri(), md5_hash="0" * 32)
    assert _files(home) == ["datasets"]


class _Truncating(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 (http.server's name)
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"x" * 1000)  # then the connection closes

    def log_message(self, *args):
        pass


def test_a_truncated_download_leaves_no_partial_file(home):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Truncating)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/big.bin"
        with pytest.raises(DownloadError, match=r"big\.bin"):
            get_file("big.bin", url)
    finally:
        server.shutdown()
        server.server_close()
    assert _files(home) == ["datasets"]


def test_offline_the_error_names_the_file_where_to_put_it_and_its_origin(home):
    with pytest.raises(DownloadError) as info:
        get_file("imdb.npz", origin="http://127.0.0.1:9/imdb.npz")
    message = str(info.value)
    assert "imdb.npz" in message and "http://127.0.0.1:9/imdb.npz" in message
    assert str(home / "datasets" / "imdb.npz") in message
    assert _files(home) == ["datasets"]


def _tar(path, members):
    with tarfile.open(path, "w:gz") as tar:
        for info, data in members:
            tar.addfile(info, io.BytesIO(data) if data is not None else None)


def _member(name, data=b"", kind=tarfile.REGTYPE, link=""):
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.size = kind, link, len(data)
    return info, data if kind == tarfile.REGTYPE else None


def test_untar_unpacks_the_folder_keras122_names(home, tmp_path):
    archive = tmp_path / "site" / "pack.tar.gz"
    archive.parent.mkdir()
    _tar(archive, [_member("pack/a.txt", b"A"), _member("pack/sub/b.txt", b"BB")])
    path = get_file("pack", archive.as_uri(), untar=True)
    assert path == str(home / "datasets" / "pack")
    assert open(os.path.join(path, "sub", "b.txt"), "rb").read() == b"BB"
    assert sorted(os.listdir(home / "datasets")) == ["pack", "pack.tar.gz"]


def test_extract_handles_zip_and_tar(home, tmp_path):
    archive = tmp_path / "site" / "z.zip"
    archive.parent.mkdir()
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("inner/c.txt", "C")
    path = get_file("z.zip", archive.as_uri(), extract=True)
    assert path == str(home / "datasets" / "z.zip")
    assert (home / "datasets" / "inner" / "c.txt").read_text() == "C"
    assert data_utils.extract_archive(str(tmp_path / "site" / "z.zip"), str(tmp_path / "out"),
                                      archive_format="tar") is False


@pytest.mark.parametrize("member", [
    _member("../escaped.txt", b"x"), _member("/tmp/abs_escape.txt", b"x"),
    _member("ok/../../escaped.txt", b"x"),
    _member("ok/link", kind=tarfile.SYMTYPE, link="../../outside"),
    _member("ok/hard", kind=tarfile.LNKTYPE, link="ok/a"),
    _member("ok/dev", kind=tarfile.CHRTYPE)])
def test_tar_members_outside_the_folder_links_and_devices_are_refused(tmp_path, member):
    archive = tmp_path / "bad.tar.gz"
    _tar(archive, [_member("ok/a", b"fine"), member])
    target = tmp_path / "target"
    with pytest.raises(ValueError, match="refusing to extract"):
        data_utils.extract_archive(str(archive), str(target))
    assert _files(target) == []  # nothing at all was written
    assert not (tmp_path / "escaped.txt").exists()


@pytest.mark.parametrize("name", ["../zip_escape.txt", "/abs_zip.txt", "a/../../zip_up.txt"])
def test_zip_members_outside_the_folder_are_refused(tmp_path, name):
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("fine.txt", "ok")
        z.writestr(zipfile.ZipInfo(name), "evil")
    with pytest.raises(ValueError, match="refusing to extract"):
        data_utils.extract_archive(str(archive), str(tmp_path / "target"))
    assert _files(tmp_path / "target") == []


def test_zip_symlinks_are_refused(tmp_path):
    archive = tmp_path / "link.zip"
    with zipfile.ZipFile(archive, "w") as z:
        info = zipfile.ZipInfo("link")
        info.external_attr = 0o120777 << 16
        z.writestr(info, "/etc/passwd")
    with pytest.raises(ValueError, match="refusing to extract the link 'link'"):
        data_utils.extract_archive(str(archive), str(tmp_path / "target"))


def test_a_damaged_archive_is_an_error_naming_it(home, tmp_path):
    good = tmp_path / "g.tar.gz"
    _tar(good, [_member("pack/a.txt", os.urandom(50_000))])
    (home / "datasets").mkdir(parents=True)
    (home / "datasets" / "pack.tar.gz").write_bytes(good.read_bytes()[:2000])
    with pytest.raises(ValueError, match=r"pack\.tar\.gz: damaged or truncated archive"):
        get_file("pack", "file:///nowhere", untar=True)
    assert not (home / "datasets" / "pack").exists()


def test_conflicting_hash_arguments():
    with pytest.raises(ValueError, match="md5_hash .* or file_hash"):
        get_file("x", "file:///x", md5_hash="a" * 32, file_hash="b" * 32)
