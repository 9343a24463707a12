"""Make the repository's top-level ``bench`` package importable (see tests/bench_package.py)."""

from __future__ import annotations

from bench_package import load_bench

load_bench()
