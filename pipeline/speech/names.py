"""Product names spelled as the catalog spells them, after transcription (issue 22).

Whisper hears a live seller's "Aurora Desk Lamp" as "Aurora Desk. Clamp." and
"Liberty Enamel Pin" as "Liberty Hamilton", vocabulary prompt or not. Every run of
one fewer to two more words than a catalog name has is compared with the name two
ways, and the better counts:

- as one string: the mean of spelling (edit distance of the letters) and sound (edit
  distance of a Soundex-like key) likeness, at least ``MIN_SCORE``, the run's edge
  words also sounding like the name's edges;
- word by word (``aligned_similarity``): each name word paired in order with one to
  three heard words (heard split, "Nord Vic" for "Nordvik") or two or three name
  words with one heard word (heard merged), each pair scored by letters or by a finer
  ``phonetic`` key; the mean weighted by the name's letters at least
  ``MIN_ALIGNED``, every pair at least ``MIN_PAIR`` ("artling ceramic deep art" is the
  Ottoline Ceramic Teapot; "need a new desk lamp" is not the Aurora Desk Lamp).

A confident run is replaced by the catalog's words, which take the times of the words
they replace; the best matches win and never overlap, and a match of a name holding
another (a title holding its keyword) wins over that one inside it. A name already
spelled right is left alone, and so is a weak match ("a desk lamp", "Liberty Bell").
Only Latin-script names are matched. Thresholds were chosen on bench/name_fix_sets.py's
tuning set only; its held-out set measures them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

from pipeline.core.models import NameFix, Product, Word
from pipeline.core.scripts import script_of

MIN_SCORE = 0.72
"""Mean of spelling and sound similarity (0-1) a run needs to be corrected; tuned on
bench/name_fix_sets.py's tuning set (precision first)."""
MIN_SCORE_ONE_WORD = 0.86
"""The same for a one-word name: a single word has more look-alikes."""
MIN_ALIGNED = 0.74
"""The same, word by word (``aligned_similarity``): a name heard with words split,
merged or misheard one at a time ("artling ceramic deep art" for "Ottoline Ceramic
Teapot") scores higher paired word by word than as one string of letters."""
MIN_PAIR = 0.5
"""How alike every pair of name word(s) and heard word(s) must be in such a match: one
well-heard word does not carry a name whose other words were not said ("Liberty Bell")."""
MIN_CHANGED = 0.55
"""How alike, on their own, the heard words a correction changes must be to the name's
words replacing them (``changed_likeness``): words heard right do not vouch for the
rest. Chosen on the three labelled sets measured before bench/name_fix_sets.py's
``FRESH2`` was written: 0.5 kept every correction of the tuning set but let three
wrong ones through elsewhere ("eggs in a cast iron skillet" became the Corvina Cast
Iron Skillet); 0.55 stops those for two right ones; 0.6 costs far more."""
MIN_JOINED = 0.55
"""Runs less alike than this as one string are not paired word by word (a cheap first
cut: pairing is the costly part)."""
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


@dataclass(frozen=True)
class Bar:
    """The thresholds a run must pass to be corrected (see the constants above)."""

    score: float
    one_word: float
    aligned: float
    pair: float
    changed: float
    joined: float


TEXT_ONLY = Bar(MIN_SCORE, MIN_SCORE_ONE_WORD, MIN_ALIGNED, MIN_PAIR, MIN_CHANGED, MIN_JOINED)
"""The bar with nothing but the words to go on: precision first."""
HEARD = Bar(score=0.5, one_word=0.86, aligned=0.52, pair=0.25, changed=0.3, joined=0.35)
"""The bar when the audio is asked too (``Confirm``): looser, since a run that only
looks like a name in letters ("morning tea taste") is then stopped by what was heard;
chosen on the tuning set and the first two held-out sets."""
Confirm = Callable[[Sequence[Word], int, int, Sequence[Word]], float | None]
"""Asked about every correction before it is made (the words, the run's start and
length, the words that would replace it): the audio's evidence for it when the audio
bears it out, None when not (pipeline/speech/name_check.py)."""
_STEPS = ((1, 1), (1, 2), (1, 3), (2, 1), (3, 1))
"""How many name words and heard words ``aligned_similarity`` pairs at a time: one to
one, a name word heard split in two or three, or two or three heard run together."""
_DIGRAPHS = (("x", "ks"), ("ph", "f"), ("ck", "k"), ("sch", "sk"), ("sh", "X"), ("ch", "X"),
             ("dg", "X"), ("th", "t"), ("qu", "kw"), ("ng", "n"))
