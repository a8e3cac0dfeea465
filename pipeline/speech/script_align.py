"""Caption words from a script, timed by the speech (``--script``, issue 22).

The words shown are the script's, with its spelling, punctuation and case; their times
are the recognised words'. Both texts are cut into tokens compared without case or
punctuation: a Latin word, one Han or kana character (Chinese and Japanese have no
spaces, and Whisper cuts them differently from the script), one hangul syllable
(Whisper splits and joins Korean words unlike the script too). A global sequence
alignment (Needleman-Wunsch, scored by ``pipeline.speech.likeness``) pairs script
tokens with recognised ones; a paired token takes its partner's time, and a run of
script tokens the recogniser missed shares the time between its timed neighbours by
length. The script's words (Latin and Korean split at spaces, Chinese and Japanese one
character each, punctuation kept on the word before) span their tokens' times.

When under ``MIN_ALIGNED`` of the script's tokens find a like partner, the script is
not what was said: the recognised words are kept and a warning says so, rather than
captions that show the wrong words at the wrong times.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pipeline.core.models import Transcript, Word
from pipeline.core.scripts import is_hangul, is_unspaced, join_words, script_of
from pipeline.speech.likeness import likeness, normalised

MIN_ALIGNED = 0.6
"""Share of the script's tokens that must pair with a like recognised token."""
LIKE = 0.5
"""Likeness (0-1) at which a pair counts as aligned."""
PAIR_OFFSET = 0.55
"""A pair scores its likeness minus this: a like pair beats a gap on each side, an unlike
one does not (its script token is timed by the recognised words left between pairs)."""
GAP = -0.25
"""Score of a token left unpaired, on either side."""
FULL_CELLS = 40_000
"""Script tokens x recognised tokens up to which every pair is compared (200 x 200)."""
BAND = 25
"""Beyond ``FULL_CELLS``, how many recognised tokens either side of the equal tokens'
path are compared with each script token."""
MAX_CELLS = 8_000_000
"""Script tokens x recognised tokens beyond which aligning costs too much memory and
time (a 2,800-character script against as many recognised)."""


@dataclass(frozen=True)
class Tokens:
    """A text cut into comparable tokens, each belonging to one word of the text."""

    keys: tuple[str, ...]
    """Each token's normalised form (``likeness.normalised``)."""
    owner: tuple[int, ...]
    """Which word each token belongs to (an index into the words)."""


@dataclass(frozen=True)
class Alignment:
    """The script's words with times, and how much of the script the speech confirmed."""

    words: tuple[Word, ...]
    aligned: int
    """Script tokens paired with a like recognised token."""
    total: int
    """Script tokens."""

    @property
    def share(self) -> float:
        """Aligned tokens as a share of the script's, 0-1."""
        return self.aligned / self.total if self.total else 0.0


def apply_script(transcript: Transcript, script: str, name: str = "script") -> Transcript:
    """The transcript with the script's words when the speech confirms the script, else
    the transcript as heard with a warning in its ``warnings``."""
    if not _token_count(transcript.words):
        return _warned(transcript, f"{name}: no speech was recognised to time it by; "
                                   "there are no captions")
    texts, tokens = script_tokens(script)
    unit = {"latin": "words", "cjk": "characters", "korean": "syllables"}[script_of(script)]
    if _token_count(transcript.words) < MIN_ALIGNED * len(tokens.keys):
        return _warned(transcript, f"{name}: the speech has under {MIN_ALIGNED:.0%} as many "
                                   f"{unit} as the script's {len(tokens.keys)}; the captions "
                                   "use the recognised words. Check that the script is this "
                                   "footage's")
    if len(tokens.keys) * _token_count(transcript.words) > MAX_CELLS:
        return _warned(transcript, f"{name}: too long to align with the speech "
                                   f"({len(tokens.keys)} tokens); the captions use the "
                                   "recognised words. Give only what is said in this footage")
    result = align(transcript.words, texts, tokens)
    if result.share < MIN_ALIGNED:
        return _warned(transcript, f"{name}: only {result.aligned} of its {result.total} {unit} "
                                   f"({result.share:.0%}) match the speech, under "
                                   f"{MIN_ALIGNED:.0%}; the captions use the recognised "
                                   "words. Check that the script is this footage's")
    return transcript.model_copy(update={"words": result.words, "fixes": (),
                                         "text": join_words([w.text for w in result.words])})


def _warned(transcript: Transcript, warning: str) -> Transcript:
    return transcript.model_copy(update={"warnings": (*transcript.warnings, warning)})


def _token_count(words: Sequence[Word]) -> int:
    return sum(len(_keys(w.text)) for w in words)


# --- cutting texts into words and tokens ---------------------------------------------

