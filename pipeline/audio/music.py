"""Music beds: the track library and choosing a bed for a clip.

The library is a folder of audio files described by ``library.yaml``::

    tracks:
      - file: upbeat_pop_120.opus     # relative to the folder
        title: Bright Side
        mood: upbeat
        bpm: 120
        key: C major
        licence: CC0
        source: synthesised by make_beds.py
        duration_ms: 24000
        downbeat_ms: 0

An audio file with no entry, or an entry without ``bpm``, ``duration_ms`` or
``downbeat_ms``, is analysed on first use (tempo by onset-strength
autocorrelation, first downbeat by low-band onset phase) and the result is
cached under ``CLIPCART_HOME/music`` keyed by the file's content hash.
Choosing a bed only decides; the renderer mixes and ducks it.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np
import yaml
from numpy.typing import NDArray
from pydantic import Field, ValidationError

from pipeline.core.digest import file_digest
from pipeline.core.errors import ConfigError
from pipeline.core.home import ASSETS_DIR, home_subdir
from pipeline.core.models import Frozen, MusicBed

LIBRARY_FILE = "library.yaml"
AUDIO_SUFFIXES = frozenset({".opus", ".ogg", ".m4a", ".mp3", ".wav", ".flac", ".aac"})
UNTAGGED = "untagged"
"""Mood given to a track nobody described; chosen only when no described mood fits."""
MOOD_ENERGY: dict[str, int] = {"chill": 1, "warm": 2, "luxe": 2, "upbeat": 4, "energetic": 5}
"""How lively each known mood is; a missing mood falls back to the nearest by energy."""
CLIP_MS = 15_000
"""Clip length a bed offset prefers to leave room for before the track ends."""
ANALYSIS_VERSION = 1
"""Bumped when the analyser changes, which invalidates cached analyses."""
ANALYSIS_RATE = 22_050
ANALYSIS_MAX_S = 60.0
HOP = 256
FRAME = 1024
BPM_LIMITS = (60.0, 200.0)

Floats = NDArray[np.float64]


class Track(Frozen):
    """One music bed in the library, with what a renderer needs to lay it under a clip."""

    path: Path = Field(description="Absolute path of the audio file.")
    title: str = Field(description="Human name shown in reports.")
    mood: str = Field(description="e.g. chill, warm, luxe, upbeat, energetic; untagged if unknown.")
    bpm: float = Field(gt=0, description="Tempo in beats per minute (4/4 assumed).")
    key: str = Field(default="", description="Musical key, e.g. 'C major'; empty when unknown.")
    licence: str = Field(description="Licence the track is used under.")
    source: str = Field(description="Where the track came from.")
    duration_ms: int = Field(gt=0, description="Length of the file.")
    downbeat_ms: int = Field(ge=0, description="Time of the first downbeat (bar start).")

    @property
    def bar_ms(self) -> float:
        """Length of one 4/4 bar in milliseconds (fractional)."""
        return 240_000.0 / self.bpm


class LibraryEntry(Frozen):
    """One entry of library.yaml as written; missing timing fields are analysed."""

    file: str = Field(min_length=1, description="Audio file name, relative to the folder.")
    title: str = ""
    mood: str = UNTAGGED
    bpm: float | None = Field(default=None, gt=20, lt=400)
    key: str = ""
    licence: str = "unknown"
    source: str = ""
    duration_ms: int | None = Field(default=None, gt=0)
    downbeat_ms: int | None = Field(default=None, ge=0)


class Analysis(Frozen):
    """What the analyser measured on one audio file."""

    bpm: float
    downbeat_ms: int
    duration_ms: int


# ---------------------------------------------------------------- library


def default_music_dir() -> Path:
    """The repo's bundled beds: assets/music next to the pipeline package."""
    return ASSETS_DIR / "music"


