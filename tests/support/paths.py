"""Where the tests find the checkout's files, whatever folder a test module sits in."""

from __future__ import annotations

from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
"""The checkout's root."""
TESTS = REPO / "tests"
DATA = TESTS / "data"
"""Recorded speech and exports the tests read (see tests/data/README.md)."""
GOLDENS = TESTS / "goldens"
"""Expected argument lists and ASS files; regenerate with ``python -m tests.regen_goldens``."""
MUSIC = REPO / "assets" / "music"
SAMPLES = REPO / "assets" / "samples"