"""Spellings of one sound, replaced in this order ("X": the sh/ch/j sounds; an "x" letter
is "ks" first, so it never reads as that sound)."""
_PHONES = {"b": "p", "d": "t", "g": "k", "c": "k", "q": "k", "j": "X", "v": "f", "z": "s",
           "m": "n", "h": "", "w": ""}
_CLASSES = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"),
            **dict.fromkeys("dt", "3"), "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}


class Pair(NamedTuple):
    """Name word(s) paired with heard word(s) by ``aligned_similarity``."""

    likeness: float
    """How alike the two are (``word_likeness``, 0-1)."""
    letters: int
    """Letters of the name's word(s): the pair's weight."""
    same: bool
    """The heard word(s) spell the name's word(s) already (case and punctuation aside)."""


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


def correct_names(words: Sequence[Word], names: Sequence[str], *, wordwise: bool = True,
                  confirm: Confirm | None = None
                  ) -> tuple[tuple[Word, ...], tuple[NameFix, ...]]:
    """``words`` with confident matches of ``names`` spelled as the names are, and the
    corrections made (in order). ``wordwise=False`` matches runs only as one string of
    letters, never word by word: fewer names recovered, fewer wrong ones, for hours of
    live talk where a near-miss ("a nordic wool blanket") would become a clip.

    With ``confirm`` (the audio's judgement), runs need only pass the looser ``HEARD``
    bar, and each correction is made only when ``confirm`` bears it out; a match it
    turns down leaves its words free for a weaker one."""
    chosen: list[tuple[_Match, float | None]] = []
    taken: set[int] = set()
    bar = TEXT_ONLY if confirm is None else HEARD
    for m in sorted(_widest(list(_matches([w.text for w in words], names, wordwise, bar))),
                    key=lambda m: (-m.score, m.start)):
        span = set(range(m.start, m.start + m.length))
        if span & taken:
            continue
        evidence = None
        if confirm is not None and not _recased_only(words[m.start:m.start + m.length], m.name):
            evidence = confirm(words, m.start, m.length,
                               _respelled(words[m.start:m.start + m.length], m.name))
            if evidence is None:
                continue
        chosen.append((m, evidence))
        taken |= span
    out, fixes = list(words), []
    for m, evidence in sorted(chosen, key=lambda c: -c[0].start):
        run = words[m.start:m.start + m.length]
        out[m.start:m.start + m.length] = _respelled(run, m.name)
        fixes.append(NameFix(heard=" ".join(w.text for w in run), spelled=m.name,
                             start_ms=run[0].start_ms, end_ms=run[-1].end_ms,
                             score=round(m.score, 3),
                             evidence=None if evidence is None else round(evidence, 1)))
    return tuple(out), tuple(reversed(fixes))


def _recased_only(run: Sequence[Word], name: str) -> bool:
    """The run already spells the name, only its case differs: nothing to hear."""
    return [_bare(w.text) for w in run] == [_bare(t) for t in name.split()]


def _widest(matches: list[_Match]) -> list[_Match]:
    """``matches`` without those a match of a longer name holding theirs covers: "deliver
    the enamel bin" is the Liberty Enamel Pin, not "deliver the" and the keyword
    "enamel pin", however well "enamel bin" alone matches that keyword."""
    return [m for m in matches if not any(
        o.name != m.name and m.name.casefold() in o.name.casefold()
        and o.start <= m.start and m.start + m.length <= o.start + o.length for o in matches)]


