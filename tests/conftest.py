"""Session-wide test setup: symgraph's on-disk cache lives in a temporary folder, and
backend='auto' means the NumPy backend unless a test asks for C.

Set before any test module imports symgraph, and inherited by the subprocesses tests
start, so no test reads or writes ~/.cache/symgraph (compiled functions are cached there
by default: the whole suite runs with the function cache on, from an empty cache).

For users 'auto' is the C backend when a C compiler works. Here it is NumPy: on an empty
cache every distinct function of the ~5,000 tests would compile a C module (the suite
took ~45 minutes that way instead of ~5). The C backend is tested where it is the
subject: tests/symgraph/codegen (every table row, reductions, random graphs against
NumPy, the cache, and test_auto_is_c_with_a_compiler: a fresh process without this flag
compiles C), and tests/keras_front/engine/test_training_c_backend.py (training on both).
"""

from __future__ import annotations

import os
import shutil
import tempfile

_CACHE = tempfile.mkdtemp(prefix="symgraph-test-cache-")
os.environ["SYMGRAPH_CACHE_DIR"] = _CACHE
AUTO_BACKEND_FOR_TESTS = "backend=numpy"
os.environ["SYMGRAPH_FLAGS"] = ",".join(
    f for f in (os.environ.get("SYMGRAPH_FLAGS", ""), AUTO_BACKEND_FOR_TESTS) if f)


def pytest_sessionfinish(session, exitstatus):  # noqa: ARG001 -- pytest's hook signature
    shutil.rmtree(_CACHE, ignore_errors=True)
