"""Evaluation built for tiny data: metrics with bootstrap intervals (`metrics`), grouped
cross-validation and official splits (`protocols`), and typed results (`results`)."""
