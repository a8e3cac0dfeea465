"""One look at a whole long recording: what is on screen, decoding keyframes only.

A live stream is hours of one set, encoded with a keyframe every one to a few
seconds. Which pitch to cut is decided mostly by what is said; the picture only
has to say where it is black, frozen or blurry. So the survey demuxes every
packet but decodes only keyframes (nothing else is ever handed to the decoder),
at most one per ``SURVEY_STEP_MS``, scaled to the analysis size in grey
(`pipeline.footage.analysis`), and scores them as a stream: memory holds the
previous frame and one small score per sample, whatever the length. Reframing
later decodes each chosen 15 s window densely (``analyse_window``).

A recording cut off mid-write is surveyed as far as it decodes. Results are
cached under ``CLIPCART_HOME/live/`` by the file's content hash.
"""

from __future__ import annotations

import pickle
import time
from collections.abc import Iterator
from dataclasses import dataclass

import av

from pipeline.core.home import home_subdir
from pipeline.core.models import MediaInfo
from pipeline.footage.analysis import (
    CUT_CHANGE,
    Frame,
    FrameScore,
    analysis_size,
    score_frames,
    upright,
)

SURVEY_STEP_MS = 1000
"""At most one sample a second: keyframes closer than this are skipped undecoded."""
SURVEY_VERSION = 1


@dataclass(frozen=True)
class Survey:
    """Samples of a whole recording (footage timeline) and how far it decoded."""

    scores: tuple[FrameScore, ...]
    cuts: tuple[int, ...]
    """Coarse cuts: samples that changed a lot from the one before."""
    read_ms: int
    error: str = ""
    seconds: float = 0.0


@dataclass
class _KeyframeReader:
    info: MediaInfo
    read_ms: int = 0
    error: str = ""

    def frames(self) -> Iterator[Frame]:
        cw, ch = analysis_size(self.info)
        next_t = 0
        try:
            with av.open(self.info.path) as container:
                stream = container.streams.video[0]
                stream.thread_type = "AUTO"
                stream.codec_context.options = {"skip_loop_filter": "all"}
                for packet in container.demux(stream):
                    if packet.pts is None or packet.time_base is None:
                        continue
                    t = round(float(packet.pts * packet.time_base) * 1000)
                    self.read_ms = max(self.read_ms, t)
                    if not packet.is_keyframe or t < next_t:
                        continue
                    for frame in stream.codec_context.decode(packet):
                        gray = frame.reformat(width=cw, height=ch, format="gray").to_ndarray()
                        next_t = t + SURVEY_STEP_MS
                        yield t, upright(gray, self.info.rotation)
        except (av.error.FFmpegError, EOFError) as exc:
            self.error = f"{type(exc).__name__}: {exc}"


def survey(info: MediaInfo) -> Survey:
    """Score keyframes of the whole recording, one pass, flat memory."""
    began = time.perf_counter()
    reader = _KeyframeReader(info)
    scores = score_frames(reader.frames())
    cuts = tuple(s.t_ms for s in scores if s.motion >= CUT_CHANGE)
    return Survey(scores, cuts, reader.read_ms, reader.error, time.perf_counter() - began)


def survey_cached(info: MediaInfo, file_digest: str) -> Survey:
    """``survey``, kept under CLIPCART_HOME by content hash (not when cut off early)."""
    path = home_subdir("live") / f"{file_digest[:32]}.survey-v{SURVEY_VERSION}.pickle"
    if path.exists():
        found: Survey = pickle.loads(path.read_bytes())
        return found
    result = survey(info)
    if not result.error:
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_bytes(pickle.dumps(result))
        tmp.replace(path)
    return result
