"""`clipcart slice`: a long live-selling recording in, a clip per product pitch out.

This module decides; the flow (flows/slice.py) makes the clips. One pass over a
recording: its speech is transcribed in chunks (pipeline/speech/stream.py) while
its keyframes are surveyed (pipeline/footage/survey.py), both cached by the file's
content hash; then the pitches are found (pipeline/footage/pitches.py). The report
of a recording (product, where, score, clip id, why) is printed, written to
``OUT/slice.json`` and published as a Prefect artifact by the flow.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.core.digest import file_digest
from pipeline.core.errors import FootageError
from pipeline.core.models import MediaInfo, Product, Transcript, Window
from pipeline.footage.pitches import Pitch, PitchSearch, clock, find_pitches
from pipeline.footage.survey import Survey, survey_cached
from pipeline.media.mp4 import cut_off_reason
from pipeline.media.probe import check_footage, probe
from pipeline.ops.slice_page import render_report
from pipeline.speech.names import catalog_names
from pipeline.speech.stream import StreamResult, transcribe_stream
from pipeline.speech.transcribe import TranscribeOptions

CUT_OFF_SLACK_MS = 2000
"""A recording that decodes this much short of its stated length is cut off."""
PROMPT_NAMES = 12
"""Catalog names in Whisper's prompt: more would crowd out its context window."""
LIVE_BEAM = 1
"""Greedy decoding for hours of speech: half beam 5's time; names misheard by it are
respelled from the catalog anyway (pipeline/speech/names.py)."""
RENDERS_AT_ONCE = 1
"""ffmpeg renders a slice runs at once. One 1080x1920 render peaks at about 480 MB (x264
alone about 240 MB at any thread count, then captions, card and audio), so two at once
put the command over 1.5 GB with its Python process and Prefect's server (1675 MB
measured on the bench recording). The clips still overlap: while one renders, the next
window is decoded, reframed, planned and the last one checked."""
REPORT_NAME = "slice.json"
PAGE_NAME = "slice.html"


@dataclass(frozen=True)
class RecordingAnalysis:
    """Everything decided about one recording before any clip is made."""

    info: MediaInfo
    digest: str
    search: PitchSearch
    transcript: Transcript
    """The whole transcript with catalog names respelled (footage timeline)."""
    read_ms: int
    warnings: tuple[str, ...] = ()
    timings: dict[str, float] = field(default_factory=dict)
    """Seconds: transcription, picture analysis, selection (and their wall time)."""


MP4_SUFFIXES = (".mp4", ".mov", ".m4v")


def probe_recording(path: Path) -> MediaInfo:
    """Probe a recording; one cut off mid-write (no length in its header) is still read.

    A plain MP4 cut off mid-write has no index (its ``moov`` atom comes last), so no
    demuxer can find a frame in it: that is one line, exit 2, saying how to record so a
    cut-off file stays readable. A fragmented MP4 or an MKV is read as far as it goes."""
    try:
        info = probe(path)
    except FootageError as exc:
        reason = cut_off_reason(Path(path)) if _is_mp4(path) else ""
        if reason:
            raise FootageError(
                f"{path}: cut off mid-write, {reason}, so no frame of it can be found",
                hint="Record live streams as MKV or fragmented MP4 (ffmpeg -movflags "
                     "+frag_keyframe+empty_moov; OBS: 'Fragmented MP4'), which are sliced "
                     "as far as they read; this file needs an MP4 repair tool first") from exc
        raise
    if info.has_video and info.duration_ms == 0:
        return info  # the length is found by decoding
    check_footage(info)
    return info


def _is_mp4(path: Path) -> bool:
    return Path(path).suffix.lower() in MP4_SUFFIXES and Path(path).is_file()


def transcribe_options(products: Sequence[Product], model: str = "auto",
                       language: str | None = None) -> TranscribeOptions:
    """Whisper's settings for a recording: catalog titles as vocabulary, greedy decoding."""
    names = catalog_names(products)[:PROMPT_NAMES]
    return TranscribeOptions(model=model, language=language, vocabulary=tuple(names),
                             beam_size=LIVE_BEAM)


def analyse_recording(path: Path, products: Sequence[Product], *, target_ms: int,
                      per_product: int, options: TranscribeOptions,
                      progress: Callable[[int], None] | None = None) -> RecordingAnalysis:
    """One pass: transcription and keyframe survey at once, then the pitch search."""
    info = probe_recording(path)
    digest = file_digest(path)
    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="survey") as pool:
        pending = pool.submit(survey_cached, info, digest)
        speech = transcribe_stream(path, digest, options, progress)
        speech_s = time.perf_counter() - began
        seen = pending.result()
    read_ms = _read_length(info, speech, seen)
    if read_ms < 3000:
        raise FootageError(f"{path}: only {read_ms / 1000:.1f} s of it can be read",
                           hint="Use a recording of at least 3 seconds that plays")
    t0 = time.perf_counter()
    search = find_pitches(speech.transcript.words, products, read_ms, target_ms,
                          per_product, seen.scores)
    timings = {"transcription": round(speech_s, 3), "picture_analysis": round(seen.seconds, 3),
               "selection": round(time.perf_counter() - t0, 3),
               "analysis_wall": round(time.perf_counter() - began, 3)}
    transcript = speech.transcript.model_copy(update={"words": search.words,
                                                      "fixes": search.fixes})
    return RecordingAnalysis(info, digest, search, transcript, read_ms,
                             tuple(_cut_off_warning(path, info, read_ms, speech, seen)), timings)


