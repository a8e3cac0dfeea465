"""Check a rendered file against the delivery spec and each platform's rules.

``check(path)`` gives the QCReport the manifest carries (its keys are fixed by
docs/design.md); ``inspect(path)`` gives the same report plus a verdict per platform
(TikTok, Instagram Reels, YouTube Shorts) for ``clipcart check``, and ``overlay_verdicts``
says, from the clip's plan, which overlays sit under a platform's own interface
(``publish.platforms.UI_ZONES``). Facts come from
a real probe (PyAV), the MP4 top-level atoms, the H.264 NAL units of every
keyframe and a loudness scan; the rules are plain functions of those facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from pipeline.core.models import ClipPlan, MediaInfo, QCReport
from pipeline.media import meter
from pipeline.media.ffmpeg import run_ffmpeg_pcm
from pipeline.media.mp4 import VideoFacts, moov_before_mdat, video_facts
from pipeline.media.probe import probe
from pipeline.publish.platforms import (
    DELIVERY,
    TIKTOK_SIDE_PX,
    UPLOAD_FPS,
    UPLOAD_RULES,
    Platform,
    zone_problems,
)

__all__ = ["FileFacts", "PlatformVerdict", "QCResult", "check", "inspect", "measure_loudness",
           "moov_before_mdat", "overlay_verdicts"]

TARGET_LUFS = DELIVERY.target_lufs
LUFS_TOLERANCE = DELIVERY.lufs_tolerance
MAX_TRUE_PEAK = DELIVERY.max_true_peak_dbtp
MAX_DURATION_MS = DELIVERY.max_duration_ms
DURATION_SLACK_MS = 20
"""Container durations round up to the last audio frame; allow one AAC frame."""
PLATFORMS: tuple[Platform, ...] = ("tiktok", "instagram", "youtube")
"""The platforms with file rules of their own (TikTok Shop takes TikTok's file)."""


@dataclass(frozen=True)
class FileFacts:
    """Everything the rules look at, measured once per file."""

    info: MediaInfo
    video: VideoFacts
    lufs: float
    true_peak: float
    faststart: bool


@dataclass(frozen=True)
class PlatformVerdict:
    """Whether one platform would accept the file, and why not."""

    platform: str
    passed: bool
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class QCResult:
    """The delivery-spec report plus one verdict per platform."""

    report: QCReport
    platforms: tuple[PlatformVerdict, ...]

    def as_dict(self) -> dict[str, object]:
        """The report's fields, its problems, and ``platforms: {name: {passed, problems}}``."""
        data: dict[str, object] = self.report.model_dump()
        data["platforms"] = {v.platform: {"passed": v.passed, "problems": list(v.problems)}
                             for v in self.platforms}
        return data


def measure_loudness(path: Path, channels: int | None = None) -> tuple[float, float]:
    """(integrated LUFS, true peak dBTP) of the file's audio (pipeline/media/meter.py:
    the meter that decided the gain). ``channels`` defaults to what a probe finds."""
    count = channels if channels is not None else probe(path).channels
    return meter.measure(run_ffmpeg_pcm(meter.file_args(str(path), count)), count)


def file_facts(path: Path) -> FileFacts:
    """Probe, parse and measure ``path`` (FootageError when it is not media)."""
    info = probe(path)
    video = video_facts(path) if info.has_video else VideoFacts()
    lufs, peak = measure_loudness(path, info.channels) if info.has_audio else (-70.0, -70.0)
    return FileFacts(info=info, video=video, lufs=lufs, true_peak=peak,
                     faststart=moov_before_mdat(path))


def inspect(path: Path, *, max_duration_ms: int = MAX_DURATION_MS) -> QCResult:
    """The delivery-spec report and each platform's verdict for ``path``."""
    facts = file_facts(path)
    verdicts = tuple(platform_verdict(name, facts) for name in PLATFORMS)
    problems = delivery_problems(facts, max_duration_ms)
    problems += [f"{v.platform}: {p}" for v in verdicts for p in v.problems]
    return QCResult(report=_report(facts, problems), platforms=verdicts)


def overlay_verdicts(plan: ClipPlan, platforms: tuple[Platform, ...]
                     ) -> tuple[PlatformVerdict, ...]:
    """For each platform, the overlays of ``plan`` (its recorded placements, or the card
    of a plan made before placements were recorded) that its interface would cover."""
    rects = [(p.overlay, p.start_ms, p.end_ms, (p.x, p.y, p.width, p.height))
             for p in plan.placements]
    if not rects and plan.card is not None:
        card = plan.card
        rects = [("card", card.start_ms, card.end_ms, (card.x, card.y, card.width, card.height))]
    verdicts = []
    for platform in platforms:
        problems = []
        for overlay, start, end, rect in rects:
            why = zone_problems(rect, platform)
            if why:
                x, y, w, h = rect
                problems.append(f"{overlay} {start / 1000:.1f}-{end / 1000:.1f} s at x {x}, "
                                f"y {y}, {w}x{h}: {why}")
        verdicts.append(PlatformVerdict(platform, not problems, tuple(problems)))
    return tuple(verdicts)


def check(path: Path, *, max_duration_ms: int = MAX_DURATION_MS) -> QCReport:
    """Probe and measure ``path``; ``passed`` only when the spec and every platform hold."""
    return inspect(path, max_duration_ms=max_duration_ms).report


def _report(facts: FileFacts, problems: list[str]) -> QCReport:
    info = facts.info
    fps = Fraction(info.fps) if info.has_video else Fraction(0)
    width, height = info.display_size if info.has_video else (0, 0)
    return QCReport(width=width, height=height, fps=round(float(fps), 3),
                    duration_ms=info.duration_ms, video_codec=info.video_codec,
                    audio_codec=info.audio_codec, sample_rate=info.sample_rate,
                    loudness_lufs=round(facts.lufs, 2), true_peak_dbtp=round(facts.true_peak, 2),
                    passed=not problems, problems=tuple(problems))


def delivery_problems(facts: FileFacts, max_duration_ms: int) -> list[str]:
    """Every way the file misses docs/platforms.md's delivery spec."""
    info, video = facts.info, facts.video
    out: list[str] = []
    expect = {"video codec": (info.video_codec, "h264"), "pixel format": (info.pix_fmt, "yuv420p"),
              "size": (info.display_size, (1080, 1920)), "frame rate": (info.fps, "30/1"),
              "audio codec": (info.audio_codec, "aac"), "sample rate": (info.sample_rate, 48000),
              "channels": (info.channels, 2), "H.264 profile": (video.profile, "High")}
    for name, (got, want) in expect.items():
        if got != want:
            out.append(f"{name} is {got}, expected {want}")
    if info.has_audio and facts.video.audio_profile not in ("", "LC"):
        out.append(f"AAC profile is {facts.video.audio_profile}, expected LC")
    if not video.cfr:
        out.append("frame rate is not constant")
    if not video.progressive:
        out.append("video is interlaced, expected progressive")
    if info.duration_ms > max_duration_ms + DURATION_SLACK_MS:
        out.append(f"duration {info.duration_ms} ms exceeds {max_duration_ms} ms")
    if abs(facts.lufs - TARGET_LUFS) > LUFS_TOLERANCE:
        out.append(f"integrated loudness {facts.lufs:.1f} LUFS, "
                   f"expected {TARGET_LUFS} ± {LUFS_TOLERANCE}")
    if facts.true_peak > MAX_TRUE_PEAK:
        out.append(f"true peak {facts.true_peak:.1f} dBTP exceeds {MAX_TRUE_PEAK} dBTP")
    out += _gop_problems(video)
    if not facts.faststart:
        out.append("moov atom is not before mdat (needs +faststart)")
    return out


def _gop_problems(video: VideoFacts) -> list[str]:
    if video.open_gop_reason:
        return [f"GOP is open: {video.open_gop_reason}"]
    return []


def platform_verdict(platform: Platform, facts: FileFacts) -> PlatformVerdict:
    """One platform's upload rules (docs/platforms.md) applied to ``facts``."""
    rules = {"tiktok": tiktok_problems, "instagram": reels_problems,
             "youtube": shorts_problems}[platform]
    problems = tuple(rules(facts))
    return PlatformVerdict(platform=platform, passed=not problems, problems=problems)


TIKTOK = UPLOAD_RULES["tiktok"]
REELS = UPLOAD_RULES["instagram"]
SHORTS = UPLOAD_RULES["youtube"]


def _frame_rate_problems(info: MediaInfo) -> list[str]:
    fps = float(Fraction(info.fps)) if info.has_video else 0.0
    low, high = UPLOAD_FPS
    return [] if low <= fps <= high else [f"frame rate {fps:g} fps is outside {low}-{high} fps"]


def tiktok_problems(facts: FileFacts) -> list[str]:
    """TikTok Content Posting: 23-60 fps, 360-4096 px a side, ≤ 4 GB, ≤ 10 min."""
    info = facts.info
    out = _frame_rate_problems(info)
    low, high = TIKTOK_SIDE_PX
    if not all(low <= side <= high for side in info.display_size):
        out.append(f"size {info.display_size} has a side outside {low}-{high} px")
    if info.size_bytes > TIKTOK.max_bytes:
        out.append(f"file is {info.size_bytes} bytes, over 4 GB")
    if not TIKTOK.duration_ms[0] <= info.duration_ms <= TIKTOK.duration_ms[1]:
        out.append(f"duration {info.duration_ms} ms is outside 1 s-10 min")
    return out


def reels_problems(facts: FileFacts) -> list[str]:
    """Instagram Reels: MP4/MOV with moov first, H.264, closed GOP, 4:2:0, 23-60 fps,
    AAC ≤ 48 kHz, 3 s-15 min, ≤ 300 MB."""
    info, video = facts.info, facts.video
    out = _frame_rate_problems(info)
    if not video.is_mp4:
        out.append("container is not MP4/MOV")
    if not facts.faststart:
        out.append("moov atom is not first")
    if info.video_codec != "h264":
        out.append(f"video codec is {info.video_codec}, expected H.264")
    out += _gop_problems(video)
    if info.pix_fmt not in ("yuv420p", "yuvj420p"):
        out.append(f"chroma is {info.pix_fmt}, expected 4:2:0")
    if info.has_audio and (info.audio_codec != "aac" or info.sample_rate > 48000):
        out.append(f"audio is {info.audio_codec} {info.sample_rate} Hz, expected AAC ≤ 48 kHz")
    if not REELS.duration_ms[0] <= info.duration_ms <= REELS.duration_ms[1]:
        out.append(f"duration {info.duration_ms} ms is outside 3 s-15 min")
    if info.size_bytes > REELS.max_bytes:
        out.append(f"file is {info.size_bytes} bytes, over 300 MB")
    return out


def shorts_problems(facts: FileFacts) -> list[str]:
    """YouTube Shorts: vertical (or square) and at most 3 minutes."""
    info = facts.info
    width, height = info.display_size
    out: list[str] = []
    if height < width:
        out.append(f"size {width}x{height} is not vertical")
    if info.duration_ms > SHORTS.duration_ms[1]:
        out.append(f"duration {info.duration_ms} ms is over 3 min")
    return out
