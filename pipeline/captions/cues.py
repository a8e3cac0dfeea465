"""Caption cues from timed words: what is on screen, when, in which lines.

A cue is what a viewer reads at a glance: it breaks at sentence punctuation, at
pauses and at scene cuts (a word belongs to the shot holding most of it; a cue runs
across a cut only rather than leave a fragment, see pipeline/captions/timing.py), holds at
most two lines, and is timed to the clip. Line length depends on the script: Latin by characters,
Chinese and Japanese by width in ems with no spaces (Whisper gives their words
as one- or multi-character tokens), and a line is never a lone short word when
another split exists. Product keywords are flagged for the brand colour; in CJK
a keyword may span several tokens, so it is found in the joined text.
The files made from cues (ASS, SRT, VTT) are in pipeline/captions/files.py.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from pipeline.captions.files import (
    ass_colour,
    ass_header,
    ass_time,
    cue_events,
    cue_text,
    to_ass,
    to_srt,
    to_vtt,
)
from pipeline.captions.fonts import drop_missing_glyphs, text_width
from pipeline.captions.timing import merge_fragments, timed
from pipeline.core.models import CaptionCue, CaptionStyle, CaptionWord, Transcript, Window, Word
from pipeline.core.scripts import is_full_width, join_words

__all__ = ["ass_colour", "ass_header", "ass_time", "build_cues", "caption_words", "clip_words",
           "cue_events", "cue_text", "end_cues_before", "strip_unsupported", "to_ass", "to_srt",
           "to_vtt"]

PAUSE_BREAK_MS = 600
"""A silence at least this long ends a cue."""
MAX_CUE_MS = 4000
LINE_SLACK = {"latin": 2.0, "cjk": 1.0}
"""How far past the style's line length a line may run (Latin ~18-22, CJK ~10-12)."""
SENTENCE_END = re.compile("[.!?\u3002\uff01\uff1f\u2026]$")
CLAUSE_END = re.compile("[,;:\u2014\uff0c\uff1b\uff1a\u3001]$")
LEADING_WORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "from",
    "with", "by", "as", "if", "than", "my", "your", "our", "its", "their"})
"""English words that lean on the word after them: a line or cue ending on one reads
badly ("ice cold all day and the / lid never leaks"), most of all when Whisper gives
no punctuation to break at."""
CLAUSE_OPENERS = frozenset({"and", "but", "so", "or", "because", "then", "when", "while",
                            "which", "who"})
"""English words that start a clause: a good place for a new cue when no comma marks it."""


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
    """``text`` without characters no bundled font draws (emoji would be boxes)."""
    return drop_missing_glyphs(unicodedata.normalize("NFC", text))[0]


def caption_words(words: Iterable[Word], warnings: list[str] | None = None) -> list[Word]:
    """Words ready to draw: characters no font has are dropped, with one warning, and a
    hyphenated word's second half joins its first (Whisper writes "ill-disposed" as
    "ill" and "-disposed", which a line break could cut apart). The transcript keeps
    them apart: a live recording's greedy "-word" fragments ("Nord Vic -Wulgini") are
    matched against catalog names word by word."""
    out: list[Word] = []
    dropped = ""
    for w in words:
        text, missing = drop_missing_glyphs(unicodedata.normalize("NFC", w.text))
        dropped += missing
        if text and out and _continues(out[-1].text, text):
            out[-1] = out[-1].model_copy(update={"text": out[-1].text + text,
                                                 "end_ms": max(out[-1].end_ms, w.end_ms)})
        elif text:
            out.append(w.model_copy(update={"text": text}))
    if dropped and warnings is not None:
        unique = "".join(dict.fromkeys(dropped))
        warnings.append(f"captions: dropped {len(dropped)} character(s) no bundled font "
                        f"draws (emoji?): {unique}")
    return out


def _continues(before: str, text: str) -> bool:
    """``text`` is the second half of a hyphenated word ("-disposed" after "ill")."""
    return text[:1] == "-" and text[1:2].isalnum() and before[-1:].isalnum()


