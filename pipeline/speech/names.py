"""Product names spelled as the catalog spells them, after transcription (issue 22).

Whisper hears a live seller's "Aurora Desk Lamp" as "Aurora Desk. Clamp." and
"Liberty Enamel Pin" as "Liberty Hamilton", vocabulary prompt or not. Every run of
one fewer to two more words than a catalog name has is compared with the name by
spelling (edit distance of the letters) and by sound (edit distance of a sound key:
consonant classes as in Soundex, vowels and h/w/y dropped after the first letter);
the mean of the two is the match's score. A run scoring at least ``MIN_SCORE``
whose edge words also sound like the name's edges is replaced by the catalog's
words, which take the times of the words they replace; the best matches win and
never overlap. A name already spelled right is left alone, and so is a weak match
("a desk lamp", "Liberty Bell"). Only Latin-script names are matched.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from pipeline.core.models import NameFix, Product, Word
from pipeline.core.scripts import script_of

MIN_SCORE = 0.72
"""Mean of spelling and sound similarity (0-1) a run needs to be corrected; tuned on
bench/name_fix.py's labelled utterances (precision first)."""
MIN_SCORE_ONE_WORD = 0.86
"""The same for a one-word name: a single word has more look-alikes."""
MIN_EDGE = 0.5
"""How alike a run's first and last words must be to the name's, so a match does
not swallow a neighbouring word."""
LENGTH_RATIO = 0.75
"""A run's letters number at least this share of the name's and at most its inverse:
"Liberty Mel" is too short to be "Liberty Enamel Pin", "Liberty Hamilton" is not."""
FUNCTION_WORDS = frozenset({
    "a", "an", "the", "and", "or", "but", "of", "to", "in", "on", "at", "for", "from",
    "with", "by", "as", "is", "it", "its", "this", "that", "my", "your", "our", "their"})
"""Words a match may not start or end on unless the name does: they are the sentence
around a name, not part of it."""
MIN_LETTERS = 5
"""Names shorter than this (letters) are never matched: too many look-alikes."""
_CLASSES = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"),
            **dict.fromkeys("dt", "3"), "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}


@dataclass(frozen=True)
class _Match:
    score: float
    start: int
    length: int
    name: str


def catalog_names(products: Iterable[Product]) -> list[str]:
    """Names worth matching: titles, brands and keywords of several words, in Latin
    script (a one-word keyword such as "bottle" is an everyday word, not a name)."""
    names: list[str] = []
    for p in products:
        terms = [spoken_form(t) for t in
                 (p.title, p.brand, *(k for k in p.keywords if len(k.split()) > 1))]
        for term in terms:
            if term and script_of(term) == "latin" and len(_letters(term)) >= MIN_LETTERS \
                    and term not in names:
                names.append(term)
    return names


def spoken_form(term: str) -> str:
    """``term`` as it can be said: letters, digits, marks and punctuation only (an emoji
    or a trademark sign in a catalog title is never heard, so never respelled in)."""
    kept = "".join(ch if unicodedata.category(ch)[0] in "LMNP" else " " for ch in term)
    return " ".join(kept.split())


def correct_names(words: Sequence[Word], names: Sequence[str]
                  ) -> tuple[tuple[Word, ...], tuple[NameFix, ...]]:
    """``words`` with confident matches of ``names`` spelled as the names are, and the
    corrections made (in order)."""
    chosen: list[_Match] = []
    taken: set[int] = set()
    for m in sorted(_matches([w.text for w in words], names), key=lambda m: (-m.score, m.start)):
        span = set(range(m.start, m.start + m.length))
        if not span & taken:
            chosen.append(m)
            taken |= span
    out, fixes = list(words), []
    for m in sorted(chosen, key=lambda m: -m.start):
        run = words[m.start:m.start + m.length]
        out[m.start:m.start + m.length] = _respelled(run, m.name)
        fixes.append(NameFix(heard=" ".join(w.text for w in run), spelled=m.name,
                             start_ms=run[0].start_ms, end_ms=run[-1].end_ms,
                             score=round(m.score, 3)))
    return tuple(out), tuple(reversed(fixes))


def _matches(texts: Sequence[str], names: Sequence[str]) -> Iterable[_Match]:
    tokens = [_bare(t) for t in texts]
    words = [re.sub(r"^\W+|\W+$", "", t) for t in texts]
    exact = _exact_spans(tokens, names)
    for name in names:
        parts = name.split()
        target = [_bare(t) for t in parts]
        floor = MIN_SCORE_ONE_WORD if len(target) == 1 else MIN_SCORE
        inside, outside = _others(exact, name, inside=True), _others(exact, name, inside=False)
        for length in range(max(1, len(target) - 1), len(target) + 3):
            for start in range(len(tokens) - length + 1):
                run = tokens[start:start + length]
                span = set(range(start, start + length))
                if run == target and _proper(parts) and words[start:start + length] != parts \
                        and not span & inside:
                    yield _Match(1.0, start, length, name)  # heard right, cased wrong
                if run == target or span & outside:
                    continue
                if not _long_enough(run, target) or not _edges_match(run, target):
                    continue  # cheap tests first: most runs are not a name at all
                score = similarity(run, target)
                if score >= floor:
                    yield _Match(score, start, length, name)


def _exact_spans(tokens: Sequence[str], names: Sequence[str]) -> dict[str, set[int]]:
    """For each name (casefolded), the indexes of words already spelling it (any case)."""
    each: dict[str, set[int]] = {}
    for name in names:
        target = [_bare(t) for t in name.split()]
        each[name.casefold()] = {i for start in range(len(tokens) - len(target) + 1)
                                 if tokens[start:start + len(target)] == target
                                 for i in range(start, start + len(target))}
    return each


