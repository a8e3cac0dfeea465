"""Data shown in Prefect's markdown artifacts as text, never as markup.

SKUs, titles, file names and errors come from users' files: a ``|`` would break the
table, ``![x](http://...)`` would make the UI fetch an image, ``<img>`` or a newline
would rewrite the page. Each value is cleaned of control and direction characters,
kept to one line and a bounded length, and every markdown or HTML special character is
escaped.
"""

from __future__ import annotations

import re

from pipeline.core.safe_text import clean_text

MAX_CELL = 160
"""Longest value shown in an artifact, in characters (the rest is cut with '…')."""
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~&])")


def md_text(value: object, limit: int = MAX_CELL) -> str:
    """``value`` as literal markdown text on one line."""
    text = " ".join(clean_text(str(value)).split())
    if len(text) > limit:
        text = text[: limit - 1] + "\u2026"
    return _SPECIAL.sub(r"\\\1", text)
