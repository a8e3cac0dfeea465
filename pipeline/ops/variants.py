"""A/B variants (``--variants N`` on make, batch and slice): N clips of one product that
differ on purpose, each on one axis, so a difference in clicks has one cause.

Variant ``a`` is the clip as asked (``--template``, the best window, the template's
music and captions). Each further variant changes exactly one thing against ``a``, the
axes taken in turn (``--vary``, default ``window,template,music,captions``):

    window    the next-best window whose first 2 s differ (``choose_window(rank=k)``): a
              different opening, the strongest lever on whether a viewer stays
    template  another bundled template of the same language (a whole designed look:
              card, caption style and music together)
    music     another music mood of the library, the most different energy first
    captions  another template's caption style (same language), everything else kept

So ``--variants 5`` gives a, b (window 2), c (template), d (music), e (captions); a sixth
would be the third window. Each variant is its own clip (own clip id, so its own
``utm_content`` and short links); its manifest says what it is::

    "variant": "b",
    "variant_of": {"sku": "SERUM-1", "axis": "music", "value": "chill"},
    "variant_settings": {"template": "bold", "window": 1, "music": "chill",
                         "captions": "bold"}      # music "": the template's

(variant ``a`` has axis ``base``). Published with slots, the variants of one product go
out at the same local time on successive posting days (``pipeline.ops.slots
.variant_slot``), so time of day does not decide the contest. The report compares the
clips of one SKU on one platform.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from pipeline.core.errors import ConfigError
from pipeline.core.models import Frozen

LABELS = "abcdefghij"
"""Variant labels, in order."""
AXES = ("window", "template", "music", "captions")
"""What a variant may change, in the default order."""
SLICE_AXES = AXES[1:]
"""What a slice's variants may change: a pitch is its window."""
WINDOW_VARIANTS = 2
"""Most openings tried besides the best: the third-best window is already a weak clip."""


class Alternatives(Frozen):
    """What each axis can change to, best candidate first (``load_alternatives``)."""

    templates: tuple[str, ...] = Field(default=(), description="Other templates.")
    moods: tuple[str, ...] = Field(default=(), description="Other music moods.")
    captions: tuple[str, ...] = Field(
        default=(), description="Templates whose caption style differs from the base's.")
    windows: int = Field(default=WINDOW_VARIANTS, description="Further openings to try.")

    def values(self, axis: str) -> list[str]:
        """The axis's alternatives as the manifest names them."""
        if axis == "window":
            return [str(rank + 1) for rank in range(1, self.windows + 1)]
        return list({"template": self.templates, "music": self.moods,
                     "captions": self.captions}[axis])


class VariantSpec(Frozen):
    """One variant to make: its label, the axis it differs on and its whole recipe."""

    label: str
    axis: str = Field(default="template", description="What differs from variant a "
                      "('base' for a itself).")
    value: str = Field(default="", description="What the axis is set to ('' for a; the "
                       "template's name when empty on the template axis).")
    template: str
    window_rank: int = Field(default=0, description="0: the best window; k: the (k+1)-th.")
    music: str = Field(default="", description="Music mood instead of the template's.")
    captions: str = Field(default="", description="Template whose caption style is used.")

    @property
    def index(self) -> int:
        """0 for a, 1 for b...: how many posting days after a the variant posts."""
        return LABELS.index(self.label)

    def changes(self) -> dict[str, Any]:
        """The clip Settings fields this variant sets (``pipeline.plan.Settings``)."""
        return {"window_rank": self.window_rank, "music": self.music,
                "captions": self.captions}


def parse_axes(text: str, allowed: Sequence[str] = AXES) -> tuple[str, ...]:
    """``--vary`` / the ``vary`` column: axes separated by commas, ';', '|' or spaces."""
    names = [n for n in re.split(r"[;|,\s]+", text.strip().lower()) if n]
    if not names:
        return tuple(allowed)
    for name in names:
        if name not in AXES:
            raise ConfigError(f"--vary: {name[:40]!r} is not an axis",
                              hint=f"Use some of {', '.join(allowed)}")
        if name not in allowed:
            raise ConfigError(f"--vary: {name} is not offered here",
                              hint=f"Use some of {', '.join(allowed)}")
    if len(set(names)) != len(names):
        raise ConfigError("--vary: an axis is named twice", hint="Name each axis once")
    return tuple(names)


def plan_variants(template: str, count: int, alternatives: Alternatives | Sequence[str],
                  axes: Sequence[str] = AXES) -> list[VariantSpec]:
    """``count`` variants: ``a`` as asked, then one per alternative, the axes in turn.

    ``alternatives`` may be plain template names (the template axis only)."""
    if not isinstance(alternatives, Alternatives):
        others = tuple(sorted(n for n in alternatives if n != template))
        alternatives = Alternatives(templates=others)
    queues = {axis: alternatives.values(axis) for axis in axes}
    most = min(1 + sum(len(q) for q in queues.values()), len(LABELS))
    if not 1 <= count <= most:
        offered = "; ".join(f"{axis}: {', '.join(q) or 'none'}" for axis, q in queues.items())
        raise ConfigError(f"--variants {count}: between 1 and {most} variants can differ by "
                          f"{', '.join(axes)} ({offered})",
                          hint="Ask for fewer variants, vary more axes (--vary) or add a "
                               "template to templates/")
    specs = [VariantSpec(label="a", axis="base", template=template)]
    while len(specs) < count:
        for axis in axes:
            if queues[axis] and len(specs) < count:
                specs.append(_spec(LABELS[len(specs)], axis, queues[axis].pop(0), template))
    return specs


