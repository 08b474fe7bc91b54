"""Experiments made of many runs: sweeps (:mod:`students.experiments.sweep`: a grid of teachers ×
envs × seeds on a local pool or Ray) and their reports (:mod:`students.experiments.report`:
TeachMyAgent's protocol, Welch's t-test, curves)."""
