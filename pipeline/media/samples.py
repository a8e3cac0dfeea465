"""Generated footage: the demo's sample and the test and benchmark fixtures.

Footage is made by ffmpeg's lavfi sources (nothing is downloaded): a moving
gradient scene with the product image drifting off centre, muxed with the
committed TTS speech track ``assets/samples/speech.wav`` starting after a pause.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from pipeline.core.home import ASSETS_DIR
from pipeline.media.ffmpeg import run_ffmpeg

SAMPLES_DIR = ASSETS_DIR / "samples"
SPEECH_WAV = SAMPLES_DIR / "speech.wav"
PRODUCT_PNG = SAMPLES_DIR / "product.png"
CATALOG_CSV = SAMPLES_DIR / "catalog.csv"
DEMO_SKU = "TRAIL-BOTTLE-24"
AAC = ("-c:a", "aac", "-b:a", "128k", "-ar", "48000", "-ac", "2")


def scene_args(out: Path, *, seconds: float = 24.0, size: str = "1920x1080", fps: int = 30,
               speech_at_s: float = 2.5, subject_x: str = "0.27", image: Path = PRODUCT_PNG,
               speech: Path | None = SPEECH_WAV, codec: str = "libx264",
               plain: bool = False) -> list[str]:
    """ffmpeg arguments for a scene: gradient background, drifting product, speech.

    ``subject_x`` is the subject's mean horizontal position as a fraction of
    the width (off centre by default, so a centre crop would lose it).
    ``plain`` swaps the gradient (slow to generate) for a flat colour.
    """
    width, height = (int(v) for v in size.split("x"))
    scene = (f"gradients=s={size}:r={fps}:d={seconds}:c0=0x1f1640:c1=0x3b2f80:c2=0xc2447a"
             f":n=3:speed=0.004:type=radial")
    if plain:
        scene = f"color=c=0x2b1f4f:s={size}:r={fps}:d={seconds}"
    inputs = ["-f", "lavfi", "-i", scene, "-loop", "1", "-framerate", str(fps), "-i", str(image)]
    graph = (f"[1:v]scale=-2:{height * 3 // 5}[p];"
             f"[0:v][p]overlay=x='{width}*{subject_x}-w/2+{width // 12}*sin(t*0.6)'"
             f":y='(H-h)/2+{height // 30}*sin(t*1.3)':shortest=1,format=yuv420p[v]")
    maps = ["-map", "[v]"]
    if speech is not None:
        inputs += ["-i", str(speech)]
        graph += f";{speech_track('2:a', speech_at_s, seconds)}"
        maps += ["-map", "[a]", *AAC]
    # tagged BT.709 like phone footage (the RGB sources are converted with that matrix)
    colour = ["-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
              "-color_range", "tv"]
    return ["-y", "-v", "error", *inputs, "-filter_complex", graph, *maps,
            "-c:v", codec, "-preset", "veryfast", "-crf", "23", "-r", str(fps), *colour,
            "-t", str(seconds), str(out)]


def speech_track(source: str, at_s: float, seconds: float) -> str:
    """Filter chain: the speech input ``source`` delayed to ``at_s``, padded with silence
    to ``seconds``, labelled ``[a]``."""
    delay = int(at_s * 1000)
    return f"[{source}]adelay={delay}|{delay},apad,atrim=duration={seconds}[a]"


def with_speech_at(video: Path, out: Path, at_s: float, seconds: float,
                   speech: Path = SPEECH_WAV) -> Path:
    """``video``'s picture (copied, not re-encoded) with ``speech`` from ``at_s``: a
    variant of one scene that transcribes, and hashes, differently."""
    return _written(out, lambda part: [
        "-y", "-v", "error", "-i", str(video), "-i", str(speech), "-filter_complex",
        speech_track("1:a", at_s, seconds), "-map", "0:v", "-map", "[a]",
        "-c:v", "copy", *AAC, "-t", str(seconds), str(part)])


def make_scene(out: Path, **kwargs: object) -> Path:
    """Render a generated scene to ``out`` (via a temporary file) and return it."""
    return _written(out, lambda part: scene_args(part, **kwargs))  # type: ignore[arg-type]


def _written(out: Path, args_for: Callable[[Path], list[str]]) -> Path:
    """Run ffmpeg with ``args_for(part)`` writing a hidden part file beside ``out``, then
    rename it into place: ``out`` is complete or absent."""
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f".{out.stem}.part{out.suffix}")
    run_ffmpeg(args_for(part))
    part.replace(out)
    return out


def demo_footage(folder: Path) -> Path:
    """The demo footage (24 s, 1920x1080, 30 fps, speech from 2.5 s), made once."""
    out = folder / "demo_footage.mp4"
    return out if out.exists() else make_scene(out)