def script_tokens(script: str) -> tuple[list[str], Tokens]:
    """The script's words as shown and its tokens (see the module docstring)."""
    words: list[str] = []
    keys: list[str] = []
    owner: list[int] = []
    prefix = ""
    for chunk in script.split():
        for piece in _pieces(chunk):
            piece_keys = _keys(piece)
            if not piece_keys:  # punctuation: onto the word before, or the next
                if words and not prefix:
                    words[-1] += piece if piece is not chunk else f" {piece}"
                else:
                    prefix += piece
                continue
            words.append(prefix + piece)
            prefix = ""
            keys += piece_keys
            owner += [len(words) - 1] * len(piece_keys)
    return words, Tokens(tuple(keys), tuple(owner))


def _pieces(chunk: str) -> list[str]:
    """A space-free chunk as words: itself, or with Han and kana one character each
    (a Latin run inside stays whole; punctuation goes with the character before)."""
    if not any(is_unspaced(ch) and ch.isalnum() for ch in chunk):
        return [chunk]
    pieces: list[str] = []
    lead = ""
    for ch in chunk:
        cjk = is_unspaced(ch) and ch.isalnum()
        if not ch.isalnum():
            if pieces:
                pieces[-1] += ch
            else:
                lead += ch
        elif cjk or not pieces or _is_cjk_piece(pieces[-1]):
            pieces.append(lead + ch)
            lead = ""
        else:
            pieces[-1] += ch
    return pieces or [chunk]


def _is_cjk_piece(piece: str) -> bool:
    return any(is_unspaced(ch) and ch.isalnum() for ch in piece)


def _keys(text: str) -> list[str]:
    """A word's tokens: each Han, kana or hangul character alone, other letters and
    digits together (a Latin word is one token)."""
    keys: list[str] = []
    run = ""
    for ch in normalised(text):
        if is_unspaced(ch) or is_hangul(ch):
            keys += [run, ch] if run else [ch]
            run = ""
        else:
            run += ch
    return [*keys, run] if run else keys


# --- aligning -------------------------------------------------------------------------

def align(heard: Sequence[Word], texts: Sequence[str], script: Tokens) -> Alignment:
    """The script's words timed by the recognised words they align with."""
    keys, starts, ends = _heard_tokens(heard)
    pairs = pair_tokens(script.keys, keys)
    aligned = sum(1 for i, j in enumerate(pairs) if j >= 0
                  and likeness(script.keys[i], keys[j]) >= LIKE)
    times = _token_times(script.keys, pairs, starts, ends)
    words = []
    for index, text in enumerate(texts):
        spans = [times[k] for k, o in enumerate(script.owner) if o == index]
        words.append(Word(text=text, start_ms=round(spans[0][0]),
                          end_ms=round(max(spans[-1][1], spans[0][0]))))
    return Alignment(words=tuple(words), aligned=aligned, total=len(script.keys))


def _heard_tokens(heard: Sequence[Word]) -> tuple[list[str], list[float], list[float]]:
    """The recognised words' tokens, each a share of its word's time by its length."""
    keys: list[str] = []
    starts: list[float] = []
    ends: list[float] = []
    for word in heard:
        word_keys = _keys(word.text)
        size = sum(len(k) for k in word_keys) or 1
        at = float(word.start_ms)
        for key in word_keys:
            step = (word.end_ms - word.start_ms) * len(key) / size
            keys.append(key)
            starts.append(at)
            ends.append(at + step)
            at += step
    return keys, starts, ends


def pair_tokens(script: Sequence[str], heard: Sequence[str]) -> list[int]:
    """For each script token, the index of the recognised token it aligns with, or -1.

    Up to ``FULL_CELLS`` every pair is compared. Beyond, equal tokens are aligned first
    (numpy, no per-pair Python), and likeness is computed only within ``BAND`` tokens of
    that path: comparing every pair of a 1,200-word script with as much speech took 15 s.
    """
    if len(script) * len(heard) <= FULL_CELLS:
        return best_path(_pair_scores(script, heard))
    codes = {k: i for i, k in enumerate(dict.fromkeys([*script, *heard]))}
    rows = np.array([codes[k] for k in script])
    cols = np.array([codes[k] for k in heard])
    equal = np.where(rows[:, None] == cols[None, :], 1.0 - PAIR_OFFSET, -PAIR_OFFSET)
    rough = _filled(best_path(equal.astype(np.float32)), len(heard))
    scores = np.full((len(script), len(heard)), -PAIR_OFFSET, dtype=np.float32)
    for i, centre in enumerate(rough):
        low, high = max(0, centre - BAND), min(len(heard), centre + BAND + 1)
        scores[i, low:high] = [likeness(script[i], heard[j]) - PAIR_OFFSET
                               for j in range(low, high)]
    return best_path(scores)


def _filled(pairs: Sequence[int], width: int) -> list[int]:
    """Each script token's partner, or for an unpaired one the partner before it."""
    out, last = [], 0
    for j in pairs:
        last = j if j >= 0 else min(last + 1, width - 1)
        out.append(last)
    return out


