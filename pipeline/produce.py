"""The stages of making one clip, each a plain function the flow wraps as a task.

Outputs go to a hidden temporary folder beside the final one and are renamed
into ``OUT/<clip_id>/`` only when every file is complete, so a failure never
leaves a partial clip folder behind.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from pipeline.audio.music import choose_bed, default_music_dir, load_library
from pipeline.brand.templates import Template, load_template_noting
from pipeline.captions.cues import clip_words, to_srt, to_vtt
from pipeline.captions.fonts import libass_fonts_dir
from pipeline.captions.typeset import Typesetter
from pipeline.core.digest import file_digest
from pipeline.core.home import clipcart_home
from pipeline.core.locale import effective_locale, has_words
from pipeline.core.models import (
    ClipPlan,
    MediaInfo,
    Product,
    QCReport,
    Transcript,
    Window,
)
from pipeline.core.scripts import join_words
from pipeline.footage.analysis import Analysis, analyse
from pipeline.footage.layout import Framing, as_fit, frame_footage, soft_warning
from pipeline.footage.placement import covered_share, place_overlays
from pipeline.footage.reframe import is_portrait
from pipeline.footage.selection import analysis_span
from pipeline.media.ffmpeg import file_arg, run_ffmpeg
from pipeline.media.probe import check_footage, probe
from pipeline.plan import (
    Decisions,
    Settings,
    build_plan,
    card_window,
    clip_id_for,
    cues_for,
    product_terms,
    styled,
)
from pipeline.products.card import card_spec
from pipeline.products.catalog import find_product, load_catalog
from pipeline.products.images import image_identity, resolve_image
from pipeline.products.links import platform_links, post_caption, post_captions
from pipeline.products.prices import format_price
from pipeline.publish.platforms import Platform, placement_platforms, safe_area
from pipeline.qc import check
from pipeline.render import render, with_audio_gain
from pipeline.render.graph import keyframe_times_ms
from pipeline.speech.name_check import NameCheck, footage_audio
from pipeline.speech.names import Confirm, catalog_names, correct_names
from pipeline.speech.script_align import apply_script
from pipeline.speech.script_file import read_script
from pipeline.speech.stream import cached_recording_transcript
from pipeline.speech.transcribe import TranscribeOptions, choose_model, preload, transcribe

CROWDED_SHARE = 0.1
"""auto switches a crop to fit when the overlays would cover the subject in more than this
share of their frames."""
THUMB_SETTLED_MS = 400
"""The card has slid or faded in this long after it starts and is not yet fading out
this long before it ends."""


@dataclass(frozen=True)
class MakeRequest:
    """One `clipcart make`: footage, product, template, where to write, settings."""

    footage: Path
    catalog: Path
    sku: str
    out_dir: Path
    template: str = "bold"
    settings: Settings = field(default_factory=Settings)
    more_footage: tuple[Path, ...] = ()
    """Further footage files of the same product: the best one is used."""
    script: Path | None = None
    """What is said, as text or SRT (``--script``): the captions' words, timed by the speech."""

    @property
    def all_footage(self) -> tuple[Path, ...]:
        """Every footage file, in the order given."""
        return (self.footage, *self.more_footage)


@dataclass(frozen=True)
class Inputs:
    """Loaded, validated inputs and the clip's content id."""

    info: MediaInfo
    product: Product
    template: Template
    clip_id: str
    warnings: tuple[str, ...] = ()
    candidates: tuple[MediaInfo, ...] = ()
    """Every footage file probed (several with `make A.mp4 B.mp4`); ``info`` is the one used."""
    catalog_names: tuple[str, ...] = ()
    """Product names the transcript is respelled to (this product's first, then the rest
    of the catalog's; pipeline/speech/names.py)."""
    script: str = ""
    """The caption script's text ('' without one; pipeline/speech/script_align.py)."""
    script_name: str = ""
    """The script file's name, for warnings."""
    platforms: tuple[Platform, ...] = ()
    """The platforms whose interface zones the overlays keep clear of; (): every one."""


def _probe_video(path: Path) -> MediaInfo:
    info = probe(path)
    check_footage(info)
    return info


@dataclass(frozen=True)
class CheckedRequest:
    """A request's inputs read and validated, before anything costly (hashing, rendering)."""

    infos: tuple[MediaInfo, ...]
    catalog: dict[str, Product]
    product: Product
    template: Template
    notes: tuple[str, ...]
    script: str