def build_cues(words: Sequence[Word], style: CaptionStyle, *, keywords: Iterable[str] = (),
               cuts_ms: Sequence[int] = (), duration_ms: int | None = None
               ) -> tuple[CaptionCue, ...]:
    """Group clip-timeline words into cues of at most two lines, timed to the clip."""
    keywords = list(keywords)
    groups = [chunk for phrase in _phrases(words, cuts_ms)
              for chunk in _split_to_fit(phrase, style, keywords) if chunk]
    groups = merge_fragments(groups, cuts_ms, duration_ms, lambda g: _fits(g, style), _orphan)
    cues = [_cue(group, style, keywords) for group in groups]
    return timed(cues, groups, cuts_ms, duration_ms)


# --- grouping words into cues ---------------------------------------------------

def _phrases(words: Sequence[Word], cuts: Sequence[int]) -> list[list[Word]]:
    """Runs of words between hard breaks: sentence ends, pauses, cuts."""
    phrases: list[list[Word]] = [[]]
    for word in words:
        current = phrases[-1]
        if current and _hard_break(current[-1], word, cuts):
            phrases.append([])
        phrases[-1].append(word)
    return [p for p in phrases if p]


def _hard_break(last: Word, word: Word, cuts: Sequence[int]) -> bool:
    if SENTENCE_END.search(last.text) or word.start_ms - last.end_ms >= PAUSE_BREAK_MS:
        return True
    return _shot(last, cuts) != _shot(word, cuts)


def _shot(word: Word, cuts: Sequence[int]) -> int:
    """Which shot a word belongs to: the number of cuts before its midpoint."""
    middle = (word.start_ms + word.end_ms) / 2
    return sum(1 for cut in cuts if cut <= middle)


def _split_to_fit(words: list[Word], style: CaptionStyle, keywords: Sequence[str] = ()
                  ) -> list[list[Word]]:
    """Split a phrase (recursively, at its best break) until every part fits one cue."""
    if len(words) < 2 or _fits(words, style):
        return [words]
    named = keyword_flags([w.text for w in words], keywords)
    best = min(range(1, len(words)),
               key=lambda i: _break_cost(words, i, style) + 0.5 * (named[i - 1] and named[i]))
    return (_split_to_fit(words[:best], style, keywords)
            + _split_to_fit(words[best:], style, keywords))


def _fits(words: Sequence[Word], style: CaptionStyle) -> bool:
    if words[-1].end_ms - words[0].start_ms > MAX_CUE_MS:
        return False
    limit = _limit(words, style)
    if _width(words) <= limit:
        return True
    return any(max(_width(words[:i]), _width(words[i:])) <= limit for i in range(1, len(words)))


def _break_cost(words: Sequence[Word], i: int, style: CaptionStyle) -> float:
    """Lower is better: balanced halves, after a comma, at a pause, no orphan."""
    left, right = _width(words[:i]), _width(words[i:])
    cost = abs(left - right) / (left + right)
    if CLAUSE_END.search(words[i - 1].text):
        cost -= 1.0
    cost -= min(words[i].start_ms - words[i - 1].end_ms, PAUSE_BREAK_MS) / PAUSE_BREAK_MS * 0.8
    if _orphan(words[:i]) or _orphan(words[i:]):
        cost += 2.0
    if _bare(words[i].text) in CLAUSE_OPENERS:
        cost -= 0.3
    return cost + 0.6 * _leans_on_next(words[i - 1].text, words[i].text)


def _leans_on_next(text: str, next_text: str) -> bool:
    """A break after ``text`` would split what belongs together: "the / lid", "24 / dollars"."""
    if SENTENCE_END.search(text) or CLAUSE_END.search(text):
        return False
    return _bare(text) in LEADING_WORDS or (text[-1:].isdigit() and next_text[:1].isalpha())


def _orphan(words: Sequence[Word] | Sequence[CaptionWord]) -> bool:
    """A lone short word: hard to read on its own line or in its own cue."""
    if len(words) != 1:
        return False
    text = words[0].text
    return text_width(text) <= 1.0 if _is_cjk(text) else len(text.strip(".,!?")) <= 4


