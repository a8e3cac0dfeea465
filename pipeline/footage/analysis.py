"""Look at the footage once: per-sample visual scores, scene cuts, small frames.

One PyAV pass per footage file produces everything selection and reframing
need, on a downscaled, low-frame-rate stream:

* upright grey frames ``ANALYSIS_WIDTH`` px wide at ``ANALYSIS_FPS`` (rotation
  metadata and sample aspect ratio applied, so coordinates are display
  coordinates), kept in memory for reframing;
* per sample: sharpness (variance of the Laplacian), motion energy (mean
  absolute difference to the previous sample), black and frozen flags;
* scene cuts, found on a sparse grid of luma and chroma samples of every decoded
  frame (so a cut is placed to the decoded frame, not to the 4 fps sample grid,
  and a cut between shots of equal brightness but different colour counts).

Non-reference frames are skipped in the decoder (``skip_frame=NONREF``): they
are never needed at 4 fps and halve decoding for footage with B-frames; the
deblocking filter is skipped too.

Long footage (over ``DENSE_MAX_MS``) is not decoded in full: the analysis seeks
to at most ``SPARSE_MAX_SAMPLES`` evenly spaced points and decodes only the
keyframe found there (``skip_frame=NONKEY``), so a two-hour file costs a few
hundred keyframe decodes. Motion and cuts are then measured between those
samples (coarse), and no frames are kept: reframing decodes the chosen window
again with :func:`analyse_window` (15 s, dense).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Literal

import av
import cv2
import numpy as np

from pipeline.core.models import MediaInfo, Window

ANALYSIS_WIDTH = 320
ANALYSIS_FPS = 4
DENSE_MAX_MS = 5 * 60 * 1000
"""Footage up to this long is decoded in full (low fps kept); longer is sampled."""
SPARSE_MAX_SAMPLES = 600
SPARSE_MIN_STEP_MS = 2000
BLACK_LUMA = 20.0
"""Mean grey level (0..255) under which a sample counts as black."""
FROZEN_MOTION = 0.0015
"""Mean absolute change (0..1) under which consecutive samples count as frozen."""
BLURRY_RATIO = 0.25
"""A sample sharper than this fraction of the footage's median is not blurry."""
CUT_CHANGE = 0.12
"""Mean absolute change (0..1) between decoded frames that marks a scene cut."""
CUT_CONTRAST = 4.0
"""A cut's change must be this many times the previous frame-to-frame change."""
THUMB_STEP = 24
"""Luma subsampling for the per-frame cut thumbnail (1080p → 80x45)."""

Frame = tuple[int, np.ndarray]
"""(time in ms, upright grey frame)."""


@dataclass(frozen=True)
class FrameScore:
    """What one analysis sample looks like; ``t_ms`` in the footage timeline."""

    t_ms: int
    sharpness: float
    motion: float
    luma: float
    black: bool = False
    frozen: bool = False
    blurry: bool = False

    @property
    def bad(self) -> bool:
        """Black, frozen or blurry: a stretch nobody wants to watch."""
        return self.black or self.frozen or self.blurry


@dataclass(frozen=True)
class Analysis:
    """Visual analysis of one footage file (footage timeline throughout)."""

    duration_ms: int
    mode: str
    scores: tuple[FrameScore, ...]
    cuts: tuple[int, ...]
    frames: tuple[Frame, ...] = field(default=(), repr=False)
    seconds: float = 0.0

    def scores_in(self, window: Window) -> list[FrameScore]:
        """Samples inside the window."""
        return [s for s in self.scores if window.start_ms <= s.t_ms < window.end_ms]

    def cuts_in(self, window: Window) -> list[int]:
        """Cuts strictly inside the window, footage timeline."""
        return [c for c in self.cuts if window.start_ms < c < window.end_ms]

    def frames_in(self, window: Window) -> list[Frame] | None:
        """Kept frames of the window in the clip timeline, or None when none were kept."""
        if not self.frames:
            return None
        return [(t - window.start_ms, g) for t, g in self.frames
                if window.start_ms <= t < window.end_ms]

    @property
    def median_motion(self) -> float:
        """Typical motion of this footage, the yardstick for a motion onset."""
        moving = [s.motion for s in self.scores if not s.black]
        return float(np.median(moving)) if moving else 0.0