def check_request(req: MakeRequest) -> CheckedRequest:
    """Probe the footage, find the product, load the template and script; all bad input
    fails here, in seconds (`clipcart make` asks before it starts Prefect)."""
    infos = tuple(_probe_video(path) for path in req.all_footage)
    catalog = load_catalog(req.catalog)
    product = find_product(catalog, req.sku, req.catalog)
    notes: list[str] = []
    template = styled(load_template_noting(req.template, notes), req.settings)
    script = read_script(req.script) if req.script is not None else ""
    return CheckedRequest(infos, catalog, product, template, tuple(notes), script)


def load_inputs(req: MakeRequest) -> Inputs:
    """The request checked (``check_request``) and the clip's content id."""
    checked = check_request(req)
    infos, catalog, product, template = (checked.infos, checked.catalog, checked.product,
                                         checked.template)
    notes, script = list(checked.notes), checked.script
    # one file keeps its plain digest, so single-file clip ids do not change
    digest = "+".join(sorted(file_digest(path) for path in req.all_footage))
    clip_id = clip_id_for(digest, product, template, req.settings,
                          image_identity(product.image), script)
    names = catalog_names([product, *(p for p in catalog.values() if p.sku != product.sku)])
    return Inputs(info=infos[0], product=product, template=template, clip_id=clip_id,
                  warnings=tuple(notes), candidates=infos, catalog_names=tuple(names),
                  script=script, script_name=f"script {req.script.name}" if req.script else "",
                  platforms=placement_platforms(req.settings.platforms))


def window_inputs(info: MediaInfo, footage_digest: str, catalog: Path, sku: str,
                  template: str, settings: Settings, window: Window) -> Inputs:
    """Inputs of a clip cut at a window already chosen (``clipcart slice``): its id holds
    the window, so each pitch of one recording is its own clip, made exactly once."""
    products = load_catalog(catalog)
    product = find_product(products, sku, catalog)
    notes: list[str] = []
    looks = styled(load_template_noting(template, notes), settings)
    digest = f"{footage_digest}@{window.start_ms}-{window.end_ms}"
    clip_id = clip_id_for(digest, product, looks, settings, image_identity(product.image))
    names = catalog_names([product, *(p for p in products.values() if p.sku != product.sku)])
    return Inputs(info=info, product=product, template=looks, clip_id=clip_id,
                  warnings=tuple(notes), catalog_names=tuple(names),
                  platforms=placement_platforms(settings.platforms))


def use_footage(inputs: Inputs, index: int) -> Inputs:
    """The inputs with the chosen footage file as the clip's source."""
    chosen = inputs.candidates[index] if inputs.candidates else inputs.info
    return dataclasses.replace(inputs, info=chosen)


def analyse_stage(info: MediaInfo, transcript: Transcript, settings: Settings) -> Analysis:
    """Visual analysis of one footage file (shared by selection and reframing), of only
    the stretch a window can come from when the transcript already decides that."""
    return analyse(info, analysis_span(info.duration_ms, transcript.words,
                                       settings.duration_ms))


def spoken_language(settings: Settings) -> str | None:
    """The language the settings name, None for auto (detected)."""
    return None if settings.language == "auto" else settings.language


def preload_whisper(settings: Settings) -> None:
    """Start loading the model ``transcribe_stage`` will first need, in the background
    (``pipeline.speech.transcribe.preload``): commands call it before Prefect starts."""
    preload(settings.model, spoken_language(settings))


def transcribe_stage(inputs: Inputs, settings: Settings,
                     info: MediaInfo | None = None) -> Transcript:
    """Word-timed transcript of the footage (or of ``info``), product words as vocabulary,
    with misheard catalog names respelled as the catalog spells them; with a script, its
    words timed by the speech (or the recognised ones and a warning when it does not match)."""
    options = TranscribeOptions(model=settings.model, language=spoken_language(settings),
                                vocabulary=tuple(product_terms(inputs.product)))
    source = info or inputs.info
    heard = sliced_transcript(source) or transcribe(source, options)
    heard = with_catalog_names(heard, inputs.catalog_names, name_check(source, options, heard))
    if not inputs.script:
        return heard
    return apply_script(heard, inputs.script, inputs.script_name)


LONG_RECORDING_MS = 5 * 60 * 1000
"""Footage this long may have been sliced (``clipcart slice``) before."""


