"""Stems of a clip's audio and the figures that say whether the mix works.

``export_stems`` runs the render's own speech, music and duck chains (from
``pipeline.render.audio``) into three WAV files: the speech as mixed, the
music before ducking and the ducked music. ``ducking_report`` reads them and
measures what the ear cares about: how far the music drops under speech, how
fast it comes back when the speech stops, and how far the speech stands above
the music while it plays.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from numpy.typing import NDArray

from pipeline.core.models import ClipPlan
from pipeline.media.ffmpeg import file_arg, run_ffmpeg
from pipeline.render.audio import (
    audio_graph,
    duck_chains,
    has_speech,
    source_chains,
)
from pipeline.render.files import RenderFiles
from pipeline.render.graph import input_args

RATE = 48_000
FRAME_MS = 10
"""Analysis frame: short enough to time a 300 ms recovery to within a frame."""
SPEECH_GATE_DB = -45.0
"""A frame is speech when the speech stem is above this (ambient noise sits far below)."""
SPEECH_HOLD_MS = 150
"""Gaps inside words and between close words shorter than this still count as speech."""
RECOVERED_DB = 3.0
"""The music is back up when its gain is within this of its level in the pause."""
MIN_PAUSE_MS = 800
"""Pauses at least this long are where the music's full level and recovery are measured."""

Floats = NDArray[np.float64]

STEMS = ("speech", "music", "ducked")
"""Stem outputs of ``stem_graph``, in order: [speech_stem], [music_stem], [ducked_stem]."""


def stem_graph(plan: ClipPlan, files: RenderFiles) -> list[str]:
    """Chains producing [speech_stem], [music_stem] and [ducked_stem], unmastered.

    The same speech, music and duck chains as ``audio_graph``; a missing part
    (no speech, no music) is silence of the clip's length so every stem exists.
    """
    dur = f"{plan.duration_ms / 1000:.3f}"
    silence = f"anullsrc=r=48000:cl=stereo,atrim=duration={dur}"
    chains = source_chains(plan, files)
    speech, music = has_speech(plan), plan.music is not None
    if speech:
        chains.append("[speech]asplit=2[speech_stem][sc]" if music
                      else "[speech]anull[speech_stem]")
    else:
        chains.append(f"{silence}[speech_stem]")
    if music and speech:
        chains += ["[music]asplit=2[music_stem][m]", *duck_chains(plan, "m", "sc"),
                   "[ducked]anull[ducked_stem]"]
    elif music:
        chains.append("[music]asplit=2[music_stem][ducked_stem]")
    else:
        chains += [f"{silence}[music_stem]", f"{silence}[ducked_stem]"]
    return chains



@dataclass(frozen=True)
class Stems:
    """Paths of the three stem WAVs (48 kHz stereo float)."""

    speech: Path
    music: Path
    ducked: Path


@dataclass(frozen=True)
class DuckingReport:
    """Figures measured on stems, in dB and ms."""

    music_in_pauses_db: float
    """Median ducked-music level in long pauses (after recovery)."""
    music_under_speech_db: float
    """Median ducked-music level in speech frames."""
    depth_db: float
    """How much lower the music is under speech than in the pauses."""
    gain_under_speech_db: float
    """Median gain the ducker applies during speech (ducked/undducked)."""
    speech_to_music_db: float
    """Speech level over ducked-music level, both measured during speech."""
    recovery_ms: tuple[int, ...]
    """Per long pause: time from speech end until the music is within RECOVERED_DB."""


def stem_args(plan: ClipPlan, files: RenderFiles, folder: Path) -> list[str]:
    """ffmpeg arguments writing speech.wav, music.wav and ducked.wav into ``folder``."""
    graph = ";".join(stem_graph(plan, files))
    outs: list[str] = []
    for name in STEMS:
        outs += ["-map", f"[{name}_stem]", "-c:a", "pcm_f32le", "-ar", str(RATE),
                 file_arg(folder / f"{name}.wav")]
    return ["-y", "-v", "error", *input_args(plan, files), "-filter_complex", graph, *outs]


