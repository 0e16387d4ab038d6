"""Atomic writes, the overwrite prompt, and opening files (keras_front/saving/files.py)."""

import builtins
import io
import os
import stat

import h5py
import numpy as np
import pytest

from keras_front import layers
from keras_front.models import Sequential, load_model
from keras_front.saving import SavedModelError, ask_to_proceed_with_overwrite
from keras_front.saving.files import atomic_h5_file, open_h5_for_reading


def small_model(seed=0):
    np.random.seed(seed)
    model = Sequential([layers.Dense(4, input_dim=3, name="d1"), layers.Dense(2, name="d2")])
    model.compile(optimizer="adam", loss="mse")
    return model


def leftovers(directory):
    return sorted(p.name for p in directory.iterdir() if p.name.endswith(".tmp"))


class FailingWrites:
    """Make h5py's create_dataset raise after `after` successful calls."""

    def __init__(self, monkeypatch, after):
        self.calls, self.after = 0, after
        original = h5py.Group.create_dataset

        def create_dataset(group, *args, **kwargs):
            self.calls += 1
            if self.calls > self.after:
                raise OSError("disk full (simulated)")
            return original(group, *args, **kwargs)

        monkeypatch.setattr(h5py.Group, "create_dataset", create_dataset)


@pytest.mark.parametrize("save", ["save", "save_weights"])
def test_a_failed_save_leaves_the_old_file_byte_identical(tmp_path, monkeypatch, save):
    path = tmp_path / "model.h5"
    old = small_model(0)
    getattr(old, save)(str(path))
    before = path.read_bytes()
    new = small_model(1)
    FailingWrites(monkeypatch, after=2)  # fails halfway: after the first layer's weights
    with pytest.raises(OSError, match="disk full"):
        getattr(new, save)(str(path))
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == []
    monkeypatch.undo()
    model = load_model(path) if save == "save" else small_model(2)
    if save == "save_weights":
        model.load_weights(path)
    for got, saved in zip(model.get_weights(), old.get_weights(), strict=True):
        np.testing.assert_array_equal(got, saved)


def test_an_interrupted_save_of_a_new_file_leaves_nothing(tmp_path, monkeypatch):
    FailingWrites(monkeypatch, after=0)
    with pytest.raises(OSError, match="disk full"):
        small_model().save(tmp_path / "new.h5")
    assert list(tmp_path.iterdir()) == []


def test_keyboard_interrupt_during_a_save_cleans_up(tmp_path):
    (tmp_path / "m.h5").write_bytes(b"previous")
    with pytest.raises(KeyboardInterrupt), atomic_h5_file(str(tmp_path / "m.h5")) as f:
        f.attrs["x"] = 1
        raise KeyboardInterrupt
    assert (tmp_path / "m.h5").read_bytes() == b"previous"
    assert leftovers(tmp_path) == []


def test_a_save_replaces_the_file_and_keeps_its_permissions(tmp_path):
    path = tmp_path / "m.h5"
    small_model(0).save(path)
    os.chmod(path, 0o640)
    model = small_model(1)
    model.save(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    np.testing.assert_array_equal(load_model(path).get_weights()[0], model.get_weights()[0])


def test_a_new_file_gets_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        small_model().save_weights(tmp_path / "w.h5")
    finally:
        os.umask(umask)
    assert stat.S_IMODE(os.stat(tmp_path / "w.h5").st_mode) == 0o644


def test_saving_into_a_missing_directory_or_onto_a_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nowhere/m\.h5: cannot save: the directory "
                                                r".*nowhere does not exist"):
        small_model().save(tmp_path / "nowhere" / "m.h5")
    with pytest.raises(IsADirectoryError, match="is a directory"):
        small_model().save(tmp_path)


# ---------------------------------------------------------------- overwrite=False


def test_overwrite_false_without_a_terminal_refuses(tmp_path, monkeypatch):
    path = tmp_path / "m.h5"
    path.write_bytes(b"keep me")
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # not a TTY: must not be read
    with pytest.raises(FileExistsError, match=r"m\.h5 already exists and overwrite=False; not "
                                              r"asking .* stdin is not a terminal"):
        small_model().save(path, overwrite=False)
    with pytest.raises(FileExistsError, match="overwrite=False"):
        small_model().save_weights(path, overwrite=False)
    assert path.read_bytes() == b"keep me"


def test_overwrite_false_on_a_free_path_just_saves(tmp_path):
    small_model().save(tmp_path / "m.h5", overwrite=False)
    assert load_model(tmp_path / "m.h5").layers[0].name == "d1"