def with_fewer_openings(template: str, count: int, alternatives: Alternatives,
                        axes: Sequence[str], failed: VariantSpec) -> list[VariantSpec]:
    """The plan again once the footage turned out to have no opening for ``failed``
    (a window variant): fewer window variants, the others taking their places, so the
    labels stay a, b, c... and as many variants as the other axes allow are made."""
    fewer = alternatives.model_copy(update={"windows": failed.window_rank - 1})
    most = min(1 + sum(len(fewer.values(a)) for a in axes), len(LABELS))
    return plan_variants(template, min(count, most), fewer, axes)


def manifest_variants(count: str, vary: str, template: str, *, window: bool = True
                      ) -> tuple[list[VariantSpec], tuple[str, str] | None]:
    """A batch row's ``variants`` and ``vary`` cells: its variants ([] for none or one), or
    the (field, problem) that stops them. ``window=False``: the opening cannot vary (a
    slice row's pitch is its window)."""
    if not count and not vary:
        return [], None
    if not count.isdigit():
        return [], ("variants", f"{count[:20]!r} is not a number of clips; write 1 to "
                                f"{len(LABELS)}")
    allowed = AXES if window else SLICE_AXES
    try:
        axes = parse_axes(vary, allowed)
        specs = plan_variants(template, int(count), load_alternatives(template), axes)
    except ConfigError as exc:
        field = "vary" if exc.message.startswith("--vary") else "variants"
        return [], (field, exc.one_line().removeprefix("--vary: ").removeprefix("--variants "))
    return (specs if len(specs) > 1 else []), None


def _spec(label: str, axis: str, value: str, base: str) -> VariantSpec:
    fields: dict[str, Any] = {"label": label, "axis": axis, "value": value, "template": base}
    if axis == "template":
        fields["template"] = value
    elif axis == "window":
        fields["window_rank"] = int(value) - 1
    elif axis == "music":
        fields["music"] = value
    else:
        fields["captions"] = value
    return VariantSpec(**fields)


def language(locale: str) -> str:
    """A template locale's language: 'en' of en_US, 'zh' of zh-CN."""
    return re.split(r"[-_]", locale or "en")[0].lower()


def alternatives_for(base: Any, templates: Sequence[Any], moods: Sequence[str],
                     energy: Mapping[str, int]) -> Alternatives:
    """What the variants of ``base`` (a Template) can change to: other templates and
    caption styles of its language (by name), other moods (most different energy first)."""
    same = [t for t in sorted(templates, key=lambda t: t.name)
            if t.name != base.name and language(t.locale) == language(base.locale)]
    mood = base.music.mood
    others = sorted({m for m in moods if m != mood},
                    key=lambda m: (-abs(energy.get(m, 3) - energy.get(mood, 3)), m))
    captions = [t.name for t in same if t.caption != base.caption]
    return Alternatives(templates=tuple(t.name for t in same),
                        moods=tuple(others) if base.music.enabled else (),
                        captions=tuple(captions))


def load_alternatives(template: str) -> Alternatives:
    """``alternatives_for`` the template named, over the bundled templates and music."""
    from pipeline.audio.music import MOOD_ENERGY, default_music_dir, load_library
    from pipeline.brand.templates import list_templates, load_template

    moods = [track.mood for track in load_library(default_music_dir())]
    return alternatives_for(load_template(template), list_templates(), moods, MOOD_ENERGY)


def variant_settings(spec: VariantSpec) -> dict[str, Any]:
    """The variant's whole recipe, as its manifest's ``variant_settings`` (music '': the
    template's own mood)."""
    return {"template": spec.template, "window": spec.window_rank + 1,
            "music": spec.music, "captions": spec.captions or spec.template}


def labelled(manifest: dict[str, Any], spec: VariantSpec) -> dict[str, Any]:
    """The manifest with its variant label and what differs."""
    value = spec.value or (spec.template if spec.axis == "template" else "")
    return {**manifest, "variant": spec.label,
            "variant_of": {"sku": manifest.get("sku", ""), "axis": spec.axis,
                           "value": value},
            "variant_settings": variant_settings(spec)}


def label_variant(clip_dir: Path, spec: VariantSpec) -> dict[str, Any]:
    """Write the variant fields into ``clip_dir/manifest.json`` (untouched when they are
    there already, so a re-run leaves the file as it was); returns the new manifest."""
    path = Path(clip_dir) / "manifest.json"
    before = json.loads(path.read_text("utf-8"))
    manifest = labelled(before, spec)
    if manifest == before:
        return manifest
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(json.dumps(manifest, ensure_ascii=False, indent=2))
    os.replace(temp, path)
    return manifest
