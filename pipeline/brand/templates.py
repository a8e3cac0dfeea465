"""Brand templates: one validated YAML file per look (captions, card, music, CTA, UTM).

A template names the caption style, the product card's place and colours, the
music mood, the call to action, UTM defaults, hashtags and per-platform tweaks.
Unknown keys are errors, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, field_validator, model_validator

from pipeline.captions import fonts
from pipeline.core.errors import ConfigError, TemplateError
from pipeline.core.home import TEMPLATES_DIR
from pipeline.core.locale import WORDS, WordKey, language_key, parse_locale, words_for
from pipeline.core.models import CaptionStyle, Frozen
from pipeline.core.safe_parse import load_yaml, yaml_problem
from pipeline.core.safe_text import excerpt
from pipeline.publish.platforms import FRAME_H, PLATFORMS, SAFE_X, SAFE_Y, Platform

CAPTION_LINES = 2
CAPTION_LINE_HEIGHT = 1.25
"""Caption line height as a multiple of the font size, for the layout check."""
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")
_CAPTION_COLOURS = ("primary", "highlight", "keyword", "outline_colour")


def check_colour(value: str) -> str:
    """The colour upper-cased if it is #RRGGBB, else ValueError."""
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ValueError(f"{excerpt(value, 40)} is not a #RRGGBB colour (e.g. #FF3B5C)")
    return value.upper()


CaptionSlot = Literal["lower", "upper"]
"""Where a caption cue may go: the lower or the upper third of the safe zone."""
CardSlot = Literal["top", "bottom", "side"]
"""Where the card may go: the top or bottom of the safe zone, or beside the subject
(a narrower card on the side away from it)."""
LayoutChoice = Literal["auto", "crop", "fit"]
"""How footage fills the frame; auto decides per clip (``pipeline.footage.layout``)."""


class CardStyle(Frozen):
    """The product card's size and look; where it goes is decided per clip from
    ``Template.placement`` (off the subject, inside the platforms' safe zone)."""

    width: int = Field(default=768, ge=200, description="Width, px.")
    height: int = Field(default=240, ge=120, description="Height, px.")
    background: str = Field(default="#FFFFFF", description="Panel colour, #RRGGBB.")
    foreground: str = Field(default="#111111", description="Title colour, #RRGGBB.")
    accent: str = Field(default="#FF3B5C", description="Price and CTA pill colour, #RRGGBB.")
    font_weight: Literal["Black", "Bold", "Regular", "Light"] = Field(
        default="Bold", description="Lato weight for Latin text on the card.")
    animation: Literal["slide", "pop"] = "slide"
    min_on_screen_ms: int = Field(default=3000, ge=3000,
                                  description="Shortest time on screen, ms.")
    show_qr: bool = Field(default=False, description="Draw a QR code of the product link.")
    corner_radius: int = Field(default=28, ge=0, le=120, description="Panel corner radius, px.")

    @field_validator("background", "foreground", "accent")
    @classmethod
    def _colours(cls, value: str) -> str:
        return check_colour(value)

    @model_validator(mode="after")
    def _fits_safe_zone(self) -> CardStyle:
        """The card fits in the safe zone of every platform."""
        if self.width > SAFE_X[1] - SAFE_X[0]:
            raise ValueError(f"width {self.width} is wider than the safe zone "
                             f"x {SAFE_X[0]}-{SAFE_X[1]}")
        return self


class Placement(Frozen):
    """Where overlays may go, best first; the planner takes the first slot that keeps
    them off the subject (``pipeline.footage.placement``)."""

    captions: tuple[CaptionSlot, ...] = Field(default=("lower", "upper"), min_length=1)
    card: tuple[CardSlot, ...] = Field(default=("top", "bottom", "side"), min_length=1)


class Music(Frozen):
    """The music bed wanted under the clip."""

    mood: str = Field(default="upbeat", pattern=r"^[a-z][a-z-]*$",
                      description="Music library mood, e.g. upbeat, chill, luxe.")
    enabled: bool = True
    gain_db: float = Field(default=-16.0, le=0.0, ge=-40.0,
                           description="Bed level before ducking, dB.")


class Utm(Frozen):
    """UTM defaults; utm_source is the platform, utm_content the clip id."""

    medium: str = Field(default="social", min_length=1)
    campaign: str = Field(default="",
                          description="utm_campaign; '{sku}' becomes the SKU; empty: the SKU.")


