"""Footage of a real face, built from a photograph an installed package ships.

scikit-image's wheel ships ``skimage/data/astronaut.png`` (NASA's portrait of Eileen
Collins, public domain). It is read from the installed package's folder (the package
is never imported, so none of its dependencies are needed) and turned into a handheld
talking-head recording: the photograph padded onto a dark canvas, cropped so the face
fills the frame where asked, drifting slowly like a hand-held phone, with sensor
noise and the sample speech track. Tests skip when the package is absent.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import cv2
import numpy as np

from pipeline.media.samples import AAC, SPEECH_WAV, _written, speech_track

FACE = (177, 66, 95, 95)
"""The Haar frontal detector's box of the face in astronaut.png (512x512)."""
PAD = 512
"""Dark canvas added on every side, so the face can sit anywhere in the frame."""
FACE_CASCADE = "haarcascade_frontalface_default.xml"


def astronaut_png() -> Path | None:
    """The photograph inside the installed scikit-image, or None."""
    spec = importlib.util.find_spec("skimage")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / "astronaut.png"
    return path if path.is_file() else None


def face_footage(out: Path, *, face_x: float = 0.5, face_y: float = 0.4, face_h: float = 0.36,
                 size: str = "1280x720", seconds: float = 16.0, speech_at_s: float = 0.5,
                 drift: float = 0.02) -> Path:
    """A talking-head recording: the face's centre at (face_x, face_y) of the frame, its
    detector box ``face_h`` of the frame's height, drifting by ``drift`` of the frame."""
    photo = astronaut_png()
    assert photo is not None, "scikit-image is not installed"
    width, height = (int(v) for v in size.split("x"))
    ch = FACE[3] / face_h
    cw = ch * width / height
    cx, cy = PAD + FACE[0] + FACE[2] / 2, PAD + FACE[1] + FACE[3] / 2
    x0, y0 = cx - face_x * cw, cy - face_y * ch
    ax, ay = drift * cw, drift * ch
    graph = (f"[0:v]pad=w=iw+{2 * PAD}:h=ih+{2 * PAD}:x={PAD}:y={PAD}:color=0x1c2228,"
             f"crop=w={cw:.1f}:h={ch:.1f}:x='{x0:.1f}+{ax:.1f}*sin(t*0.7)'"
             f":y='{y0:.1f}+{ay:.1f}*sin(t*0.9)',scale={width}:{height}:flags=bicubic,"
             f"noise=alls=5:allf=t,format=yuv420p[v];"
             f"{speech_track('1:a', speech_at_s, seconds)}")
    return _written(out, lambda part: [
        "-y", "-v", "error", "-loop", "1", "-framerate", "30", "-i", str(photo),
        "-i", str(SPEECH_WAV), "-filter_complex", graph, "-map", "[v]", "-map", "[a]",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-r", "30", *AAC,
        "-t", str(seconds), str(part)])


def detect_faces(rgb_or_grey: np.ndarray, width: int = 540) -> list[tuple[int, int, int, int]]:
    """Faces (x, y, w, h in the image's pixels) by OpenCV's Haar frontal detector, run on
    a copy scaled to ``width`` px wide."""
    grey = rgb_or_grey if rgb_or_grey.ndim == 2 else cv2.cvtColor(rgb_or_grey, cv2.COLOR_RGB2GRAY)
    scale = grey.shape[1] / width
    small = cv2.resize(grey, (width, round(grey.shape[0] / scale)), interpolation=cv2.INTER_AREA)
    cascade = cv2.CascadeClassifier(cv2.data.haarcascades + FACE_CASCADE)  # type: ignore[attr-defined]
    found = cascade.detectMultiScale(small, scaleFactor=1.1, minNeighbors=5, minSize=(40, 40))
    return [tuple(round(int(v) * scale) for v in f) for f in found]  # type: ignore[misc]
