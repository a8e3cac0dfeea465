"""Product pitches in a long live-selling recording: where each catalog product is sold.

A host pitches product after product; between pitches there is chit-chat. A pitch
is found from what is said (``Transcript`` words, footage timeline):

1. **Mentions.** Catalog names are respelled where Whisper misheard them
   (pipeline/speech/names.py, run only around words that sound like a name word,
   so hours of talk cost little), then found as exact word runs: a title or a
   keyword of several words (weight 1.0), a title word only one product has (its
   first word 0.6, say "Aurora"; later words 0.3, say "lamp").
2. **Regions.** Mentions of one product with no other product named between them
   and at most ``REGION_GAP_MS`` apart form a region, reaching ``LEAD_MS`` before
   its first mention and ``FOLLOW_MS`` after its last, but never past another
   product's mention. A region whose mentions weigh under ``MIN_REGION_WEIGHT`` is
   chit-chat ("my old lamp broke") and gives nothing.
3. **Windows.** Inside a region, windows of about the clip length start and end in
   pauses (``pipeline.footage.selection.boundaries``, as `make` cuts) and are scored
   on what makes a selling moment: the name said (early is better), a price or offer,
   a call to action, speech density, sentence edges, another product named (a
   penalty) and what is on screen (black, frozen, blurry samples of the survey).
   A window must hold a price, an offer or a call to action besides the name: a
   product named in passing ("my mum loves her bath salts") is not a pitch.
4. **Choice.** The best windows win greedily, at most ``per_product`` per product,
   never overlapping one another.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from pipeline.core.models import NameFix, Product, Window, Word
from pipeline.footage.analysis import FrameScore
from pipeline.footage.selection import LEAD_IN_MS, MIN_CLIP_MS, boundaries
from pipeline.speech.names import FUNCTION_WORDS, catalog_names, correct_names, sound_key

REGION_GAP_MS = 45_000
"""Mentions of one product further apart than this are separate pitches."""
LEAD_MS = 6_000
"""How far before its first mention a pitch may start (a host often leads in)."""
FOLLOW_MS = 40_000
"""How far after its last mention a pitch may run (the price and the call come later)."""
MIN_REGION_WEIGHT = 1.0
"""Mention weight a region needs: the full name once, or a distinctive word twice."""
NAME_CONTEXT = 4
"""Words either side of a name-like word that the name correction looks at."""
KEY_PREFIX = 3
"""Sounds of a word's key that, shared with the start of a name word's key, make the
word worth a closer look ("Nord" n63 begins "Nordvik" n6312)."""
MIN_SHARE = 0.6
"""A pitch window is at least this share of the clip length asked for."""
HOOK_MS = 4_000
"""A name said within this long of the window's start is the clip's hook."""
WEIGHTS = {"name": 3.0, "hook": 1.0, "price": 2.0, "cta": 2.0, "density": 2.0,
           "sentence": 0.5, "length": 0.1, "other_product": -3.0, "black": -4.0, "frozen": -1.0,
           "blurry": -1.0}
PRICE = re.compile(r"[$€£¥]\s?\d+([.,]\d+)?|\d\s?%"
                   r"|\b\d+(\.\d+)?\s?(dollars?|bucks|euros?|pounds?|percent)\b"
                   r"|\b(price|priced|discount|deal|sale|off|coupon|code|save|saving|offer"
                   r"|free shipping|half price|bundle)\b", re.IGNORECASE)
CTA = re.compile(r"\b(link|cart|buy|grab|tap|click|order|shop|checkout|check out|add it"
                 r"|get yours|get one|pick up|sell out|selling out|sold out|limited|hurry"
                 r"|don'?t miss|right now|get it|in stock|available)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Mention:
    """A product named in the recording (footage timeline)."""

    sku: str
    start_ms: int
    end_ms: int
    weight: float
    """1.0 for a full name, 0.6 or 0.3 for one distinctive title word."""
    text: str


@dataclass(frozen=True)
class Pitch:
    """A chosen clip window selling one product, its score and why."""

    sku: str
    window: Window
    score: float
    parts: dict[str, float] = field(default_factory=dict)
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class PitchSearch:
    """What the search found in one recording."""

    pitches: tuple[Pitch, ...]
    mentions: tuple[Mention, ...]
    fixes: tuple[NameFix, ...]
    words: tuple[Word, ...]
    """The transcript's words with misheard catalog names respelled."""
    speech_ms: int


