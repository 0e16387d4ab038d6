"""symgraph/memory.py: compiling a function keeps freed array memory in the process
(glibc's mallopt), unless the user set glibc's own variables or turned it off."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

SCRIPT = """
import numpy as np, symgraph as sg, symgraph.memory as m
x = sg.vector("x")
sg.function([x], x + 1)
print(m._applied)
"""


def _run(env_extra):
    env = {**os.environ, **env_extra}
    out = subprocess.run([sys.executable, "-c", SCRIPT], env=env, capture_output=True,
                         text=True, check=True)
    return out.stdout.strip()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux's")
def test_compiling_applies_the_setting_once_per_process():
    assert _run({}) == "True"


def test_the_user_s_own_malloc_settings_and_the_flag_win():
    assert _run({"MALLOC_TRIM_THRESHOLD_": "1000000"}) == "False"
    assert _run({"SYMGRAPH_FLAGS": "retain_memory=false"}) == "None"
