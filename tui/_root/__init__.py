"""blastscope: what an attacker can reach from an exposed cloud machine.

The package's parts live in the repository's top-level folders, installed as
``blastscope.tui``, ``blastscope.providers`` and ``blastscope.graph``.
"""

__version__ = "0.1.0"
