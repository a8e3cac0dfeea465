"""Known inputs for golden tests: a plan and a transcript built by hand."""

from __future__ import annotations

from pipeline.captions.cues import build_cues
from pipeline.core.models import (
    CaptionStyle,
    CardSpec,
    ClipPlan,
    CropKey,
    CropPath,
    MediaInfo,
    MusicBed,
    Window,
    Word,
)

SOURCE = MediaInfo(path="/footage/in put.mp4", size_bytes=1000, duration_ms=24000, has_video=True,
                   has_audio=True, width=1920, height=1080, fps="30000/1001", video_codec="h264",
                   pix_fmt="yuv420p", audio_codec="aac", sample_rate=48000, channels=2)

WORDS = (
    Word(text="This", start_ms=400, end_ms=620), Word(text="is", start_ms=620, end_ms=800),
    Word(text="the", start_ms=800, end_ms=950), Word(text="Trailhead", start_ms=950, end_ms=1500),
    Word(text="Insulated", start_ms=1500, end_ms=2100),
    Word(text="Bottle.", start_ms=2100, end_ms=2700),
    Word(text="It", start_ms=3100, end_ms=3200), Word(text="keeps", start_ms=3200, end_ms=3500),
    Word(text="water", start_ms=3500, end_ms=3800), Word(text="ice", start_ms=3800, end_ms=4000),
    Word(text="cold", start_ms=4000, end_ms=4300), Word(text="all", start_ms=4300, end_ms=4500),
    Word(text="day,", start_ms=4500, end_ms=4900), Word(text="and", start_ms=5000, end_ms=5100),
    Word(text="the", start_ms=5100, end_ms=5200), Word(text="lid", start_ms=5200, end_ms=5500),
    Word(text="never", start_ms=5500, end_ms=5800), Word(text="leaks.", start_ms=5800,
                                                         end_ms=6300),
)
STYLE = CaptionStyle(uppercase=True)
KEYWORDS = ("Trailhead Insulated Bottle", "Trailhead", "insulated")


def plan() -> ClipPlan:
    """A plan with every feature on: moving crop, card, captions, music."""
    return ClipPlan(
        clip_id="abc123", sku="SKU-1", source=SOURCE,
        window=Window(start_ms=2000, end_ms=17000),
        crop=CropPath(width=606, height=1080, points=(
            CropKey(t_ms=0, x=300, y=0), CropKey(t_ms=4000, x=300, y=0),
            CropKey(t_ms=6000, x=500, y=0))),
        captions=build_cues(WORDS, STYLE, keywords=KEYWORDS), caption_style=STYLE,
        fonts_dir="/fonts",
        card=CardSpec(title="Trailhead Insulated Bottle", price_text="$24.00", x=156, y=320,
                      start_ms=1500, end_ms=6500, animation="slide"),
        music=MusicBed(path="/music/upbeat.opus", offset_ms=2000, gain_db=-16.0),
    )


ZH_WORDS = (
    Word(text="这是", start_ms=300, end_ms=520), Word(text="步道", start_ms=520, end_ms=800),
    Word(text="保温", start_ms=800, end_ms=1050), Word(text="瓶。", start_ms=1050, end_ms=1400),
    Word(text="它", start_ms=1800, end_ms=1900), Word(text="能让", start_ms=1900, end_ms=2200),
    Word(text="水", start_ms=2200, end_ms=2350), Word(text="一整天", start_ms=2350, end_ms=2900),
    Word(text="保持", start_ms=2900, end_ms=3200),
    Word(text="冰凉\uff0c", start_ms=3200, end_ms=3600),
    Word(text="盖子", start_ms=3700, end_ms=3950), Word(text="从不", start_ms=3950, end_ms=4200),
    Word(text="漏水。", start_ms=4200, end_ms=4700),
)
"""A Chinese transcript as Whisper gives it: one- to three-character tokens."""
ZH_KEYWORDS = ("步道保温瓶", "保温瓶", "Trailhead")
