"""Judge a rendered clip by its frames: where the text is (tesseract OCR word boxes)
against where the face is (OpenCV's Haar frontal detector).

Nothing here reads the plan: a frame counts as covered when an OCR'd word's box
intersects a detected face's box in that same frame. Tesseract is a system program
(``apt-get install tesseract-ocr``); ``have_tesseract()`` lets tests skip without it.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from tests.support.faces import detect_faces

Rect = tuple[int, int, int, int]
OCR_SCALE = 0.5
"""Frames are read at half size (text stays 30+ px tall; tesseract is twice as fast)."""
MIN_CONF = 50.0
TESSERACT_ENV = {**os.environ, "OMP_THREAD_LIMIT": "1"}
"""Tesseract on one thread: the same words and boxes, half the CPU time (its OpenMP
threads spin-wait for each other on a loaded machine)."""


def have_tesseract() -> bool:
    """True when the tesseract program is installed."""
    return shutil.which("tesseract") is not None


@dataclass(frozen=True)
class FrameVerdict:
    """What one sampled frame shows."""

    t_s: float
    faces: tuple[Rect, ...]
    words: tuple[tuple[str, Rect], ...]

    @property
    def covered(self) -> bool:
        """A word lies on a face."""
        return any(_intersects(box, face) for _, box in self.words for face in self.faces)


def sample_frames(clip: Path, count: int) -> list[tuple[float, np.ndarray]]:
    """``count`` RGB frames evenly spread over the clip (decoded in one pass)."""
    with av.open(str(clip)) as container:
        stream = container.streams.video[0]
        total = stream.frames or int(float(stream.duration * stream.time_base) * 30)
        wanted = {round((i + 0.5) * total / count) for i in range(count)}
        out = []
        for i, frame in enumerate(container.decode(stream)):
            if i in wanted:
                out.append((float(frame.time or 0.0), frame.to_ndarray(format="rgb24")))
        return out


def ocr_words(rgb: np.ndarray) -> list[tuple[str, Rect]]:
    """Words tesseract reads in the frame, with their boxes in the frame's pixels."""
    image = Image.fromarray(rgb)
    small = image.resize((round(image.width * OCR_SCALE), round(image.height * OCR_SCALE)))
    buffer = io.BytesIO()
    small.save(buffer, format="PNG")
    result = subprocess.run(["tesseract", "stdin", "stdout", "--psm", "11", "tsv"],
                            input=buffer.getvalue(), capture_output=True, check=True,
                            env=TESSERACT_ENV)
    rows = csv.DictReader(io.StringIO(result.stdout.decode("utf-8", "replace")),
                          delimiter="\t", quoting=csv.QUOTE_NONE)
    words = []
    for row in rows:
        text = (row.get("text") or "").strip()
        if len(text) < 2 or not any(ch.isalnum() for ch in text):
            continue
        if float(row.get("conf") or -1) < MIN_CONF:
            continue
        x, y, w, h = (round(int(row[k]) / OCR_SCALE) for k in ("left", "top", "width", "height"))
        words.append((text, (x, y, w, h)))
    return words


def judge(clip: Path, count: int, ocr: bool = True) -> list[FrameVerdict]:
    """Faces and (with ``ocr``) words in ``count`` frames of ``clip``."""
    return [FrameVerdict(t, tuple(detect_faces(rgb)), tuple(ocr_words(rgb)) if ocr else ())
            for t, rgb in sample_frames(clip, count)]


def _intersects(a: Rect, b: Rect) -> bool:
    return (min(a[0] + a[2], b[0] + b[2]) > max(a[0], b[0])
            and min(a[1] + a[3], b[1] + b[3]) > max(a[1], b[1]))