def sliced_transcript(info: MediaInfo) -> Transcript | None:
    """The transcript ``clipcart slice`` left for this very file (by content), so a
    ``make`` on a long recording does not transcribe it again."""
    if info.duration_ms < LONG_RECORDING_MS:
        return None
    return cached_recording_transcript(Path(info.path), file_digest(Path(info.path)))


def name_check(info: MediaInfo, options: TranscribeOptions, transcript: Transcript
               ) -> Confirm | None:
    """The audio's say on name corrections in ``transcript`` of ``info``: the model that
    heard it scores each one (pipeline/speech/name_check.py); None without speech."""
    if not info.has_audio or not transcript.words:
        return None
    language = transcript.language or None
    return NameCheck(footage_audio(info.path), choose_model(options.model, language),
                     language or "en", options.vocabulary, options.threads).confirms


def with_catalog_names(transcript: Transcript, names: Sequence[str],
                       confirm: Confirm | None = None) -> Transcript:
    """The transcript with confident matches of ``names`` respelled (their fixes kept);
    with ``confirm``, only those the audio bears out."""
    words, fixes = correct_names(transcript.words, names, confirm=confirm)
    if not fixes:
        return transcript
    return transcript.model_copy(update={"words": words, "fixes": fixes,
                                         "text": join_words([w.text for w in words])})


def name_fix_reasons(transcript: Transcript, window: Window) -> tuple[str, ...]:
    """The plan's account of each name respelled inside the window (footage seconds)."""
    return tuple(f"{f.heard!r} -> {f.spelled!r} at {f.start_ms / 1000:.1f} s "
                 f"(catalog name, match {f.score:.2f}{_heard(f.evidence)})"
                 for f in transcript.fixes
                 if window.start_ms <= f.start_ms < window.end_ms)


def _heard(evidence: float | None) -> str:
    """The audio's evidence for a correction as the plan reasons state it."""
    return "" if evidence is None else f", audio evidence {evidence:+.1f}"


def frame_stage(info: MediaInfo, window: Window, visuals: Analysis | None,
                template: Template, settings: Settings) -> Framing:
    """Crop or fit (``--layout``, else the template's), the crop path and the subject."""
    return frame_footage(info, window, visuals, settings.layout or template.layout)


def plan_stage(inputs: Inputs, transcript: Transcript, window: Window,
               reasons: tuple[str, ...], framing: Framing,
               scores: dict[str, float] | None = None, cuts_ms: tuple[int, ...] = ()
               ) -> tuple[ClipPlan, list[str]]:
    """Everything after the window and framing: captions, card, music, as one ClipPlan;
    captions and card placed off the subject, clear of the interface of every platform
    the clip is for (``inputs.platforms``; all when none is named).

    ``cuts_ms`` are the scene cuts in the footage timeline; no caption spans one.
    """
    template, product = inputs.template, inputs.product
    warnings: list[str] = [*inputs.warnings, *inputs.product.notes, *transcript.warnings]
    cues = cues_for(transcript, window, template, product, warnings, cuts_ms)
    start, end = card_window(clip_words(transcript, window), window.duration_ms, product,
                             template.card.min_on_screen_ms)
    links = platform_links(product, template, inputs.clip_id)
    image = resolve_image(product.image, warnings) if product.image else None
    card = card_spec(product, template, start_ms=start, end_ms=end, image=image,
                     link=links["tiktok"])
    warnings.extend(undrawable_text(card.title, card.font_path))
    locale = effective_locale(product.locale, template.locale)
    if not has_words(locale):
        warnings.append(f"locale {locale}: no fixed words for its language in the word table; "
                        "the card and captions use English (add them under the template's "
                        "words)")
    safe = safe_area(inputs.platforms)
    words = cues
    cues, placed_card, placements = place_overlays(framing, template, words, card, safe)
    if framing.auto and framing.layout == "crop" and not is_portrait(inputs.info) \
            and covered_share(placements) > CROWDED_SHARE:
        # the subject leaves the overlays no room in the crop: fit puts them in the bands
        share = covered_share(placements)
        framing = as_fit(inputs.info, framing.samples,
                         f"layout fit (auto): in a crop the captions and card would cover the "
                         f"subject in {share:.0%} of their frames", auto=True)
        cues, placed_card, placements = place_overlays(framing, template, words, card, safe)
    if covered_share(placements) > 0:
        # no way out by fitting (portrait footage, or the layout asked for): stack the
        # captions on the card, a smaller card, when that covers the subject less
        tight = place_overlays(framing, template, words, card, safe, compact=True)
        if covered_share(tight[2]) < covered_share(placements):
            cues, placed_card, placements = tight
    warnings.extend(soft_warning(inputs.info, framing.upscale))
    music = None
    if template.music.enabled:
        music = choose_bed(load_library(default_music_dir()), template.music.mood,
                           seed=inputs.clip_id, gain_db=template.music.gain_db,
                           clip_ms=window.duration_ms)
    d = Decisions(clip_id=inputs.clip_id, sku=product.sku, source=inputs.info, window=window,
                  crop=framing.crop, captions=cues, card=placed_card, music=music,
                  reasons=(*reasons, *framing.reasons, *name_fix_reasons(transcript, window),
                           *zone_reasons(inputs.platforms, safe)),
                  scores=scores, layout=framing.layout, placements=placements,
                  platforms=inputs.platforms)
    return with_audio_gain(build_plan(d, template, libass_fonts_dir(clipcart_home()))), warnings


