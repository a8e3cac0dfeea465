"""Frozen, typed values passed between stages. Times are integer milliseconds."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.core.scripts import is_full_width, join_words

Ms = int
"""A time or duration in integer milliseconds."""


class Frozen(BaseModel):
    """Base for every stage value: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class MediaInfo(Frozen):
    """What a probe learned about one media file."""

    path: str = Field(description="Absolute path of the probed file.")
    size_bytes: int = Field(description="File size in bytes.")
    duration_ms: Ms = Field(description="Container duration.")
    has_video: bool
    has_audio: bool
    width: int = Field(0, description="Coded width in pixels, before rotation and SAR.")
    height: int = Field(0, description="Coded height in pixels, before rotation and SAR.")
    rotation: int = Field(0, description="Display rotation in degrees: 0, 90, 180 or 270.")
    sar: str = Field("1/1", description="Sample (pixel) aspect ratio as an exact fraction.")
    fps: str = Field("0/1", description="Average frame rate as an exact fraction.")
    video_codec: str = ""
    pix_fmt: str = ""
    color_transfer: str = Field("", description="e.g. bt709, smpte2084 (PQ), arib-std-b67 (HLG).")
    color_matrix: str = Field("", description="YUV matrix: bt709, smpte170m, bt470bg, "
                              "bt2020nc; empty when the file does not say.")
    color_range: str = Field("", description="tv (limited) or pc (full); empty when unsaid.")
    bit_depth: int = 8
    audio_codec: str = ""
    sample_rate: int = 0
    channels: int = 0

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: square pixels, rotation applied; both even."""
        sar = Fraction(self.sar) if Fraction(self.sar) > 0 else Fraction(1)
        w, h = round(self.width * sar), self.height
        if self.rotation in (90, 270):
            w, h = h, w
        return w - w % 2, h - h % 2

    @property
    def is_hdr(self) -> bool:
        """True for PQ or HLG transfer (10-bit phone HDR)."""
        return self.color_transfer in ("smpte2084", "arib-std-b67")


class Word(Frozen):
    """One spoken word, as Whisper timed it."""

    text: str = Field(description="The word as spoken, without surrounding spaces.")
    start_ms: Ms
    end_ms: Ms
    probability: float = 1.0


class NameFix(Frozen):
    """A product name Whisper misheard, respelled as the catalog spells it."""

    heard: str = Field(description="The words as Whisper wrote them.")
    spelled: str = Field(description="The catalog's name that replaced them.")
    start_ms: Ms = Field(description="Start of the replaced words (the transcript's timeline).")
    end_ms: Ms
    score: float = Field(description="Match score 0-1 (mean of spelling and sound likeness).")
    evidence: float | None = Field(
        default=None, description="How much the audio favours the correction (nats; "
        "pipeline/speech/name_check.py), when it was asked.")


class Transcript(Frozen):
    """What was said, word by word, in some timeline (footage or clip)."""

    text: str
    language: str = Field(description="ISO 639-1 code, e.g. en, zh.")
    words: tuple[Word, ...] = ()
    note: str = Field("", description="Why there is no speech, when there is none.")
    fixes: tuple[NameFix, ...] = Field((), description="Product names respelled after "
                                       "transcription (pipeline/speech/names.py).")
    warnings: tuple[str, ...] = Field((), description="What the manifest should tell the "
                                      "user about these words (a script that does not "
                                      "match the speech).")


class Product(Frozen):
    """One sellable item from a catalog."""

    sku: str
    title: str
    price: Decimal
    currency: str = Field("USD", description="ISO 4217 code.")
    url: str = Field(description="The product page, http(s) only.")
    image: str = Field("", description="Local path or http(s) URL of the product image.")
    brand: str = ""
    keywords: tuple[str, ...] = ()
    compare_at_price: Decimal | None = None
    tiktok_product_id: str = ""
    instagram_product_id: str = ""
    locale: str = Field("", description="BCP 47 tag (zh-CN, ja-JP...) of the product's "
                        "language and price format; empty: the template's.")
    douyin_micro_app_url: str = Field("", description="Page of the product in the account's "
                                      "Douyin mini-program, attached as the post's anchor.")
    notes: tuple[str, ...] = Field((), exclude=True, description=(
        "What loading changed, shown as warnings (a title cut to length); not part of "
        "the product's identity."))


class Window(Frozen):
    """The chosen stretch of footage, in the footage's timeline."""

    start_ms: Ms
    end_ms: Ms

    @property
    def duration_ms(self) -> Ms:
        return self.end_ms - self.start_ms


class CropKey(Frozen):
    """Top-left of the crop box at a moment of the clip timeline, in display pixels."""

    t_ms: Ms
    x: int
    y: int


class CropPath(Frozen):
    """A crop box of fixed size moving linearly between keyframes."""

    width: int
    height: int
    points: tuple[CropKey, ...]


class CaptionWord(Frozen):
    """A word on screen in a cue, clip timeline."""

    text: str
    start_ms: Ms
    end_ms: Ms
    keyword: bool = Field(False, description="Drawn in the brand colour (product name etc.).")


