"""Where clipcart keeps state: CLIPCART_HOME (default ~/.clipcart)."""

from __future__ import annotations

import os
from pathlib import Path


def clipcart_home() -> Path:
    """The state directory (publish ledger, transcript cache, Prefect home); created on use."""
    home = Path(os.environ.get("CLIPCART_HOME", "~/.clipcart")).expanduser()
    home.mkdir(parents=True, exist_ok=True)
    return home


def home_subdir(name: str) -> Path:
    """A named folder under CLIPCART_HOME, created on use."""
    path = clipcart_home() / name
    path.mkdir(parents=True, exist_ok=True)
    return path


PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The checkout clipcart runs from (installed editable): it holds assets/ and templates/."""
ASSETS_DIR = PROJECT_ROOT / "assets"
"""Bundled music beds (``music/``) and demo samples (``samples/``)."""
TEMPLATES_DIR = PROJECT_ROOT / "templates"
"""Bundled brand templates, one YAML file each."""