def load_library(music_dir: Path) -> tuple[Track, ...]:
    """Every track in ``music_dir``: described ones first (YAML order), then analysed ones.

    Raises ConfigError naming the file, entry and field when library.yaml is invalid.
    """
    music_dir = Path(music_dir)
    entries = read_entries(music_dir / LIBRARY_FILE)
    described = tuple(_track(music_dir, i, entry) for i, entry in enumerate(entries, 1))
    named = {track.path.name for track in described}
    extra = sorted(p for p in music_dir.iterdir()
                   if p.suffix.lower() in AUDIO_SUFFIXES and p.name not in named)
    return described + tuple(_track(music_dir, 0, LibraryEntry(file=p.name)) for p in extra)


def read_entries(yaml_path: Path) -> tuple[LibraryEntry, ...]:
    """Validated entries of a library.yaml; none when the file does not exist."""
    if not yaml_path.exists():
        return ()
    try:
        raw = yaml.safe_load(yaml_path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ConfigError(f"{yaml_path}: not valid YAML ({' '.join(str(exc).split())})",
                          hint="Fix the syntax; see assets/music/README.md") from exc
    rows = raw.get("tracks") if isinstance(raw, dict) else None
    if not isinstance(rows, list):
        raise ConfigError(f"{yaml_path}: expected a top-level 'tracks:' list",
                          hint="Write 'tracks:' followed by one '- file: ...' entry per track")
    return tuple(_entry(yaml_path, i, row) for i, row in enumerate(rows, 1))


def _entry(yaml_path: Path, index: int, row: Any) -> LibraryEntry:
    label = row.get("file", "?") if isinstance(row, dict) else "?"
    if not isinstance(row, dict):
        raise _entry_error(yaml_path, index, label, "file", "entry is not a mapping")
    try:
        return LibraryEntry.model_validate(row)
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(part) for part in first["loc"]) or "?"
        raise _entry_error(yaml_path, index, label, field, first["msg"]) from exc


def _entry_error(yaml_path: Path, index: int, label: object, field: str,
                 problem: str) -> ConfigError:
    return ConfigError(
        f"{yaml_path}: entry {index} (file {label}): field '{field}': {problem}",
        hint=f"Fix '{field}' in that entry (fields: {', '.join(LibraryEntry.model_fields)}); "
             "see assets/music/README.md")


def _track(music_dir: Path, index: int, entry: LibraryEntry) -> Track:
    path = (music_dir / entry.file).resolve()
    if not path.is_file():
        raise _entry_error(music_dir / LIBRARY_FILE, index, entry.file, "file",
                           f"no such file in {music_dir}")
    timing = {"bpm": entry.bpm, "duration_ms": entry.duration_ms,
              "downbeat_ms": entry.downbeat_ms}
    if None in timing.values():
        measured = analyse_cached(path).model_dump()
        timing = {name: measured[name] if value is None else value
                  for name, value in timing.items()}
    return Track.model_validate({
        "path": path, "title": entry.title or path.stem.replace("_", " "),
        "mood": entry.mood.lower(), "key": entry.key, "licence": entry.licence,
        "source": entry.source or "user-supplied file", **timing})


# ---------------------------------------------------------------- choosing


def choose_bed(library: Sequence[Track], mood: str, *, seed: str,
               bpm_range: tuple[int, int] | None = None,
               gain_db: float = -16.0, clip_ms: int = CLIP_MS) -> MusicBed | None:
    """Pick a bed for ``mood``, the same one every time for the same ``seed`` (e.g. clip id).

    Falls back to the nearest mood by energy, then to any track; a ``bpm_range`` that
    no track fits is ignored. The offset lands on a downbeat (first downbeat plus whole
    bars), leaving room for ``clip_ms`` of clip where the track allows (a shorter
    track loops). None for an empty library.
    """
    if not library:
        return None
    pool = _in_bpm_range(library, bpm_range) or tuple(library)
    candidates = sorted(nearest_mood(pool, mood), key=lambda t: (t.path.name, t.title))
    track = candidates[_pick(seed, "track", len(candidates))]
    return MusicBed(path=str(track.path), title=track.title,
                    offset_ms=downbeat_offset(track, seed, clip_ms), gain_db=gain_db, duck=True)


