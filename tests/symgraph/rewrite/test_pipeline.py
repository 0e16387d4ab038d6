"""rewrite/pipeline.py: the passes run in the order it lists, each made of exactly the
groups it names (nothing is added to a pass when a module is imported)."""

from symgraph.rewrite import (
    PASSES,
    PIPELINE,
    canonicalize,
    canonicalize_shape,
    constant_fold,
    inplace,
    specialize,
    stabilize,
)
from symgraph.rewrite.pipeline import DEFAULT_PIPELINE


def test_the_passes_in_order():
    assert [p.name for p in DEFAULT_PIPELINE] == ["merge", "constant_fold", "canonicalize",
                                                   "stabilize", "specialize", "fusion",
                                                   "inplace"]
    assert PIPELINE[:7] == [p.name for p in DEFAULT_PIPELINE]


def test_each_pass_is_exactly_its_listed_groups():
    fold = constant_fold.FOLDING
    expected = {
        "constant_fold": fold,
        "canonicalize": fold + canonicalize.IDENTITIES + canonicalize.ZEROS +
        canonicalize.CASTS + canonicalize.CONDITIONS + canonicalize.PRODUCTS +
        canonicalize_shape.DIMSHUFFLES_AND_RESHAPES + canonicalize_shape.SUMS +
        canonicalize_shape.SHAPES,
        "stabilize": fold + stabilize.VALUES + stabilize.GRADIENTS,
        "specialize": fold + specialize.SPECIAL_CASES,
        "inplace": inplace.IN_PLACE,
    }
    for name, rewrites in expected.items():
        assert [r.name for r in PASSES[name].rewrites] == [r.name for r in rewrites], name
    assert PASSES["merge"].transform is not None and PASSES["fusion"].transform is not None