class PlatformOverride(Frozen):
    """What changes on one platform; unset fields keep the template's value."""

    cta: str | None = None
    hashtags: tuple[str, ...] | None = None
    utm_medium: str | None = None
    hook: str | None = None

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        return None if value is None else tuple(check_hashtag(tag) for tag in value)


def check_hashtag(tag: str) -> str:
    """The tag without '#'; letters, digits and underscores only."""
    bare = tag.strip().lstrip("#")
    if not re.fullmatch(r"\w+", bare):
        raise ValueError(f"{excerpt(tag, 40)} is not a hashtag "
                         "(letters, digits, _ only, no spaces)")
    return bare


class WordOverrides(Frozen):
    """A template's own fixed words for one language; unset ones come from the table."""

    shop_now: str | None = Field(default=None, min_length=1, max_length=24)
    tap_the_cart: str | None = None
    tap_to_shop: str | None = None
    link_below: str | None = None
    link_in_bio: str | None = None


class Template(Frozen):
    """One brand look, loaded from templates/<name>.yaml."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    description: str = ""
    caption: CaptionStyle = Field(default_factory=lambda: CaptionStyle.model_validate({}))
    card: CardStyle = Field(default_factory=CardStyle)
    placement: Placement = Field(default_factory=Placement)
    layout: LayoutChoice = Field(default="auto", description="auto, crop or fit "
                                 "(--layout on the command line wins).")
    cta: str = Field(default="Shop now", min_length=1, max_length=24)
    locale: str = Field(default="en_US", description="Locale of the template's own words and "
                        "of products without one (BCP 47 zh-CN or Babel zh_CN).")
    music: Music = Field(default_factory=Music)
    utm: Utm = Field(default_factory=Utm)
    hashtags: tuple[str, ...] = ()
    hook: str = Field(default="", description="Opening line for captions and posts.")
    review: bool = Field(default=False,
                         description="Hold clips for approval before they are published.")
    platforms: dict[Platform, PlatformOverride] = Field(default_factory=dict)
    words: dict[str, WordOverrides] = Field(
        default_factory=dict,
        description="Fixed words per language (en, zh-Hans, ja...), over the shipped table.")

    @model_validator(mode="before")
    @classmethod
    def _card_coordinates(cls, data: Any) -> Any:
        """Templates written before placement was decided per clip gave the card fixed
        ``x``/``y``: they still load, the ``y`` read as a preference for the top or the
        bottom slot (unless the template ranks slots itself)."""
        if not isinstance(data, dict) or not isinstance(data.get("card"), dict):
            return data
        card = dict(data["card"])
        card.pop("x", None)
        y = card.pop("y", None)
        data = {**data, "card": card}
        if isinstance(y, int) and "placement" not in data:
            first = "top" if y < FRAME_H // 2 else "bottom"
            rest = [slot for slot in ("top", "bottom", "side") if slot != first]
            data["placement"] = {"card": [first, *rest]}
        return data

    @field_validator("words")
    @classmethod
    def _word_languages(cls, value: dict[str, WordOverrides]) -> dict[str, WordOverrides]:
        unknown = [key for key in value if key not in WORDS]
        if unknown:
            raise ValueError(f"{unknown[0]!r} is not a language of the word table; use one of "
                             f"{', '.join(WORDS)}")
        return value

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_hashtag(tag) for tag in value)

    @field_validator("caption")
    @classmethod
    def _caption_colours(cls, value: CaptionStyle) -> CaptionStyle:
        known = caption_fonts()
        if value.font not in known:
            raise ValueError(f"font: {excerpt(value.font, 40)} is not a shipped font; use one of "
                             f"{', '.join(known)}")
        for name in _CAPTION_COLOURS:
            try:
                check_colour(getattr(value, name))
            except ValueError as exc:
                raise ValueError(f"{name}: {exc}") from None
        return value

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        try:
            parse_locale(value)
        except ConfigError:
            raise ValueError(f"{excerpt(value, 40)} is not a known locale "
                             "(e.g. en_US, zh-CN)") from None
        return value

    @model_validator(mode="after")
    def _layout(self) -> Template:
        """Captions and the card fit one above the other in the safe zone."""
        top, bottom = caption_band(self.caption)
        room = SAFE_Y[1] - SAFE_Y[0]
        if bottom - top + self.card.height > room:
            raise ValueError(f"captions ({bottom - top} px) and the card ({self.card.height} px) "
                             f"do not fit one above the other in the safe zone's {room} px; "
                             "make card.height or caption.size smaller")
        return self

    def cta_for(self, platform: Platform) -> str:
        """The call to action on ``platform``."""
        return self._override(platform, "cta") or self.cta

    def hashtags_for(self, platform: Platform) -> tuple[str, ...]:
        """Hashtags (without '#') on ``platform``."""
        tags = self._override(platform, "hashtags")
        return self.hashtags if tags is None else tags

    def utm_medium_for(self, platform: Platform) -> str:
        """utm_medium on ``platform``."""
        return self._override(platform, "utm_medium") or self.utm.medium

    def hook_for(self, platform: Platform) -> str:
        """The opening line on ``platform``."""
        hook = self._override(platform, "hook")
        return self.hook if hook is None else hook

    def card_call(self, locale: str) -> str:
        """The card's call to action for a product in ``locale``: the template's own word
        for that language, its ``cta`` when the product shares its language, else the table."""
        return self.word("shop_now", locale, own=self.cta)

    def post_call(self, platform: Platform, key: WordKey, locale: str, *,
                  own_default: bool = True) -> str:
        """A post caption's call on ``platform`` for a product in ``locale``.

        In the template's language its per-platform ``cta`` wins, then (if
        ``own_default``) its ``cta``; in another language the table's ``key`` word.
        """
        own = self._override(platform, "cta") or (self.cta if own_default else None)
        return self.word(key, locale, own=own)

    def word(self, key: WordKey, locale: str, *, own: str | None = None) -> str:
        """Fixed word ``key`` for ``locale``: ``words`` override, then ``own`` when the
        locale shares the template's language, then the shipped table."""
        lang = language_key(locale)
        override = self.words.get(lang)
        if override is not None and getattr(override, key):
            return str(getattr(override, key))
        if own and lang == language_key(self.locale):
            return own
        return str(getattr(words_for(locale), key))

    def _override(self, platform: Platform, field: str) -> Any:
        override = self.platforms.get(platform)
        return None if override is None else getattr(override, field)