@dataclass(frozen=True)
class _Region:
    sku: str
    span: Window
    mentions: tuple[Mention, ...]


def find_pitches(words: Sequence[Word], products: Sequence[Product], duration_ms: int,
                 target_ms: int, per_product: int = 1,
                 samples: Sequence[FrameScore] = ()) -> PitchSearch:
    """Every product pitch in the recording: at most ``per_product`` windows each."""
    fixed, fixes = correct_live_names(words, catalog_names(products))
    found = find_mentions(fixed, products)
    talk = _Talk(fixed, samples)
    candidates = [c for region in pitch_regions(found, duration_ms)
                  for c in _region_windows(region, talk, found, target_ms, duration_ms)]
    chosen = _choose(candidates, per_product)
    speech = sum(w.end_ms - w.start_ms for w in fixed)
    return PitchSearch(tuple(sorted(chosen, key=lambda p: p.window.start_ms)), tuple(found),
                       fixes, fixed, speech)


def correct_live_names(words: Sequence[Word], names: Sequence[str]
                       ) -> tuple[tuple[Word, ...], tuple[NameFix, ...]]:
    """``correct_names`` over only the stretches around words that sound like a word of
    a name: linear in the recording, where the full search is slow on hours of talk."""
    keys = name_word_keys(names)
    hits = [i for i, w in enumerate(words) if sounds_like_name_word(w.text, keys)]
    out: list[Word] = list(words)
    fixes: list[NameFix] = []
    for lo, hi in reversed(_spans(hits, len(words))):
        fixed, found = correct_names(out[lo:hi], names, wordwise=False)
        out[lo:hi] = fixed
        fixes[:0] = list(found)
    return tuple(out), tuple(fixes)


def name_word_keys(names: Sequence[str]) -> frozenset[str]:
    """The sound keys of the names' words (function words and short words left out)."""
    return frozenset(sound_key(t) for name in names for t in name.split()
                     if len(t) > 2 and t.casefold() not in FUNCTION_WORDS)


def sounds_like_name_word(text: str, keys: frozenset[str]) -> bool:
    """Whether a heard word may be (part of) a name word: its sound key is a name word's,
    or the two keys start alike for ``KEY_PREFIX`` sounds. Whisper splits and joins a
    name it does not know ("Nordvik" heard as "Nord Vic"), so a run is looked at when
    any of its words begins like a name word."""
    if _bare(text) in FUNCTION_WORDS:
        return False
    key = sound_key(text)
    if key in keys:
        return True
    return len(key) >= KEY_PREFIX and any(
        k.startswith(key[:KEY_PREFIX]) for k in keys if len(k) >= KEY_PREFIX)


def _spans(hits: Sequence[int], size: int) -> list[tuple[int, int]]:
    """Merged [lo, hi) index spans of NAME_CONTEXT words around each hit."""
    spans: list[tuple[int, int]] = []
    for i in hits:
        lo, hi = max(0, i - NAME_CONTEXT), min(size, i + NAME_CONTEXT + 1)
        if spans and lo <= spans[-1][1]:
            spans[-1] = (spans[-1][0], hi)
        else:
            spans.append((lo, hi))
    return spans


def _bare(text: str) -> str:
    return re.sub(r"[^\w]", "", text).casefold()


def find_mentions(words: Sequence[Word], products: Sequence[Product]) -> list[Mention]:
    """Catalog products named in ``words``, in time order, never two on one word."""
    tokens = [_bare(w.text) for w in words]
    where: dict[str, list[int]] = {}
    for i, t in enumerate(tokens):
        where.setdefault(t, []).append(i)
    taken: set[int] = set()
    found: list[Mention] = []
    for sku, parts, weight in sorted(_names(products), key=lambda n: (-len(n[1]), -n[2])):
        for i in where.get(parts[0], ()):
            span = range(i, i + len(parts))
            if tokens[i:i + len(parts)] == list(parts) and not taken.intersection(span):
                taken.update(span)
                run = words[i:i + len(parts)]
                found.append(Mention(sku, run[0].start_ms, run[-1].end_ms, weight,
                                     " ".join(w.text for w in run).strip(".,!?")))
    return sorted(found, key=lambda m: m.start_ms)


