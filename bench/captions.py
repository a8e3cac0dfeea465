"""Caption figures for `clipcart bench`: word error rate, onset error, real-time factor.

- ``wer``: word error rate of tiny.en on the bundled TTS track
  assets/samples/speech.wav, whose text is ``KNOWN_TEXT``, with the product's
  words as vocabulary as `clipcart make` passes them. Both sides are normalised
  (case, punctuation, numbers spelled out: "24" and "$24" vs "twenty four").
- ``onset_median_ms`` / ``onset_p90_ms``: how far the caption highlight of each
  word (the Whisper word start that the ASS uses) is from where the word really
  starts. Reference onsets are independent of Whisper: bench/data/onsets_en.opus
  is the same text made by espeak-ng one word at a time and joined with short
  gaps, so each word's start is known by construction (bench/make_onset_speech.py
  made it and wrote bench/data/onsets_en.json). Words are paired by aligning the
  normalised transcript to the known words (difflib); unmatched words are skipped
  and counted in ``onset_matched``.
- ``rtf``: transcription wall time / audio duration (the product's thread count), best of 3 runs
  after a warm-up (the machine is shared; the best run is the least disturbed),
  and ``rtf_cpu``: CPU seconds per audio second for the same run.

Run: ``PYTHONPATH=. python -m bench.captions`` prints the figures as JSON.
"""

from __future__ import annotations

import difflib
import json
import re
import statistics
import time
from pathlib import Path

import numpy as np

from pipeline.speech.transcribe import SAMPLE_RATE, WHISPER_THREADS, TranscribeOptions, run_whisper

KNOWN_TEXT = (
    "This is the Trailhead Insulated Bottle. It keeps water ice cold all day, and "
    "the lid never leaks. Right now it is only twenty four dollars. Grab yours from "
    "the link below."
)
VOCABULARY = ("Trailhead Insulated Bottle", "Trailhead", "insulated", "bottle", "leak proof")
SPEECH = Path(__file__).resolve().parents[1] / "assets" / "samples" / "speech.wav"
ONSETS = Path(__file__).parent / "data"
THREADS = WHISPER_THREADS
_ONES = [
    "zero",
    "one",
    "two",
    "three",
    "four",
    "five",
    "six",
    "seven",
    "eight",
    "nine",
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["_", "_", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]


def spell_number(n: int) -> str:
    """0-999 in English words ("24" -> "twenty four"); larger numbers stay digits."""
    if n < 20:
        return _ONES[n]
    if n < 100:
        return _TENS[n // 10] + ("" if n % 10 == 0 else " " + _ONES[n % 10])
    if n < 1000:
        rest = "" if n % 100 == 0 else " " + spell_number(n % 100)
        return _ONES[n // 100] + " hundred" + rest
    return str(n)


def normalise(text: str) -> list[str]:
    """Lower-case words without punctuation, numbers spelled out, "$N" as "N dollars"."""
    text = re.sub(r"\$(\d+)", r"\1 dollars", text.casefold())
    text = re.sub(r"\d+", lambda m: " " + spell_number(int(m.group())) + " ", text)
    return re.sub(r"[^\w\s']", " ", text).split()


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """(substitutions + deletions + insertions) / reference words (Levenshtein on words)."""
    row = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, 1):
        prev, row[0] = row[0], i
        for j, hyp in enumerate(hypothesis, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ref != hyp))
    return row[-1] / max(1, len(reference))


def _load(path: Path) -> np.ndarray:
    from faster_whisper.audio import decode_audio

    return np.asarray(decode_audio(str(path), sampling_rate=SAMPLE_RATE), dtype=np.float32)


def _options() -> TranscribeOptions:
    return TranscribeOptions(model="tiny.en", language="en", vocabulary=VOCABULARY, threads=THREADS)


def measure_wer_and_rtf() -> dict[str, float]:
    """WER and real-time factor of tiny.en on the bundled speech track."""
    samples, options = _load(SPEECH), _options()
    run_whisper(samples, "tiny.en", "en", options)  # warm-up: model load, caches
    runs = []
    for _ in range(3):
        wall, cpu = time.perf_counter(), time.process_time()
        transcript = run_whisper(samples, "tiny.en", "en", options)
        runs.append((time.perf_counter() - wall, time.process_time() - cpu))
    seconds = len(samples) / SAMPLE_RATE
    wall, cpu = min(runs)
    wer = word_error_rate(normalise(KNOWN_TEXT), normalise(transcript.text))
    return {
        "wer": round(wer, 4),
        "rtf": round(wall / seconds, 4),
        "rtf_cpu": round(cpu / seconds, 4),
        "audio_s": round(seconds, 2),
    }


def measure_onsets() -> dict[str, float]:
    """Median and 90th percentile |caption word start - true word start| in ms."""
    reference = json.loads((ONSETS / "onsets_en.json").read_text())
    transcript = run_whisper(_load(ONSETS / "onsets_en.opus"), "tiny.en", "en", _options())
    ref_tokens = [normalise(r["word"])[0] for r in reference]
    hyp_tokens = [(normalise(w.text) or [""])[0] for w in transcript.words]
    matcher = difflib.SequenceMatcher(a=ref_tokens, b=hyp_tokens, autojunk=False)
    errors = [
        abs(transcript.words[j + k].start_ms - reference[i + k]["start_ms"])
        for i, j, size in matcher.get_matching_blocks()
        for k in range(size)
    ]
    if not errors:
        return {"onset_median_ms": float("inf"), "onset_p90_ms": float("inf"), "onset_matched": 0.0}
    return {
        "onset_median_ms": float(statistics.median(errors)),
        "onset_p90_ms": float(np.percentile(errors, 90)),
        "onset_matched": round(len(errors) / len(reference), 3),
    }


def measure_captions() -> dict[str, float]:
    """All caption figures (targets: wer <= 0.10, onset_median_ms <= 150, rtf <= 0.15)."""
    return {**measure_wer_and_rtf(), **measure_onsets()}


if __name__ == "__main__":
    print(json.dumps(measure_captions(), indent=1))