def caption_fonts() -> list[str]:
    """Font names captions may use: the shipped Lato faces and Noto Sans CJK."""
    lato = sorted(path.stem.replace("-", " ") for path in fonts.lato_dir().glob("Lato-*.ttf"))
    return ["Lato", *lato, fonts.CJK_FAMILY]


def caption_band(style: CaptionStyle, margin_v: int | None = None) -> tuple[int, int]:
    """(top, bottom) px of a two-line caption block bottom-anchored at ``margin_v``
    (the style's when not given)."""
    bottom = FRAME_H - (style.margin_v if margin_v is None else margin_v)
    return bottom - caption_height(style), bottom


def caption_height(style: CaptionStyle, lines: int = CAPTION_LINES) -> int:
    """Height, px, of a caption block of ``lines`` lines in ``style``."""
    return round(lines * style.size * CAPTION_LINE_HEIGHT + 2 * style.outline)


FALLBACK_FONT = "Lato Black"
"""Caption font used when a template names a font clipcart does not ship."""


def load_template(name_or_path: str) -> Template:
    """A template by name (templates/<name>.yaml) or by path to a YAML file."""
    return load_template_noting(name_or_path, [])


MAX_TEMPLATE_BYTES = 256 * 1024
"""Largest template file read, in bytes (the bundled ones are under 2 KB)."""


def load_template_noting(name_or_path: str, warnings: list[str]) -> Template:
    """`load_template`, appending to ``warnings`` what was adjusted (a missing font)."""
    path = _template_path(name_or_path)
    data = _read_yaml(path)
    if not isinstance(data, dict) or not set(map(str, data)) & set(Template.model_fields):
        raise TemplateError(f"{_shown(path)}: not a template (expected a mapping of keys "
                            "name, caption, card...)",
                            hint="See templates/bold.yaml for the layout")
    data.setdefault("name", path.stem)
    _fallback_font(data, _shown(path), warnings)
    try:
        return Template.model_validate(data)
    except ValidationError as exc:
        raise _template_error(path, exc) from None


