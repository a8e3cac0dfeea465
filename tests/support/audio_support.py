"""Audio stimuli and plans for the audio tests, made with ffmpeg from the bundled speech."""

from __future__ import annotations

from pathlib import Path

from pipeline.audio.music import default_music_dir
from pipeline.core.models import ClipPlan, CropKey, CropPath, MusicBed, Window
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.probe import probe
from pipeline.media.samples import SPEECH_WAV

SENTENCES_MS = ((0, 2450), (5670, 7340))
"""Two sentences of assets/samples/speech.wav (silence measured around them)."""
PLACED_AT_MS = (800, 5000)
"""Where the stimulus puts them: pause 0.8 s, speech 2.45 s, pause 1.75 s, speech 1.67 s."""
STIMULUS_MS = 9000
AMBIENT_GAIN_DB = -36
"""Pink-noise gain giving room tone at about -60 dBFS RMS under everything, so the
ducker has to tell speech from ambience."""


def speech_with_pauses(out: Path, level_db: float = 0.0) -> Path:
    """9 s AAC stereo 48 kHz: two sentences with long pauses, over quiet pink noise.

    ``level_db`` shifts the speech (a quiet or loud phone recording); the noise stays.
    Silence and sentences are concatenated (ffmpeg's concat filter), then mixed with
    ``anoisesrc=c=pink`` at about -60 dBFS.
    """
    parts, labels, cursor = [], [], 0
    for i, ((start, end), at) in enumerate(zip(SENTENCES_MS, PLACED_AT_MS, strict=True)):
        parts.append(_silence(f"g{i}", at - cursor))
        parts.append(f"[x{i}]atrim=start={start / 1000}:end={end / 1000},"
                     f"asetpts=PTS-STARTPTS,volume={level_db}dB[s{i}]")
        labels += [f"[g{i}]", f"[s{i}]"]
        cursor = at + end - start
    parts.append(_silence("tail", STIMULUS_MS - cursor))
    chains = ["[0:a]aresample=48000,aformat=channel_layouts=mono,asplit=2[x0][x1]", *parts,
              f"{''.join(labels)}[tail]concat=n={len(labels) + 1}:v=0:a=1[speech]",
              f"anoisesrc=c=pink:r=48000:a=0.5:d={STIMULUS_MS / 1000},volume={AMBIENT_GAIN_DB}dB,"
              "aformat=channel_layouts=mono[noise]",
              "[speech][noise]amix=inputs=2:normalize=0:duration=first,"
              "aformat=channel_layouts=stereo[a]"]
    run_ffmpeg(["-y", "-v", "error", "-i", str(SPEECH_WAV), "-filter_complex", ";".join(chains),
                "-map", "[a]", "-c:a", "aac", "-b:a", "192k", "-ar", "48000", str(out)])
    return out


def _silence(label: str, ms: int) -> str:
    return (f"anullsrc=r=48000:cl=mono,atrim=end={ms / 1000},"
            f"aformat=sample_fmts=s16:channel_layouts=mono[{label}]")


def audio_plan(footage: Path, *, music: str | None = "upbeat_pop_120.opus",
               gain_db: float = -14.0, duck: bool = True, speech: bool = True) -> ClipPlan:
    """A plan for ``footage`` whose audio is all that matters (whole file, bundled bed)."""
    info = probe(footage)
    bed = (MusicBed(path=str(default_music_dir() / music), gain_db=gain_db, duck=duck)
           if music else None)
    return ClipPlan(clip_id="audio-test", sku="SKU-1", source=info,
                    window=Window(start_ms=0, end_ms=info.duration_ms),
                    crop=CropPath(width=max(info.width, 2), height=max(info.height, 2),
                                  points=(CropKey(t_ms=0, x=0, y=0),)),
                    music=bed, speech=speech and info.has_audio)
