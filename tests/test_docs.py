"""The docs are executed: every ```python block of README.md and docs/*.md runs, and a
block followed by an output block must print that output (so a stale listing fails).

The conventions (docs/internals.md, "Docs are tests"):

- The python blocks of one file run in order in one namespace, like a session. Each
  top-level expression's value is echoed as a REPL would (`repr`, None is not shown), so
  `g.number_of_nodes()` on a line of its own shows its value.
- A python block followed directly by a plain ``` block (no language) is compared with
  it: the block's stdout (and echoed values), normalized, must equal the plain block. A
  line `...` alone (whatever its indent) there stands for any number of lines. When the
  block raises, the output is what it printed and then `ErrorType: message`, so a doc can
  show an error. Blocks without an output block run but are not compared.
- `<!-- docs-test: file NAME.py -->` right before a python block saves the block as
  NAME.py (in a temporary folder on sys.path) and runs `from NAME import *` instead, so
  the listings of that code name NAME.py and its line numbers.
- Normalizing: object addresses (0x7f...), timings (`0.12 s`, `35ms`, `ETA: 3s`), and the
  folder part of absolute paths to .py files (`/tmp/x/model.py:4` -> `model.py:4`);
  trailing spaces and blank lines at the end are ignored.
- ```sh blocks are commands to type, not run here. Blocks run with the working directory
  a temporary folder and without Graphviz's `dot` on PATH, so outputs are the same on
  every machine.
"""

from __future__ import annotations

import ast
import contextlib
import io
import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
FENCE = re.compile(r"^```([\w+-]*)[^\n]*\n(.*?)^```[ \t]*$", re.MULTILINE | re.DOTALL)
FILE_MARK = re.compile(r"<!--\s*docs-test:\s*file\s+([\w.]+\.py)\s*-->\s*$")


class Block:
    """A fenced block: its language, code, first line number and what comes with it."""

    def __init__(self, lang: str, code: str, line: int, as_file: str | None) -> None:
        self.lang, self.code, self.line, self.as_file = lang, code, line, as_file
        self.expected: str | None = None


def blocks_of(path: Path) -> list[Block]:
    """The python blocks of a markdown file, each with its expected output (if any)."""
    text = path.read_text("utf-8")
    fences = list(FENCE.finditer(text))
    out: list[Block] = []
    for i, m in enumerate(fences):
        if m.group(1) != "python":
            continue
        before = text[:m.start()].rstrip("\n").rsplit("\n", 1)[-1]
        mark = FILE_MARK.search(before)
        block = Block("python", m.group(2), text.count("\n", 0, m.start(2)) + 1,
                      mark.group(1) if mark else None)
        if i + 1 < len(fences):
            nxt = fences[i + 1]
            if nxt.group(1) == "" and text[m.end():nxt.start()].strip() == "":
                block.expected = nxt.group(2)
        out.append(block)
    return out


# ---------------------------------------------------------------- running


def run_block(block: Block, namespace: dict, filename: str, folder: Path) -> str:
    """Run one block REPL-style; returns what it printed (and `ErrorType: msg` if it
    raised and an output block expects that)."""
    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        try:
            if block.as_file:
                (folder / block.as_file).write_text(block.code)
                exec(f"from {block.as_file[:-3]} import *", namespace)
            else:
                _exec_repl(block, namespace, filename)
        except Exception as e:
            if block.expected is None or f"{type(e).__name__}:" not in block.expected:
                raise
            print(f"{type(e).__name__}: {e}")
    return buf.getvalue()


def _exec_repl(block: Block, namespace: dict, filename: str) -> None:
    # Pad so tracebacks and node traces give the markdown file's line numbers.
    tree = ast.parse("\n" * (block.line - 1) + block.code, filename)
    for stmt in tree.body:
        if isinstance(stmt, ast.Expr):
            value = eval(compile(ast.Expression(stmt.value), filename, "eval"), namespace)
            if value is not None:
                print(repr(value))
        else:
            exec(compile(ast.Module([stmt], []), filename, "exec"), namespace)


# ---------------------------------------------------------------- comparing

_ADDRESS = re.compile(r"0x[0-9a-fA-F]{6,}")
_TIME = re.compile(r"\b\d+(?:\.\d+)?\s?(?:s|ms|us|µs|ns)\b|ETA:\s*\S+")
_PYPATH = re.compile(r"(?:/[^\s\"'/:<>]+)+/([\w.-]+\.py)")


def normalize(text: str) -> str:
    """Addresses, timings and the folders of .py paths out; trailing spaces off."""
    text = _ADDRESS.sub("0x…", text)
    text = _TIME.sub("<time>", text)
    text = _PYPATH.sub(r"\1", text)
    return "\n".join(line.rstrip() for line in text.rstrip().splitlines())