def _matches(texts: Sequence[str], names: Sequence[str], wordwise: bool = True,
             bar: Bar = TEXT_ONLY) -> Iterable[_Match]:
    tokens = [_bare(t) for t in texts]
    words = [re.sub(r"^\W+|\W+$", "", t) for t in texts]
    exact = _exact_spans(tokens, names)
    for name in names:
        parts = name.split()
        target = [_bare(t) for t in parts]
        named = bar if _proper(parts) else TEXT_ONLY  # an everyday phrase: letters first
        floor = named.one_word if len(target) == 1 else named.score
        wider, outside = _wider_spans(exact, name), _others(exact, name)
        for length in range(max(1, len(target) - 1), len(target) + 3):
            for start in range(len(tokens) - length + 1):
                run = tokens[start:start + length]
                span = set(range(start, start + length))
                if run == target and _proper(parts) and words[start:start + length] != parts \
                        and not span & wider:
                    yield _Match(1.0, start, length, name)  # heard right, cased wrong
                if run == target or span & outside or not _long_enough(run, target) \
                        or _leaves_a_repeat(tokens, start, length, target):
                    continue
                if not _edges_match(run, target) and not (wordwise
                                                          and _outer_words_fit(run, target)):
                    continue  # cheap tests first: _score would be 0, most runs are no name
                score = _score(run, target, floor, named) if wordwise else \
                    _joined_score(run, target, floor)
                if score:
                    yield _Match(score, start, length, name)


def _joined_score(run: Sequence[str], target: Sequence[str], floor: float) -> float:
    """How well ``run`` matches ``target`` as one string of letters; 0 below ``floor``."""
    score = similarity(run, target)
    return score if score >= floor else 0.0


def _score(run: Sequence[str], target: Sequence[str], floor: float,
           bar: Bar = TEXT_ONLY) -> float:
    """How well ``run`` matches the name ``target``, as one string of letters or word by
    word, whichever is better; 0 when neither is confident, or when the words it would
    change are not alike enough on their own (``changed_likeness``)."""
    joined = similarity(run, target)
    score = joined if joined >= floor and _edges_match(run, target) else 0.0
    if joined < bar.joined or not _outer_words_fit(run, target):
        return score
    aligned, pairs = aligned_similarity(run, target)
    if not pairs or changed_likeness(pairs) < bar.changed:
        return 0.0
    if aligned >= max(floor, bar.aligned) and min(p.likeness for p in pairs) >= bar.pair:
        score = max(score, aligned)
    return score


def _exact_spans(tokens: Sequence[str], names: Sequence[str]) -> dict[str, set[int]]:
    """For each name (casefolded), the indexes of words already spelling it (any case)."""
    each: dict[str, set[int]] = {}
    for name in names:
        target = [_bare(t) for t in name.split()]
        each[name.casefold()] = {i for start in range(len(tokens) - len(target) + 1)
                                 if tokens[start:start + len(target)] == target
                                 for i in range(start, start + len(target))}
    return each


def _wider_spans(exact: dict[str, set[int]], name: str) -> set[int]:
    """Words already spelling (any case) a longer name that holds ``name``: there the
    longer name is recased, not the one inside it ("Trailhead" in "trailhead
    insulated bottle"). A keyword heard right inside its title ("bellhaven beach
    towel") does not stop the title being recased."""
    own = name.casefold()
    return {i for other, spans in exact.items() if other != own and own in other for i in spans}


def _leaves_a_repeat(tokens: Sequence[str], start: int, length: int,
                     target: Sequence[str]) -> bool:
    """Whether respelling the run would repeat a word next to it: "Ambrose chest set"
    is the Ambrose Chess Set, not "Ambrose chest" respelled and "set" left after it."""
    after = tokens[start + length] if start + length < len(tokens) else None
    before = tokens[start - 1] if start > 0 else None
    return (after is not None and after == target[-1] and tokens[start + length - 1] != after) \
        or (before is not None and before == target[0] and tokens[start] != before)


def _others(exact: dict[str, set[int]], name: str) -> set[int]:
    """Words a misspelled match for ``name`` may not touch: those already spelling it
    or another name, except a name inside it (a misheard title may hold its keyword
    heard right: "horror desk lamp" is the Aurora Desk Lamp). A name heard right is
    never respelled."""
    own = name.casefold()
    out = set(exact.get(own, set()))
    for other, spans in exact.items():
        if other != own and other not in own:
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


