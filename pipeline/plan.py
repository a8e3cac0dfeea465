"""Decide everything about a clip and write it down as a ClipPlan.

Every input here is already loaded and analysed (media info, transcript,
product, template, music library); this module only combines the decisions:
window, crop path, caption cues, product card timing, music bed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from pipeline.brand.templates import Template, load_template
from pipeline.captions.cues import build_cues, caption_words, clip_words, end_cues_before
from pipeline.core.models import (
    CaptionCue,
    CardSpec,
    ClipPlan,
    CropPath,
    Layout,
    MediaInfo,
    MusicBed,
    OverlayPlacement,
    Product,
    Transcript,
    Window,
    Word,
)
from pipeline.footage.analysis import Analysis
from pipeline.footage.selection import Choice, choose_window
from pipeline.speech.transcribe import mentions

DEFAULT_CARD_AT_MS = 1500
CARD_MIN_MS = 3000
CARD_DEFAULT_MS = 5000


@dataclass(frozen=True)
class Settings:
    """What the user chose on the command line that changes the clip."""

    duration_ms: int = 15000
    language: str = "auto"
    engine: str = "ffmpeg"
    model: str = "auto"
    layout: str = ""
    """auto, crop or fit; empty: the template's."""
    window_rank: int = 0
    """0: the best window; k: the (k+1)-th best with an opening of its own (an A/B variant,
    ``pipeline.footage.selection.choose_window``)."""
    music: str = ""
    """A music mood instead of the template's (an A/B variant); empty: the template's."""
    captions: str = ""
    """A template whose caption style replaces the template's (an A/B variant); empty:
    the template's own."""
    platforms: tuple[str, ...] = ()
    """The platforms whose interface zones the overlays keep clear of
    (``publish.platforms.placement_platforms``); empty: every platform's."""


VARIANT_FIELDS = ("window_rank", "music", "captions")
"""Settings added for A/B variants: left out of clip ids while unset."""


LATER_PRODUCT_FIELDS = ("locale", "douyin_micro_app_url")
LATER_TEMPLATE_FIELDS = ("words",)
"""Fields added after clip ids were in use: left out of the id while empty, so clips made
before keep their ids (and are not published a second time)."""


def _unset(model: Product | Template, names: tuple[str, ...]) -> set[str]:
    return {name for name in names if not getattr(model, name)}


def clip_id_for(footage_digest: str, product: Product, template: Template,
                settings: Settings, image_identity: str, script: str = "") -> str:
    """Content id: the same footage, product, template, settings and script give the same id.

    ``image_identity`` (``pipeline.products.images.image_identity``) stands in for the product's
    image path, so moving the catalog and its images keeps the ids. The caption ``script``'s
    text is in the id only when there is one, so clips made without keep their ids."""
    fields = product.model_dump(mode="json", exclude=_unset(product, LATER_PRODUCT_FIELDS))
    fields |= {"image": image_identity}
    raw = json.dumps([footage_digest, fields,
                      # review changes who publishes when, not the clip: not in its id
                      template.model_dump(mode="json", exclude={"review"}
                                          | _unset(template, LATER_TEMPLATE_FIELDS)),
                      _settings_identity(settings), *([{"script": script}] if script else [])],
                     sort_keys=True)
    return hashlib.sha256(raw.encode()).hexdigest()[:16]


def _settings_identity(settings: Settings) -> dict[str, object]:
    """The settings that make a clip different; an unset layout (the template's) and the
    default platforms (all) are left out so ids made before --layout and --platforms
    existed stay the same."""
    fields = dict(settings.__dict__)
    for name in ("layout", "platforms", *VARIANT_FIELDS):
        if not fields.get(name):
            fields.pop(name, None)
    return fields


def styled(template: Template, settings: Settings) -> Template:
    """The template with a variant's music mood or another template's caption style."""
    changes: dict[str, object] = {}
    if settings.music:
        changes["music"] = template.music.model_copy(update={"mood": settings.music})
    if settings.captions:
        changes["caption"] = load_template(settings.captions).caption
    return template.model_copy(update=changes) if changes else template


def product_terms(product: Product) -> list[str]:
    """Words that name the product: title, brand and keywords."""
    return [t for t in (product.title, product.brand, *product.keywords) if t]