def _names(products: Sequence[Product]) -> Iterable[tuple[str, tuple[str, ...], float]]:
    """(sku, bare name tokens, weight): full names, then title words one product has."""
    titles = {p.sku: [_bare(t) for t in p.title.split() if _bare(t)] for p in products}
    counts = Counter(t for words in titles.values() for t in set(words))
    for p in products:
        full = [p.title, *(k for k in p.keywords if len(k.split()) > 1)]
        for name in full:
            parts = tuple(t for t in map(_bare, name.split()) if t)
            if parts:
                yield p.sku, parts, 1.0
        for k, token in enumerate(titles[p.sku]):
            if counts[token] == 1 and len(token) >= 4 and token not in FUNCTION_WORDS \
                    and len(titles[p.sku]) > 1:
                yield p.sku, (token,), 0.6 if k == 0 else 0.3


def pitch_regions(mentions: Sequence[Mention], duration_ms: int) -> list[_Region]:
    """Runs of one product's mentions, bounded by other products' mentions."""
    regions: list[_Region] = []
    groups = [list(g) for _, g in itertools.groupby(mentions, key=lambda m: m.sku)]
    for k, group in enumerate(groups):
        runs = _split_on_gaps(group)
        for r, run in enumerate(runs):
            lo = groups[k - 1][-1].end_ms if k > 0 and r == 0 else 0
            hi = groups[k + 1][0].start_ms if k + 1 < len(groups) and r == len(runs) - 1 \
                else duration_ms
            start = max(lo, run[0].start_ms - LEAD_MS, 0)
            end = min(hi, run[-1].end_ms + FOLLOW_MS, duration_ms)
            if sum(m.weight for m in run) >= MIN_REGION_WEIGHT and end > start:
                regions.append(_Region(run[0].sku, Window(start_ms=start, end_ms=end),
                                       tuple(run)))
    return regions


def _split_on_gaps(group: Sequence[Mention]) -> list[list[Mention]]:
    runs = [[group[0]]]
    for prev, nxt in itertools.pairwise(group):
        if nxt.start_ms - prev.end_ms > REGION_GAP_MS:
            runs.append([])
        runs[-1].append(nxt)
    return runs


class _Talk:
    """Words and screen samples indexed for fast window queries."""

    def __init__(self, words: Sequence[Word], samples: Sequence[FrameScore]) -> None:
        self.words = words
        self.starts = [w.start_ms for w in words]
        self.ends = [w.end_ms for w in words]
        self.speech = [0, *itertools.accumulate(w.end_ms - w.start_ms for w in words)]
        self.samples = samples
        self.sample_t = [s.t_ms for s in samples]

    def inside(self, window: Window) -> tuple[int, int]:
        return (bisect.bisect_left(self.starts, window.start_ms),
                bisect.bisect_right(self.ends, window.end_ms))

    def text(self, i: int, j: int) -> str:
        return " ".join(w.text for w in self.words[i:j])

    def screen(self, window: Window) -> Sequence[FrameScore]:
        lo = bisect.bisect_left(self.sample_t, window.start_ms)
        hi = bisect.bisect_left(self.sample_t, window.end_ms)
        return self.samples[lo:hi]


def _region_windows(region: _Region, talk: _Talk, mentions: Sequence[Mention],
                    target_ms: int, duration_ms: int) -> list[Pitch]:
    """Scored pause-aligned windows of ``MIN_SHARE`` to all of ``target_ms`` holding a
    mention (a pitch that ends early is not padded with the next product's intro)."""
    i, j = talk.inside(region.span)
    starts, ends = boundaries(talk.words[i:j], duration_ms)
    starts = [s for s in starts if region.span.start_ms <= s]
    starts += [max(0, m.start_ms - LEAD_IN_MS) for m in region.mentions]
    ends = [e for e in ends if e <= region.span.end_ms] or [region.span.end_ms]
    out: list[Pitch] = []
    for start in sorted(set(starts)):
        for window in _fitting(start, ends, target_ms, duration_ms):
            pitch = score_pitch(window, region, talk, mentions)
            if pitch is not None:
                out.append(pitch)
    return out


