"""``python -m blastscope`` is the ``blastscope`` command."""

from blastscope.tui.cli import main

raise SystemExit(main())
