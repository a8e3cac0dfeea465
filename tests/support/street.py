"""Cut-heavy footage built from photographs an installed package ships, with a real voice.

Street and event footage cuts every second or two. scikit-image's wheel ships real
photographs (``skimage/data``: astronaut and hubble_deep_field by NASA and rocket by
SpaceX, public domain; coffee, chelsea, camera, grass and gravel, CC0); they are read
from the installed package's folder (never imported) and cut together as shots of
1.0-2.0 s, each drifting like a hand-held phone, with sensor noise, under a recorded
voice from tests/data. Tests skip when the package is absent.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path

from pipeline.media.samples import AAC, _written, speech_track

SHOTS = (("astronaut.png", 1.6), ("coffee.png", 1.1), ("chelsea.png", 1.9),
         ("rocket.jpg", 1.3), ("hubble_deep_field.jpg", 1.0), ("camera.png", 1.7),
         ("grass.png", 1.2), ("gravel.png", 1.5), ("coffee.png", 1.4),
         ("astronaut.png", 1.8), ("rocket.jpg", 1.5))
"""(photograph, seconds): eleven shots, 16 s, a cut every 1.0-1.9 s (ten cuts)."""


def photo_folder() -> Path | None:
    """``skimage/data`` inside the installed scikit-image, or None."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    folder = Path(next(iter(spec.submodule_search_locations))) / "data"
    return folder if all((folder / name).is_file() for name, _ in SHOTS) else None


def cut_times_ms(shots: Sequence[tuple[str, float]] = SHOTS) -> list[int]:
    """Where the shots change, in the footage's timeline."""
    out, at = [], 0.0
    for _, seconds in shots[:-1]:
        at += seconds
        out.append(round(at * 1000))
    return out


def street_footage(out: Path, voice: Path, *, speech_at_s: float = 1.2,
                   size: str = "1280x720", shots: Sequence[tuple[str, float]] = SHOTS) -> Path:
    """The shots cut together at ``size`` and 30 fps, ``voice`` from ``speech_at_s``.

    Each shot is its photograph scaled to cover the frame with 8 % to spare and panned
    across that margin (a hand-held drift), with temporal noise like a phone sensor::

        ffmpeg -loop 1 -t 1.6 -i astronaut.png ... -i voice.opus -filter_complex
          "[0:v]scale=1382:778:force_original_aspect_ratio=increase,crop=1280:720:x='...',
           noise=alls=6:allf=t,setsar=1[s0]; ... [s0][s1]...concat=n=11:v=1:a=0[v];
           [11:a]adelay=1200|1200,apad,atrim=duration=16[a]"
    """
    folder = photo_folder()
    assert folder is not None, "scikit-image is not installed"
    width, height = (int(v) for v in size.split("x"))
    big_w, big_h = round(width * 1.08) // 2 * 2, round(height * 1.08) // 2 * 2
    inputs: list[str] = []
    chains: list[str] = []
    for i, (name, seconds) in enumerate(shots):
        inputs += ["-loop", "1", "-framerate", "30", "-t", str(seconds), "-i",
                   str(folder / name)]
        pan = "+" if i % 2 else "-"
        chains.append(
            f"[{i}:v]format=rgb24,scale={big_w}:{big_h}:force_original_aspect_ratio=increase,"
            f"crop={width}:{height}:x='(iw-{width})/2{pan}(iw-{width})/2*sin(t*0.8)'"
            f":y='(ih-{height})/2',noise=alls=6:allf=t,setsar=1,format=yuv420p[s{i}]")
    total = sum(seconds for _, seconds in shots)
    graph = (";".join(chains) + ";" + "".join(f"[s{i}]" for i in range(len(shots)))
             + f"concat=n={len(shots)}:v=1:a=0[v];"
             + speech_track(f"{len(shots)}:a", speech_at_s, total))
    return _written(out, lambda part: [
        "-y", "-v", "error", *inputs, "-i", str(voice), "-filter_complex", graph,
        "-map", "[v]", "-map", "[a]", "-c:v", "libx264", "-preset", "veryfast", "-crf", "23",
        "-r", "30", *AAC, "-t", f"{total:.3f}", str(part)])