def export_stems(plan: ClipPlan, folder: Path, files: RenderFiles | None = None) -> Stems:
    """Run the plan's audio chains into three stems under ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    run_ffmpeg(stem_args(plan, files or RenderFiles(), folder))
    return Stems(*(folder / f"{name}.wav" for name in STEMS))


def read_mono(path: Path) -> Floats:
    """An audio file's samples as mono float64 at RATE, full scale 1.0."""
    resampler = av.AudioResampler(format="dbl", layout="mono", rate=RATE)
    with av.open(str(path)) as container:
        chunks = [mono.to_ndarray()[0] for frame in container.decode(audio=0)
                  for mono in resampler.resample(frame)]
    chunks += [mono.to_ndarray()[0] for mono in resampler.resample(None)]
    return np.concatenate(chunks).astype(np.float64)


def frame_db(samples: Floats, frame_ms: int = FRAME_MS) -> Floats:
    """RMS level per frame in dBFS (floor -120)."""
    hop = RATE * frame_ms // 1000
    count = samples.size // hop
    frames = samples[: count * hop].reshape(count, hop)
    rms = np.sqrt(np.mean(frames**2, axis=1))
    return np.asarray(20.0 * np.log10(np.maximum(rms, 1e-6)), dtype=np.float64)


def speech_mask(speech_db: Floats, hold_ms: int = SPEECH_HOLD_MS) -> NDArray[np.bool_]:
    """Speech activity per frame: above the gate, with short gaps bridged."""
    active = speech_db > SPEECH_GATE_DB
    hold = hold_ms // FRAME_MS
    idx = np.flatnonzero(active)
    for a, b in itertools.pairwise(idx.tolist()):
        if 1 < b - a <= hold:
            active[a:b] = True
    return active


def runs(mask: NDArray[np.bool_]) -> list[tuple[int, int]]:
    """(start, end) frame index pairs of the True runs in ``mask``."""
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1).tolist(), np.flatnonzero(edges == -1).tolist(),
                    strict=True))


def ducking_report(stems: Stems, skip_ms: int = 600) -> DuckingReport:
    """Measure ducking depth, recovery and speech-to-music ratio on ``stems``.

    ``skip_ms`` leaves out the clip's first and last moments (music fades).
    """
    levels = [frame_db(read_mono(path)) for path in (stems.speech, stems.music, stems.ducked)]
    n = min(level.size for level in levels)  # AAC priming can make the speech a frame short
    speech_db, music_db, ducked_db = (level[:n] for level in levels)
    gain_db = ducked_db - music_db
    talking = speech_mask(speech_db)
    edge = skip_ms // FRAME_MS
    inside = np.zeros_like(talking)
    inside[edge: talking.size - edge] = True
    recover = 300 // FRAME_MS
    pauses = [(a, b) for a, b in runs(~talking & inside) if (b - a) * FRAME_MS >= MIN_PAUSE_MS]
    settled = np.zeros_like(talking)
    for a, b in pauses:
        settled[a + recover: b] = True
    under = talking & inside
    full = float(np.median(gain_db[settled]))
    return DuckingReport(
        music_in_pauses_db=float(np.median(ducked_db[settled])),
        music_under_speech_db=float(np.median(ducked_db[under])),
        depth_db=float(np.median(ducked_db[settled]) - np.median(ducked_db[under])),
        gain_under_speech_db=float(np.median(gain_db[under])),
        speech_to_music_db=float(np.median(speech_db[under]) - np.median(ducked_db[under])),
        recovery_ms=tuple(_recovery_ms(gain_db[a:b], full) for a, b in pauses
                          if a > 0 and talking[a - 1]),
    )


def _recovery_ms(gain_db: Floats, full_db: float) -> int:
    back = np.flatnonzero(gain_db >= full_db - RECOVERED_DB)
    return int(back[0] * FRAME_MS) if back.size else int(gain_db.size * FRAME_MS)


def master_args(plan: ClipPlan, files: RenderFiles, gain_db: float, out: Path) -> list[str]:
    """ffmpeg arguments rendering only the clip's mastered audio (the render's chains) to WAV."""
    graph = ";".join(audio_graph(plan, files, gain_db))
    return ["-y", "-v", "error", "-vn", *input_args(plan, files), "-filter_complex", graph,
            "-map", "[aout]", "-c:a", "pcm_f32le", "-ar", str(RATE), str(out)]
