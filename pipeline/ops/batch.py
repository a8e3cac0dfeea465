"""Batch manifests: rows of footage, product, template and platforms, checked up front.

A manifest is a CSV file with a header row, or a YAML list of mappings (or a mapping
with ``rows:`` and optional ``defaults:``). Columns::

    footage     path or glob, relative to the manifest's folder (required)
    sku         product SKU in the catalog (required)
    template    brand template name or YAML path (default: bold)
    platforms   where to post: tiktok, tiktok-shop, instagram, youtube; separated by
                ';', '|' or spaces (default: none, the clip is only made)
    publish_at  ISO 8601 time; without an offset it is in the account's time zone;
                empty means the account's next free publish slot
    catalog     catalog file for this row (default: --catalog)
    account     which configured account posts (default: default)
    review      yes/no: hold the clip for approval before publishing (default: no)
    layout      auto, crop or fit (default: the template's)
    mode        make (default) or slice: the footage is a live-selling recording cut
                into a clip per product pitch (``clipcart slice``); the row has no sku
    script      what is said, a .txt or .srt file relative to the manifest's folder: the
                captions show its words, timed by the speech (default: none)
    variants    A/B variants: N clips (1-10) each differing from the first on one axis
    vary        their axes in turn, default window,template,music,captions (ops/variants)

Every row is checked before any work starts; each problem names the row and field.
Relative paths may not climb out of the manifest's folder (``..``); absolute paths are
taken as the user wrote them.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any

import yaml
from pydantic import Field

from pipeline.brand.templates import load_template, looks_like_path
from pipeline.core.errors import BadInput, ManifestError
from pipeline.core.models import Frozen, Product
from pipeline.core.safe_parse import load_yaml, yaml_problem
from pipeline.core.safe_text import excerpt
from pipeline.ops.variants import VariantSpec, manifest_variants
from pipeline.products.catalog import find_product, load_catalog, read_text
from pipeline.publish.base import when_problem
from pipeline.publish.platforms import PLATFORMS
from pipeline.speech.script_file import read_script

COLUMNS = ("footage", "sku", "template", "platforms", "publish_at", "catalog", "account",
           "review", "layout", "mode", "script", "variants", "vary")
LAYOUTS = ("", "auto", "crop", "fit")
MODES = ("make", "slice")
GLOB_CHARS = re.compile(r"[*?\[]")
TRUE = {"yes", "y", "true", "1", "on"}
FALSE = {"no", "n", "false", "0", "off", ""}


class BatchItem(Frozen):
    """One clip to make (and maybe publish): a manifest row with one footage file."""

    row: str = Field(description="Where in the manifest: 'row 3' (CSV) or 'item 2' (YAML).")
    footage: Path = Field(description="Absolute path of the footage file.")
    sku: str
    template: str = "bold"
    catalog: Path = Field(description="Absolute path of the catalog holding the SKU.")
    platforms: tuple[str, ...] = Field(default=(), description="Where to post, if anywhere.")
    publish_at: datetime | None = Field(
        default=None, description="When to post (aware); None means the next free slot.")
    account: str = "default"
    layout: str = Field(default="", description="auto, crop or fit; empty: the template's.")
    review: bool = Field(default=False, description="Hold for approval before publishing.")
    mode: str = Field(default="make", description="make: one clip of the sku; slice: a "
                      "clip per product pitch of a live recording (no sku).")
    script: Path | None = Field(default=None, description="Absolute path of the caption "
                                "script (text or SRT), if any.")
    variant: VariantSpec | None = Field(default=None, description="Which A/B variant of the "
                                        "row this item is (None: the row asked for none).")
    slice_variants: tuple[VariantSpec, ...] = Field(
        default=(), description="A slice row's variants, made for every pitch.")


@dataclass(frozen=True)
class RowProblem:
    """Why one manifest row cannot be made: where, which field, what is wrong."""

    row: str
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.row}, {self.field}: {self.message}"


@dataclass(frozen=True)
class BatchPlan:
    """A checked manifest: the items to make and the rows that cannot be made."""

    manifest: Path
    items: tuple[BatchItem, ...]
    problems: tuple[RowProblem, ...]
    notes: tuple[str, ...] = ()
    """Warnings that change nothing the user asked for (a repeated row is made once)."""


ZoneFor = Callable[[str], Any]
"""Account name → tzinfo, for publish_at values without an offset."""


def read_manifest(path: Path, *, catalog: Path | None = None,
                  zone_for: ZoneFor | None = None) -> BatchPlan:
    """Parse and check every row of a batch manifest; raise only if the file itself is bad."""
    path = Path(path)
    rows = _rows(path)
    if not rows:
        raise ManifestError(f"{path}: no rows", hint="Add one row per footage file and product")
    checker = _RowChecker(path.parent.resolve(), catalog, zone_for)
    items: list[BatchItem] = []
    problems: list[RowProblem] = []
    for where, row in rows:
        made, found = checker.check(where, row)
        items.extend(made)
        problems.extend(found)
    unique, notes = _without_duplicates(items)
    return BatchPlan(manifest=path, items=unique, problems=tuple(problems), notes=notes)


def _without_duplicates(items: Iterable[BatchItem]
                        ) -> tuple[tuple[BatchItem, ...], tuple[str, ...]]:
    """Items that ask for exactly the same clip (and posts) as an earlier one are dropped
    (a variant by what it changes, not its label: two tasks never make one clip at once)."""
    first: dict[str, BatchItem] = {}
    notes: list[str] = []
    for item in items:
        changes = {k: v for k, v in (item.variant.changes() if item.variant else {}).items() if v}
        key = item.model_dump_json(exclude={"row", "variant"}) + repr(sorted(changes.items()))
        if key in first:
            notes.append(f"{item.row} duplicates {first[key].row} "
                         f"({item.footage.name}, {item.sku}); it is made once")
        else:
            first[key] = item
    return tuple(first.values()), tuple(notes)


def _rows(path: Path) -> list[tuple[str, dict[str, str]]]:
    """(where, row) pairs with string values and lower-case column names."""
    try:
        text = read_text(path)
    except BadInput as exc:
        raise ManifestError(exc.message.replace("catalog", "manifest"),
                            hint="Check the MANIFEST path") from None
    if path.suffix.lower() in (".yaml", ".yml"):
        return _yaml_rows(path, text)
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in reader.fieldnames or []]
    _check_columns(path, header)
    return [(f"row {n}", _clean(dict(zip(header, r.values(), strict=False))))
            for n, r in enumerate(reader, start=2) if any((v or "").strip() for v in r.values())]


def _yaml_rows(path: Path, text: str) -> list[tuple[str, dict[str, str]]]:
    try:
        data = load_yaml(text)
    except yaml.YAMLError as exc:
        raise ManifestError(f"{path}: {yaml_problem(exc)}",
                            hint="Fix the YAML syntax (indentation, dashes, colons)") from None
    defaults: Mapping[str, Any] = {}
    if isinstance(data, dict):
        defaults = data.get("defaults") or {}
        data = data.get("rows")
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise ManifestError(f"{path}: expected a list of rows (mappings)",
                            hint="Write '- footage: a.mp4\\n  sku: SKU-1' per row, or rows: [...]")
    rows = []
    for n, item in enumerate(data, start=1):
        merged = {str(k).lower(): v for k, v in {**defaults, **item}.items()}
        _check_columns(path, merged, where=f"item {n}")
        rows.append((f"item {n}", _clean(merged)))
    return rows


def _check_columns(path: Path, names: Iterable[str], where: str = "header") -> None:
    unknown = [n for n in names if n not in COLUMNS]
    if unknown:
        raise ManifestError(f"{path}: {where}: unknown column {excerpt(unknown[0], 40)}",
                            hint=f"Columns are: {', '.join(COLUMNS)}")
    if where == "header" and not ({"footage", "sku"} <= set(names)
                                  or {"footage", "mode"} <= set(names)):
        raise ManifestError(f"{path}: the header needs footage and sku columns",
                            hint=f"Columns are: {', '.join(COLUMNS)}")


def _clean(row: Mapping[str, Any]) -> dict[str, str]:
    def text(value: Any) -> str:
        if isinstance(value, list | tuple):
            return ";".join(str(v) for v in value)
        if isinstance(value, bool):
            return "yes" if value else "no"
        return "" if value is None else str(value).strip()

    return {k: text(v) for k, v in row.items()}


MAX_GLOB_MATCHES = 500
"""Most footage files one manifest row's glob may name."""
OUTSIDE = ("points outside the manifest's folder ('..'); move it beside the manifest "
           "or give an absolute path")


