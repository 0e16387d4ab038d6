"""Rewrite passes, run in the order `pipeline.py` lists them: merge -> constant folding ->
canonicalize -> stabilize -> specialize -> fusion -> inplace. `rewrite_graph` is what
`function()` calls.

`function(rewrites=...)` picks the passes: 'fast_run' (all), 'fast_compile' (merge and
constant folding), 'none', or a list of pass names. `include=` / `exclude=` name passes or
single rewrites; naming one that does not exist is an error. A rewrite named in `include=`
whose pass is not selected runs alone in that pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from ..fgraph import FunctionGraph
from .driver import (
    Pass,
    Rewrite,
    RewriteLog,
    RewriteRecord,
    Selection,
    expr_str,
    run_to_fixpoint,
)
from .pattern import P, fit_to, rule
from .pipeline import PASSES, PIPELINE, register_pass, register_rewrite, unregister_rewrite

MODES: dict[str, list[str] | None] = {
    "fast_run": None,  # every registered pass, in order
    "fast_compile": ["merge", "constant_fold"],
    "none": [],
}

AfterPass = Callable[[str, FunctionGraph, RewriteLog], None]


def all_rewrite_names() -> set[str]:
    """Every pass and rewrite name `include=` / `exclude=` accept."""
    names: set[str] = {"merge"}  # merging also happens inside every fixpoint pass
    for p in PASSES.values():
        names.update(p.rewrite_names())
        names.add(p.name)
    names.add("merge_constants")
    return names


def resolve(rewrites: str | Sequence[str] = "fast_run") -> list[str]:
    """Pass names a `rewrites=` argument selects."""
    if isinstance(rewrites, str):
        if rewrites not in MODES:
            raise ValueError(f"rewrites={rewrites!r}: expected one of {sorted(MODES)} or a "
                             f"list of pass names ({', '.join(PIPELINE)})")
        chosen = MODES[rewrites]
        return list(PIPELINE) if chosen is None else [n for n in PIPELINE if n in chosen]
    names = list(rewrites)
    unknown = [n for n in names if n not in PASSES]
    if unknown:
        raise ValueError(f"unknown rewrite pass(es) {unknown}; passes: {', '.join(PIPELINE)}")
    return [n for n in PIPELINE if n in names]


def rewrite_graph(fgraph: FunctionGraph, rewrites: str | Sequence[str] = "fast_run",
                  include: Iterable[str] = (), exclude: Iterable[str] = (),
                  log: RewriteLog | None = None, after_pass: AfterPass | None = None,
                  after_rewrite: Callable | None = None,
                  only: Iterable[str] | None = None) -> RewriteLog:
    """Run the selected passes over `fgraph` in pipeline order; returns the log.

    `after_pass(name, fgraph, log)` runs after each pass and `after_rewrite(pass, record,
    fgraph)` after each applied rewrite (check mode uses both). `only` switches on exactly
    the named rewrites in the selected passes (check mode's replay).
    """
    log = RewriteLog() if log is None else log
    exclude, include = frozenset(exclude), frozenset(include)
    known = all_rewrite_names()
    for name in sorted(exclude | include):
        if name not in known:
            raise ValueError(f"no rewrite or pass named {name!r} (known: "
                             f"{', '.join(sorted(known))})")
    base = Selection(exclude, include, None if only is None else frozenset(only))
    selected = resolve(rewrites)
    plan: list[tuple[str, Selection]] = []
    for name in PIPELINE:
        p = PASSES[name]
        if name in exclude:
            continue
        if name in selected or name in include:
            plan.append((name, base))
        elif only is None:
            wanted = include & set(p.rewrite_names())
            if wanted:  # a rewrite included on its own, in a pass not otherwise selected
                plan.append((name, Selection(only=frozenset(wanted - exclude))))
    for name, select in plan:
        PASSES[name].run(fgraph, log, select, after_rewrite)
        if after_pass is not None:
            after_pass(name, fgraph, log)
    return log


__all__ = ["P", "PASSES", "PIPELINE", "Pass", "Rewrite", "RewriteLog", "RewriteRecord",
           "Selection", "expr_str", "fit_to", "register_pass", "register_rewrite",
           "resolve", "rewrite_graph", "rule", "run_to_fixpoint", "unregister_rewrite"]
