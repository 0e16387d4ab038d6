"""SciPy, imported when first used instead of by `import symgraph`.

Importing it costs about 0.3 s, and most programs never call a special function or a
linear-algebra routine. `LazyModule` stands for a module and imports it on the first
attribute read (then keeps the attribute, so later reads are ordinary); `LazyFunction`
stands for a module-level function such as `scipy.special.erf`.
"""

from __future__ import annotations

import importlib
from typing import Any


class LazyModule:
    """A module imported on first use: `sp = LazyModule('scipy.special'); sp.erf(x)`."""

    def __init__(self, name: str) -> None:
        self.__name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(importlib.import_module(self.__name), attr)
        setattr(self, attr, value)  # the next read finds it without importing
        return value

    def __repr__(self) -> str:
        return f"<lazy module {self.__name}>"


class LazyFunction:
    """`module:name`, imported when first resolved (see `elemwise.ScalarOp.fn`)."""

    __slots__ = ("module", "name")

    def __init__(self, module: str, name: str) -> None:
        self.module, self.name = module, name

    def resolve(self) -> Any:
        """The function itself (importing its module if needed)."""
        return getattr(importlib.import_module(self.module), self.name)

    def __repr__(self) -> str:
        return f"<lazy {self.module}.{self.name}>"
