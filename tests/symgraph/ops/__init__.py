"""Tests of symgraph/ops/ (a package so its module names cannot clash with others')."""
