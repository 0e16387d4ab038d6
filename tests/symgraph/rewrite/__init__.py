"""Tests of symgraph/rewrite/ (a package so its module names cannot clash with others')."""
