"""Benchmarks (not tests); results are recorded in BENCHMARKS.md."""
