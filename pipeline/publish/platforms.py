"""Every platform rule clipcart relies on, in one table: names, caption limits, upload
limits, the safe zone and the delivery spec (sources: docs/platforms.md).

Templates, post captions (``products.links``), QC and the publish clients all read
their limits from here, so a platform's rule changes in one place.

Meta and YouTube do not say whether a caption "character" is a code point or a UTF-16
unit (an emoji is one or two), so character limits are met in both counts.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal, get_args

Platform = Literal["tiktok", "tiktok-shop", "instagram", "youtube", "douyin"]
"""A publishing target: TikTok plain post, TikTok Shop affiliate video, Instagram Reels,
YouTube Shorts, Douyin."""
PLATFORMS: tuple[Platform, ...] = get_args(Platform)

MiB = 1024 * 1024

FRAME_W, FRAME_H = 1080, 1920
"""The clip's frame, in pixels."""


@dataclass(frozen=True)
class UiZones:
    """What a platform's own interface covers on a 1080x1920 clip, as insets from each
    edge, px. No platform publishes organic figures; each row says where its come from."""

    top: int
    """Status bar, tabs, the platform's header."""
    bottom: int
    """Username, post caption, music ticker, navigation bar."""
    left: int
    """Edge margin (nothing drawn there, but phones crop and round corners)."""
    right: int
    """The like, comment, share and profile button rail (and edge margin)."""
    source: str
    """Where the figures come from."""

    def safe_area(self) -> tuple[int, int, int, int]:
        """(x0, y0, x1, y1) clear of this platform's interface."""
        return self.left, self.top, FRAME_W - self.right, FRAME_H - self.bottom


UI_ZONES: dict[Platform, UiZones] = {
    "tiktok": UiZones(top=288, bottom=560, left=120, right=192,
                      source="docs/platforms.md: TikTok's right rail takes about the right "
                             "150 px (192 with its margin); tabs at the top, caption and music "
                             "ticker at the bottom"),
    "tiktok-shop": UiZones(top=288, bottom=672, left=120, right=192,
                           source="as TikTok, with the product anchor above the caption"),
    "instagram": UiZones(top=269, bottom=672, left=65, right=150,
                         source="Meta ad guidance: top 14 %, bottom 35 %, sides 6 % "
                                "(right: the Reels button rail)"),
    "youtube": UiZones(top=240, bottom=480, left=65, right=192,
                       source="docs/platforms.md all-platform zone (YouTube Shorts: title "
                              "and channel at the bottom, action buttons on the right)"),
    "douyin": UiZones(top=288, bottom=560, left=120, right=192,
                      source="as TikTok (Douyin's player has the same right rail, top tabs "
                             "and bottom caption; no published figures): unconfirmed"),
}
"""Per-platform interface zones: the one table planning and ``clipcart check`` use
(docs/platforms.md, "Safe zones on 1080x1920")."""


def safe_area(platforms: tuple[Platform, ...] = ()) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) clear of every named platform's interface (all when none named)."""
    zones = [UI_ZONES[p] for p in platforms or PLATFORMS]
    return (max(z.left for z in zones), max(z.top for z in zones),
            FRAME_W - max(z.right for z in zones), FRAME_H - max(z.bottom for z in zones))


def placement_platforms(platforms: tuple[str, ...]) -> tuple[Platform, ...]:
    """The platforms a clip's overlays are placed for, as a clip's settings record them:
    known names once each, in PLATFORMS order; () (every platform) when they leave the
    same area as every platform does, so such clips keep the ids they had before
    placement took the platforms into account."""
    chosen = tuple(p for p in PLATFORMS if p in platforms)
    return () if not chosen or safe_area(chosen) == safe_area() else chosen


_ALL = safe_area()
SAFE_X = (_ALL[0], _ALL[2])
"""Horizontal safe zone on 1080x1920 for a template that targets every platform, px
(the side margins and TikTok's right-hand button rail): 120-888."""
SAFE_Y = (_ALL[1], _ALL[3])
"""Vertical safe zone on 1080x1920, px (top bars; bottom caption and music area): 288-1248."""


def zone_problems(rect: tuple[int, int, int, int], platform: Platform) -> str:
    """Why an overlay at ``rect`` (x, y, w, h) sits under ``platform``'s interface, or ""."""
    x0, y0, x1, y1 = UI_ZONES[platform].safe_area()
    x, y, w, h = rect
    sides = [name for name, out in (("top", y < y0), ("bottom", y + h > y1),
                                    ("left", x < x0), ("right", x + w > x1)) if out]
    return f"under the {' and '.join(sides)} interface" if sides else ""


@dataclass(frozen=True)
class DeliverySpec:
    """What every render must meet, whatever the platform."""

    fps: int = 30
    target_lufs: float = -14.0
    lufs_tolerance: float = 0.5
    """QC's tolerance around the target, LU (the spec allows 1; renders land within 0.5)."""
    max_true_peak_dbtp: float = -1.0
    max_duration_ms: int = 15_000
    sample_rate: int = 48_000


DELIVERY = DeliverySpec()


