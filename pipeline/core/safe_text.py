"""Text from users' files made safe to show: to a terminal, a platform or an error line.

One place for the rules a security review asked for:

- ``excerpt``: any echoed value is short (a template, a row or a file is never quoted
  whole; ``reprlib`` bounds nested values too).
- ``terminal_safe``: control characters (newline, BEL, ESC, OSC, C1) and direction
  overrides are shown as escapes, so data cannot move the cursor, retitle the window
  or reorder what a user reads.
- ``clean_text``: the same characters dropped from text that goes out (captions,
  titles, the link page), keeping newlines and tabs where a caption may use them.
"""

from __future__ import annotations

import reprlib
import unicodedata

EXCERPT_CHARS = 80
"""Longest excerpt of a user's value echoed in an error line, in characters."""

BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e"
                          "\u2066\u2067\u2068\u2069")
"""Unicode direction marks, embeddings, overrides and isolates (Trojan Source)."""

_REPR = reprlib.Repr()
_REPR.maxstring = EXCERPT_CHARS
_REPR.maxother = EXCERPT_CHARS
_REPR.maxlevel = 3
for _name in ("maxlist", "maxdict", "maxtuple", "maxset"):
    setattr(_REPR, _name, 6)


def _unsafe(ch: str, keep: str) -> bool:
    if ch in keep:
        return False
    return unicodedata.category(ch) == "Cc" or ch in BIDI_CONTROLS or ch in "\u2028\u2029"


def excerpt(value: object, limit: int = EXCERPT_CHARS) -> str:
    """A short, terminal-safe repr of ``value`` for an error line (``reprlib``)."""
    _REPR.maxstring = _REPR.maxother = max(8, limit)
    return terminal_safe(_REPR.repr(value))


def terminal_safe(text: str) -> str:
    """``text`` with control and direction characters shown as escapes (``\\x1b``)."""
    if not any(_unsafe(ch, "") for ch in text):
        return text
    return "".join(ch.encode("unicode_escape").decode("ascii") if _unsafe(ch, "") else ch
                   for ch in text)


def clean_text(text: str, *, keep: str = "") -> str:
    """``text`` without control or direction characters (those in ``keep`` stay)."""
    return "".join(ch for ch in text if not _unsafe(ch, keep))


def shorten(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (an ellipsis marks the cut)."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"
