"""Code generation: the NumPy backend (one readable Python function per graph)."""
