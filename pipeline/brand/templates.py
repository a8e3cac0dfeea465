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
from pipeline.core.errors import TemplateError
from pipeline.core.home import TEMPLATES_DIR
from pipeline.core.models import CaptionStyle, Frozen
from pipeline.publish.platforms import FRAME_H, PLATFORMS, SAFE_X, SAFE_Y, Platform

CAPTION_LINES = 2
CAPTION_LINE_HEIGHT = 1.25
"""Caption line height as a multiple of the font size, for the layout check."""
_HEX = re.compile(r"#[0-9A-Fa-f]{6}")
_CAPTION_COLOURS = ("primary", "highlight", "keyword", "outline_colour")


def check_colour(value: str) -> str:
    """The colour upper-cased if it is #RRGGBB, else ValueError."""
    if not isinstance(value, str) or not _HEX.fullmatch(value):
        raise ValueError(f"{value!r} is not a #RRGGBB colour (e.g. #FF3B5C)")
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
        raise ValueError(f"{tag!r} is not a hashtag (letters, digits, _ only, no spaces)")
    return bare


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
    locale: str = Field(default="en_US", description="Babel locale for prices, e.g. de_DE.")
    music: Music = Field(default_factory=Music)
    utm: Utm = Field(default_factory=Utm)
    hashtags: tuple[str, ...] = ()
    hook: str = Field(default="", description="Opening line for captions and posts.")
    review: bool = Field(default=False,
                         description="Hold clips for approval before they are published.")
    platforms: dict[Platform, PlatformOverride] = Field(default_factory=dict)

    @field_validator("hashtags")
    @classmethod
    def _tags(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(check_hashtag(tag) for tag in value)

    @field_validator("caption")
    @classmethod
    def _caption_colours(cls, value: CaptionStyle) -> CaptionStyle:
        known = caption_fonts()
        if value.font not in known:
            raise ValueError(f"font: {value.font!r} is not a shipped font; use one of "
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
        from babel.core import Locale, UnknownLocaleError

        try:
            Locale.parse(value)
        except (ValueError, UnknownLocaleError):
            raise ValueError(f"{value!r} is not a known locale (e.g. en_US, de_DE)") from None
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


def load_template_noting(name_or_path: str, warnings: list[str]) -> Template:
    """`load_template`, appending to ``warnings`` what was adjusted (a missing font)."""
    path = _template_path(name_or_path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise TemplateError(f"{_shown(path)}: cannot read ({exc.strerror or exc})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise TemplateError(f"{_shown(path)}:{where} invalid YAML ({exc})",
                            hint="Fix the YAML syntax there (indentation, quotes, colons)") from exc
    if not isinstance(data, dict):
        raise TemplateError(f"{_shown(path)}: expected a mapping of keys (name, caption, card...)",
                            hint="See templates/bold.yaml for the layout")
    data.setdefault("name", path.stem)
    _fallback_font(data, _shown(path), warnings)
    try:
        return Template.model_validate(data)
    except ValidationError as exc:
        raise _template_error(path, exc) from None


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
    warnings.append(f"{shown}: caption.font {font!r} is not a shipped font; using "
                    f"{FALLBACK_FONT} (shipped: {', '.join(caption_fonts())})")


def list_templates() -> list[Template]:
    """Every template in the repo's templates/ folder, by name."""
    return [load_template(str(path)) for path in sorted(TEMPLATES_DIR.glob("*.yaml"))]


def template_names() -> list[str]:
    """Names of the bundled templates."""
    return sorted(path.stem for path in TEMPLATES_DIR.glob("*.yaml"))


def _template_path(name_or_path: str) -> Path:
    """The YAML file meant by a template name or path."""
    looks_like_path = name_or_path.endswith((".yaml", ".yml")) or "/" in name_or_path
    path = Path(name_or_path) if looks_like_path else TEMPLATES_DIR / f"{name_or_path}.yaml"
    if not path.is_file():
        available = ", ".join(template_names()) or "none"
        raise TemplateError(f"template {name_or_path!r} not found ({_shown(path)})",
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
        loc = ".".join(str(part) for part in error["loc"])
        if error["type"] == "extra_forbidden":
            allowed = ", ".join(_allowed_keys(error["loc"][:-1]))
            problems.append(f"{loc}: unknown key (allowed here: {allowed})")
            continue
        message = str(error["msg"]).removeprefix("Value error, ")
        if error["type"] != "value_error" and "input" in error:
            message = f"{error['input']!r}: {message}"
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
