"""The ``blastscope`` command: parse arguments, run a subcommand, map errors to exit codes.

Each subcommand lives in ``tui/commands/`` as a module with ``register(subparsers)``; this
file only assembles them. Errors a user can act on are printed as one line on stderr (exit 2
for bad usage or input, 3 for a cloud or credential failure, 1 out of memory) — never a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from blastscope.graph.errors import BlastscopeError

COMMAND_MODULES = (
    "blastscope.tui.commands.app",
    "blastscope.tui.commands.collect",
    "blastscope.tui.commands.analyse",
    "blastscope.tui.commands.iam",
    "blastscope.tui.commands.findings",
    "blastscope.tui.commands.auth",
)
"""Subcommand modules, in the order ``--help`` lists them."""


class _Parser(argparse.ArgumentParser):
    """argparse that exits 2 with one line, as every other input error does."""

    def error(self, message: str) -> None:  # type: ignore[override]
        self.exit(2, f"blastscope: {message} (see blastscope --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="blastscope",
        description="Explore what an attacker can reach from an exposed cloud machine.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["demo"])
    try:
        return int(args.handler(args) or 0)
    except BlastscopeError as exc:
        print(f"blastscope: {exc.message}", file=sys.stderr)
        return exc.exit_code
    except MemoryError:
        print(
            "blastscope: out of memory: this estate needs more than this machine has",
            file=sys.stderr,
        )
        return 1
    except KeyboardInterrupt:
        print("blastscope: interrupted; nothing half-written was kept", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0


def _version() -> str:
    from blastscope import __version__

    return __version__
