"""Caption cues from timed words, and the ASS, SRT and VTT files made from them.

Cues break at sentence punctuation, at pauses and at scene cuts; each holds at
most two lines whose length depends on the script (Latin by characters with
spaces, CJK by characters with no spaces). The ASS file highlights each word at
its spoken time and draws product keywords in the brand colour; SRT and VTT
carry exactly the same cues and text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pipeline.fonts import CJK_FAMILY, is_cjk_char, script_of
from pipeline.models import CaptionCue, CaptionStyle, CaptionWord, Transcript, Window, Word

PAUSE_BREAK_MS = 600
"""A silence at least this long ends a cue."""
MAX_CUE_MS = 4000
MIN_CUE_MS = 400
SENTENCE_END = re.compile("[.!?\u3002\uff01\uff1f\u2026]$")
CLAUSE_END = re.compile("[,;:\uff0c\uff1b\uff1a\u3001]$")
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\ufe0f\u200d]")


def clip_words(transcript: Transcript, window: Window) -> tuple[Word, ...]:
    """Words inside the window, shifted to the clip timeline and clipped to it."""
    out = []
    for w in transcript.words:
        if w.end_ms <= window.start_ms or w.start_ms >= window.end_ms:
            continue
        start = max(w.start_ms, window.start_ms) - window.start_ms
        end = min(w.end_ms, window.end_ms) - window.start_ms
        out.append(w.model_copy(update={"start_ms": start, "end_ms": max(end, start + 1)}))
    return tuple(out)


def strip_unsupported(text: str) -> str:
    """Remove emoji, which no bundled font draws (they would be boxes)."""
    return _EMOJI.sub("", text).strip()


def build_cues(words: Sequence[Word], style: CaptionStyle, *, keywords: Iterable[str] = (),
               cuts_ms: Sequence[int] = ()) -> tuple[CaptionCue, ...]:
    """Group clip-timeline words into cues of at most two lines."""
    keys = {k.casefold() for kw in keywords for k in _key_tokens(kw)}
    groups = _group(words, style, cuts_ms)
    return tuple(_cue(group, style, keys) for group in groups if group)


def _key_tokens(keyword: str) -> list[str]:
    return [t for t in re.split(r"[\s\-_/]+", keyword) if len(t) > 2 or any(map(is_cjk_char, t))]


def _bare(text: str) -> str:
    return re.sub(r"[^\w]", "", text, flags=re.UNICODE).casefold()


def _limit(text: str, style: CaptionStyle) -> int:
    return style.max_chars_cjk if script_of(text) == "cjk" else style.max_chars_latin


def _group(words: Sequence[Word], style: CaptionStyle, cuts: Sequence[int]) -> list[list[Word]]:
    groups: list[list[Word]] = [[]]
    for word in words:
        current = groups[-1]
        if current and _breaks_before(current, word, style, cuts):
            groups.append([])
        groups[-1].append(word)
    return groups


def _breaks_before(current: list[Word], word: Word, style: CaptionStyle,
                   cuts: Sequence[int]) -> bool:
    last = current[-1]
    if SENTENCE_END.search(last.text) or word.start_ms - last.end_ms >= PAUSE_BREAK_MS:
        return True
    if _shot(last, cuts) != _shot(word, cuts):
        return True
    if word.end_ms - current[0].start_ms > MAX_CUE_MS:
        return True
    chars = _joined_len([*current, word])
    limit = _limit(word.text, style)
    if chars > 2 * limit:
        return True
    return bool(CLAUSE_END.search(last.text) and chars > limit)


def _shot(word: Word, cuts: Sequence[int]) -> int:
    """Which shot a word belongs to: the number of cuts before its midpoint."""
    middle = (word.start_ms + word.end_ms) / 2
    return sum(1 for cut in cuts if cut <= middle)


def _joined_len(words: Sequence[Word]) -> int:
    text = "".join(w.text for w in words)
    if script_of(text) == "cjk":
        return len(text)
    return len(" ".join(w.text for w in words))


def _cue(group: list[Word], style: CaptionStyle, keys: set[str]) -> CaptionCue:
    cws = [CaptionWord(text=w.text, start_ms=w.start_ms, end_ms=w.end_ms,
                       keyword=_bare(w.text) in keys) for w in group]
    end = max(group[-1].end_ms, group[0].start_ms + MIN_CUE_MS)
    return CaptionCue(start_ms=group[0].start_ms, end_ms=end, lines=_split_lines(cws, style))


def _split_lines(words: list[CaptionWord], style: CaptionStyle
                 ) -> tuple[tuple[CaptionWord, ...], ...]:
    """One line if it fits, else two lines as balanced as the words allow."""
    text = "".join(w.text for w in words)
    limit = _limit(text, style)
    total = _joined_len([_as_word(w) for w in words])
    if total <= limit or len(words) < 2:
        return (tuple(words),)
    best, best_cost = 1, float("inf")
    for i in range(1, len(words)):
        a = _joined_len([_as_word(w) for w in words[:i]])
        b = _joined_len([_as_word(w) for w in words[i:]])
        cost = abs(a - b) + (1000 if max(a, b) > limit else 0)
        if cost < best_cost:
            best, best_cost = i, cost
    return (tuple(words[:best]), tuple(words[best:]))


def _as_word(w: CaptionWord) -> Word:
    return Word(text=w.text, start_ms=w.start_ms, end_ms=w.end_ms)


def end_cues_before(cues: Sequence[CaptionCue], next_starts: bool = True
                    ) -> tuple[CaptionCue, ...]:
    """Make cues never overlap: each ends no later than the next one starts."""
    out = list(cues)
    if next_starts:
        for i in range(len(out) - 1):
            if out[i].end_ms > out[i + 1].start_ms:
                out[i] = out[i].model_copy(update={"end_ms": out[i + 1].start_ms})
    return tuple(out)


# --- ASS ---------------------------------------------------------------------

def ass_colour(hex_rgb: str, alpha: int = 0) -> str:
    """#RRGGBB → ASS &HAABBGGRR."""
    r, g, b = hex_rgb[1:3], hex_rgb[3:5], hex_rgb[5:7]
    return f"&H{alpha:02X}{b}{g}{r}".upper()