def _fitting(start: int, ends: Sequence[int], target_ms: int, duration_ms: int
             ) -> list[Window]:
    """Pause-aligned windows from ``start`` of ``MIN_SHARE`` to all of ``target_ms`` (or
    one of exactly ``target_ms`` when no pause fits: speech is then cut)."""
    shortest = max(MIN_CLIP_MS, round(target_ms * MIN_SHARE))
    lo = bisect.bisect_left(ends, start + shortest)
    hi = bisect.bisect_right(ends, start + target_ms)
    if lo < hi:
        return [Window(start_ms=start, end_ms=end) for end in ends[lo:hi]]
    end = min(duration_ms, start + target_ms)
    return [Window(start_ms=start, end_ms=end)] if end - start >= shortest else []


def score_pitch(window: Window, region: _Region, talk: _Talk,
                mentions: Sequence[Mention]) -> Pitch | None:
    """The selling-moment score of one window; None when the product is not named."""
    own = [m for m in region.mentions if window.start_ms <= m.start_ms < window.end_ms]
    if not own:
        return None
    i, j = talk.inside(window)
    said = talk.text(i, j)
    first = own[0]
    parts = {"name": WEIGHTS["name"] * min(1.0, sum(m.weight for m in own))}
    reasons = [f"names {first.text!r} at {clock(first.start_ms)}"]
    if first.start_ms - window.start_ms <= HOOK_MS:
        parts["hook"] = WEIGHTS["hook"]
    for key, pattern, what in (("price", PRICE, "price or offer"), ("cta", CTA, "call to action")):
        hit = pattern.search(said)
        if hit:
            parts[key] = WEIGHTS[key]
            reasons.append(f"{what} ({hit.group(0).strip()!r})")
    if "price" not in parts and "cta" not in parts:
        return None  # named in passing, not sold: chit-chat
    density = (talk.speech[j] - talk.speech[i]) / max(1, window.duration_ms) if i < j else 0.0
    parts["density"] = round(WEIGHTS["density"] * density, 3)
    reasons.append(f"speech {density:.0%} of the window")
    parts["length"] = round(WEIGHTS["length"] * window.duration_ms / 1000, 3)
    edges = _sentence_edges(talk.words, i, j)
    if edges:
        parts["sentence"] = WEIGHTS["sentence"] * edges
    others = [m for m in mentions if m.sku != region.sku and m.weight >= 1.0
              and window.start_ms <= m.start_ms < window.end_ms]
    if others:
        parts["other_product"] = WEIGHTS["other_product"] * len(others)
        reasons.append(f"also names {others[0].text!r}")
    _screen_parts(talk.screen(window), parts, reasons)
    score = round(sum(parts.values()), 3)
    return Pitch(region.sku, window, score, parts, tuple(reasons))


def _sentence_edges(words: Sequence[Word], i: int, j: int) -> int:
    if i >= j:
        return 0
    starts = i == 0 or words[i - 1].text.endswith((".", "!", "?"))
    ends = words[j - 1].text.endswith((".", "!", "?"))
    return int(starts) + int(ends)


def _screen_parts(samples: Sequence[FrameScore], parts: dict[str, float],
                  reasons: list[str]) -> None:
    """Penalties for black, frozen and blurry pictures in the window."""
    if not samples:
        return
    for kind in ("black", "frozen", "blurry"):
        share = sum(getattr(s, kind) for s in samples) / len(samples)
        if share:
            parts[kind] = round(WEIGHTS[kind] * share, 3)
            reasons.append(f"{share:.0%} of the picture is {kind}")


def _choose(candidates: Sequence[Pitch], per_product: int) -> list[Pitch]:
    """Best first, at most ``per_product`` per product, no two windows overlapping."""
    chosen: list[Pitch] = []
    count: Counter[str] = Counter()
    ranked = sorted(candidates, key=lambda p: (-p.score, p.window.start_ms))
    for pitch in ranked:
        if count[pitch.sku] >= per_product:
            continue
        if any(_overlap(pitch.window, c.window) for c in chosen):
            continue
        chosen.append(pitch)
        count[pitch.sku] += 1
    return chosen


def _overlap(a: Window, b: Window) -> bool:
    return a.start_ms < b.end_ms and b.start_ms < a.end_ms


def clock(ms: int) -> str:
    """A recording time as h:mm:ss (or m:ss under an hour)."""
    s = ms // 1000
    h, m = divmod(s // 60, 60)
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m}:{s % 60:02d}"
