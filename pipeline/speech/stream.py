"""Transcribe a recording of any length in chunks, with flat memory and a resumable cache.

`pipeline.speech.transcribe` holds a clip's whole audio in memory (16 kHz float32:
230 MB an hour). A live-selling recording is hours long, so its audio is decoded
as a stream and cut into chunks of about ``CHUNK_S`` seconds, each cut at the
quietest ``QUIET_MS`` stretch near its end (never inside a word when the host
pauses at all). Each chunk goes through Whisper with its VAD filter (silence is
skipped, not decoded) and is cached under ``CLIPCART_HOME/live/<key>/`` by the
file's content hash, the options and the chunk's position: an interrupted run
transcribes only the chunks it had not finished. The whole transcript is then
cached beside them, and `pipeline.speech.transcribe.transcribe` reuses it for a
later `make` on the same file (``cached_recording_transcript``).

A file that stops decoding early (a recording cut off mid-write) is transcribed as
far as it reads; ``StreamResult.read_ms`` says how far that was.
"""

from __future__ import annotations

import hashlib
import json
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import av
import numpy as np

from pipeline.core.errors import TranscriptionError
from pipeline.core.home import home_subdir
from pipeline.core.models import Transcript, Word
from pipeline.core.scripts import join_words
from pipeline.speech.guard import GUARD_VERSION, guard_segments
from pipeline.speech.transcribe import (
    ENGLISH_MODEL,
    SAMPLE_RATE,
    TEMPERATURES,
    WORKERS,
    TranscribeOptions,
    choose_model,
    load_model,
    segment_words,
    vocabulary_prompt,
)

CHUNK_S = 120
"""Audio per Whisper call (seconds): 7.7 MB of float32, whatever the recording's length."""
SPLIT_SEARCH_S = 10
"""The chunk's cut is the quietest stretch of its last this many seconds."""
QUIET_MS = 100
PARALLEL_CHUNKS = WORKERS
"""Chunks the Whisper process transcribes at once: one per model replica, each call on
one thread (WHISPER_THREADS), so both cores of a 2-core machine work."""
STREAM_VERSION = 1
"""Bumped when chunking or decoding changes: cached chunks are redone."""


@dataclass(frozen=True)
class StreamResult:
    """The recording's transcript (footage timeline) and how far its audio decoded."""

    transcript: Transcript
    read_ms: int
    """Where the audio stopped decoding (the whole file unless it is cut off)."""
    error: str = ""
    """Why decoding stopped early, if it did."""
    chunks: int = 0
    cached_chunks: int = 0


