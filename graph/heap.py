"""Pausing Python's cyclic garbage collector around bulk allocation.

Loading a snapshot or deriving edges allocates millions of small acyclic objects (dicts,
lists, dataclasses). Each allocation burst triggers collections, and a full collection walks
the whole heap, so their cost grows with the heap: at a million nodes the cyclic GC was two
thirds of ``orjson.loads`` (23.5 s against 7.3 s paused), and 40 % of the IAM analysis.
Nothing collectable is made there, so the collector is paused and left to run afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

FREEZE_AT = 50_000
"""Objects made in a paused block that outlives it (a loaded snapshot, a built graph) are
frozen out of the collector from this many nodes: its next full pass would otherwise walk
them all (seen as a 5 s pause after loading a million nodes, and as a 1.5 s "first blast
radius" at 100k). Frozen objects are still freed by reference counting."""


@contextmanager
def gc_paused(*, freeze: bool = False) -> Iterator[None]:
    """Disable the cyclic GC for the block (nested use is fine); re-enable it after.
    ``freeze``: move everything alive at the end to the permanent generation first."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
        if freeze:
            gc.freeze()
    finally:
        if was_enabled:
            gc.enable()
