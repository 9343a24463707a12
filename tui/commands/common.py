"""Helpers every subcommand shares: loading a snapshot argument, writing output files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from blastscope.graph.model import Snapshot, load_snapshot, write_atomic


def add_snapshot_argument(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("snapshot", type=Path, help="a snapshot file written by `collect`")


def read_snapshot(args: argparse.Namespace) -> Snapshot:
    return load_snapshot(args.snapshot)


def emit(text: str, output: Path | None) -> None:
    """Print ``text``, or write it atomically to ``output`` and say where."""
    if output is None:
        sys.stdout.write(text if text.endswith("\n") else text + "\n")
        return
    write_atomic(output, text.encode("utf-8"))
    print(f"wrote {output}", file=sys.stderr)