class Terminal(io.StringIO):
    def isatty(self):
        return True


def _answers(monkeypatch, *answers):
    asked = []
    replies = iter(answers)

    def fake_input(prompt=""):
        asked.append(prompt)
        return next(replies)

    monkeypatch.setattr("sys.stdin", Terminal())
    monkeypatch.setattr(builtins, "input", fake_input)
    return asked


def test_the_prompt_on_a_terminal(tmp_path, monkeypatch, capsys):
    path = tmp_path / "m.h5"
    path.write_bytes(b"keep me")
    asked = _answers(monkeypatch, "maybe", "n")
    small_model().save(path, overwrite=False)
    assert path.read_bytes() == b"keep me"
    assert asked == [f"[WARNING] {path} already exists - overwrite? [y/n]",
                     'Enter "y" (overwrite) or "n" (cancel).']
    _answers(monkeypatch, "y")
    model = small_model(3)
    model.save(path, overwrite=False)
    assert "[TIP] Next time specify overwrite=True!" in capsys.readouterr().out
    np.testing.assert_array_equal(load_model(path).get_weights()[0], model.get_weights()[0])


def test_end_of_input_at_the_prompt_refuses(monkeypatch):
    monkeypatch.setattr("sys.stdin", Terminal())

    def no_more_input(prompt=""):
        raise EOFError

    monkeypatch.setattr(builtins, "input", no_more_input)
    with pytest.raises(FileExistsError, match="no answer"):
        ask_to_proceed_with_overwrite("x.h5")


# ---------------------------------------------------------------- reading


def test_opening_errors_name_the_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"absent\.h5: no such file"):
        with open_h5_for_reading(tmp_path / "absent.h5"):
            pass
    with pytest.raises(IsADirectoryError, match="is a directory"):
        with open_h5_for_reading(tmp_path):
            pass
    (tmp_path / "empty.h5").write_bytes(b"")
    with pytest.raises(SavedModelError, match=r"empty\.h5: not an HDF5 file"):
        with open_h5_for_reading(tmp_path / "empty.h5"):
            pass
    with h5py.File(tmp_path / "open.h5", "w") as f, pytest.raises(TypeError, match="file path"):
        with open_h5_for_reading(f):
            pass


