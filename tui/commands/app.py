"""``blastscope demo`` and ``blastscope open SNAP``: the interactive app."""

from __future__ import annotations

import argparse
from pathlib import Path

from blastscope.graph.model import Snapshot, load_snapshot


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    demo = sub.add_parser("demo", help="open the app on the built-in demo estate")
    demo.set_defaults(handler=lambda args: open_app(None))
    opener = sub.add_parser("open", help="open the app on a saved snapshot")
    opener.add_argument("snapshot", type=Path, help="a snapshot file written by `collect`")
    opener.set_defaults(handler=lambda args: open_app(load_snapshot(args.snapshot)))


def open_app(snapshot: Snapshot | None) -> int:
    """Run the TUI on ``snapshot`` (the demo estate when None)."""
    from blastscope.tui.app import BlastscopeApp

    BlastscopeApp(snapshot=snapshot).run()
    return 0