def zone_reasons(platforms: tuple[Platform, ...], safe: tuple[int, int, int, int]
                 ) -> tuple[str, ...]:
    """The plan's account of the area overlays were kept in, when the clip is for only
    some platforms (every platform's area is the default and goes unsaid)."""
    if not platforms:
        return ()
    x0, y0, x1, y1 = safe
    return (f"overlays clear of the interface of {', '.join(platforms)} only: "
            f"x {x0}-{x1}, y {y0}-{y1}",)


def undrawable_text(title: str, font_path: str) -> list[str]:
    """A warning when the card's fonts cannot draw part of the product title.

    Emoji and scripts no shipped font covers (Arabic, Hebrew, Thai...) are
    dropped from the card; the user should know the card reads differently.
    """
    shown = Typesetter(font_path, 32).visible(title)
    if shown == " ".join(title.split()):
        return []
    lost = "".join(dict.fromkeys(ch for ch in title if ch not in shown and not ch.isspace()))
    what = f"the card shows {shown!r}" if shown else "the card shows no title"
    return [f"product title {title[:80]!r}: the card fonts cannot draw {lost[:20]!r}; {what}"]


def staging_dir(out_dir: Path, clip_id: str) -> Path:
    """A fresh hidden folder beside the final clip folder."""
    tmp = out_dir / f".{clip_id}.partial"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


@contextmanager
def discarded_on_failure(folder: Path) -> Iterator[None]:
    """Remove the staging ``folder`` when the block fails (even on Ctrl-C), then re-raise.

    The user never finds a half-written clip folder: a failed or interrupted
    render leaves the output folder as it was.
    """
    try:
        yield
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def render_stage(plan: ClipPlan, folder: Path, engine: str = "ffmpeg") -> Path:
    """Render the plan into ``folder/clip.mp4``; the folder is discarded on failure."""
    with discarded_on_failure(folder):
        return _render_with(plan, folder, engine)


def _render_with(plan: ClipPlan, folder: Path, engine: str) -> Path:
    """Render with the chosen engine."""
    if engine == "moviepy":
        from pipeline.render.moviepy_engine import render_moviepy

        moviepy_out: Path = render_moviepy(plan, folder / "clip.mp4")
        return moviepy_out
    return render(plan, folder / "clip.mp4")


def thumbnail(clip: Path, plan: ClipPlan, out: Path) -> Path:
    """A JPEG of a frame where the product card is fully on screen."""
    # -update 1: one image, so a % in the folder name is not read as a frame pattern
    run_ffmpeg(["-y", "-v", "error", "-ss", f"{thumbnail_ms(plan) / 1000:.3f}", "-i",
                file_arg(clip), "-frames:v", "1", "-q:v", "3", "-update", "1", file_arg(out)])
    return out


def thumbnail_ms(plan: ClipPlan) -> int:
    """When the thumbnail is taken: a keyframe while the card is fully shown, if any.

    A keyframe decodes alone, where 0.8 s into the card cost decoding up to a GOP
    (60 frames of 1080x1920) to reach it: 85 ms of CPU a clip, a fifth of QC's work.
    Without a card, a keyframe near a third in.
    """
    latest = max(0, plan.duration_ms - 100)
    if plan.card is None:
        wanted, first, last = plan.duration_ms // 3, 0, latest
    else:
        wanted = plan.card.start_ms + 800
        first = plan.card.start_ms + THUMB_SETTLED_MS
        last = min(plan.card.end_ms - THUMB_SETTLED_MS, latest)
    keys = [t for t in keyframe_times_ms(plan) if first <= t <= last]
    if not keys:
        return min(wanted, latest)
    return min(keys, key=lambda t: abs(t - wanted))


