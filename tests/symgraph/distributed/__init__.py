"""Tests of symgraph.distributed (MPI jobs through tests/mpi_helpers.py)."""
