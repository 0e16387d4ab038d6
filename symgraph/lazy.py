"""SciPy, imported when first used instead of by `import symgraph`.

Importing it costs about 0.3 s, and most programs never call a special function or a
linear-algebra routine. `LazyModule` stands for a module and imports it on the first
attribute read (then keeps the attribute, so later reads are ordinary); `LazyFunction`
stands for a module-level function such as `scipy.special.erf`; `lazy_attributes` makes a
package's `__getattr__` that imports its heavier submodules on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


class LazyModule:
    """A module imported on first use: `sp = LazyModule('scipy.special'); sp.erf(x)`."""

    def __init__(self, name: str) -> None:
        self.__name = name

    def __getattr__(self, attr: str) -> Any:
        value = getattr(importlib.import_module(self.__name), attr)  # on first use: the point
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
        return getattr(importlib.import_module(self.module), self.name)  # on first use

    def __repr__(self) -> str:
        return f"<lazy {self.module}.{self.name}>"


def lazy_attributes(namespace: dict[str, Any], where: dict[str, str | None]
                    ) -> Callable[[str], Any]:
    """A module's `__getattr__` (PEP 562) for names imported on first use: `where[name]`
    is the submodule of the module's package holding `name` (None: the submodule `name`
    itself); the value is then kept in the module's namespace."""
    def __getattr__(name: str) -> Any:  # noqa: N807 (the module hook's own name)
        if name not in where:
            raise AttributeError(f"module {namespace['__name__']!r} has no attribute {name!r}")
        # on first use: the point of the hook
        module = importlib.import_module(f".{where[name] or name}", namespace["__package__"])
        value = module if where[name] is None else getattr(module, name)
        namespace[name] = value
        return value
    return __getattr__
