"""Rewrite passes, run in order: merge -> constant folding -> canonicalize -> stabilize ->
specialize -> fusion. `rewrite_graph` is what `function()` calls."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..fgraph import FunctionGraph
from .constant_fold import constant_fold
from .driver import Pass, Rewrite, RewriteLog, RewriteRecord, expr_str, run_to_fixpoint
from .merge import merge
from .pattern import P, fit_to, rule

# Registered passes, in pipeline order. Later modules append with `register_pass`.
PASSES: dict[str, Pass] = {}
PIPELINE: list[str] = []

MODES: dict[str, list[str] | None] = {
    "fast_run": None,  # every registered pass, in order
    "fast_compile": ["merge", "constant_fold"],
    "none": [],
}


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


register_pass(merge)
register_pass(constant_fold)


def all_rewrite_names() -> set[str]:
    names: set[str] = set()
    for p in PASSES.values():
        names.update(p.rewrite_names())
        names.add(p.name)
    names.update({"merge_constants"})
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
                  log: RewriteLog | None = None, after_pass=None) -> RewriteLog:
    """Run the selected passes over `fgraph` in pipeline order; returns the log."""
    log = RewriteLog() if log is None else log
    exclude, include = set(exclude), set(include)
    known = all_rewrite_names()
    for name in exclude | include:
        if name not in known:
            raise ValueError(f"no rewrite or pass named {name!r} (known: "
                             f"{', '.join(sorted(known))})")
    names = resolve(rewrites)
    for n in PIPELINE:
        if n in include and n not in names:
            names.append(n)
    names = [n for n in PIPELINE if n in names and n not in exclude]
    for name in names:
        PASSES[name].run(fgraph, log, exclude)
        if after_pass is not None:
            after_pass(name, fgraph, log)
    return log


__all__ = ["P", "PASSES", "PIPELINE", "Pass", "Rewrite", "RewriteLog", "RewriteRecord",
           "expr_str", "fit_to", "register_pass", "resolve", "rewrite_graph", "rule",
           "run_to_fixpoint"]
