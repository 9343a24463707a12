"""The terminal face of blastscope: the CLI entry point and the Textual app."""
