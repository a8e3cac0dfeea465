"""The files made from caption cues: ASS burned by libass, and SRT/VTT beside the clip.

The ASS file has two styles from the template: ``Caption`` in the Latin display
font (Lato) and ``CaptionCJK`` in Noto Sans CJK SC, used for any cue with a
character Lato lacks (Han, kana, hangul, Cyrillic...). Each cue is one Dialogue
per spoken word, that word in the highlight colour from its start until the
next word starts (karaoke); product keywords are drawn in the brand colour.
SRT and VTT carry exactly the burned cues and text (same case, same lines).
"""

from __future__ import annotations

from collections.abc import Sequence

from pipeline.captions.fonts import CJK_FAMILY, needs_cjk_font
from pipeline.core.models import CaptionCue, CaptionStyle, CaptionWord
from pipeline.core.scripts import join_words, word_gap


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


def cue_style(cue: CaptionCue) -> str:
    """The ASS style for a cue: CaptionCJK when Lato lacks any of its characters."""
    return "CaptionCJK" if needs_cjk_font(cue_text(cue, CaptionStyle())) else "Caption"


def _word_markup(word: CaptionWord, active: bool, style: CaptionStyle) -> str:
    text = _ass_text(word.text, style.uppercase)
    if active:
        return f"{{\\c{ass_colour(style.highlight)}}}{text}{{\\r}}"
    if word.keyword:
        return f"{{\\c{ass_colour(style.keyword)}}}{text}{{\\r}}"
    return text


def _cue_markup(cue: CaptionCue, active: int, style: CaptionStyle) -> str:
    lines, index = [], 0
    for line in cue.lines:
        markup, previous = "", ""
        for word in line:
            markup += word_gap(previous, word.text) + _word_markup(word, index == active, style)
            previous = word.text
            index += 1
        lines.append(markup)
    return "\\N".join(lines)


def cue_events(cue: CaptionCue, style: CaptionStyle) -> list[str]:
    """One Dialogue per spoken word: the cue with that word highlighted."""
    words = [w for line in cue.lines for w in line]
    name = cue_style(cue)
    margin = cue.margin_v or 0  # 0: the style's MarginV
    events = []
    for i, word in enumerate(words):
        start = cue.start_ms if i == 0 else max(word.start_ms, cue.start_ms)
        end = cue.end_ms if i == len(words) - 1 else min(words[i + 1].start_ms, cue.end_ms)
        if end <= start:
            continue
        events.append(f"Dialogue: 0,{ass_time(start)},{ass_time(end)},{name},,0,0,{margin},,"
                      f"{_cue_markup(cue, i, style)}")
    return events


def to_ass(cues: Sequence[CaptionCue], style: CaptionStyle, width: int = 1080,
           height: int = 1920) -> str:
    """The whole ASS file burned by libass."""
    body = [event for cue in cues for event in cue_events(cue, style)]
    return ass_header(style, width, height) + "\n".join(body) + ("\n" if body else "")


def _stamp(ms: int, sep: str) -> str:
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d}{sep}{ms % 1000:03d}"


def cue_text(cue: CaptionCue, style: CaptionStyle) -> str:
    """The cue as plain text, exactly as burned (same case, same line breaks)."""
    text = "\n".join(join_words([w.text for w in line]) for line in cue.lines)
    return text.upper() if style.uppercase else text


def to_srt(cues: Sequence[CaptionCue], style: CaptionStyle) -> str:
    """SubRip: the burned cues, numbered."""
    blocks = [f"{i}\n{_stamp(c.start_ms, ',')} --> {_stamp(c.end_ms, ',')}\n{cue_text(c, style)}\n"
              for i, c in enumerate(cues, 1)]
    return "\n".join(blocks)


def to_vtt(cues: Sequence[CaptionCue], style: CaptionStyle) -> str:
    """WebVTT: the burned cues."""
    blocks = [f"{_stamp(c.start_ms, '.')} --> {_stamp(c.end_ms, '.')}\n{cue_text(c, style)}\n"
              for c in cues]
    return "WEBVTT\n\n" + "\n".join(blocks)