def test_saving_through_a_symlink_replaces_the_target(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "m.h5"
    small_model(0).save(target)
    link = tmp_path / "latest.h5"
    link.symlink_to(target)
    model = small_model(1)
    model.save(link)
    assert link.is_symlink()
    np.testing.assert_array_equal(load_model(target).get_weights()[0], model.get_weights()[0])
    assert leftovers(tmp_path / "real") == []


KILLED_MIDWAY = """
import os, signal, sys
import h5py
import numpy as np
from keras_front import layers
from keras_front.models import Sequential

original = h5py.Group.create_dataset
calls = []

def create_dataset(group, *args, **kwargs):
    calls.append(1)
    if len(calls) == 3:  # the process dies in the middle of writing the weights
        os.kill(os.getpid(), signal.SIGKILL)
    return original(group, *args, **kwargs)

h5py.Group.create_dataset = create_dataset
np.random.seed(1)
Sequential([layers.Dense(4, input_dim=3, name="d1"), layers.Dense(2, name="d2")]).save(sys.argv[1])
"""


def test_a_killed_save_leaves_the_old_file_intact(tmp_path):
    import signal
    import subprocess
    import sys

    path = tmp_path / "m.h5"
    old = small_model(0)
    old.save(path)
    before = path.read_bytes()
    script = tmp_path / "kill.py"
    script.write_text(KILLED_MIDWAY)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    done = subprocess.run([sys.executable, str(script), str(path)], cwd=root,
                          env={**os.environ, "PYTHONPATH": root}, capture_output=True,
                          timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()
    assert path.read_bytes() == before
    assert len(leftovers(tmp_path)) == 1  # a hard kill cannot clean up its temp file
    np.testing.assert_array_equal(load_model(path).get_weights()[0], old.get_weights()[0])


def test_a_killed_save_leaves_a_temp_file_that_the_next_save_removes(tmp_path):
    import subprocess
    import sys

    path = tmp_path / "m.h5"
    script = tmp_path / "kill.py"
    script.write_text(KILLED_MIDWAY)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    first = None
    for _ in range(2):  # the second killed save already removes the first one's file
        subprocess.run([sys.executable, str(script), str(path)], cwd=root,
                       env={**os.environ, "PYTHONPATH": root}, capture_output=True,
                       timeout=120)
        assert len(leftovers(tmp_path)) == 1
        assert leftovers(tmp_path)[0] != first
        first = leftovers(tmp_path)[0]
    model = small_model(3)
    model.save(path)
    assert leftovers(tmp_path) == []
    np.testing.assert_array_equal(load_model(path).get_weights()[0], model.get_weights()[0])


def _temp_file(directory, name, data=b"partial", age_s=0.0):
    path = directory / name
    path.write_bytes(data)
    if age_s:
        stamp = path.stat().st_mtime - age_s
        os.utime(path, (stamp, stamp))
    return path


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs flock (POSIX)")
def test_a_save_removes_only_stale_temp_files_of_its_own_target(tmp_path):
    import fcntl

    stale = _temp_file(tmp_path, ".m.h5.abcd1234.tmp")
    old_empty = _temp_file(tmp_path, ".m.h5.old_0000.tmp", b"", age_s=600)
    young_empty = _temp_file(tmp_path, ".m.h5.new_0000.tmp", b"")  # a writer about to lock
    being_written = _temp_file(tmp_path, ".m.h5.live0000.tmp")
    other_target = _temp_file(tmp_path, ".m.h5.bak.abcd1234.tmp")  # of "m.h5.bak"
    not_a_temp = _temp_file(tmp_path, ".m.h5.abcd1234.tmp.keep")
    holder = os.open(being_written, os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)  # a live writer holds its temp file's lock
        small_model().save(tmp_path / "m.h5")
    finally:
        os.close(holder)
    assert not stale.exists() and not old_empty.exists()
    for kept in (young_empty, being_written, other_target, not_a_temp):
        assert kept.exists(), kept.name


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("save", ["save", "save_weights"])
def test_a_fifo_or_socket_is_never_replaced(tmp_path, save):
    import socket

    fifo = tmp_path / "pipe.h5"
    os.mkfifo(fifo)
    with pytest.raises(OSError, match=r"pipe\.h5: cannot save to a FIFO \(named pipe\): "
                                      r"keras_front saves only to regular files"):
        getattr(small_model(), save)(fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    sock_path = tmp_path / "s.h5"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(sock_path))
        with pytest.raises(OSError, match="cannot save to a socket"):
            getattr(small_model(), save)(sock_path)
        assert stat.S_ISSOCK(os.lstat(sock_path).st_mode)
    finally:
        sock.close()
    assert leftovers(tmp_path) == []


def test_a_symlink_to_a_fifo_is_refused_too(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "link.h5").symlink_to(fifo)
    with pytest.raises(OSError, match=r"link\.h5: cannot save to a FIFO"):
        small_model().save(tmp_path / "link.h5")
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


FILE_SIZE_LIMIT = """
import resource, sys
import numpy as np
from keras_front import layers
from keras_front.models import Sequential
np.random.seed(1)
model = Sequential([layers.Dense(200, input_dim=200), layers.Dense(200)])
resource.setrlimit(resource.RLIMIT_FSIZE, (100_000, 100_000))
try:
    getattr(model, sys.argv[2])(sys.argv[1])
except OSError as e:
    print(type(e).__name__, e.errno, e)
"""


@pytest.mark.parametrize("save", ["save", "save_weights"])
def test_a_save_past_the_file_size_limit_names_the_target(tmp_path, save):
    import errno
    import subprocess
    import sys

    path = tmp_path / "m.h5"
    path.write_bytes(b"previous")
    script = tmp_path / "fsize.py"
    script.write_text(FILE_SIZE_LIMIT)
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(__file__))))
    done = subprocess.run([sys.executable, str(script), str(path), save], cwd=root,
                          env={**os.environ, "PYTHONPATH": root}, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"OSError {errno.EFBIG} [Errno {errno.EFBIG}] {path}: cannot "
                                  f"save: File too large"), \
        done.stdout
    assert "the previous file, if any, is unchanged" in done.stdout
    assert path.read_bytes() == b"previous"
    assert leftovers(tmp_path) == []


def test_other_failures_while_saving_name_the_target(tmp_path):
    with pytest.raises(ValueError, match="boom") as info, \
            atomic_h5_file(str(tmp_path / "m.h5")) as f:
        f.attrs["x"] = 1
        raise ValueError("boom")
    assert any(str(tmp_path / "m.h5") in note for note in info.value.__notes__)
    assert list(tmp_path.iterdir()) == []
