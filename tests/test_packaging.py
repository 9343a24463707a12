"""Packaging: every folder that is a package is listed, and the layers keep their direction."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _config() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_package_folder_is_listed() -> None:
    cfg = _config()
    listed = set(cfg["packages"])
    found = set()
    for name, folder in cfg["package-dir"].items():
        base = ROOT / folder
        for init in base.rglob("__init__.py"):
            rel = init.parent.relative_to(base)
            if name != "blastscope" and "_root" in rel.parts:
                continue
            found.add(".".join([name, *rel.parts]) if rel.parts else name)
    assert found == listed


def test_graph_does_not_import_textual_or_sdks() -> None:
    code = (
        "import sys, blastscope.graph.model, blastscope.graph.build;"
        "bad = [m for m in ('textual', 'boto3', 'azure', 'google.cloud') if m in sys.modules];"
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_import_contracts_hold(tmp_path: Path) -> None:
    # import-linter cannot see through the editable install's package-dir mapping, so it
    # reads a tree of links laid out the way the wheel installs the folders.
    pkg = tmp_path / "blastscope"
    pkg.mkdir()
    (pkg / "__init__.py").symlink_to(ROOT / "tui" / "_root" / "__init__.py")
    for folder in ("tui", "providers", "graph"):
        (pkg / folder).symlink_to(ROOT / folder)
    out = subprocess.run(
        [
            str(Path(sys.executable).with_name("lint-imports")),
            "--config",
            str(ROOT / "pyproject.toml"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tmp_path)},
    )
    assert out.returncode == 0, out.stdout + out.stderr