def _read_yaml(path: Path) -> Any:
    """The parsed YAML of a template file; errors name the place, never quote the file."""
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_TEMPLATE_BYTES + 1)
    except OSError as exc:
        raise TemplateError(f"{_shown(path)}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_TEMPLATE_BYTES:
        raise TemplateError(f"{_shown(path)}: over {MAX_TEMPLATE_BYTES // 1024} KB, "
                            "not a template", hint="Pass a brand template .yaml file")
    try:
        return load_yaml(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise TemplateError(f"{_shown(path)}: not UTF-8 text (byte {exc.start})",
                            hint="Save the template as UTF-8") from None
    except yaml.YAMLError as exc:
        raise TemplateError(f"{_shown(path)}: {yaml_problem(exc)}",
                            hint="Fix the YAML there (indentation, quotes, colons); "
                                 "aliases are not allowed") from None


def _fallback_font(data: dict[str, Any], shown: str, warnings: list[str]) -> None:
    """Swap a caption font clipcart does not ship for FALLBACK_FONT, with a warning.

    A missing font is not worth refusing a clip for: libass would silently pick
    some system face, so the fallback is made explicit and reported instead.
    """
    caption = data.get("caption")
    font = caption.get("font") if isinstance(caption, dict) else None
    if not isinstance(font, str) or font in caption_fonts():
        return
    data["caption"] = {**caption, "font": FALLBACK_FONT}  # type: ignore[dict-item]
    warnings.append(f"{shown}: caption.font {excerpt(font, 40)} is not a shipped font; using "
                    f"{FALLBACK_FONT} (shipped: {', '.join(caption_fonts())})")


def list_templates() -> list[Template]:
    """Every template in the repo's templates/ folder, by name."""
    return [load_template(str(path)) for path in sorted(TEMPLATES_DIR.glob("*.yaml"))]


def template_names() -> list[str]:
    """Names of the bundled templates."""
    return sorted(path.stem for path in TEMPLATES_DIR.glob("*.yaml"))


def looks_like_path(name_or_path: str) -> bool:
    """True for a template path (a .yaml/.yml file or anything with a slash), not a name."""
    return name_or_path.endswith((".yaml", ".yml")) or "/" in name_or_path


def _template_path(name_or_path: str) -> Path:
    """The YAML file meant by a template name or path."""
    path = (Path(name_or_path) if looks_like_path(name_or_path)
            else TEMPLATES_DIR / f"{name_or_path}.yaml")
    if not path.is_file():
        available = ", ".join(template_names()) or "none"
        raise TemplateError(f"template {excerpt(name_or_path)} not found ({_shown(path)})",
                            hint=f"Use one of: {available}, or a path to a .yaml file")
    return path


def _shown(path: Path) -> str:
    """The path relative to the repo when inside it (templates/bold.yaml)."""
    try:
        return str(path.resolve().relative_to(TEMPLATES_DIR.parent))
    except ValueError:
        return str(path)


def _template_error(path: Path, exc: ValidationError) -> TemplateError:
    """One TemplateError naming the file, each key path and what to write instead."""
    problems = []
    for error in exc.errors()[:3]:
        loc = ".".join(excerpt(part, 30) if isinstance(part, str) and not part.isidentifier()
                       else str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(_allowed_keys(error["loc"][:-1]))
            problems.append(f"{loc}: unknown key (allowed here: {allowed})")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] != "value_error" and "input" in error:
            message = f"{excerpt(error['input'], 40)}: {message}"
        problems.append(f"{loc}: {message}" if loc else message)
    return TemplateError(f"{_shown(path)}: {'; '.join(problems)}",
                         hint="Fix the key in the template (see templates/bold.yaml)")


def _allowed_keys(loc: tuple[int | str, ...]) -> list[str]:
    """Field names of the model found at ``loc`` inside Template."""
    model: type[BaseModel] = Template
    parts = [str(part) for part in loc]
    while parts:
        part = parts.pop(0)
        if model is Template and part == "platforms":
            if not parts:
                return list(PLATFORMS)
            parts.pop(0)
            model = PlatformOverride
            continue
        field = model.model_fields.get(part)
        annotation = field.annotation if field else None
        if not (isinstance(annotation, type) and issubclass(annotation, BaseModel)):
            break
        model = annotation
    return list(model.model_fields)
