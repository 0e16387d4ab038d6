"""Every notebook under notebooks/ runs top to bottom without an error (nbclient), and the
cells tagged `picture` show a picture, both as committed and when run again."""

from __future__ import annotations

import pathlib

import nbformat
import pytest

from tests.notebooks.execute import NOTEBOOKS, execute, has_image, missing


def test_there_are_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert {"01_symgraph_tour.ipynb", "02_keras_seed_models.ipynb",
            "03_digits_convnet.ipynb"} <= set(names)


def picture_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code" and
            "picture" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_notebook_has_its_outputs(path: pathlib.Path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("execution_count") for c in code), "commit the notebook run"
    assert [i for i, c in enumerate(picture_cells(nb)) if not has_image(c)] == []


def runnable(path: pathlib.Path):
    """The notebook as a test parameter, skipped (saying why) when it needs what is absent."""
    needs = missing(nbformat.read(path, as_version=4))
    return pytest.param(path, id=path.name, marks=pytest.mark.skipif(
        bool(needs), reason=f"{path.name} needs {', '.join(needs)}, not available here"))


@pytest.mark.parametrize("path", [runnable(p) for p in NOTEBOOKS])
def test_notebook_runs_and_shows_its_pictures(path: pathlib.Path):
    nb, _ = execute(path)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors[0].get("evalue") if errors else ""
    assert all(c.get("execution_count") for c in nb.cells if c.cell_type == "code")
    pictures = picture_cells(nb)
    assert pictures, f"{path.name} promises no picture"
    no_image = ["".join(c.source)[:60] for c in pictures if not has_image(c)]
    assert no_image == [], f"cells tagged 'picture' without one: {no_image}"


def test_a_notebook_declares_what_it_needs():
    nb = nbformat.v4.new_notebook(metadata={"symgraph": {"requires": [
        "keras_front.layers:Dense", "keras_front.layers:NoSuchLayer", "no_such_module"]}})
    assert missing(nb) == ["keras_front.layers:NoSuchLayer", "no_such_module"]
    cell = nbformat.v4.new_code_cell("x")
    cell.outputs = [nbformat.v4.new_output("display_data", data={"text/plain": "x"})]
    assert not has_image(cell)
    cell.outputs.append(nbformat.v4.new_output("display_data",
                                               data={"image/svg+xml": "<svg/>"}))
    assert has_image(cell)
