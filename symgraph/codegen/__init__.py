"""Code generation: the NumPy backend (one readable Python function per graph,
numpy_backend.py; fused NumPy kernels, kernels.py) and the C backend (the same function
calling the kernels of one compiled extension module, c_backend.py, c_reduce.py,
c_random.py, c_siblings.py, cbuild.py)."""
