"""The rewrite pipeline: every pass and the rewrites it is made of, in the order they run.

    merge -> constant_fold -> canonicalize -> stabilize -> specialize -> fusion -> inplace

A pass lists groups of rewrites (each group is a list in the module named); within a pass
the driver tries a node's rewrites in this order. Nothing is added to a pass anywhere
else (tests add deliberately broken rewrites with `register_rewrite`, and remove them).
Folding runs inside the three algebraic passes too, because their rewrites leave
constant subexpressions behind.
"""

from __future__ import annotations

from . import canonicalize as canon
from . import canonicalize_shape as shapes
from . import constant_fold as fold
from . import fusion, inplace, merge, specialize, stabilize
from .driver import Pass, Rewrite

DEFAULT_PIPELINE: list[Pass] = [
    merge.merge,
    Pass("constant_fold", [fold.FOLDING],
         doc="subgraphs with only constant inputs are evaluated at compile time"),
    Pass("canonicalize", [fold.FOLDING, canon.IDENTITIES, canon.ZEROS, canon.CASTS,
                          canon.CONDITIONS, canon.PRODUCTS,
                          shapes.DIMSHUFFLES_AND_RESHAPES, shapes.SUMS, shapes.SHAPES],
         doc="simplify arithmetic, drop no-ops, lift shapes (see canonicalize_shape)"),
    Pass("stabilize", [fold.FOLDING, stabilize.VALUES, stabilize.GRADIENTS],
         doc="replace overflow-prone expressions by their stable forms"),
    Pass("specialize", [fold.FOLDING, specialize.SPECIAL_CASES],
         doc="special cases that run faster: small powers, BLAS gemm"),
    fusion.PASS,
    Pass("inplace", [inplace.IN_PLACE],
         doc="write results into the buffers of dead intermediate values"),
]

# The passes by name, and their order (tests may add a pass with `register_pass`).
PASSES: dict[str, Pass] = {p.name: p for p in DEFAULT_PIPELINE}
PIPELINE: list[str] = [p.name for p in DEFAULT_PIPELINE]


def register_pass(p: Pass, after: str | None = None) -> Pass:
    """Add a pass to the pipeline (at the end, or right after `after`)."""
    PASSES[p.name] = p
    if p.name in PIPELINE:
        return p
    if after is None:
        PIPELINE.append(p.name)
    else:
        PIPELINE.insert(PIPELINE.index(after) + 1, p.name)
    return p


def register_rewrite(pass_name: str, rewrite: Rewrite) -> Rewrite:
    """Add `rewrite` to the pass `pass_name` (tests register deliberately broken ones)."""
    if pass_name not in PASSES:
        raise ValueError(f"no rewrite pass named {pass_name!r} (passes: {', '.join(PIPELINE)})")
    PASSES[pass_name].add(rewrite)
    return rewrite


def unregister_rewrite(pass_name: str, name: str) -> None:
    """Remove the rewrite `name` from the pass `pass_name`."""
    PASSES[pass_name].remove(name)
