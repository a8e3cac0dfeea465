"""A/B variants for ``make --variants N``: N clips of one product that differ on purpose.

This version varies the template (which carries the music mood, caption style and
card), the one axis that is a whole, designed look: variant ``a`` is the template
asked for, ``b``, ``c``... the next bundled templates in name order. Each variant is
its own clip (own clip id, so its own ``utm_content`` and short links) and its
manifest says what it is::

    "variant": "b",
    "variant_of": {"sku": "SERUM-1", "axis": "template", "value": "luxe"}

Published with slots, each variant takes the account's next free slot, so they go
out at different times of day rather than on top of each other. The report compares
the clips of one SKU on one platform.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pydantic import Field

from pipeline.core.errors import ConfigError
from pipeline.core.models import Frozen

LABELS = "abcdefghij"
"""Variant labels, in order."""


class VariantSpec(Frozen):
    """One variant to make: its label and what sets it apart."""

    label: str
    axis: str = Field(default="template", description="What differs between the variants.")
    template: str


def plan_variants(template: str, count: int, available: Sequence[str]) -> list[VariantSpec]:
    """``count`` variants: ``template`` first, then other templates in name order."""
    others = [name for name in sorted(available) if name != template]
    most = 1 + len(others)
    if not 1 <= count <= min(most, len(LABELS)):
        raise ConfigError(f"--variants {count}: between 1 and {most} variants can differ by "
                          f"template ({', '.join([template, *others])})",
                          hint="Ask for fewer variants or add a template to templates/")
    chosen = [template, *others][:count]
    return [VariantSpec(label=LABELS[i], template=name) for i, name in enumerate(chosen)]


def labelled(manifest: dict[str, Any], spec: VariantSpec) -> dict[str, Any]:
    """The manifest with its variant label and what differs."""
    return {**manifest, "variant": spec.label,
            "variant_of": {"sku": manifest.get("sku", ""), "axis": spec.axis,
                           "value": spec.template}}


def label_variant(clip_dir: Path, spec: VariantSpec) -> dict[str, Any]:
    """Write the variant fields into ``clip_dir/manifest.json``; returns the new manifest."""
    path = Path(clip_dir) / "manifest.json"
    manifest = labelled(json.loads(path.read_text("utf-8")), spec)
    handle, temp = tempfile.mkstemp(dir=path.parent, prefix=".manifest-", suffix=".tmp")
    with os.fdopen(handle, "w", encoding="utf-8") as out:
        out.write(json.dumps(manifest, ensure_ascii=False, indent=2))
    os.replace(temp, path)
    return manifest
