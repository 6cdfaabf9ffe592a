"""Benchmarks behind BENCHMARKS.md (not installed with the package; run from the repository
root: `python -m benchmarks.run`, `python -m benchmarks.pipeline_speed MODEL_DIR`)."""