def analysis_size(info: MediaInfo) -> tuple[int, int]:
    """Width and height to decode at, before rotation: display aspect, 320 px wide upright."""
    w, h = info.display_size
    aw, ah = ANALYSIS_WIDTH, max(2, round(ANALYSIS_WIDTH * h / w))
    return (ah, aw) if info.rotation in (90, 270) else (aw, ah)


def upright(gray: np.ndarray, rotation: int) -> np.ndarray:
    """Turn a decoded frame the way the display matrix says (clockwise degrees)."""
    turns = {90: -1, 180: 2, 270: 1}.get(rotation, 0)
    return np.ascontiguousarray(np.rot90(gray, turns)) if turns else gray


def analyse(info: MediaInfo, span: Window | None = None) -> Analysis:
    """The whole footage, or only ``span`` of it (where every window that can be chosen
    lies): dense when short enough, else keyframe samples."""
    began = time.perf_counter()
    span = span or Window(start_ms=0, end_ms=max(1, info.duration_ms))
    if span.duration_ms <= DENSE_MAX_MS:
        frames, cuts = _decode_dense(info, span)
        scores = score_frames(frames)
        return Analysis(info.duration_ms, "dense", scores, tuple(cuts), tuple(frames),
                        time.perf_counter() - began)
    scores = score_frames(list(_decode_sparse(info)))
    # between samples seconds apart a large change is the best guess of a cut
    coarse = tuple(s.t_ms for s in scores if s.motion >= CUT_CHANGE)
    return Analysis(info.duration_ms, "sparse", scores, coarse, (), time.perf_counter() - began)


def analyse_window(info: MediaInfo, window: Window) -> Analysis:
    """Dense analysis of one window only (reframing after a sparse pass)."""
    began = time.perf_counter()
    frames, cuts = _decode_dense(info, window)
    return Analysis(info.duration_ms, "dense", score_frames(frames), tuple(cuts),
                    tuple(frames), time.perf_counter() - began)


def _open_video(container: av.container.InputContainer,
                skip: Literal["NONREF", "NONKEY"]) -> av.video.stream.VideoStream:
    stream = container.streams.video[0]
    stream.thread_type = "AUTO"
    stream.codec_context.skip_frame = skip
    # No deblocking: its smoothing vanishes in the 320 px grey frames, and skipping it
    # takes about 15 % off decoding (60 s of 1080p H.264: 1.09 s -> 0.93 s)
    stream.codec_context.options = {"skip_loop_filter": "all"}
    return stream


def _decode_dense(info: MediaInfo, window: Window) -> tuple[list[Frame], list[int]]:
    """Grey frames at ANALYSIS_FPS and cut times, both in the footage timeline."""
    step, (cw, ch) = 1000 // ANALYSIS_FPS, analysis_size(info)
    frames: list[Frame] = []
    cuts = _CutFinder()
    with av.open(info.path) as container:
        stream = _open_video(container, "NONREF")
        if window.start_ms > 0:
            container.seek(window.start_ms * 1000, any_frame=False)
        next_t = window.start_ms
        for frame in container.decode(stream):
            if frame.time is None:
                continue
            t = round(frame.time * 1000)
            if t < window.start_ms:
                continue
            if t >= window.end_ms:
                break
            cuts.feed(t, frame)
            if t >= next_t or cuts.just_cut:
                gray = frame.reformat(width=cw, height=ch, format="gray").to_ndarray()
                frames.append((t, upright(gray, info.rotation)))
                while next_t <= t:
                    next_t += step
    return frames, cuts.times