class CaptionCue(Frozen):
    """One caption on screen: up to two lines of words, clip timeline."""

    start_ms: Ms
    end_ms: Ms
    lines: tuple[tuple[CaptionWord, ...], ...]
    margin_v: int | None = Field(None, description="Distance of this cue's baseline from the "
                                 "bottom, px, as placement decided; None: the style's margin_v.")

    @property
    def text(self) -> str:
        """The cue's lines, words joined as their script writes them."""
        return "\n".join(join_words([w.text for w in line]) for line in self.lines)

    @property
    def is_cjk(self) -> bool:
        """Chinese, Japanese or Korean (pipeline/core/scripts.py): drawn with the CJK font."""
        return is_full_width(self.text)


class CaptionStyle(Frozen):
    """How captions look; all sizes in output pixels on 1080x1920."""

    font: str = Field("Lato Black", description="Font family name for libass.")
    size: int = 78
    primary: str = Field("#FFFFFF", description="Text colour, #RRGGBB.")
    highlight: str = Field("#FFE14D", description="Colour of the word being spoken.")
    keyword: str = Field("#38E1B4", description="Brand colour for product keywords.")
    outline_colour: str = "#000000"
    outline: float = 5.0
    shadow: float = 2.0
    margin_v: int = Field(700, description="Distance of the caption baseline from the bottom.")
    uppercase: bool = False
    max_chars_latin: int = 20
    max_chars_cjk: int = 11


class CardSpec(Frozen):
    """A product card: what it shows, how it looks, when and where it appears."""

    title: str
    price_text: str
    compare_at_text: str = ""
    cta: str = "Shop now"
    image: str = Field("", description="Local path of the product image, or empty.")
    background: str = "#FFFFFF"
    foreground: str = "#111111"
    accent: str = "#FF3B5C"
    font_path: str = ""
    x: int = Field(120, description="Left edge on the 1080x1920 frame.")
    y: int = Field(1000, description="Top edge on the 1080x1920 frame.")
    width: int = 768
    height: int = 240
    start_ms: Ms = 0
    end_ms: Ms = 5000
    animation: Literal["slide", "pop", "none"] = "slide"
    qr_link: str = Field("", description="Link drawn as a QR code on the card, or empty.")
    corner_radius: int = Field(28, description="Panel corner radius in output pixels.")
    cjk_face: int = Field(2, description="Face of NotoSansCJK-Regular.ttc for Han text: "
                          "0 JP, 1 KR, 2 SC, 3 TC (the product's language).")


Layout = Literal["crop", "fit"]
"""crop: a 9:16 box follows the subject; fit: the whole frame at the clip's width, centred
over a blurred, darkened fill of the same frames."""


class OverlayPlacement(Frozen):
    """Where one overlay sat for a stretch of the clip, and why (output pixels)."""

    overlay: Literal["captions", "card"]
    start_ms: Ms
    end_ms: Ms
    slot: str = Field(description="The template slot used: lower, upper, top, bottom, "
                                  "side-left, side-right.")
    x: int
    y: int
    width: int
    height: int
    reason: str = ""
    frames: int = Field(0, description="Analysis frames of the subject while it is on screen.")
    on_subject: int = Field(0, description="How many of those it covers the subject in.")


class MusicBed(Frozen):
    """The chosen music track and how it is laid under the clip."""

    path: str
    title: str = ""
    offset_ms: Ms = Field(0, description="Where in the track the clip's music starts (a downbeat).")
    gain_db: float = Field(-16.0, description="Music level before ducking, relative to full scale.")
    duck: bool = Field(True, description="Duck under speech with a sidechain compressor.")


class ClipPlan(Frozen):
    """The whole decision for one clip; render(plan) reproduces the clip from it."""

    clip_id: str
    sku: str
    source: MediaInfo
    window: Window
    crop: CropPath
    layout: Layout = Field("crop", description="How the footage fills the frame.")
    width: int = 1080
    height: int = 1920
    fps: str = Field("30/1", description="Output frame rate, exact fraction.")
    captions: tuple[CaptionCue, ...] = ()
    caption_style: CaptionStyle = CaptionStyle()
    fonts_dir: str = Field("", description="Directory libass searches for caption fonts.")
    card: CardSpec | None = None
    music: MusicBed | None = None
    speech: bool = Field(True, description="Keep the footage's own audio.")
    target_lufs: float = -14.0
    true_peak_db: float = -1.0
    audio_gain_db: float | None = Field(
        None, description="Mastering gain in dB that lands the mix on target_lufs, decided "
                          "by the loudness measurement while planning; None: measure at render.")
    audio_gain_for: str = Field(
        "", description="Digest of what audio_gain_db was measured on (source, window, "
                        "music, speech, targets); a plan edited since is measured again.")
    placements: tuple[OverlayPlacement, ...] = Field(
        (), description="Where each caption cue and the card went, and why.")
    platforms: tuple[str, ...] = Field(
        (), description="The platforms whose interface zones the overlays were placed clear "
                        "of; empty: every platform's.")
    reasons: tuple[str, ...] = Field((), description="Why this window and framing were chosen.")
    scores: dict[str, float] = Field(default_factory=dict,
                                     description="The parts of the chosen window's score.")

    @property
    def duration_ms(self) -> Ms:
        return self.window.duration_ms


class QCReport(Frozen):
    """Figures measured on a rendered file and whether they meet the delivery spec."""

    width: int
    height: int
    fps: float
    duration_ms: Ms
    video_codec: str
    audio_codec: str
    sample_rate: int
    loudness_lufs: float
    true_peak_dbtp: float
    passed: bool
    problems: tuple[str, ...] = ()