def _in_bpm_range(library: Sequence[Track],
                  bpm_range: tuple[int, int] | None) -> tuple[Track, ...]:
    if bpm_range is None:
        return tuple(library)
    low, high = bpm_range
    return tuple(t for t in library if low <= t.bpm <= high)


def nearest_mood(pool: Sequence[Track], mood: str) -> tuple[Track, ...]:
    """Tracks of ``mood``; else of the known mood closest in energy; else all of them."""
    wanted = mood.strip().lower()
    exact = tuple(t for t in pool if t.mood == wanted)
    if exact:
        return exact
    known = tuple(t for t in pool if t.mood in MOOD_ENERGY)
    if wanted not in MOOD_ENERGY or not known:
        return tuple(pool)
    gap = min(abs(MOOD_ENERGY[t.mood] - MOOD_ENERGY[wanted]) for t in known)
    return tuple(t for t in known if abs(MOOD_ENERGY[t.mood] - MOOD_ENERGY[wanted]) == gap)


def downbeat_offset(track: Track, seed: str, clip_ms: int = CLIP_MS) -> int:
    """A downbeat to start the bed at, chosen by ``seed`` among those leaving ``clip_ms``."""
    room = track.duration_ms - clip_ms - track.downbeat_ms
    bars = max(0, math.floor(room / track.bar_ms)) + 1 if room >= 0 else 1
    offset = round(track.downbeat_ms + _pick(seed, "bar", bars) * track.bar_ms)
    return offset if offset < track.duration_ms else 0


def _pick(seed: str, salt: str, count: int) -> int:
    digest = hashlib.sha256(f"{salt}:{seed}".encode()).hexdigest()
    return int(digest, 16) % count


# ---------------------------------------------------------------- analysis


def analyse_cached(path: Path) -> Analysis:
    """Tempo, first downbeat and length of ``path``, cached by content hash."""
    cache = home_subdir("music") / f"{file_digest(path)}.json"
    if cache.exists():
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("version") == ANALYSIS_VERSION:
            return Analysis.model_validate(data["analysis"])
    found = analyse(path)
    payload = {"version": ANALYSIS_VERSION, "file": path.name, "analysis": found.model_dump()}
    cache.write_text(json.dumps(payload, indent=2), encoding="utf-8")
    return found


def analyse(path: Path) -> Analysis:
    """Measure bpm and first downbeat of an audio file (first minute at most)."""
    samples, duration_ms = decode_mono(path)
    if samples.size < ANALYSIS_RATE * 4:
        raise ConfigError(f"{path}: too short to find a tempo (needs 4 s or more)",
                          hint="Add bpm, duration_ms and downbeat_ms for it in library.yaml")
    flux, low_flux = onset_strength(samples)
    fps = ANALYSIS_RATE / HOP
    period = ANALYSIS_RATE * 60.0 / HOP / estimate_bpm(flux, fps)
    downbeat = first_downbeat(flux, low_flux, period)
    bpm = 60.0 * fps / period
    downbeat_ms = round(downbeat / fps * 1000.0)
    return Analysis(bpm=round(bpm, 2), downbeat_ms=downbeat_ms, duration_ms=duration_ms)


def decode_mono(path: Path) -> tuple[Floats, int]:
    """Mono float samples at ANALYSIS_RATE (first minute) and the decoded duration in ms."""
    try:
        with av.open(str(path)) as container:
            return _decode(container.decode(container.streams.audio[0]))
    except (av.error.FFmpegError, IndexError) as exc:
        raise ConfigError(f"{path}: not a readable audio file ({exc.__class__.__name__})",
                          hint="Remove it from the music folder or export it as .m4a/.opus"
                          ) from exc


