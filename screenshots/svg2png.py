"""Convert Textual SVG screenshots to PNG with a monospace font that is installed.

Textual's SVGs ask for Fira Code (loaded from the web in a browser); cairosvg renders offline,
so every font-family becomes DejaVu Sans Mono first, or columns drift.

Usage: python screenshots/svg2png.py FILE.svg [...]   (writes FILE.png beside each)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

FONT = "DejaVu Sans Mono"


def svg_to_png(svg: Path, png: Path | None = None) -> Path:
    """Write ``png`` (default: beside ``svg``) and return its path."""
    import cairosvg

    text = svg.read_text(encoding="utf-8")
    text = re.sub(r"font-family:[^;\"]*(\"[^\"]*\")?[^;]*;", f'font-family: "{FONT}";', text)
    target = png or svg.with_suffix(".png")
    cairosvg.svg2png(bytestring=text.encode("utf-8"), write_to=str(target))
    return target


if __name__ == "__main__":
    for name in sys.argv[1:]:
        print(svg_to_png(Path(name)))
