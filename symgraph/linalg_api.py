"""`sg.linalg`: matrix functions via SciPy, plus the products."""

from .ops.linalg import det, dot, inv, matmul, outer, solve, tensordot

__all__ = ["det", "dot", "inv", "matmul", "outer", "solve", "tensordot"]