@dataclass(frozen=True)
class CaptionRule:
    """How long a platform's post text may be."""

    max_units: int
    """The limit, counted in ``unit``."""
    unit: Literal["utf16", "chars", "utf8_bytes"]
    """utf16: UTF-16 code units (TikTok); chars: both code points and UTF-16 units;
    utf8_bytes: bytes of UTF-8 (YouTube descriptions)."""
    max_hashtags: int | None = None
    links_allowed: bool = True
    """False where the post text may carry no external link (Douyin): the text says
    where to buy instead."""


@dataclass(frozen=True)
class UploadRule:
    """What a platform accepts as a video file."""

    max_bytes: int
    duration_ms: tuple[int, int]
    """Shortest and longest accepted video, ms."""


CAPTION_RULES: dict[Platform, CaptionRule] = {
    "tiktok": CaptionRule(2200, "utf16"),
    "tiktok-shop": CaptionRule(2200, "utf16"),
    "instagram": CaptionRule(2200, "chars", max_hashtags=30),
    "youtube": CaptionRule(5000, "utf8_bytes"),
    # Douyin documents no length or topic limit that we could confirm (docs/platforms.md):
    # 55 characters and 5 topics are conservative guesses
    "douyin": CaptionRule(55, "chars", max_hashtags=5, links_allowed=False),
}
"""Post text limits: TikTok ``post_info.title``, Reels ``caption``, YouTube description,
Douyin ``text``."""

UPLOAD_RULES: dict[Platform, UploadRule] = {
    "tiktok": UploadRule(4 * 1024 * MiB, (1_000, 600_000)),
    "tiktok-shop": UploadRule(10 * MiB, (1_000, 600_000)),
    "instagram": UploadRule(300_000_000, (3_000, 900_000)),
    "youtube": UploadRule(256 * 1024 * MiB, (1_000, 180_000)),
    "douyin": UploadRule(4 * 1024 * MiB, (1_000, 900_000)),
}
"""File limits. TikTok's 10 min is the usual ``max_video_post_duration_sec`` (publishing
checks the creator's own); TikTok Shop's direct upload takes 10 MB; YouTube Shorts are
at most 3 minutes; Douyin takes 4 GB in parts and recommends at most 15 minutes."""

UPLOAD_FPS = (23, 60)
"""Frame rates TikTok and Reels accept."""
TIKTOK_SIDE_PX = (360, 4096)
"""TikTok's accepted length of each side of the picture."""

YOUTUBE_TITLE_CHARS = 100
SHOP_ANCHOR_MAX_CHARS = 29
"""TikTok Shop product-anchor titles are under 30 characters, letters and digits only."""

UTM_SOURCE: dict[Platform, str] = {
    "tiktok": "tiktok", "tiktok-shop": "tiktok_shop",
    "instagram": "instagram", "youtube": "youtube", "douyin": "douyin",
}
"""``utm_source`` of each platform's tagged link."""

HASHTAG = re.compile(r"#\w+")
LINK = re.compile(r"(?i)\b(?:https?://|www\.)\S+")
"""An http(s) or www. link in post text."""


def utf16_units(text: str) -> int:
    """Length in UTF-16 code units, as TikTok counts."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def caption_length(text: str, rule: CaptionRule) -> int:
    """``text``'s length as ``rule`` counts it (the larger count for ``chars``)."""
    if rule.unit == "utf8_bytes":
        return len(text.encode("utf-8"))
    if rule.unit == "utf16":
        return utf16_units(text)
    return max(len(text), utf16_units(text))


def caption_problem(text: str, platform: Platform) -> str:
    """Why ``text`` cannot be ``platform``'s post text ("" if it can)."""
    rule = CAPTION_RULES[platform]
    length = caption_length(text, rule)
    if length > rule.max_units:
        unit = {"utf16": "UTF-16 units", "chars": "characters", "utf8_bytes": "bytes"}[rule.unit]
        return f"longer than {rule.max_units} {unit} ({length})"
    if rule.max_hashtags is not None and len(HASHTAG.findall(text)) > rule.max_hashtags:
        return f"more than {rule.max_hashtags} hashtags"
    if not rule.links_allowed and LINK.search(text):
        return f"it contains a link ({platform} posts carry no external links; say where to buy)"
    return ""


def without_links(text: str) -> str:
    """``text`` with http(s) and www. links removed."""
    return " ".join(LINK.sub(" ", text).split())


def shop_anchor_title(text: str, fallback: str = "Shop now") -> str:
    """A TikTok Shop anchor title from ``text``: whole words of letters and digits, under
    30 characters; ``fallback`` when nothing usable is left."""
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in text)
    words = kept.split()
    title = ""
    for word in words:
        candidate = f"{title} {word}".strip()
        if len(candidate) > SHOP_ANCHOR_MAX_CHARS:
            break
        title = candidate
    return title or "".join(words)[:SHOP_ANCHOR_MAX_CHARS] or fallback[:SHOP_ANCHOR_MAX_CHARS]


def shop_anchor_problem(title: str) -> str:
    """Why ``title`` cannot be an anchor title ("" if it can)."""
    if len(title) > SHOP_ANCHOR_MAX_CHARS:
        return f"anchor title too long ({len(title)} chars, under 30 allowed)"
    if any(unicodedata.category(ch)[0] not in "LN" and ch != " " for ch in title):
        return "anchor title has punctuation or emoji"
    return ""


def platform_named(name: str) -> Platform | None:
    """``name`` as a Platform, or None when clipcart does not publish there."""
    for platform in PLATFORMS:
        if platform == name:
            return platform
    return None
