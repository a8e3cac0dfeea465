"""The audio half of the render graph: speech, music bed, ducking, mastering.

Speech: mono, high-pass, gentle compression, centred in stereo. Music: the bed
looped from a downbeat, faded in and out, ducked under the speech by a
sidechain compressor keyed on it. Master: short fades, the gain that lands the
measured mix on the loudness target, a true-peak limit at 4x oversampling,
48 kHz. Pure functions: filtergraph chain strings only.

The same chains also feed ``stem_graph``, which taps the speech, the music
before ducking and the ducked music as separate outputs so tests (and anyone
tuning) can measure them.
"""

from __future__ import annotations

from pipeline.media.ffmpeg import file_arg
from pipeline.models import ClipPlan
from pipeline.render.files import RenderFiles

LIMIT_LINEAR = 0.79
"""Limiter ceiling (-2.0 dBFS) applied at 192 kHz so the delivered true peak stays under
-1 dBTP: 128 kb/s AAC overshoots the master's peak (a music-only clip limited at -1.6
measured -0.90 dBTP after encoding); about 2 dB of headroom before lossy coding at
such bitrates is the usual advice."""
FADE_IN_S = 0.05
FADE_OUT_S = 0.3
SPEECH_CHAIN = ",".join([
    "aformat=channel_layouts=mono", "aresample=48000",
    "highpass=f=80",  # rumble, handling noise, wind
    # Level the voice to about -25 dBFS RMS whatever the phone recorded (measured within
    # 1.5 dB for inputs 21 dB apart), so music balance and ducking depth do not depend on
    # it; frames peaking under -40 dBFS (room tone) are left alone.
    "dynaudnorm=f=100:g=7:p=0.9:m=40:r=0.1:t=0.01",
    "equalizer=f=3000:t=q:w=1:g=2",  # a little presence for intelligibility over music
    "acompressor=threshold=-24dB:ratio=3:attack=10:release=200:makeup=2",
    # Cap speech peaks at -12 dBFS so the master limiter barely works (loudness holds).
    "alimiter=limit=0.25:attack=3:release=40:level=false",
])
DUCKER = "sidechaincompress=threshold=0.01:ratio=5:attack=15:release=300"
"""Music ducking keyed on the levelled speech: about -17 dB under speech, back within
3 dB of its pause level 120-180 ms after speech stops (tests/test_audio_stems.py)."""
LOOP_MAX_SAMPLES = 48_000 * 600
"""aloop buffer limit: beds up to 10 minutes loop whole (longer ones never need to)."""
STEMS = ("speech", "music", "ducked")
"""Stem outputs of ``stem_graph``, in order: [speech_stem], [music_stem], [ducked_stem]."""


def music_index(plan: ClipPlan, files: RenderFiles) -> int:
    """Input index of the music bed: after the footage and, if any, the card still."""
    return 2 if plan.card is not None and files.card_png else 1


def has_speech(plan: ClipPlan) -> bool:
    """The footage's own audio is kept and exists."""
    return plan.speech and plan.source.has_audio


def speech_chain() -> str:
    """Footage audio → [speech]: mono, cleaned and compressed, centred in stereo."""
    return f"[0:a]{SPEECH_CHAIN},pan=stereo|c0=c0|c1=c0[speech]"


def music_input_args(plan: ClipPlan) -> list[str]:
    """The bed as a plain input: looping and the downbeat offset happen in ``music_chain``.

    Not ``-stream_loop``: on a second pass the Ogg/Opus demuxer replays the codec's
    312-sample pre-skip, a 6.5 ms hole at every loop point (measured).
    """
    assert plan.music is not None
    return ["-i", file_arg(plan.music.path)]


def music_chain(plan: ClipPlan, files: RenderFiles) -> str:
    """The bed → [music]: stereo 48 kHz, looped sample-exact, from the downbeat offset,
    at the plan's gain, faded in and out."""
    assert plan.music is not None
    dur = plan.duration_ms / 1000
    return (f"[{music_index(plan, files)}:a]aformat=channel_layouts=stereo,aresample=48000,"
            f"aloop=loop=-1:size={LOOP_MAX_SAMPLES},"
            f"atrim=start={plan.music.offset_ms / 1000:.3f}:duration={dur:.3f},"
            f"asetpts=PTS-STARTPTS,volume={plan.music.gain_db}dB,afade=t=in:d=0.5,"
            f"afade=t=out:st={max(dur - 1.0, 0):.3f}:d=1[music]")


def duck_chains(plan: ClipPlan, music: str = "music", key: str = "sc") -> list[str]:
    """[music] keyed on the speech [key] → [ducked]; passed through when ducking is off."""
    assert plan.music is not None
    if not plan.music.duck:
        return [f"[{key}]anullsink", f"[{music}]anull[ducked]"]
    return [f"[{music}][{key}]{DUCKER}[ducked]"]


def source_chains(plan: ClipPlan, files: RenderFiles) -> list[str]:
    """[speech] and [music] as the plan has them."""
    chains = [speech_chain()] if has_speech(plan) else []
    if plan.music is not None:
        chains.append(music_chain(plan, files))
    return chains


def audio_graph(plan: ClipPlan, files: RenderFiles, gain_db: float | None) -> list[str]:
    """Filtergraph chains producing [aout]; ``gain_db`` None means the measuring pass
    (the faded mix, unmastered)."""
    chains = source_chains(plan, files) + _mix_chains(plan, has_speech(plan))
    chains.append(f"[mix]{_master(plan.duration_ms / 1000, gain_db)}[aout]")
    return chains


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


def _mix_chains(plan: ClipPlan, speech: bool) -> list[str]:
    if speech and plan.music is not None:
        return ["[speech]asplit=2[sp][sc]", *duck_chains(plan),
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
        return fades  # the measuring pass meters the mix as it enters the master
    return (f"{fades},volume={gain_db:.2f}dB,aresample=192000,"
            f"alimiter=limit={LIMIT_LINEAR}:attack=5:release=50:level=false,"
            f"aresample=48000")
