"""Run the notebooks: used by the tests, and by hand to refresh their committed outputs.

    .venv/bin/python -m tests.notebooks.execute            # all of notebooks/, saved back
    .venv/bin/python -m tests.notebooks.execute notebooks/02_keras_seed_models.ipynb

Notebooks are committed with their outputs (so they read well where they are shown
without a kernel); this re-executes them in place and prints how long each took.
A notebook may say what it needs in its metadata, `"symgraph": {"requires": ["module"
or "module:attribute", ...]}`; `missing(nb)` lists what is not importable, and the tests
skip such a notebook, naming it (notebook 03 needs the conv layers, the digits data and
matplotlib).

The kernel runs BLAS on one thread (OPENBLAS_NUM_THREADS=1 unless the environment sets
it): the notebooks' models are small, and on a busy machine OpenBLAS's default threads
made notebook 03's training ~10x slower.
"""

from __future__ import annotations

import importlib
import os
import pathlib
import sys
import tempfile
import time

import nbformat
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
IMAGE_TYPES = ("image/svg+xml", "image/png")
KERNEL_ENV = {"OPENBLAS_NUM_THREADS": "1"}  # what the environment sets wins


def missing(nb: nbformat.NotebookNode) -> list[str]:
    """The notebook's `requires` entries that cannot be imported here."""
    out = []
    for need in nb.metadata.get("symgraph", {}).get("requires", []):
        module, _, attr = need.partition(":")
        try:
            mod = importlib.import_module(module)
            if attr and not hasattr(mod, attr):
                out.append(need)
        except ImportError:
            out.append(need)
    return out


def execute(path: pathlib.Path, timeout: int = 300) -> tuple[nbformat.NotebookNode, float]:
    """Run a notebook top to bottom in a fresh kernel (in a temporary folder)."""
    nb = nbformat.read(path, as_version=4)
    # 'python3' is ipykernel's own kernelspec: jupyter_client runs it with this interpreter,
    # so the notebook sees the installed project.
    with tempfile.TemporaryDirectory() as folder:
        client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                                resources={"metadata": {"path": folder}})
        start = time.perf_counter()
        client.execute(env={**KERNEL_ENV, **os.environ})
        return nb, time.perf_counter() - start


def has_image(cell: nbformat.NotebookNode) -> bool:
    """True when a code cell's outputs hold a picture (SVG or PNG, or SVG inside HTML)."""
    for out in cell.get("outputs", []):
        data = out.get("data", {})
        if any(t in data for t in IMAGE_TYPES) or "<svg" in str(data.get("text/html", "")):
            return True
    return False


def main(paths: list[str]) -> None:
    for path in [pathlib.Path(p) for p in paths] or NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        if missing(nb):
            print(f"{path.name}: skipped, needs {', '.join(missing(nb))}")
            continue
        nb, seconds = execute(path)
        nbformat.write(nb, path)
        print(f"{path.name}: {seconds:.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