def _others(exact: dict[str, set[int]], name: str, inside: bool) -> set[int]:
    """Words a match for ``name`` may not touch: those already spelling another name.

    A misheard title may hold a keyword heard right ("horror desk lamp" is the Aurora
    Desk Lamp) unless ``inside``: recasing a keyword inside a title ("desk lamp" in
    "Aurora Desk Lamp") is not allowed. A name heard right is never respelled."""
    own = name.casefold()
    out = set(exact.get(own, set())) if not inside else set()
    for other, spans in exact.items():
        if other != own and (inside or other not in own):
            out |= spans
    return out


def _proper(parts: Sequence[str]) -> bool:
    """A name of several words with capitals (a title, a brand): worth recasing."""
    return len(parts) > 1 and any(ch.isupper() for ch in "".join(parts))


def _long_enough(run: Sequence[str], target: Sequence[str]) -> bool:
    a, b = len("".join(run)), len("".join(target))
    return LENGTH_RATIO <= a / max(b, 1) <= 1 / LENGTH_RATIO


def similarity(run: Sequence[str], target: Sequence[str]) -> float:
    """Mean of spelling and sound similarity of two runs of words (0-1)."""
    a, b = "".join(run), "".join(target)
    return (_ratio(a, b) + _ratio(sound_key(a), sound_key(b))) / 2


def _edges_match(run: Sequence[str], target: Sequence[str]) -> bool:
    """The run's first word is like the name's first (or as many of its first letters),
    its last like the name's last (or its last letters); an edge that is a function
    word ("in", "the") must be the name's own ("Liberty Mel in" is not the pin)."""
    joined = "".join(target)
    first, last = run[0], run[-1]
    if (first in FUNCTION_WORDS and first != target[0]) or \
            (last in FUNCTION_WORDS and last != target[-1]):
        return False
    heads = ["".join(target[:k]) for k in range(1, len(target) + 1)] + [joined[:len(first)]]
    tails = ["".join(target[-k:]) for k in range(1, len(target) + 1)] + [joined[-len(last):]]
    return (max(_alike(first, h) for h in heads) >= MIN_EDGE
            and max(_alike(last, t) for t in tails) >= MIN_EDGE)


@lru_cache(maxsize=65536)
def _alike(a: str, b: str) -> float:
    return max(_ratio(a, b), _ratio(sound_key(a), sound_key(b)))


@lru_cache(maxsize=65536)
def sound_key(text: str) -> str:
    """A key of how a word sounds: its first letter (any vowel as "a"), then Soundex
    consonant classes with
    vowels, h, w and y dropped and repeats merged ("clamp" and "lamp" differ by one)."""
    letters = _letters(text)
    if not letters:
        return ""
    key = "a" if letters[0] in "aeiouy" else letters[0]  # "Ottoline" sounds like "auto"
    last = _CLASSES.get(letters[0], "")
    for ch in letters[1:]:
        code = _CLASSES.get(ch, "")
        if code and code != last:
            key += code
        last = code if code else last if ch in "hw" else ""
    return key


def _ratio(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return 1.0 - _levenshtein(a, b) / max(len(a), len(b))


def _levenshtein(a: str, b: str) -> int:
    """Edit distance by Hyyrö's bit-parallel algorithm (one big-int step per letter of
    ``a``): a live recording compares thousands of runs with every catalog name, and
    the letter-by-letter table was 90 % of the pitch search's time."""
    if len(a) < len(b):
        a, b = b, a
    if not b:
        return len(a)
    masks: dict[str, int] = {}
    for i, ch in enumerate(b):
        masks[ch] = masks.get(ch, 0) | 1 << i
    full, top = (1 << len(b)) - 1, 1 << (len(b) - 1)
    plus, minus, distance = full, 0, len(b)
    for ch in a:
        match = masks.get(ch, 0)
        x = match | minus
        diagonal = (((x & plus) + plus) ^ plus) | x
        h_plus = minus | ~(diagonal | plus) & full
        h_minus = plus & diagonal
        distance += bool(h_plus & top) - bool(h_minus & top)
        h_plus = (h_plus << 1 | 1) & full
        h_minus = (h_minus << 1) & full
        plus = h_minus | ~(diagonal | h_plus) & full
        minus = h_plus & diagonal
    return distance


def _respelled(run: Sequence[Word], name: str) -> list[Word]:
    """The name's words over the run's time span: one for one when the counts agree,
    else shared out by letters. Punctuation around the run is kept ("Clamp." ->
    "Lamp.")."""
    parts = name.split()
    lead = re.match(r"^\W*", run[0].text)
    trail = re.search(r"\W*$", run[-1].text)
    parts[0] = (lead.group(0) if lead else "") + parts[0]
    parts[-1] += trail.group(0) if trail else ""
    if len(parts) == len(run):
        return [w.model_copy(update={"text": t}) for w, t in zip(run, parts, strict=True)]
    start, end = run[0].start_ms, run[-1].end_ms
    weights = [max(len(_letters(p)), 1) for p in parts]
    out, at = [], start
    for i, (text, weight) in enumerate(zip(parts, weights, strict=True)):
        stop = end if i == len(parts) - 1 else at + round((end - start) * weight / sum(weights))
        out.append(Word(text=text, start_ms=at, end_ms=max(stop, at),
                        probability=min(w.probability for w in run)))
        at = stop
    return out


def _letters(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.casefold())


def _bare(text: str) -> str:
    return re.sub(r"[^\w]", "", text, flags=re.UNICODE).casefold()
