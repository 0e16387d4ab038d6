"""Tests of keras_front.distributed (MPI jobs through tests/mpi_helpers.py)."""
