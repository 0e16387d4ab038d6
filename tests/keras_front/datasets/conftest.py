"""Every dataset test gets its own Keras cache: HOME and KERAS_HOME point into tmp_path,
so the real loaders read (and download into) files the test made there."""

from __future__ import annotations

import gzip
import hashlib
import pathlib

import pytest


@pytest.fixture
def cache(tmp_path: pathlib.Path, monkeypatch: pytest.MonkeyPatch) -> pathlib.Path:
    """The datasets folder of a fresh Keras cache ($KERAS_HOME/datasets), created."""
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras_home"))
    folder = tmp_path / "keras_home" / "datasets"
    folder.mkdir(parents=True)
    return folder


@pytest.fixture
def remote(tmp_path: pathlib.Path) -> pathlib.Path:
    """A folder standing for the download site (reached through file:// URLs)."""
    folder = tmp_path / "remote"
    folder.mkdir()
    return folder


def md5(path: pathlib.Path) -> str:
    return hashlib.md5(path.read_bytes()).hexdigest()


def gzip_bytes(data: bytes) -> bytes:
    return gzip.compress(data)