def _read_length(info: MediaInfo, speech: StreamResult, seen: Survey) -> int:
    """How much of the recording decodes: its stated length unless reading stopped short."""
    read = max(speech.read_ms if info.has_audio else 0, seen.read_ms)
    if info.duration_ms == 0 or speech.error or seen.error:
        return read
    return info.duration_ms if read >= info.duration_ms - CUT_OFF_SLACK_MS else read


def _cut_off_warning(path: Path, info: MediaInfo, read_ms: int, speech: StreamResult,
                     seen: Survey) -> list[str]:
    stated = info.duration_ms
    torn = cut_off_reason(Path(path)) if _is_mp4(path) else ""
    if read_ms >= stated - CUT_OFF_SLACK_MS and not (speech.error or seen.error or torn):
        return []
    of = f" of its stated {clock(stated)}" if stated and read_ms < stated else ""
    why = speech.error or seen.error or torn or "the file ends early"
    return [f"{path.name} is cut off: sliced as far as it reads, {clock(read_ms)}{of} ({why})"]


def window_transcript(transcript: Transcript, window: Window) -> Transcript:
    """The words (and name fixes) inside the window, footage timeline: what a clip's
    captions need, without carrying hours of words through every task."""
    words = tuple(w for w in transcript.words
                  if w.end_ms > window.start_ms and w.start_ms < window.end_ms)
    fixes = tuple(f for f in transcript.fixes if window.start_ms <= f.start_ms < window.end_ms)
    return transcript.model_copy(update={"words": words, "fixes": fixes,
                                         "text": " ".join(w.text for w in words)})


@dataclass(frozen=True)
class PitchSource:
    """What making one pitch's clip needs of its recording (small enough to ship to a
    Dask worker: the window's words only)."""

    info: MediaInfo
    digest: str
    transcript: Transcript
    warnings: tuple[str, ...] = ()


def pitch_source(analysis: RecordingAnalysis, pitch: Pitch) -> PitchSource:
    """The recording as one pitch's clip sees it."""
    return PitchSource(analysis.info, analysis.digest,
                       window_transcript(analysis.transcript, pitch.window), analysis.warnings)


def no_pitch_message(path: Path, search: PitchSearch) -> str:
    """The one line for a recording where no product is pitched."""
    return (f"no product pitch found in {path.name} ({speech_amount(search.speech_ms)} of "
            f"speech, {len(search.mentions)} catalog names)")


def speech_amount(ms: int) -> str:
    """Speech time as people say it: '42 min', or seconds under a minute."""
    return f"{round(ms / 60000)} min" if ms >= 60000 else f"{ms // 1000} s"


@dataclass(frozen=True)
class ReportRow:
    """One line of a recording's report."""

    sku: str
    title: str
    start_ms: int
    end_ms: int
    score: float
    clip_id: str
    why: tuple[str, ...]
    status: str = "made"
    variant: str = ""
    """The A/B variant's label ('' when the slice made none)."""

    @property
    def where(self) -> str:
        return f"{clock(self.start_ms)}-{clock(self.end_ms)}"

    def as_dict(self) -> dict[str, Any]:
        return {"sku": self.sku, "title": self.title, "where": self.where,
                "start_ms": self.start_ms, "end_ms": self.end_ms, "score": self.score,
                "clip_id": self.clip_id, "status": self.status, "why": list(self.why),
                "variant": self.variant}


def report_row(pitch: Pitch, product: Product, clip_id: str, status: str) -> ReportRow:
    """The report's line for one pitch."""
    return ReportRow(pitch.sku, product.title, pitch.window.start_ms, pitch.window.end_ms,
                     pitch.score, clip_id, pitch.reasons, status)


def recording_report(analysis: RecordingAnalysis, rows: Sequence[ReportRow]
                     ) -> dict[str, Any]:
    """The report of one recording, as slice.json holds it."""
    search = analysis.search
    return {"recording": analysis.info.path, "duration_ms": analysis.info.duration_ms,
            "read_ms": analysis.read_ms, "speech_ms": search.speech_ms,
            "catalog_names": len(search.mentions),
            "names_respelled": [f"{f.heard} -> {f.spelled}" for f in search.fixes],
            "warnings": list(analysis.warnings), "timings": analysis.timings,
            "pitches": [r.as_dict() for r in rows]}


def write_report(out_dir: Path, reports: Sequence[dict[str, Any]]) -> Path:
    """OUT/slice.json (and its page, slice.html): every recording of this run, replacing
    earlier runs' reports of the same recordings and keeping the others."""
    path = out_dir / REPORT_NAME
    kept: list[dict[str, Any]] = []
    if path.exists():
        try:
            kept = list(json.loads(path.read_text("utf-8")).get("recordings", []))
        except (ValueError, AttributeError):
            kept = []
    fresh = [{k: v for k, v in r.items() if k != "manifests"} for r in reports]
    names = {r["recording"] for r in fresh}
    data = {"recordings": [r for r in kept if r.get("recording") not in names] + fresh}
    out_dir.mkdir(parents=True, exist_ok=True)
    _write(path, json.dumps(data, indent=2, ensure_ascii=False))
    _write(out_dir / PAGE_NAME, render_report(data["recordings"], out_dir))
    return path


def _write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, "utf-8")
    tmp.replace(path)