def matches(expected: str, actual: str) -> bool:
    """Line by line; an expected line `...` alone matches any number of actual lines."""
    exp, act = normalize(expected).splitlines(), normalize(actual).splitlines()

    def at(i: int, j: int) -> bool:
        while i < len(exp):
            if exp[i].strip() == "...":
                return any(at(i + 1, k) for k in range(j, len(act) + 1))
            if j >= len(act) or exp[i] != act[j]:
                return False
            i, j = i + 1, j + 1
        return j == len(act)

    return at(0, 0)


def run_document(path: Path, folder: Path) -> list[str]:
    """Run every block of one document; returns the failures, described."""
    namespace: dict = {"__name__": f"docs_{path.stem}"}
    failures = []
    for block in blocks_of(path):
        name = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path.name
        where = f"{name} block at line {block.line}"
        try:
            out = run_block(block, namespace, str(path), folder)
        except Exception as e:  # name the block that failed, then stop: later ones need it
            failures.append(f"{where} failed: {type(e).__name__}: {e}")
            break
        if block.expected is not None and not matches(block.expected, out):
            failures.append(f"{where} printed something else than its output block.\n"
                            f"--- expected\n{normalize(block.expected)}\n--- printed\n"
                            f"{normalize(out)}")
    return failures


@pytest.fixture
def docs_env(tmp_path, monkeypatch):
    """A temporary working folder on sys.path, and no Graphviz on PATH."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    keep = [d for d in os.environ.get("PATH", "").split(os.pathsep)
            if d and not os.path.exists(os.path.join(d, "dot"))]
    monkeypatch.setenv("PATH", os.pathsep.join(keep))
    yield tmp_path
    for name in [m for m in sys.modules if m in ("model",)]:
        del sys.modules[name]


@pytest.mark.parametrize("path", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_document_runs_and_prints_what_it_shows(path, docs_env):
    failures = run_document(path, docs_env)
    assert not failures, "\n\n".join(failures)


# ---------------------------------------------------------------- the machinery itself


def test_output_blocks_are_compared(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("```python\nx = 2\nx * 21\nprint('hi')\n```\n```\n42\nhi\n```\n"
                   "```python\nraise ValueError('bad 0x7f00aa11bb22')\n```\n"
                   "```\nValueError: bad 0x1234567890\n```\n"
                   "```python\nprint('a'); print('b'); print('c')\n```\n```\na\n...\n```\n")
    blocks = blocks_of(doc)
    assert [b.expected for b in blocks] == ["42\nhi\n", "ValueError: bad 0x1234567890\n",
                                            "a\n...\n"]
    assert run_document(doc, tmp_path) == []
    doc.write_text("```python\nprint(1)\n```\n```\n2\n```\n")
    (failure,) = run_document(doc, tmp_path)
    assert "printed something else" in failure and "--- expected\n2\n--- printed\n1" in failure


def test_normalizing():
    assert normalize("at 0x7f3a2b1c0d9e, took 0.25 s, ETA: 3s  \n\n") == \
        "at 0x…, took <time>, <time>"
    assert normalize('tooltip="/tmp/x/y/model.py:4"') == 'tooltip="model.py:4"'
    assert matches("a\n   ...\nd", "a\nb\nc\nd") and matches("a\n...\nb", "a\nb")
    assert not matches("a\nb", "a\nb\nc")


def test_the_docs_have_examples_and_outputs():
    blocks = [b for path in DOCS for b in blocks_of(path)]
    assert len(blocks) >= 20
    assert sum(b.expected is not None for b in blocks) >= 8  # listings that are checked


# ---------------------------------------------------------------- README specifics


README = ROOT / "README.md"


def test_the_readme_has_a_tour():
    code = "\n".join(b.code for b in blocks_of(README))
    assert len(blocks_of(README)) >= 6
    for name in ("sg.function", "updates=", "sg.grad", "sg.ifelse", "RandomStream",
                 "sg.debugprint", ".source", ".rewrite_log", "sg.config"):
        assert name in code, f"the README tour does not show {name}"


def test_quick_start_commands_come_first():
    text = README.read_text("utf-8")
    first_block = text.index("```")
    assert text.index("make demo") > first_block and text.index("make test") > first_block
    assert text.index("make test") < text.index("## ")


def test_readme_examples_print_what_their_comments_say(docs_env):
    namespace: dict = {"__name__": "readme"}
    out = "".join(run_block(block, namespace, str(README), docs_env)
                  for block in blocks_of(README))
    assert "[3.       6.436564]" in out  # the first example prints what the README says
    assert "2.0 9.0" in out
    assert "0.0 [0.5 1.  1.5]" in out
    assert "ValueError in dot (inputs float32[3, 4], float32[5, 2]), node built at " \
           f"{README}:" in out
