"""Every ```python block in README.md runs, in order, in one namespace (like a session)."""

import re
from pathlib import Path

import pytest

README = Path(__file__).resolve().parent.parent / "README.md"
BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)


def python_blocks() -> list[tuple[int, str]]:
    """(first line number, code) of each python block."""
    text = README.read_text("utf-8")
    return [(text.count("\n", 0, m.start(1)) + 1, m.group(1)) for m in BLOCK.finditer(text)]


def test_the_readme_has_a_tour():
    blocks = python_blocks()
    assert len(blocks) >= 6
    code = "\n".join(c for _, c in blocks)
    for name in ("sg.function", "updates=", "sg.grad", "sg.ifelse", "RandomStream",
                 "sg.debugprint", ".source", ".rewrite_log", "sg.config"):
        assert name in code, f"the README tour does not show {name}"


def test_quick_start_commands_come_first():
    text = README.read_text("utf-8")
    first_block = text.index("```")
    assert text.index("make demo") > first_block and text.index("make test") > first_block
    assert text.index("make test") < text.index("## ")


def test_every_python_block_runs(capsys):
    namespace: dict = {"__name__": "readme"}
    for line, code in python_blocks():
        # Pad so tracebacks and node traces give README.md line numbers.
        compiled = compile("\n" * (line - 1) + code, str(README), "exec")
        try:
            exec(compiled, namespace)
        except Exception as e:  # name the block that failed
            pytest.fail(f"README.md block at line {line} failed: {type(e).__name__}: {e}")
    out = capsys.readouterr().out
    assert "[3.       6.436564]" in out  # the first example prints what the README says
    assert "2.0 9.0" in out
    assert "0.0 [0.5 1.  1.5]" in out
    assert "ValueError in dot (inputs float32[3, 4], float32[5, 2]), node built at " \
           f"{README}:" in out
