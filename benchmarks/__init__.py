"""Benchmark runners (the committed figures are in ``benchmarks/results/``)."""
