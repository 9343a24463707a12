"""Benchmarks and synthetic estates: `python -m bench` from the repository root."""
