"""Subcommands of the ``blastscope`` CLI, one module each with ``register(subparsers)``."""