def outside(value: str) -> bool:
    """True when a relative manifest path climbs out of the manifest's folder."""
    return ".." in Path(value).parts


class _RowChecker:
    """Checks rows against the file system, catalogs and templates, loading each once."""

    def __init__(self, base: Path, catalog: Path | None, zone_for: ZoneFor | None) -> None:
        self.base = base
        self.catalog = catalog
        self.zone_for = zone_for
        self.catalogs: dict[Path, Mapping[str, Product] | BadInput] = {}
        self.templates: dict[str, BadInput | None] = {}

    def check(self, where: str, row: dict[str, str]
              ) -> tuple[list[BatchItem], list[RowProblem]]:
        problems: list[RowProblem] = []

        def note(field: str, message: str) -> None:
            problems.append(RowProblem(where, field, message))

        files = self.footage(row.get("footage", ""), note)
        mode = (row.get("mode") or "make").lower()
        if mode not in MODES:
            note("mode", f"{excerpt(mode, 20)} is not a mode; use make or slice")
        if mode == "slice" and row.get("sku"):
            note("sku", "a slice row names no sku: every catalog product is looked for")
        catalog = self.product_catalog(row, note, needs_sku=mode == "make")
        template = self.template(row.get("template") or "bold", note)
        platforms = self.platforms(row.get("platforms", ""), note)
        account = row.get("account") or "default"
        when = self.when(row.get("publish_at", ""), account, note)
        review = self.flag(row.get("review", ""), note)
        layout = (row.get("layout") or "").strip().lower()
        if layout not in LAYOUTS:
            note("layout", f"{layout!r} is not a layout; use auto, crop or fit")
        script = self.script(row.get("script", ""), note)
        specs, wrong = (manifest_variants(row.get("variants", ""), row.get("vary", ""),
                                          template, window=mode == "make")
                        if self.templates.get(template, False) is None else ([], None))
        if wrong:
            note(*wrong)
        if problems or catalog is None:
            return [], problems
        each: list[VariantSpec | None] = [*specs] if mode == "make" and specs else [None]
        return [BatchItem(row=where, footage=f, sku=row.get("sku", ""),
                          template=spec.template if spec else template, catalog=catalog,
                          platforms=platforms, publish_at=when, account=account,
                          review=review, layout=layout, mode=mode, script=script,
                          variant=spec, slice_variants=tuple(specs) if mode == "slice" else ())
                for f in files for spec in each], []

    def footage(self, value: str, note: Callable[[str, str], None]) -> list[Path]:
        if not value:
            note("footage", "empty; give a footage file or glob such as clips/*.mp4")
            return []
        if outside(value):
            note("footage", f"{excerpt(value)} {OUTSIDE}")
            return []
        if GLOB_CHARS.search(value):
            pattern = Path(value)
            root = Path(pattern.anchor) if pattern.is_absolute() else self.base
            rel = str(pattern.relative_to(root)) if pattern.is_absolute() else value
            found = sorted(islice((p for p in root.glob(rel) if p.is_file()), MAX_GLOB_MATCHES + 1))
            if not found:
                note("footage", f"{excerpt(value)} matches no files in {root}")
            if len(found) > MAX_GLOB_MATCHES:
                note("footage", f"{excerpt(value)} matches more than {MAX_GLOB_MATCHES} files; "
                     "split the row or narrow the pattern")
                return []
            return [p.resolve() for p in found]
        path = Path(value) if Path(value).is_absolute() else self.base / value
        if not path.is_file():
            note("footage", f"{path} not found")
            return []
        return [path.resolve()]

    def product_catalog(self, row: dict[str, str], note: Callable[[str, str], None],
                        needs_sku: bool = True) -> Path | None:
        value = row.get("catalog", "")
        if value and outside(value):
            note("catalog", f"{excerpt(value)} {OUTSIDE}")
            return None
        path = (self.base / value).resolve() if value else self.catalog
        if path is None:
            note("catalog", "no catalog; add a catalog column or pass --catalog FILE")
            return None
        path = Path(path).resolve()
        if path not in self.catalogs:
            try:
                self.catalogs[path] = load_catalog(path)
            except BadInput as exc:
                self.catalogs[path] = exc
        loaded = self.catalogs[path]
        if isinstance(loaded, BadInput):
            note("catalog", loaded.one_line())
            return None
        if not needs_sku:
            return path
        sku = row.get("sku", "")
        if not sku:
            note("sku", "empty; give the product's SKU")
            return None
        try:
            find_product(loaded, sku, path)
        except BadInput as exc:
            note("sku", exc.one_line())
            return None
        return path

    def template(self, value: str, note: Callable[[str, str], None]) -> str:
        """The template's name, or its path resolved against the manifest's folder."""
        if not looks_like_path(value):
            name = value
        elif outside(value):
            note("template", f"{excerpt(value)} {OUTSIDE}")
            return value
        else:
            name = str(Path(value) if Path(value).is_absolute() else (self.base / value).resolve())
        if name not in self.templates:
            try:
                load_template(name)
                self.templates[name] = None
            except BadInput as exc:
                self.templates[name] = exc
        failure = self.templates[name]
        if failure is not None:
            note("template", failure.one_line())
        return name

    def platforms(self, value: str, note: Callable[[str, str], None]) -> tuple[str, ...]:
        names = tuple(dict.fromkeys(p for p in re.split(r"[;|,\s]+", value.lower()) if p))
        for name in names:
            if name not in PLATFORMS:
                note("platforms",
                     f"{excerpt(name, 40)} is not a platform; use {', '.join(PLATFORMS)}")
        return names

    def when(self, value: str, account: str, note: Callable[[str, str], None]
             ) -> datetime | None:
        if not value:
            return None
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            note("publish_at",
                 f"{excerpt(value, 40)} is not an ISO 8601 time, e.g. 2026-05-01T18:00+02:00")
            return None
        if problem := when_problem(moment):
            note("publish_at", f"{excerpt(value, 40)}: {problem}")
            return None
        if moment.tzinfo is None:
            zone = self.zone_for(account) if self.zone_for else None
            moment = moment.replace(tzinfo=zone) if zone else moment.astimezone()
        return moment

    def script(self, value: str, note: Callable[[str, str], None]) -> Path | None:
        if not value:
            return None
        if outside(value):
            note("script", f"{value!r} {OUTSIDE}")
            return None
        path = Path(value) if Path(value).is_absolute() else self.base / value
        try:
            read_script(path)
        except BadInput as exc:
            note("script", exc.one_line())
            return None
        return path.resolve()

    def flag(self, value: str, note: Callable[[str, str], None]) -> bool:
        if value.lower() in TRUE | FALSE:
            return value.lower() in TRUE
        note("review", f"{excerpt(value, 40)} is not yes or no")
        return False


def thumbnail_data_uri(path: Path, width: int = 120) -> str:
    """A small JPEG of ``path`` as a data: URI, so a Prefect artifact can show it."""
    import base64

    from PIL import Image

    with Image.open(path) as image:
        image.thumbnail((width, width * 2))
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, "JPEG", quality=70)
    return "data:image/jpeg;base64," + base64.b64encode(buffer.getvalue()).decode()
