"""The repository's top-level ``bench`` package, importable from tests without putting the
repo root on sys.path (which would also expose bare ``graph``/``tui`` and load modules twice)."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load_bench() -> None:
    """Import ``bench`` (once) from the repository's folder."""
    if "bench" in sys.modules:
        return
    spec = importlib.util.spec_from_file_location(
        "bench", BENCH / "__init__.py", submodule_search_locations=[str(BENCH)]
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["bench"] = module
    spec.loader.exec_module(module)


def synthetic_generate() -> Callable[..., Any]:
    """``bench.synthetic.generate(size, seed)``: the benchmark's organisation-shaped estate."""
    load_bench()
    from bench.synthetic import generate

    return generate
