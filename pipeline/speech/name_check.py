"""Whether the audio bears out a catalog-name correction: Whisper's own ear decides.

Spelling and sound keys (pipeline/speech/names.py) cannot tell "morning tea taste"
from "Morwenna Tea Set", nor "Mister Halloran teaches" from the Halloran Dog
Harness: the letters are alike either way. The audio can. For a candidate
correction, Whisper scores the words around it twice by forced decoding (the
log-probability of every token, given the audio and the vocabulary prompt the
transcription used), once as heard and once corrected:

    evidence = [log P(corrected | audio) - log P(heard | audio)]
             - [log P(corrected | silence) - log P(heard | silence)]

The first bracket is always negative (the heard words are what Whisper chose); the
second removes what Whisper thinks of the words with nothing to hear, its prior
against a rare name such as "Morwenna". What is left is how much the audio itself
favours the correction. On bench/name_fix_sets.py's tuning and first two held-out
sets, 95 of 120 right candidate corrections scored -12 nats or better and 1 of 21
wrong ones did (the wrong ones: -40 to -11). A correction is kept when its evidence
is at least ``MIN_EVIDENCE``; near-homophones ("grab yours", *Graham Yours*) score
near 0 and are left to the letters.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from pipeline.core.models import Word
from pipeline.core.scripts import join_words
from pipeline.media.ffmpeg import file_arg, run_ffmpeg_pcm
from pipeline.speech.transcribe import SAMPLE_RATE, load_model, vocabulary_prompt

MIN_EVIDENCE = -12.0
"""Least evidence (nats, see the module docstring) a correction needs; chosen on
bench/name_fix_sets.py's tuning and first two held-out sets."""
CONTEXT_WORDS = 6
"""Words on each side of the corrected run scored with it: the words after a name
tell Whisper's decoder whether the name fits ("Morwenna Tea Set smatter" does not)."""
PAD_MS = 300
"""Audio kept before the first and after the last scored word (word times are
Whisper's estimates, off by up to a few hundred ms)."""
MAX_SPAN_MS = 25_000
"""Longest stretch of audio scored at once (Whisper hears 30 s)."""
TOKEN_FLOOR = 1e-10
"""Token probabilities are floored here before the log (a zero is not minus infinity)."""

AUDIO_TIMEOUT_S = 60.0
"""Longest an ffmpeg read of one stretch of footage audio may take."""

AudioSource = Callable[[int, int], np.ndarray]
"""Audio between two times (ms, the words' timeline) as 16 kHz mono float32."""


@dataclass
class NameCheck:
    """Scores candidate corrections against the audio with one Whisper model.

    ``audio`` gives the samples between two times; ``vocabulary`` is the product
    words the transcription was prompted with (the same prompt is used here)."""

    audio: AudioSource
    model_name: str
    language: str = "en"
    vocabulary: Sequence[str] = ()
    threads: int = 0
    _scorers: dict[tuple[int, int, bool], Callable[[str], float]] = field(
        default_factory=dict, repr=False)

    def __call__(self, words: Sequence[Word], start: int, length: int,
                 respelled: Sequence[Word]) -> float:
        """The evidence for replacing ``words[start:start+length]`` by ``respelled``."""
        lo, hi = _context(words, start, length)
        before, after = words[lo:start], words[start + length:hi]
        heard = join_words([w.text for w in words[lo:hi]])
        fixed = join_words([w.text for w in (*before, *respelled, *after)])
        span = (max(0, words[lo].start_ms - PAD_MS), words[hi - 1].end_ms + PAD_MS)
        spoken, silent = self._scorer(span, silent=False), self._scorer(span, silent=True)
        return (spoken(fixed) - spoken(heard)) - (silent(fixed) - silent(heard))

    def confirms(self, words: Sequence[Word], start: int, length: int,
                 respelled: Sequence[Word]) -> float | None:
        """The evidence when the audio bears the correction out (at least
        ``MIN_EVIDENCE``), else None: a ``pipeline.speech.names.Confirm``."""
        evidence = self(words, start, length, respelled)
        return evidence if evidence >= MIN_EVIDENCE else None

    def _scorer(self, span: tuple[int, int], silent: bool) -> Callable[[str], float]:
        key = (*span, silent)
        if key not in self._scorers:
            samples = self.audio(*span)
            if silent:
                samples = np.zeros_like(samples)
            self._scorers[key] = _forced_scorer(
                load_model(self.model_name, self.threads), samples, self.language,
                vocabulary_prompt(self.vocabulary))
        return self._scorers[key]


def _context(words: Sequence[Word], start: int, length: int) -> tuple[int, int]:
    """The word indexes scored with a run: up to ``CONTEXT_WORDS`` each side, fewer
    when they would stretch the audio past ``MAX_SPAN_MS``."""
    lo, hi = max(0, start - CONTEXT_WORDS), min(len(words), start + length + CONTEXT_WORDS)
    while lo < start and words[hi - 1].end_ms - words[lo].start_ms > MAX_SPAN_MS:
        lo += 1
    while hi > start + length and words[hi - 1].end_ms - words[lo].start_ms > MAX_SPAN_MS:
        hi -= 1
    return lo, hi


def _forced_scorer(model: Any, samples: np.ndarray, language: str,
                   prompt: str | None) -> Callable[[str], float]:
    """A function giving the log-probability (nats) Whisper's decoder assigns to a text
    as the transcript of ``samples`` (encoded once), prompted as the transcription was."""
    from faster_whisper.audio import pad_or_trim
    from faster_whisper.tokenizer import Tokenizer

    tokenizer = Tokenizer(model.hf_tokenizer, model.model.is_multilingual,
                          task="transcribe", language=language)
    features = model.feature_extractor(samples)
    frames = int(features.shape[-1])
    encoded = model.encode(pad_or_trim(features))
    start = [tokenizer.sot_prev, *tokenizer.encode(f" {prompt}")] if prompt else []
    start += [*tokenizer.sot_sequence, tokenizer.no_timestamps]

    def score(text: str) -> float:
        tokens = tokenizer.encode(f" {text.strip()}")
        if not tokens:
            return 0.0
        result = model.model.align(encoded, start, [tokens], frames)[0]
        probs = np.maximum(np.asarray(result.text_token_probs, dtype=np.float64), TOKEN_FLOOR)
        return float(np.log(probs).sum())

    return score


def samples_between(samples: np.ndarray) -> AudioSource:
    """An ``AudioSource`` over samples already in memory (16 kHz, time 0 = sample 0)."""
    def between(start_ms: int, end_ms: int) -> np.ndarray:
        return samples[start_ms * SAMPLE_RATE // 1000:end_ms * SAMPLE_RATE // 1000]
    return between


def footage_audio(path: str) -> AudioSource:
    """An ``AudioSource`` reading a file's first audio stream, only the stretch asked
    for (a recording may be hours long; the corrections need seconds of it)."""
    def between(start_ms: int, end_ms: int) -> np.ndarray:
        pcm = run_ffmpeg_pcm(["-v", "error", "-ss", f"{start_ms / 1000:.3f}",
                              "-t", f"{max(end_ms - start_ms, 1) / 1000:.3f}",
                              "-i", file_arg(path), "-map", "0:a:0", "-ac", "1",
                              "-ar", str(SAMPLE_RATE), "-f", "f32le", "-"],
                             timeout_s=AUDIO_TIMEOUT_S)
        return np.frombuffer(pcm, dtype=np.float32)
    return between