def best_path(pair: np.ndarray) -> list[int]:
    """Needleman-Wunsch over a (script x recognised) matrix of pair scores, gaps ``GAP``:
    each script token's partner or -1. Each row's left moves are a running maximum, so a
    row is a few numpy operations."""
    n, m = pair.shape
    total = np.zeros((n + 1, m + 1), dtype=np.float32)
    total[0] = GAP * np.arange(m + 1)
    from_up = np.zeros((n + 1, m + 1), dtype=bool)
    from_left = np.zeros((n + 1, m + 1), dtype=bool)
    steps = (GAP * np.arange(m + 1)).astype(np.float32)
    for i in range(1, n + 1):
        diagonal = total[i - 1, :-1] + pair[i - 1]
        up = total[i - 1, 1:] + GAP
        best = np.concatenate((np.array([GAP * i], dtype=np.float32), np.maximum(diagonal, up)))
        shifted = best - steps
        running = np.maximum.accumulate(shifted)
        total[i] = steps + running
        from_up[i, 1:] = up > diagonal
        from_left[i, 1:] = running[1:] > shifted[1:]  # exact: the maximum came from the left
    from_up[1:, 0] = True
    pairs = [-1] * n
    i, j = n, m
    while i > 0 and j >= 0:
        if j > 0 and from_left[i, j]:
            j -= 1
        elif j == 0 or from_up[i, j]:
            i -= 1
        else:
            pairs[i - 1] = j - 1
            i, j = i - 1, j - 1
    return pairs


def _pair_scores(script: Sequence[str], heard: Sequence[str]) -> np.ndarray:
    """likeness - ``PAIR_OFFSET`` for every (script, recognised) token pair, each distinct
    pair of keys compared once."""
    rows = {k: i for i, k in enumerate(dict.fromkeys(script))}
    cols = {k: j for j, k in enumerate(dict.fromkeys(heard))}
    table = np.array([[likeness(a, b) for b in cols] for a in rows]).reshape(len(rows),
                                                                            len(cols))
    index_rows = np.array([rows[k] for k in script], dtype=int)
    index_cols = np.array([cols[k] for k in heard], dtype=int)
    return np.asarray(table[np.ix_(index_rows, index_cols)] - PAIR_OFFSET, dtype=np.float32)


def _token_times(keys: Sequence[str], pairs: Sequence[int], starts: Sequence[float],
                 ends: Sequence[float]) -> list[tuple[float, float]]:
    """(start, end) ms of every script token: its partner's, or a share of the time
    between the paired tokens around a run of unpaired ones, by length."""
    times: list[tuple[float, float]] = [(starts[j], ends[j]) if j >= 0 else (0.0, 0.0)
                                        for j in pairs]
    ms_per_char = (ends[-1] - starts[0]) / max(1, sum(len(k) for k in keys))
    i = 0
    while i < len(keys):
        if pairs[i] >= 0:
            i += 1
            continue
        run_end = i
        while run_end < len(keys) and pairs[run_end] < 0:
            run_end += 1
        _share_gap(times, keys, pairs, (i, run_end), (starts, ends), ms_per_char)
        i = run_end
    return times


def _share_gap(times: list[tuple[float, float]], keys: Sequence[str], pairs: Sequence[int],
               run: tuple[int, int], heard: tuple[Sequence[float], Sequence[float]],
               ms_per_char: float) -> None:
    """Time the unpaired script tokens ``run`` (start, end indices) in place.

    They take the time of the recognised words nobody paired between the paired tokens
    around them ("twenty four dollars" that of "$24."); with none, the time from the paired
    token before to the one after; at the script's edges, ``ms_per_char`` before the first
    or after the last. Too little room (under half the usual pace) and the neighbours share
    theirs with them.
    """
    first, stop = run
    starts, ends = heard
    size = sum(len(k) for k in keys[first:stop])
    before = pairs[first - 1] if first > 0 else -1
    after = pairs[stop] if stop < len(keys) else -1
    unpaired = range(before + 1, after if after >= 0 else len(starts))
    if unpaired:
        low, high = starts[unpaired[0]], ends[unpaired[-1]]
    elif before < 0:
        low, high = starts[after] - ms_per_char * size, starts[after]
    elif after < 0:
        low, high = ends[before], ends[before] + ms_per_char * size
    else:
        low, high = ends[before], starts[after]
    first_shared, stop_shared = first, stop
    if high - low < ms_per_char * size / 2 and before >= 0 and after >= 0 and not unpaired:
        low, high = starts[before], ends[after]
        first_shared, stop_shared = first - 1, stop + 1
    low = max(0.0, low)
    weights = [len(k) for k in keys[first_shared:stop_shared]]
    at, unit = low, (high - low) / max(1, sum(weights))
    for k, weight in zip(range(first_shared, stop_shared), weights, strict=True):
        times[k] = (at, at + unit * weight)
        at += unit * weight