def choose(info: MediaInfo, transcript: Transcript, product: Product,
           settings: Settings, visuals: Analysis | None = None) -> Choice:
    """The window to cut in one footage file, its score and the reasons."""
    choice = choose_window(info.duration_ms, transcript.words, settings.duration_ms,
                           product_terms(product), visuals, settings.window_rank)
    parts = ", ".join(f"{k} {v:+g}" for k, v in choice.parts.items())
    return Choice(choice.window, choice.score,
                  (*choice.reasons, f"score {choice.score:g} = {parts}"), choice.parts)


def choose_footage(infos: Sequence[MediaInfo], transcripts: Sequence[Transcript],
                   product: Product, settings: Settings,
                   visuals: Sequence[Analysis | None]) -> tuple[int, Choice]:
    """Among several footage files, the one whose best window scores highest."""
    if len(infos) == 1:
        return 0, choose(infos[0], transcripts[0], product, settings, visuals[0])
    best_first = dataclasses.replace(settings, window_rank=0)
    choices = [choose(i, t, product, best_first, v)
               for i, t, v in zip(infos, transcripts, visuals, strict=True)]
    best = max(range(len(choices)), key=lambda k: choices[k].score)
    if settings.window_rank:  # an opening variant is cut from the file that cuts best
        choices[best] = choose(infos[best], transcripts[best], product, settings,
                               visuals[best])
    others = "; ".join(f"{Path(i.path).name} {c.score:g}" for i, c in zip(infos, choices,
                                                                           strict=True))
    why = f"chose {Path(infos[best].path).name} of {len(infos)} footage files by score ({others})"
    chosen = choices[best]
    return best, Choice(chosen.window, chosen.score, (why, *chosen.reasons), chosen.parts)


def cues_for(transcript: Transcript, window: Window, template: Template, product: Product,
             warnings: list[str] | None = None, cuts_ms: Sequence[int] = ()
             ) -> tuple[CaptionCue, ...]:
    """Caption cues in the clip timeline, never spanning a scene cut (``cuts_ms`` in the
    footage timeline); characters no font draws (emoji) are dropped with a note in
    ``warnings``."""
    words = caption_words(clip_words(transcript, window), warnings)
    cuts = [c - window.start_ms for c in cuts_ms if window.start_ms < c < window.end_ms]
    cues = build_cues(words, template.caption, keywords=product_terms(product),
                      cuts_ms=cuts, duration_ms=window.duration_ms)
    return end_cues_before(cues)


def card_window(words: Sequence[Word], duration_ms: int, product: Product,
                min_ms: int = CARD_MIN_MS) -> tuple[int, int]:
    """Card on screen from the first spoken mention of the product, at least ``min_ms``."""
    named = mentions(list(words), product_terms(product))
    start = named[0].start_ms if named else min(DEFAULT_CARD_AT_MS, duration_ms // 4)
    length = max(min_ms, CARD_DEFAULT_MS)
    start = max(0, min(start, duration_ms - min(min_ms, duration_ms)))
    return start, min(duration_ms, start + length)


@dataclass(frozen=True)
class Decisions:
    """What the stages before the plan decided, ready to be written down."""

    clip_id: str
    sku: str
    source: MediaInfo
    window: Window
    crop: CropPath
    captions: tuple[CaptionCue, ...]
    card: CardSpec | None
    music: MusicBed | None
    reasons: tuple[str, ...]
    scores: dict[str, float] | None = None
    layout: Layout = "crop"
    placements: tuple[OverlayPlacement, ...] = ()
    platforms: tuple[str, ...] = ()


def build_plan(d: Decisions, template: Template, fonts_dir: Path) -> ClipPlan:
    """The ClipPlan: the whole decision, saved as plan.json."""
    return ClipPlan(clip_id=d.clip_id, sku=d.sku, source=d.source, window=d.window, crop=d.crop,
                    captions=d.captions, caption_style=template.caption,
                    fonts_dir=str(fonts_dir), card=d.card, music=d.music,
                    speech=d.source.has_audio, reasons=d.reasons, scores=d.scores or {},
                    layout=d.layout, placements=d.placements, platforms=d.platforms)
