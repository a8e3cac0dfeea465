"""The audio half of the render graph: speech, music bed, ducking, mastering.

Speech: mono, high-pass, gentle compression, centred in stereo. Music: the bed
looped from a downbeat, faded in and out, ducked under the speech by a
sidechain compressor keyed on it. Master: short fades, the gain that lands the
measured mix on the loudness target, a true-peak limit at 4x oversampling,
48 kHz. Pure functions: filtergraph chain strings only.
"""

from __future__ import annotations

from pipeline.models import ClipPlan
from pipeline.render.files import RenderFiles

LIMIT_LINEAR = 0.83
"""Limiter ceiling (-1.6 dBFS) applied at 192 kHz so true peak stays under -1 dBTP."""
FADE_IN_S = 0.05
FADE_OUT_S = 0.3


def music_index(plan: ClipPlan, files: RenderFiles) -> int:
    return 2 if plan.card is not None and files.card_png else 1


def audio_graph(plan: ClipPlan, files: RenderFiles, gain_db: float | None) -> list[str]:
    """Filtergraph chains producing [aout]; ``gain_db`` None means the measuring pass."""
    dur = plan.duration_ms / 1000
    speech = plan.speech and plan.source.has_audio
    chains: list[str] = []
    if speech:
        chains.append("[0:a]aformat=channel_layouts=mono,aresample=48000,highpass=f=80,"
                      "acompressor=threshold=-24dB:ratio=3:attack=10:release=200:makeup=2,"
                      "pan=stereo|c0=c0|c1=c0[speech]")
    if plan.music is not None:
        m = music_index(plan, files)
        chains.append(f"[{m}:a]aformat=channel_layouts=stereo,aresample=48000,"
                      f"volume={plan.music.gain_db}dB,afade=t=in:d=0.5,"
                      f"afade=t=out:st={max(dur - 1.0, 0):.3f}:d=1[music]")
    chains += _mix_chains(plan, speech)
    chains.append(f"[mix]{_master(dur, gain_db)}[aout]")
    return chains


def _mix_chains(plan: ClipPlan, speech: bool) -> list[str]:
    if speech and plan.music is not None:
        duck = ("[music][sc]sidechaincompress=threshold=0.01:ratio=12:attack=15:release=300"
                "[ducked]" if plan.music.duck else "[music]anull[ducked]")
        return ["[speech]asplit=2[sp][sc]", duck,
                "[sp][ducked]amix=inputs=2:duration=first:normalize=0[mix]"]
    if speech:
        return ["[speech]anull[mix]"]
    if plan.music is not None:
        return ["[music]anull[mix]"]
    return [f"anullsrc=r=48000:cl=stereo,atrim=duration={plan.duration_ms / 1000:.3f}[mix]"]


def _master(dur: float, gain_db: float | None) -> str:
    fades = (f"afade=t=in:d={FADE_IN_S},"
             f"afade=t=out:st={max(dur - FADE_OUT_S, 0):.3f}:d={FADE_OUT_S}")
    if gain_db is None:
        return f"{fades},loudnorm=print_format=json"
    return (f"{fades},volume={gain_db:.2f}dB,aresample=192000,"
            f"alimiter=limit={LIMIT_LINEAR}:attack=5:release=50:level=false,"
            f"aresample=48000")


