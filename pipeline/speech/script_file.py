"""Reading a caption script: the words a creator meant to say, as plain text or SRT.

``read_script`` returns the script's text (an SRT's cue texts, one per line, its times
and numbers dropped: the times come from the speech, see pipeline/speech/script_align.py).
Every way a script file can be wrong raises ``ScriptError`` naming the file.
"""

from __future__ import annotations

import re
from pathlib import Path

from pipeline.core.errors import ScriptError

MAX_SCRIPT_BYTES = 1_000_000
"""A script longer than this is not the script of one piece of footage (bytes)."""
SCRIPT_SUFFIXES = (".txt", ".srt")
_SRT_TIME = re.compile(r"^\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}\s*-->\s*\d{1,2}:\d{2}:\d{2}[,.]\d{1,3}")
_MARKUP = re.compile(r"<[^>]{0,80}>|\{\\[^}]{0,80}\}")
"""SRT styling: <i>, </font>, {\\an8}."""
_HINT = "Give a UTF-8 text file (.txt) or subtitle file (.srt) holding what is said"


def read_script(path: Path) -> str:
    """The script's words as text (SRT cues one per line); raises ``ScriptError``."""
    path = Path(path)
    text = _decoded(path, _bytes_of(path))
    if path.suffix.lower() == ".srt":
        text = srt_text(text, path)
    if not any(ch.isalnum() for ch in text):
        raise ScriptError(f"script {path}: has no words", hint=_HINT)
    return text.strip()


def script_beside(footage: Path) -> Path | None:
    """``<footage name>.txt`` or ``.srt`` next to the footage (the watch inbox's rule)."""
    for suffix in SCRIPT_SUFFIXES:
        candidate = footage.with_suffix(suffix)
        if candidate.is_file():
            return candidate
    return None


def _bytes_of(path: Path) -> bytes:
    if not path.exists():
        raise ScriptError(f"script {path}: file not found", hint="Check the path")
    if not path.is_file():
        raise ScriptError(f"script {path}: not a file", hint=_HINT)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_SCRIPT_BYTES + 1)
    except OSError as exc:
        raise ScriptError(f"script {path}: cannot be read ({exc.strerror or exc})",
                          hint="Check the file's permissions") from None
    if len(data) > MAX_SCRIPT_BYTES:
        raise ScriptError(f"script {path}: larger than {MAX_SCRIPT_BYTES // 1_000_000} MB",
                          hint="Give only the words said in this footage")
    if not data.strip():
        raise ScriptError(f"script {path}: file is empty", hint=_HINT)
    return data


def _decoded(path: Path, data: bytes) -> str:
    """UTF-8 (a BOM is fine); anything else, or control bytes, is not a script."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ScriptError(f"script {path}: not UTF-8 text (a binary file or another encoding)",
                          hint=_HINT) from None
    if any(ch < " " and ch not in "\t\n\r\f" for ch in text):
        raise ScriptError(f"script {path}: holds control characters, not text", hint=_HINT)
    return text


def srt_text(text: str, path: Path) -> str:
    """The cue texts of an SRT file, one line per cue line; ``ScriptError`` when a block
    has no valid time line."""
    lines_out: list[str] = []
    blocks = [b for b in re.split(r"\n\s*\n", text.replace("\r\n", "\n").strip()) if b.strip()]
    for number, block in enumerate(blocks, start=1):
        lines = [line.strip() for line in block.split("\n")]
        if lines and lines[0].isdigit():
            lines = lines[1:]
        if not lines or not _SRT_TIME.match(lines[0]):
            raise ScriptError(f"script {path}: not valid SRT (block {number} has no "
                              "'00:00:01,000 --> 00:00:02,500' time line)",
                              hint="Fix the subtitle file, or save the words as a .txt file")
        lines_out += [_MARKUP.sub("", line) for line in lines[1:] if line]
    return "\n".join(lines_out)