@dataclass
class _Reader:
    """Streams the audio as chunks; remembers where and why it stopped."""

    path: str
    chunk_s: int = CHUNK_S
    read_samples: int = 0
    error: str = ""
    _buffer: list[np.ndarray] = field(default_factory=list)

    def chunks(self) -> Iterator[tuple[int, np.ndarray]]:
        """(start sample, float32 samples) of each chunk, in order."""
        start, pending = 0, 0
        for block in self._blocks():
            self._buffer.append(block)
            pending += len(block)
            if pending >= self.chunk_s * SAMPLE_RATE:
                audio = np.concatenate(self._buffer)
                cut = quiet_cut(audio, len(audio) - SPLIT_SEARCH_S * SAMPLE_RATE)
                yield start, _float(audio[:cut])
                self._buffer, pending, start = [audio[cut:]], len(audio) - cut, start + cut
        if pending:
            yield start, _float(np.concatenate(self._buffer))

    def _blocks(self) -> Iterator[np.ndarray]:
        resampler = av.AudioResampler(format="s16", layout="mono", rate=SAMPLE_RATE)
        try:
            with av.open(self.path, metadata_errors="ignore") as container:
                for frame in container.decode(audio=0):
                    frame.pts = None
                    for out in resampler.resample(frame):
                        yield self._count(out.to_ndarray().reshape(-1))
        except (av.error.FFmpegError, EOFError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"
        for out in resampler.resample(None):
            yield self._count(out.to_ndarray().reshape(-1))

    def _count(self, block: np.ndarray) -> np.ndarray:
        self.read_samples += len(block)
        return block


def _float(samples: np.ndarray) -> np.ndarray:
    return samples.astype(np.float32) / 32768.0


def quiet_cut(audio: np.ndarray, search_from: int) -> int:
    """The sample index at the middle of the quietest QUIET_MS stretch after
    ``search_from`` (the end of the audio when nothing is left to search)."""
    step = SAMPLE_RATE * QUIET_MS // 1000
    lo = max(0, search_from)
    usable = (len(audio) - lo) // step
    if usable < 1:
        return len(audio)
    frames = audio[lo:lo + usable * step].astype(np.float32).reshape(usable, step)
    quietest = int(np.argmin(np.mean(frames * frames, axis=1)))
    return lo + quietest * step + step // 2


def stream_key(file_digest: str, options: TranscribeOptions) -> str:
    """The cache folder name for one file transcribed with ``options``."""
    raw = json.dumps([file_digest, options.model, options.language, sorted(options.vocabulary),
                      options.beam_size, GUARD_VERSION, STREAM_VERSION, CHUNK_S])
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


def recording_transcript_path(file_digest: str) -> Path:
    """Where the last whole transcript of a recording is kept (any options)."""
    return home_subdir("live") / f"{file_digest[:32]}.transcript.json"


def cached_recording_transcript(path: Path, file_digest: str) -> Transcript | None:
    """The whole transcript a slice of this file (same content) left, if any."""
    cached = recording_transcript_path(file_digest)
    if not cached.exists():
        return None
    return Transcript.model_validate_json(cached.read_text("utf-8"))


@dataclass(frozen=True)
class _Chunk:
    """Where a chunk lies and where its transcript is cached."""

    offset_ms: int
    size: int
    """Samples."""
    cache: Path
    part: Transcript | None = None
    """Its transcript when it came from the cache."""


def transcribe_stream(path: Path, file_digest: str, options: TranscribeOptions,
                      progress: Callable[[int], None] | None = None) -> StreamResult:
    """The recording's transcript, chunk by chunk, each chunk cached; ``progress`` gets
    the milliseconds transcribed so far.

    Whisper runs in a child process that exits when the last chunk is done: the model
    and its runtime (a few hundred MB) are never resident while the clips render. The
    child transcribes ``PARALLEL_CHUNKS`` chunks at once (one thread each), and the
    next ones are decoded here meanwhile."""
    folder = home_subdir("live") / stream_key(file_digest, options)
    folder.mkdir(parents=True, exist_ok=True)
    reader = _Reader(str(path))
    words: list[Word] = []
    language, chunks, cached = options.language or "en", 0, 0
    queue: deque[tuple[list[_Chunk], Future[list[Transcript]] | None]] = deque()
    batch: list[tuple[_Chunk, np.ndarray]] = []

    def flush() -> None:
        if batch:
            queue.append(([c for c, _ in batch], whisper.submit([s for _, s in batch])))
            batch.clear()

    def collect() -> None:
        nonlocal language
        group, job = queue.popleft()
        heard = [c.part for c in group if c.part is not None] if job is None else [
            _shifted(part, c.offset_ms) for c, part in zip(group, _result(job), strict=True)]
        for chunk, part in zip(group, heard, strict=True):
            if job is not None:
                _write(chunk.cache, part.model_dump_json())
            words.extend(part.words)
            language = part.language or language
            if progress is not None:
                progress(chunk.offset_ms + chunk.size * 1000 // SAMPLE_RATE)

    with _whisper_process(options) as whisper:
        for start, samples in reader.chunks():
            offset_ms = start * 1000 // SAMPLE_RATE
            chunk = _Chunk(offset_ms, len(samples),
                           folder / f"{offset_ms:010d}-{len(samples)}.json")
            chunks += 1
            if chunk.cache.exists():
                flush()  # keep the chunks in order
                part = Transcript.model_validate_json(chunk.cache.read_text("utf-8"))
                queue.append(([replace(chunk, part=part)], None))
                cached += 1
            else:
                batch.append((chunk, samples))
                if len(batch) == PARALLEL_CHUNKS:
                    flush()
            while len(queue) > 1:
                collect()
        flush()
        while queue:
            collect()
    read_ms = reader.read_samples * 1000 // SAMPLE_RATE
    note = "" if words else "no speech found in the audio"
    transcript = Transcript(text=join_words([w.text for w in words]), language=language,
                            words=tuple(words), note=note)
    if not reader.error:
        _write(recording_transcript_path(file_digest), transcript.model_dump_json())
    return StreamResult(transcript, read_ms, reader.error, chunks, cached)


class _WhisperProcess:
    """One child process for Whisper, spawned at the first chunk not cached and gone at
    ``close``. Spawned, not forked: the caller may hold threads (Prefect's) that a fork
    would copy mid-lock."""

    def __init__(self, options: TranscribeOptions) -> None:
        self.options = options
        self.pool: ProcessPoolExecutor | None = None

    def submit(self, chunks: list[np.ndarray]) -> Future[list[Transcript]]:
        if self.pool is None:
            self.pool = ProcessPoolExecutor(max_workers=1,
                                            mp_context=multiprocessing.get_context("spawn"))
        return self.pool.submit(transcribe_chunks, chunks, self.options)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


@contextmanager
def _whisper_process(options: TranscribeOptions) -> Iterator[_WhisperProcess]:
    whisper = _WhisperProcess(options)
    try:
        yield whisper
    finally:
        whisper.close()


def transcribe_chunks(chunks: list[np.ndarray], options: TranscribeOptions
                      ) -> list[Transcript]:
    """Chunks through Whisper at once, a thread each (the model has ``WORKERS`` replicas;
    each call runs on one core)."""
    if len(chunks) == 1:
        return [transcribe_chunk(chunks[0], options)]
    with ThreadPoolExecutor(max_workers=len(chunks), thread_name_prefix="whisper") as pool:
        return list(pool.map(lambda samples: transcribe_chunk(samples, options), chunks))


def _result(job: Future[list[Transcript]]) -> list[Transcript]:
    try:
        return job.result()
    except BrokenProcessPool as exc:
        raise TranscriptionError(
            "the Whisper process stopped before the recording was transcribed (killed, "
            "perhaps for lack of memory)",
            hint="Free some memory and run the command again: finished chunks are kept") \
            from exc


def transcribe_chunk(samples: np.ndarray, options: TranscribeOptions) -> Transcript:
    """One chunk through Whisper (VAD on, no conditioning across windows), guarded."""
    name = choose_model(options.model, options.language)
    model = load_model(name, options.threads)
    language = options.language or ("en" if name == ENGLISH_MODEL else None)
    segments, info = model.transcribe(
        samples, language=language, word_timestamps=True, vad_filter=True,
        initial_prompt=vocabulary_prompt(options.vocabulary),
        condition_on_previous_text=False, beam_size=options.beam_size,
        temperature=list(TEMPERATURES))
    kept: list[Any] = guard_segments(list(segments), options.vocabulary)
    words = tuple(segment_words(kept))
    return Transcript(text=join_words([w.text for w in words]), language=info.language,
                      words=words)


def _shifted(part: Transcript, offset_ms: int) -> Transcript:
    words = tuple(w.model_copy(update={"start_ms": w.start_ms + offset_ms,
                                       "end_ms": w.end_ms + offset_ms}) for w in part.words)
    return part.model_copy(update={"words": words})


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
