"""sg.config: attributes, the change() context manager, SYMGRAPH_FLAGS parsing, errors."""

import os
import subprocess
import sys

import pytest

import symgraph as sg
from symgraph.config import Config


def test_defaults():
    c = Config()
    assert c.floatX == "float32"
    assert c.backend == "auto" and c.rewrites == "fast_run"
    assert c.trace_source is True


def test_change_restores_the_old_value_even_after_an_error():
    assert sg.config.floatX == "float32"
    with sg.config.change(floatX="float64") as c:
        assert c is sg.config and sg.config.floatX == "float64"
        assert sg.vector("x").dtype == "float64"
        assert sg.constant(1.5).dtype == "float64"
    assert sg.config.floatX == "float32"
    with pytest.raises(RuntimeError), sg.config.change(floatX="float64"):
        raise RuntimeError("boom")
    assert sg.config.floatX == "float32"


def test_change_with_a_bad_value_leaves_settings_as_they_were():
    with pytest.raises(ValueError, match="floatX must be one of"), \
            sg.config.change(trace_source=False, floatX="float8"):
        pass
    assert sg.config.trace_source is True and sg.config.floatX == "float32"


def test_unknown_setting_is_an_error_naming_the_known_ones():
    c = Config()
    with pytest.raises(AttributeError, match=r"sg.config has no setting 'floatx'; known "
                                             r"settings: .*floatX"):
        c.floatx = "float64"
    with pytest.raises(AttributeError, match="no setting 'fast'"), sg.config.change(fast=True):
        pass


@pytest.mark.parametrize("name, value", [("floatX", "float128"), ("backend", "gpu"),
                                         ("rewrites", "o3")])
def test_invalid_choice_is_an_error(name, value):
    c = Config()
    with pytest.raises(ValueError, match=rf"sg.config.{name} must be one of .*{value!r}"):
        setattr(c, name, value)


def test_apply_flags_parses_each_setting_to_its_type():
    c = Config()
    c.apply_flags("floatX=float64, backend=numpy,trace_source=false,"
                  "constant_fold_max_size=10,rewrite_max_growth=2.5,cache_dir=/tmp/sgcache")
    assert c.floatX == "float64" and c.backend == "numpy"
    assert c.trace_source is False
    assert c.constant_fold_max_size == 10 and isinstance(c.constant_fold_max_size, int)
    assert c.rewrite_max_growth == 2.5
    assert c.cache_dir == "/tmp/sgcache"
    c.apply_flags("trace_source=1")
    assert c.trace_source is True
    c.apply_flags("")
    assert c.floatX == "float64"


@pytest.mark.parametrize("flags, exc, message", [
    ("floatX", ValueError, "entry 'floatX' is not of the form name=value"),
    ("floatx=float64", AttributeError, "no setting 'floatx'"),
    ("floatX=float8", ValueError, "floatX must be one of"),
    ("constant_fold_max_size=many", ValueError, "invalid literal for int"),
    ("trace_source=maybe", ValueError, "trace_source='maybe' is not a boolean"),
])
def test_apply_flags_errors(flags, exc, message):
    with pytest.raises(exc, match=message):
        Config().apply_flags(flags)


def test_symgraph_flags_environment_variable_is_read_at_import():
    env = dict(os.environ, SYMGRAPH_FLAGS="floatX=float64,backend=numpy",
               SYMGRAPH_CACHE_DIR="/tmp/sg-test-cache")
    code = ("import symgraph as sg; c = sg.config; "
            "print(c.floatX, c.backend, c.cache_dir, sg.vector('x').dtype)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         check=True)
    assert out.stdout.split() == ["float64", "numpy", "/tmp/sg-test-cache", "float64"]


def test_bad_symgraph_flags_fail_at_import_with_a_clear_message():
    env = dict(os.environ, SYMGRAPH_FLAGS="floatX=float12")
    out = subprocess.run([sys.executable, "-c", "import symgraph"], env=env,
                         capture_output=True, text=True)
    assert out.returncode != 0
    assert "sg.config.floatX must be one of" in out.stderr
