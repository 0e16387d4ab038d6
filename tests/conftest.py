"""Session-wide test setup: symgraph's on-disk cache lives in a temporary folder.

Set before any test module imports symgraph, and inherited by the subprocesses tests
start, so no test reads or writes ~/.cache/symgraph (compiled functions are cached there
by default: the whole suite runs with the function cache on, from an empty cache).
"""

from __future__ import annotations

import os
import shutil
import tempfile

_CACHE = tempfile.mkdtemp(prefix="symgraph-test-cache-")
os.environ["SYMGRAPH_CACHE_DIR"] = _CACHE


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001 -- pytest's hook signature
    shutil.rmtree(_CACHE, ignore_errors=True)