def ass_time(ms: int) -> str:
    """ASS time h:mm:ss.cc (centiseconds)."""
    cs = round(ms / 10)
    return f"{cs // 360000}:{cs // 6000 % 60:02d}:{cs // 100 % 60:02d}.{cs % 100:02d}"


def _ass_text(text: str, upper: bool) -> str:
    text = text.upper() if upper else text
    return text.replace("\\", "\\\\").replace("{", "(").replace("}", ")")


def ass_header(style: CaptionStyle, width: int, height: int) -> str:
    """Script info and two styles: Latin display font and the CJK fallback."""
    colours = (f"{ass_colour(style.primary)},{ass_colour(style.highlight)},"
               f"{ass_colour(style.outline_colour)},{ass_colour('#000000', 0x80)}")
    fields = (f"{colours},-1,0,0,0,100,100,0,0,1,{style.outline},{style.shadow},2,"
              f"120,{width - 888},{style.margin_v},1")
    return "\n".join([
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {width}", f"PlayResY: {height}",
        "WrapStyle: 2", "ScaledBorderAndShadow: yes", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, "
        "BackColour, Bold, Italic, Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, "
        "BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding",
        f"Style: Caption,{style.font},{style.size},{fields}",
        f"Style: CaptionCJK,{CJK_FAMILY},{style.size},{fields}",
        "", "[Events]",
        "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]) + "\n"


def _word_markup(word: CaptionWord, active: bool, style: CaptionStyle) -> str:
    text = _ass_text(word.text, style.uppercase)
    if active:
        return f"{{\\c{ass_colour(style.highlight)}}}{text}{{\\r}}"
    if word.keyword:
        return f"{{\\c{ass_colour(style.keyword)}}}{text}{{\\r}}"
    return text


def _cue_markup(cue: CaptionCue, active: int, style: CaptionStyle) -> str:
    joiner = "" if cue.is_cjk else " "
    lines, index = [], 0
    for line in cue.lines:
        parts = []
        for word in line:
            parts.append(_word_markup(word, index == active, style))
            index += 1
        lines.append(joiner.join(parts))
    return "\\N".join(lines)


def cue_events(cue: CaptionCue, style: CaptionStyle) -> list[str]:
    """One Dialogue per spoken word: the cue with that word highlighted."""
    words = [w for line in cue.lines for w in line]
    name = "CaptionCJK" if cue.is_cjk else "Caption"
    events = []
    for i, word in enumerate(words):
        start = cue.start_ms if i == 0 else word.start_ms
        end = cue.end_ms if i == len(words) - 1 else words[i + 1].start_ms
        if end <= start:
            continue
        events.append(f"Dialogue: 0,{ass_time(start)},{ass_time(end)},{name},,0,0,0,,"
                      f"{_cue_markup(cue, i, style)}")
    return events


def to_ass(cues: Sequence[CaptionCue], style: CaptionStyle, width: int = 1080,
           height: int = 1920) -> str:
    """The whole ASS file burned by libass."""
    body = [event for cue in cues for event in cue_events(cue, style)]
    return ass_header(style, width, height) + "\n".join(body) + ("\n" if body else "")


# --- SRT / VTT -----------------------------------------------------------------

def _stamp(ms: int, sep: str) -> str:
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def cue_text(cue: CaptionCue, style: CaptionStyle) -> str:
    """The cue as plain text, exactly as burned (same case, same line breaks)."""
    return cue.text.upper() if style.uppercase else cue.text


def to_srt(cues: Sequence[CaptionCue], style: CaptionStyle) -> str:
    blocks = [f"{i}\n{_stamp(c.start_ms, ',')} --> {_stamp(c.end_ms, ',')}\n{cue_text(c, style)}\n"
              for i, c in enumerate(cues, 1)]
    return "\n".join(blocks)


def to_vtt(cues: Sequence[CaptionCue], style: CaptionStyle) -> str:
    blocks = [f"{_stamp(c.start_ms, '.')} --> {_stamp(c.end_ms, '.')}\n{cue_text(c, style)}\n"
              for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)