def _decode(frames: Iterable[av.AudioFrame]) -> tuple[Floats, int]:
    resampler = av.AudioResampler(format="flt", layout="mono", rate=ANALYSIS_RATE)
    limit = int(ANALYSIS_MAX_S * ANALYSIS_RATE)
    chunks: list[Floats] = []
    kept = 0
    seconds = 0.0
    for frame in frames:
        seconds += frame.samples / frame.sample_rate
        if kept < limit:
            for mono in resampler.resample(frame):
                chunks.append(mono.to_ndarray()[0].astype(np.float64))
                kept += mono.samples
    samples = np.concatenate(chunks)[:limit] if chunks else np.zeros(0)
    return samples, round(seconds * 1000.0)


def onset_strength(samples: Floats) -> tuple[Floats, Floats]:
    """Spectral flux per hop (kick band weighted up), and over the bass and chord band (< 2 kHz)."""
    padded = np.pad(samples, FRAME // 2)
    count = 1 + (padded.size - FRAME) // HOP
    index = np.arange(FRAME)[None, :] + HOP * np.arange(count)[:, None]
    spectrum = np.abs(np.fft.rfft(padded[index] * np.hanning(FRAME), axis=1))
    rise = np.maximum(np.diff(np.log1p(1000.0 * spectrum), axis=0), 0.0)
    low_bins = int(2000.0 * FRAME / ANALYSIS_RATE) + 1
    kick_bins = int(120.0 * FRAME / ANALYSIS_RATE) + 1
    # Kick-band onsets count double: hi-hats and bass often sit off the beat.
    overall = rise.sum(axis=1) + 2.0 * rise[:, :kick_bins].sum(axis=1) * rise.shape[1] / kick_bins
    zero = np.zeros(1)
    return (np.concatenate([zero, overall]),
            np.concatenate([zero, rise[:, :low_bins].sum(axis=1)]))


def estimate_bpm(flux: Floats, fps: float) -> float:
    """Tempo by comb-scoring the onset autocorrelation over a fine bpm grid."""
    centred = flux - flux.mean()
    acf = np.correlate(centred, centred, mode="full")[centred.size - 1:]
    acf = acf / (acf[0] * (1.0 - np.arange(acf.size) / acf.size) + 1e-12)
    grid = np.arange(BPM_LIMITS[0], BPM_LIMITS[1], 0.02)
    periods = 60.0 * fps / grid
    beats = np.arange(1, 5)[:, None] * periods[None, :]
    lags = np.arange(acf.size, dtype=np.float64)
    comb = np.interp(beats, lags, acf).mean(axis=0)
    # Multiples of the beat score alike; a log-normal prior around 110 bpm settles the octave.
    prior = np.exp(-0.5 * (np.log2(grid / 110.0) / 0.8) ** 2)
    return float(grid[np.argmax(comb * prior)])


def first_downbeat(flux: Floats, low_flux: Floats, period: float) -> float:
    """Frame of the first downbeat: beat phase from all onsets, bar phase from the low band.

    Hi-hats often sit off the beat, so the low band (kick, bass, chord changes) counts
    twice for the beat phase and alone for which beat starts the bar.
    """
    both = flux / (flux.mean() + 1e-12) + 2.0 * low_flux / (low_flux.mean() + 1e-12)
    beat_phase = _best_phase(both, period, np.arange(0.0, period, 0.25))
    bar_starts = beat_phase + period * np.arange(4.0)
    bar_phase = _best_phase(low_flux, 4.0 * period, bar_starts)
    return 0.0 if bar_phase > 4.0 * period - 2.0 else bar_phase


def _best_phase(flux: Floats, period: float, phases: Floats) -> float:
    ticks = np.arange(0.0, flux.size - period, period)
    frames = np.arange(flux.size, dtype=np.float64)
    scores = [np.interp(phase + ticks, frames, flux).mean() for phase in phases]
    return float(phases[int(np.argmax(scores))])
