"""``blastscope collect CLOUD``: read a live estate (read-only) into a snapshot file."""

from __future__ import annotations

import argparse
import sys
import threading
from collections import Counter
from pathlib import Path

from blastscope.graph.errors import InputError
from blastscope.graph.model import Snapshot, save_snapshot
from blastscope.providers import get_provider
from blastscope.providers.base import CollectionAborted, ProgressEvent, Scope

EXIT_INCOMPLETE = 4
"""Collection finished but some slices were not read (denied, throttled, timed out): the
snapshot is saved with its warnings, and scripts can tell it from a complete one."""
EXIT_STATUS_HELP = (
    "exit status: 0 complete; 4 saved but incomplete (see the warnings); 2 bad input; "
    "3 credentials or cloud failure (what was read is kept as a partial snapshot)"
)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    collect = sub.add_parser("collect", help="collect a live estate into a snapshot file")
    clouds = collect.add_subparsers(dest="cloud", metavar="CLOUD", required=True)
    for cloud, help_text in (
        ("aws", "an AWS account (standard credential chain, or --profile)"),
        ("azure", "an Azure subscription (DefaultAzureCredential)"),
        ("gcp", "a GCP project (google.auth.default)"),
    ):
        p = clouds.add_parser(cloud, help=help_text, epilog=EXIT_STATUS_HELP)
        if cloud == "aws":
            p.add_argument(
                "--profile", help="AWS named profile (default: AWS_PROFILE or the chain)"
            )
            p.add_argument(
                "--regions",
                help="comma-separated regions, or 'all' for every enabled region "
                "(default: the profile's region)",
            )
        if cloud == "azure":
            p.add_argument("--subscription", help="subscription id (default: all visible)")
        if cloud == "gcp":
            p.add_argument(
                "--project", help="project id (default: every project the credential can see)"
            )
        if cloud in ("azure", "gcp"):
            p.add_argument("--endpoint", help="API endpoint (sovereign cloud or test server)")
        p.add_argument("--connection", help="a saved connection (see `blastscope auth`)")
        p.add_argument("-o", "--output", type=Path, required=True, help="snapshot file to write")
        p.add_argument("-q", "--quiet", action="store_true", help="no progress lines")
        p.add_argument("--open", action="store_true", help="open the TUI on the result")
        p.set_defaults(handler=run)


def scope_from_args(args: argparse.Namespace) -> Scope:
    regions = None
    if getattr(args, "regions", None):
        regions = tuple(r.strip() for r in args.regions.split(",") if r.strip())
        if not regions:
            raise InputError("--regions: give region names separated by commas, or 'all'")
    return Scope(
        profile=getattr(args, "profile", None),
        regions=regions,
        subscription=getattr(args, "subscription", None),
        project=getattr(args, "project", None),
        endpoint=getattr(args, "endpoint", None),
        connection=getattr(args, "connection", None),
    )


def run(args: argparse.Namespace) -> int:
    scope = scope_from_args(args)
    provider = get_provider(args.cloud)
    progress = None if args.quiet else _print_progress
    cancel = threading.Event()
    try:
        snapshot = provider.collect(scope, progress, cancel=cancel)
    except CollectionAborted as exc:
        save_snapshot(exc.snapshot, args.output)
        _summary(exc.snapshot, args.output)
        print(f"blastscope: {exc.message} (partial snapshot kept)", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        cancel.set()
        raise
    save_snapshot(snapshot, args.output)
    _summary(snapshot, args.output)
    status = EXIT_INCOMPLETE if snapshot.warnings else 0
    if args.open:
        from blastscope.tui.commands.app import open_app

        open_app(snapshot)
    return status


def _print_progress(event: ProgressEvent) -> None:
    where = event.region or "global"
    tail = f" — {event.message}" if event.message else ""
    print(
        f"[{event.done:>3}/{event.total}] {event.service:<16} {where:<16} {event.status}{tail}",
        file=sys.stderr,
        flush=True,
    )


def _summary(snapshot: Snapshot, output: Path) -> None:
    counts = Counter(str(n.kind) for n in snapshot.nodes if n.kind != "internet")
    parts = ", ".join(f"{n} {k}" for k, n in sorted(counts.items())) or "nothing"
    state = "partial snapshot" if snapshot.partial else "snapshot"
    print(f"wrote {state} {output}: {parts}", file=sys.stderr)
    if snapshot.warnings:
        print(f"{len(snapshot.warnings)} warning(s) — not read:", file=sys.stderr)
        for w in snapshot.warnings:
            print(f"  {w.service} {w.region or 'global'}: {w.error}: {w.message}", file=sys.stderr)
