"""Tools that measure the package, kept out of its import path (nothing in ``infogan_tf`` imports them).

Run from the repository root: ``python -m benchmarks.benchmark --architecture=mnist``.
"""