# --- measuring -------------------------------------------------------------------

def _is_cjk(text: str) -> bool:
    """Chinese, Japanese or Korean: measured in ems (pipeline/core/scripts.py)."""
    return is_full_width(text)


def _joined(words: Sequence[Word] | Sequence[CaptionWord]) -> str:
    return join_words([w.text for w in words])


def _width(words: Sequence[Word] | Sequence[CaptionWord]) -> float:
    text = _joined(words)
    return text_width(text) if _is_cjk(text) else float(len(text))


def _limit(words: Sequence[Word] | Sequence[CaptionWord], style: CaptionStyle) -> float:
    """Line limit: ems for text with CJK characters, characters otherwise; the style's
    figure is a target, so a line may run ``LINE_SLACK`` over it rather than break badly."""
    if _is_cjk(_joined(words)):
        return style.max_chars_cjk + LINE_SLACK["cjk"]
    return style.max_chars_latin + LINE_SLACK["latin"]


# --- one cue -----------------------------------------------------------------------

def _cue(group: list[Word], style: CaptionStyle, keywords: list[str]) -> CaptionCue:
    flags = keyword_flags([w.text for w in group], keywords)
    cws = [CaptionWord(text=w.text, start_ms=w.start_ms, end_ms=w.end_ms, keyword=flag)
           for w, flag in zip(group, flags, strict=True)]
    return CaptionCue(start_ms=group[0].start_ms, end_ms=group[-1].end_ms,
                      lines=_split_lines(cws, style))


def keyword_flags(texts: Sequence[str], keywords: Iterable[str]) -> list[bool]:
    """Which words name the product: Latin by whole word, CJK by substring of the
    joined text (Whisper may cut 保温瓶 into 保温 + 瓶)."""
    keywords = list(keywords)
    latin = {t.casefold() for kw in keywords for t in re.split(r"[\s\-_/]+", kw) if len(t) > 2}
    flags = [_bare(t) in latin for t in texts]
    joined = "".join(texts)
    spans, pos = [], 0
    for t in texts:
        spans.append((pos, pos + len(t)))
        pos += len(t)
    for kw in (k for k in keywords if _is_cjk(k)):
        for match in re.finditer(re.escape(kw), joined):
            for i, (a, b) in enumerate(spans):
                flags[i] = flags[i] or (a < match.end() and match.start() < b)
    return flags


def _bare(text: str) -> str:
    return re.sub(r"[^\w]", "", text, flags=re.UNICODE).casefold()


def _split_lines(words: list[CaptionWord], style: CaptionStyle
                 ) -> tuple[tuple[CaptionWord, ...], ...]:
    """One line if it fits, else two lines: within the limit, balanced, no lone short word."""
    limit = _limit(words, style)
    if _width(words) <= limit or len(words) < 2:
        return (tuple(words),)

    def cost(i: int) -> float:
        a, b = _width(words[:i]), _width(words[i:])
        value = abs(a - b) + 1000 * max(0.0, max(a, b) - limit)
        if _orphan(words[:i]) or _orphan(words[i:]):
            value += 15
        if _leans_on_next(words[i - 1].text, words[i].text):
            value += 6
        return value - (5 if CLAUSE_END.search(words[i - 1].text) else 0)

    best = min(range(1, len(words)), key=cost)
    return (tuple(words[:best]), tuple(words[best:]))


# --- timing (the rules are in pipeline/captions/timing.py) ---------------------------------

def end_cues_before(cues: Sequence[CaptionCue], next_starts: bool = True
                    ) -> tuple[CaptionCue, ...]:
    """Make cues never overlap: each ends no later than the next one starts."""
    out = list(cues)
    if next_starts:
        for i in range(len(out) - 1):
            if out[i].end_ms > out[i + 1].start_ms:
                out[i] = out[i].model_copy(update={"end_ms": out[i + 1].start_ms})
    return tuple(out)