def qc_stage(clip: Path, settings: Settings) -> QCReport:
    """Delivery-spec check of the render; its staging folder is discarded on failure."""
    with discarded_on_failure(clip.parent):
        return check(clip, max_duration_ms=settings.duration_ms)


def clip_transcript(transcript: Transcript, window: Window) -> dict[str, object]:
    """The transcript in the clip's timeline, as the manifest carries it."""
    words = clip_words(transcript, window)
    return {"text": join_words([w.text for w in words]), "language": transcript.language,
            "words": [{"text": w.text, "start_ms": w.start_ms, "end_ms": w.end_ms}
                      for w in words]}


def manifest_for(inputs: Inputs, plan: ClipPlan, transcript: Transcript, qc: QCReport,
                 final: Path, timings: dict[str, float], warnings: list[str]
                 ) -> dict[str, object]:
    """The manifest (docs/design.md's contract) for a finished clip folder ``final``."""
    product, template = inputs.product, inputs.template
    links = platform_links(product, template, inputs.clip_id)
    locale = effective_locale(product.locale, template.locale)
    price = format_price(product.price, product.currency, locale)
    names = {"video": "clip.mp4", "srt": "captions.srt", "vtt": "captions.vtt",
             "thumbnail": "thumbnail.jpg", "plan": "plan.json"}
    notes = list(warnings)
    if not plan.captions:
        notes.append(f"no captions: {transcript.note or 'no speech in the chosen window'}")
    if not qc.passed:
        notes.extend(f"qc: {p}" for p in qc.problems)
    return {
        "clip_id": inputs.clip_id, "sku": product.sku, "source": inputs.info.path,
        "window": {"start_ms": plan.window.start_ms, "end_ms": plan.window.end_ms},
        "duration_ms": qc.duration_ms,
        "outputs": {k: str((final / v).resolve()) for k, v in names.items()},
        "links": links,
        "caption_text": post_caption(product, template, links["tiktok"], "tiktok", price),
        "captions": post_captions(product, template, links, price),
        "transcript": clip_transcript(transcript, plan.window),
        "qc": qc.model_dump(exclude={"problems"}),
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "warnings": notes,
        "product": {"sku": product.sku, "title": product.title, "price": price,
                    "locale": locale,
                    "tiktok_product_id": product.tiktok_product_id,
                    "instagram_product_id": product.instagram_product_id,
                    "douyin_micro_app_url": product.douyin_micro_app_url},
        "template": template.name,
    }


def write_sidecars(plan: ClipPlan, clip: Path, folder: Path) -> None:
    """Captions (exactly the burned cues), thumbnail and plan.json beside the clip."""
    with discarded_on_failure(folder):
        _write_sidecars(plan, clip, folder)


def _write_sidecars(plan: ClipPlan, clip: Path, folder: Path) -> None:
    (folder / "captions.srt").write_text(to_srt(plan.captions, plan.caption_style), "utf-8")
    (folder / "captions.vtt").write_text(to_vtt(plan.captions, plan.caption_style), "utf-8")
    thumbnail(clip, plan, folder / "thumbnail.jpg")
    (folder / "plan.json").write_text(plan.model_dump_json(indent=2), "utf-8")


def publish_folder(staging: Path, out_dir: Path, clip_id: str,
                   manifest: dict[str, object]) -> Path:
    """Write the manifest last, then move the complete folder into place."""
    with discarded_on_failure(staging):
        return _move_into_place(staging, out_dir, clip_id, manifest)


def _move_into_place(staging: Path, out_dir: Path, clip_id: str,
                     manifest: dict[str, object]) -> Path:
    (staging / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False),
                                           "utf-8")
    final = out_dir / clip_id
    if final.exists():
        shutil.rmtree(final)
    staging.replace(final)
    return final


def existing_manifest(out_dir: Path, clip_id: str) -> dict[str, object] | None:
    """The manifest of an already finished clip with this id, if any."""
    path = out_dir / clip_id / "manifest.json"
    if not path.exists():
        return None
    data: dict[str, object] = json.loads(path.read_text("utf-8"))
    return data