class _CutFinder:
    """Scene cuts from sparse luma and chroma grids of every decoded frame.

    A cut is timed 1 ms after the last frame of the old shot: frames skipped by
    the decoder (non-reference) may lie between it and the first frame seen of
    the new shot, and a window edge or crop jump there is right either way.
    """

    def __init__(self) -> None:
        self.prev: tuple[np.ndarray, np.ndarray] | None = None
        self.prev_t = 0
        self.prev_change = 0.0
        self.times: list[int] = []
        self.just_cut = False

    def feed(self, t: int, frame: av.VideoFrame) -> None:
        thumb = _thumbnail(frame)
        self.just_cut = False
        if self.prev is not None and self.prev[0].shape == thumb[0].shape:
            change = max(float(np.mean(cv2.absdiff(a, b))) / 255
                         for a, b in zip(self.prev, thumb, strict=True))
            if change >= CUT_CHANGE and change >= CUT_CONTRAST * self.prev_change:
                self.times.append(self.prev_t + 1)
                self.just_cut = True
            self.prev_change = change
        self.prev, self.prev_t = thumb, t


def _thumbnail(frame: av.VideoFrame) -> tuple[np.ndarray, np.ndarray]:
    """Sparse grids of luma and of chroma samples: colour-only cuts count too.

    8-bit YUV frames are read in place (every THUMB_STEP-th sample of each plane,
    no copy of the frame); anything else is first scaled down to 8-bit YUV.
    """
    name = frame.format.name
    step = THUMB_STEP
    if not name.startswith(("yuv", "nv")) or name.endswith(("p10le", "p10be", "p16le")):
        frame, step = frame.reformat(width=80, height=44, format="yuv420p"), 1
    parts = []
    for plane in frame.planes[:3]:
        ratio = max(1, frame.width // max(1, plane.width))
        data = np.frombuffer(memoryview(plane), np.uint8).reshape(-1, plane.line_size)
        sub = max(1, step // ratio)
        parts.append(data[:plane.height:sub, :plane.width:sub].ravel())
    return parts[0], np.concatenate(parts[1:])


def _decode_sparse(info: MediaInfo) -> Iterator[Frame]:
    """One keyframe near each of at most SPARSE_MAX_SAMPLES evenly spaced times."""
    step = max(SPARSE_MIN_STEP_MS, info.duration_ms // SPARSE_MAX_SAMPLES)
    cw, ch = analysis_size(info)
    last = -1
    with av.open(info.path) as container:
        stream = _open_video(container, "NONKEY")
        for target in range(0, info.duration_ms, step):
            container.seek(target * 1000, any_frame=False)
            frame = next((f for f in container.decode(stream) if f.time is not None), None)
            if frame is None:
                continue
            t = round(frame.time * 1000)
            if t <= last:
                continue
            last = t
            gray = frame.reformat(width=cw, height=ch, format="gray").to_ndarray()
            yield t, upright(gray, info.rotation)


def score_frames(frames: Iterable[Frame]) -> tuple[FrameScore, ...]:
    """Sharpness, motion, black, frozen and blurry for each sample (``frames`` may be a
    stream: only the previous frame is kept)."""
    raw: list[FrameScore] = []
    prev: np.ndarray | None = None
    for t, gray in frames:
        luma = float(gray.mean())
        sharp = float(cv2.Laplacian(gray, cv2.CV_32F).var())
        motion = 0.0 if prev is None or prev.shape != gray.shape \
            else float(np.mean(cv2.absdiff(prev, gray))) / 255
        raw.append(FrameScore(t, round(sharp, 2), round(motion, 5), round(luma, 1),
                              black=luma < BLACK_LUMA))
        prev = gray
    return _flag_frozen_and_blurry(raw)


def _flag_frozen_and_blurry(raw: list[FrameScore]) -> tuple[FrameScore, ...]:
    lit = [s.sharpness for s in raw if not s.black]
    median = float(np.median(lit)) if lit else 0.0
    out = []
    for i, s in enumerate(raw):
        # a sample is frozen when it matches its neighbours on both sides it has
        still = [raw[j].motion < FROZEN_MOTION for j in (i, i + 1) if 0 < j < len(raw)]
        frozen = bool(still) and all(still) and not s.black
        blurry = not s.black and median > 0 and s.sharpness < BLURRY_RATIO * median
        out.append(FrameScore(s.t_ms, s.sharpness, s.motion, s.luma, s.black, frozen, blurry))
    return tuple(out)
