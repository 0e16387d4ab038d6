"""Benchmarks: `python -m bench.<name>` prints a table (speed lives here, not in tests)."""