def _outer_words_fit(run: Sequence[str], target: Sequence[str]) -> bool:
    """A run may start or end on a function word ("the", "in") only when the name does."""
    return not ((run[0] in FUNCTION_WORDS and run[0] != target[0])
                or (run[-1] in FUNCTION_WORDS and run[-1] != target[-1]))


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


def aligned_similarity(run: Sequence[str], target: Sequence[str]) -> tuple[float, list[Pair]]:
    """How alike a run of heard words is to a name's words, word by word: each name word
    (or two or three of them, heard merged as one) is paired with one to three heard
    words (a name word heard split: "Nord Vic" for "Nordvik"), in order, every word
    used. Returns the best pairing's mean likeness weighted by the name's letters, and
    its pairs in order (nothing when the words cannot pair)."""
    n, m = len(target), len(run)
    # best[i][j]: (weighted sum, pairs) pairing target[:i] with run[:j]
    best: list[list[tuple[float, list[Pair]] | None]] = [[None] * (m + 1) for _ in range(n + 1)]
    best[0][0] = (0.0, [])
    for i in range(n + 1):
        for j in range(m + 1):
            here = best[i][j]
            if here is None:
                continue
            for a, b in _STEPS:
                if i + a > n or j + b > m:
                    continue
                name, heard = "".join(target[i:i + a]), "".join(run[j:j + b])
                pair = Pair(word_likeness(heard, name), len(name), heard == name)
                total = here[0] + pair.likeness * pair.letters
                there = best[i + a][j + b]
                if there is None or total > there[0]:
                    best[i + a][j + b] = (total, [*here[1], pair])
    end = best[n][m]
    if end is None:
        return 0.0, []
    return end[0] / max(len("".join(target)), 1), end[1]


def changed_likeness(pairs: Sequence[Pair]) -> float:
    """How alike the heard words a correction would change are to the name's words that
    replace them (the pairs not already heard right), weighted by letters: the evidence
    for a correction is in the words it changes. "kept a copper kettle" holds the
    keyword "copper kettle" heard right, but "kept a" is no "Kaveri"."""
    changed = [p for p in pairs if not p.same]
    letters = sum(p.letters for p in changed)
    return sum(p.likeness * p.letters for p in changed) / letters if letters else 1.0


@lru_cache(maxsize=1 << 16)
def word_likeness(heard: str, name: str) -> float:
    """How alike a heard word (or words run together) is to a name's word: the better of
    the letters' and the sounds' edit-distance likeness (0-1). The sounds' is the mean
    over the ``phonetic`` keys and over their consonants alone: with every vowel one
    "a", any two words of alternating consonants and vowels would half match ("need a
    new" and "Aurora": "natana", "arara")."""
    a, b = phonetic(heard), phonetic(name)
    sounds = (_ratio(a, b) + _ratio(a.replace("a", ""), b.replace("a", ""))) / 2
    return max(_ratio(heard, name), sounds)


def phonetic(word: str) -> str:
    """A key of how an English word sounds, finer than ``sound_key``: letters spelling
    one sound become one ("ph" f, "ck" k, soft "c" s), voiced and unvoiced pairs
    merge (b/p, d/t, g/k, v/f, z/s) and so do m/n, every run of vowels is "a",
    h and w are dropped and a final silent e too ("Ottoline" "atalan", "artling"
    "artlan"; "teapot" "tapat", "deep art" "tapart")."""
    w = _letters(word)
    if len(w) > 3 and w.endswith("e") and w[-2] not in "aeiouy":
        w = w[:-1]
    w = re.sub(r"gh(?![aeiouy])", "", w)  # silent in "night", "though"; not in "dogharness"
    for old, new in _DIGRAPHS:
        w = w.replace(old, new)
    w = re.sub(r"c(?=[eiy])", "s", w)
    key = ""
    for ch in w:
        code = "a" if ch in "aeiouy" else _PHONES.get(ch, ch)
        if code and (not key or key[-1] != code):
            key += code
    return key


def _ratio(a: str, b: str) -> float:
    if not a and not b:
        return 1.0
    return 1.0 - edit_distance(a, b) / max(len(a), len(b))


def edit_distance(a: str, b: str) -> int:
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
