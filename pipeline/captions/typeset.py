"""Setting text of any script with Pillow: font runs, glyph fallback, wrapping, ellipsis.

Latin text uses a Lato face; CJK (and anything Lato lacks but Noto CJK has, such
as Greek or Cyrillic) uses Noto Sans CJK. Characters neither font has (most emoji)
are dropped rather than drawn as boxes.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from PIL import ImageDraw, ImageFont

from pipeline.captions import fonts
from pipeline.core.scripts import is_east_asian, word_gap

FreeType = ImageFont.FreeTypeFont
ELLIPSIS = "\u2026"
_PROBE_SIZE = 32
_MISSING = "\U0010fffd"
"""A private-use code point no font maps: renders as the font's .notdef box."""


@dataclass(frozen=True)
class Run:
    """A stretch of text drawn with one font."""

    text: str
    font: FreeType


@cache
def load_font(path: str, index: int, size: int) -> FreeType:
    """A Pillow font, cached by file, face index and pixel size."""
    return ImageFont.truetype(path, size=size, index=index)


@cache
def has_glyph(path: str, index: int, ch: str) -> bool:
    """True when the font draws ``ch`` with its own glyph rather than .notdef."""
    if ch == " ":
        return True
    font = load_font(path, index, _PROBE_SIZE)
    mask, notdef = font.getmask(ch), font.getmask(_MISSING)
    return mask.size != notdef.size or bytes(mask) != bytes(notdef)


class Typesetter:
    """Measures, wraps and draws mixed-script text at one size."""

    def __init__(self, latin_path: Path | str, size: int, cjk_face: int | None = None) -> None:
        """``cjk_face``: face of the Noto CJK collection for Han text (the language's
        glyph forms: 0 JP, 1 KR, 2 SC, 3 TC); None for Simplified Chinese."""
        self.size = size
        self.latin = (str(latin_path), 0)
        cjk_path, cjk_index = fonts.font_for("cjk")
        self.cjk = (str(cjk_path), cjk_index if cjk_face is None else cjk_face)

    def _face(self, ch: str) -> tuple[str, int] | None:
        """Which font draws ``ch`` (None: no font has it, or it only styles an emoji)."""
        if is_invisible(ch):
            return None
        order = (self.cjk, self.latin) if is_east_asian(ch) else (self.latin, self.cjk)
        for face in order:
            if has_glyph(face[0], face[1], ch):
                return face
        return None

    def visible(self, text: str) -> str:
        """``text`` without characters no font has, whitespace collapsed."""
        kept = "".join(ch for ch in " ".join(text.split()) if self._face(ch))
        return " ".join(kept.split())

    def runs(self, text: str) -> list[Run]:
        """``text`` split into runs of one font each; missing glyphs dropped."""
        runs: list[Run] = []
        current: tuple[str, int] | None = None
        buf = ""
        for ch in text:
            face = self._face(ch)
            if face is None:
                continue
            if face != current and buf and current:
                runs.append(Run(buf, load_font(*current, self.size)))
                buf = ""
            current, buf = face, buf + ch
        if buf and current:
            runs.append(Run(buf, load_font(*current, self.size)))
        return runs

    def width(self, text: str) -> float:
        """Advance width of ``text`` in pixels."""
        return sum(run.font.getlength(run.text) for run in self.runs(text))

    def draw(self, draw: ImageDraw.ImageDraw, x: float, baseline: float, text: str,
             fill: tuple[int, int, int, int]) -> float:
        """Draw ``text`` with its left baseline at (x, baseline); returns the end x."""
        for run in self.runs(text):
            draw.text((x, baseline), run.text, font=run.font, fill=fill, anchor="ls")
            x += run.font.getlength(run.text)
        return x

    def ellipsize(self, text: str, max_width: float, *, force: bool = False) -> str:
        """``text`` cut with '…' to fit ``max_width`` (always marked when ``force``)."""
        if not force and self.width(text) <= max_width:
            return text
        text = text[:self._longest_fitting(text, max_width)]
        head, space, _ = text.rstrip().rpartition(" ")
        if space and self.width(head) >= max_width * 0.4:
            text = head  # end on a whole word when that wastes little room
        return text.rstrip() + ELLIPSIS

    def _longest_fitting(self, text: str, max_width: float) -> int:
        """Most leading characters of ``text`` that fit with '…' (binary search: the
        width only grows with length, so O(log n) measurements, not n)."""
        low, high = 0, len(text)
        while low < high:
            mid = (low + high + 1) // 2
            if self.width(text[:mid].rstrip() + ELLIPSIS) <= max_width:
                low = mid
            else:
                high = mid - 1
        return low

    def wrap(self, text: str, max_width: float, max_lines: int = 2) -> list[str]:
        """Greedy word wrap (CJK breaks between characters), ellipsised past ``max_lines``."""
        lines: list[str] = []
        line = ""
        # past a few lines' worth nothing is drawn: cap the work whatever the input
        for token in tokens(self.visible(text[:MAX_WRAP_CHARS])):
            if not line or self.width((line + token).rstrip()) <= max_width:
                line += token
            else:
                lines.append(line.rstrip())
                line = token
        if line.strip():
            lines.append(line.rstrip())
        if len(lines) > max_lines:
            rest = lines[max_lines - 1]
            for piece in lines[max_lines:]:
                rest += word_gap(rest, piece) + piece
            lines = [*lines[:max_lines - 1], self.ellipsize(rest, max_width, force=True)]
        return [self.ellipsize(entry, max_width) for entry in lines]


MAX_WRAP_CHARS = 2000
"""Characters of a text considered by ``wrap``; a card shows a few lines of ~30."""


def is_invisible(ch: str) -> bool:
    """Format characters and variation selectors: they only steer emoji we cannot draw."""
    code = ord(ch)
    return (unicodedata.category(ch) == "Cf" or 0xFE00 <= code <= 0xFE0F
            or 0xE0100 <= code <= 0xE01EF)


GROUP_MAX_CHARS = 16
"""A bracketed group up to this long is kept on one line: "(Forest 24 oz)" moves down
whole instead of breaking as "(Forest" | "24 oz)"."""


def tokens(text: str) -> list[str]:
    """Break opportunities: each CJK character alone, other words with their trailing
    space, a short bracketed group as one."""
    return _keep_groups(_break_points(text))


def _keep_groups(parts: list[str]) -> list[str]:
    """Join the tokens of each short "(...)" or "[...]" group into one token."""
    out: list[str] = []
    group: list[str] = []
    for part in parts:
        if not group and part.startswith(("(", "[")) and not part.rstrip().endswith((")", "]")):
            group = [part]
            continue
        if group:
            group.append(part)
            if part.rstrip().endswith((")", "]")) or len("".join(group)) > GROUP_MAX_CHARS:
                whole = "".join(group)
                out += [whole] if len(whole.rstrip()) <= GROUP_MAX_CHARS else group
                group = []
            continue
        out.append(part)
    return out + group


def _break_points(text: str) -> list[str]:
    out: list[str] = []
    buf = ""
    for ch in text:
        if is_east_asian(ch):
            if buf:
                out.append(buf)
            out.append(ch)
            buf = ""
        elif ch == " ":
            out.append(buf + ch)
            buf = ""
        else:
            buf += ch
    if buf:
        out.append(buf)
    return out
