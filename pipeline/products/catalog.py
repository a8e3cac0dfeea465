"""Product catalogs: generic CSV/JSON and Shopify product exports, read into `Product`s.

Every problem is a `CatalogError` naming the file, the row as a spreadsheet shows
it (the header is row 1) and the field, and saying how to fix it.
"""

from __future__ import annotations

import csv
import difflib
import html
import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import is_currency

from pipeline.core import safe_text
from pipeline.core.errors import CatalogError, ConfigError
from pipeline.core.locale import bcp47
from pipeline.core.models import Product
from pipeline.core.safe_parse import load_json
from pipeline.core.safe_text import excerpt

GENERIC_REQUIRED = ("sku", "title", "price", "url")
SHOPIFY_REQUIRED = ("Handle", "Title", "Variant SKU", "Variant Price")
DEFAULT_SHOP_DOMAIN = "shop.example.com"
"""Store domain for Shopify product URLs when the caller names none."""
MAX_CELL_CHARS = 10_000
"""Longest text read from one catalog cell, in characters (the rest is never parsed)."""
MAX_TITLE_CHARS = 150
"""Longest product title used, in characters (longer ones are cut with a warning)."""
MAX_BRAND_CHARS = 80
MAX_KEYWORD_CHARS = 60
MAX_KEYWORDS = 30
MAX_ID_CHARS = 128
"""Longest SKU or platform product id, in characters."""
MAX_URL_CHARS = 2048
MAX_PRICE = Decimal("1000000000")
"""Prices at or above this (a billion in any currency) are refused as typos."""


@dataclass(frozen=True)
class Where:
    """A place in a catalog file, for error messages: file, row (or item) and field."""

    path: Path
    row: int
    unit: str = "row"

    def at(self, field: str) -> str:
        """'catalog.csv: row 3, field 'price'' for messages."""
        return f"{self.path}: {self.unit} {self.row}, field '{field}'"


def load_catalog(path: Path, *, shop_domain: str = DEFAULT_SHOP_DOMAIN,
                 currency: str = "USD") -> dict[str, Product]:
    """Products by SKU from a generic CSV/JSON catalog or a Shopify product export.

    ``shop_domain`` and ``currency`` apply to Shopify exports only, which carry neither.
    """
    path = Path(path)
    text = read_text(path)
    if path.suffix.lower() == ".json" or text.lstrip().startswith(("[", "{")):
        return _index(path, _json_products(path, text), unit="item")
    header, rows = _csv_rows(path, text)
    if "Handle" in header and "Variant Price" in header:
        _require(path, header, SHOPIFY_REQUIRED, "a Shopify product export")
        return _index(path, _shopify_products(path, rows, shop_domain, currency))
    _require(path, [generic_column(h) for h in header], GENERIC_REQUIRED, "a catalog")
    return _index(path, _generic_products(path, rows))


def find_product(catalog: Mapping[str, Product], sku: str, source: Path) -> Product:
    """The product with ``sku``; a unique case-insensitive match is accepted too."""
    if sku in catalog:
        return catalog[sku]
    folded = [key for key in catalog if key.casefold() == sku.strip().casefold()]
    if len(folded) == 1:
        return catalog[folded[0]]
    close = (difflib.get_close_matches(sku, list(catalog), n=5, cutoff=0.5)
             if len(sku) <= MAX_ID_CHARS else [])
    hint = (f"Did you mean {', '.join(close)}?" if close
            else f"Known SKUs: {', '.join(sorted(catalog)[:10]) or 'none'}")
    raise CatalogError(f"{source}: no product with SKU {excerpt(sku)}", hint=hint)


def read_text(path: Path) -> str:
    """The file's text: UTF-8 (with or without BOM), else Windows-1252."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CatalogError(f"{path}: cannot read the catalog ({exc.strerror or exc})",
                           hint="Check the path passed with --catalog") from exc
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise CatalogError(f"{path}: byte {exc.start} is neither UTF-8 nor Windows-1252",
                           hint="Save the catalog as UTF-8 CSV") from exc


def _csv_rows(path: Path, text: str) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """Header and (spreadsheet row number, row) pairs; blank lines are skipped."""
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") > first_line.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        records = list(reader)
    except csv.Error as exc:
        raise CatalogError(f"{path}: not a readable CSV file ({exc})",
                           hint="Export the sheet as CSV (comma separated, UTF-8)") from exc
    if not records:
        raise CatalogError(f"{path}: the catalog is empty",
                           hint="Add a header row and one row per product")
    header = [h.strip() for h in records[0]]
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        rows.append((number, dict(zip(header, record, strict=False))))
    return header, rows


def _require(path: Path, header: Iterable[str], required: Iterable[str], kind: str) -> None:
    """Raise when any required column is missing from the header."""
    present = set(header)
    missing = [name for name in required if name not in present]
    if missing:
        raise CatalogError(
            f"{path}: row 1 (header): missing column(s) {', '.join(missing)} for {kind}",
            hint=f"Add the column(s); found: {', '.join(sorted(present)) or 'nothing'}")


def _index(path: Path, products: Iterable[tuple[int, Product]],
           unit: str = "row") -> dict[str, Product]:
    """Products by SKU; a SKU seen twice is an error naming both rows."""
    seen: dict[str, int] = {}
    out: dict[str, Product] = {}
    for row, product in products:
        if product.sku in seen:
            raise CatalogError(
                f"{Where(path, row, unit).at('sku')}: duplicate SKU {excerpt(product.sku)} "
                f"(first seen in {unit} {seen[product.sku]})",
                hint="Give every product (and variant) its own SKU")
        seen[product.sku] = row
        out[product.sku] = product
    if not out:
        raise CatalogError(f"{path}: the catalog has no products",
                           hint="Add one row per product below the header")
    return out


def _generic_products(path: Path, rows: list[tuple[int, dict[str, str]]]
                      ) -> Iterable[tuple[int, Product]]:
    """Products from a generic CSV (column names ignore case, spaces and hyphens)."""
    for number, raw in rows:
        record = {generic_column(key): value for key, value in raw.items() if key}
        yield number, make_product(record, Where(path, number), base=path.parent)


def generic_column(name: str) -> str:
    """A generic column name normalised: 'Compare At Price' -> 'compare_at_price'."""
    return re.sub(r"[\s-]+", "_", name.strip().lower())


def _json_products(path: Path, text: str) -> Iterable[tuple[int, Product]]:
    """Products from a JSON list of objects, or an object with a "products" list."""
    try:
        data: Any = load_json(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise CatalogError(f"{path}: line {exc.lineno}, column {exc.colno}: invalid JSON "
                           f"({exc.msg})", hint="Fix the JSON syntax there") from None
    except ValueError as exc:
        raise CatalogError(f"{path}: invalid JSON ({exc})",
                           hint="Write a flat list of product objects") from None
    items = data.get("products") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise CatalogError(f"{path}: expected a list of products",
                           hint='Write [{"sku": ..., ...}] or {"products": [...]}')
    for number, item in enumerate(items, start=1):
        where = Where(path, number, "item")
        if not isinstance(item, dict):
            raise CatalogError(f"{path}: item {number} is not an object",
                               hint='Write each product as {"sku": ..., "title": ...}')
        missing = [name for name in GENERIC_REQUIRED if item.get(name) in (None, "")]
        if missing:
            raise CatalogError(f"{where.at(missing[0])}: missing",
                               hint=f"Every product needs {', '.join(GENERIC_REQUIRED)}")
        yield number, make_product(item, where, base=path.parent)


def make_product(record: Mapping[str, Any], where: Where, *, base: Path) -> Product:
    """One validated Product from a generic record (CSV row or JSON object)."""
    sku = check_identifier(_text(record.get("sku")), where.at("sku"), "SKU")
    if not sku:
        raise CatalogError(f"{where.at('sku')}: empty", hint="Give the product a SKU")
    notes: list[str] = []
    title = bounded(clean_text(_text(record.get("title"))), MAX_TITLE_CHARS, where.at("title"),
                    notes)
    if not title:
        raise CatalogError(f"{where.at('title')}: empty", hint="Give the product a title")
    compare = _text(record.get("compare_at_price"))
    return Product(
        sku=sku,
        title=title,
        notes=tuple(notes),
        price=parse_price(record.get("price"), where.at("price")),
        currency=parse_currency(record.get("currency") or "USD", where.at("currency")),
        url=check_url(_text(record.get("url")), where.at("url")),
        image=resolve_image_ref(_text(record.get("image")), base),
        brand=bounded(clean_text(_text(record.get("brand"))), MAX_BRAND_CHARS,
                      where.at("brand"), notes),
        keywords=parse_keywords(record.get("keywords")),
        compare_at_price=parse_price(compare, where.at("compare_at_price")) if compare else None,
        tiktok_product_id=check_identifier(_text(record.get("tiktok_product_id")),
                                           where.at("tiktok_product_id"), "product id"),
        instagram_product_id=check_identifier(_text(record.get("instagram_product_id")),
                                              where.at("instagram_product_id"), "product id"),
        locale=parse_locale_cell(record.get("locale"), where.at("locale")),
        douyin_micro_app_url=_text(record.get("douyin_micro_app_url")),
    )


def parse_locale_cell(value: object, where: str) -> str:
    """A BCP 47 locale tag Babel knows ('' when empty: the template's locale applies)."""
    text = _text(value)
    if not text:
        return ""
    try:
        return bcp47(text)
    except ConfigError as exc:
        raise CatalogError(f"{where}: {exc.message}", hint=exc.hint) from None


def _shopify_products(path: Path, rows: list[tuple[int, dict[str, str]]], shop_domain: str,
                      currency: str) -> Iterable[tuple[int, Product]]:
    """Products from a Shopify export: one per variant row; image-only rows are skipped."""
    parents: dict[str, dict[str, str]] = {}
    for number, row in rows:
        handle = row.get("Handle", "").strip()
        where = Where(path, number)
        if not handle:
            raise CatalogError(f"{where.at('Handle')}: empty",
                               hint="Every Shopify row needs the product's handle")
        parent = parents.setdefault(handle, row)
        if not parent.get("Image Src", "").strip() and row.get("Image Src", "").strip():
            parent["Image Src"] = row["Image Src"]
        if not row.get("Variant Price", "").strip() and not row.get("Variant SKU", "").strip():
            continue  # an extra image row
        yield number, _shopify_variant(row, parent, where, shop_domain, currency)


def _shopify_variant(row: Mapping[str, str], parent: Mapping[str, str], where: Where,
                     shop_domain: str, currency: str) -> Product:
    """One variant row, inheriting title, vendor, tags and image from its product row."""
    handle = row["Handle"].strip()
    options = [row.get(f"Option{i} Value", "").strip() for i in (1, 2, 3)]
    options = [o for o in options if o and o != "Default Title"]
    title = clean_text(row.get("Title", "")) or clean_text(parent.get("Title", ""))
    if not title:
        raise CatalogError(f"{where.at('Title')}: empty, and the product row has none either",
                           hint=f"Give product {excerpt(handle)} a title")
    if options:
        title = f"{title} ({' / '.join(clean_text(o) for o in options)})"
    notes: list[str] = []
    title = bounded(title, MAX_TITLE_CHARS, where.at("Title"), notes)
    sku = row.get("Variant SKU", "").strip() or _slug("-".join([handle, *options]))
    sku = check_identifier(sku[:MAX_CELL_CHARS], where.at("Variant SKU"), "SKU")
    compare = row.get("Variant Compare At Price", "").strip()
    image = row.get("Variant Image", "").strip() or parent.get("Image Src", "").strip()
    return Product(
        sku=sku,
        title=title,
        notes=tuple(notes),
        price=parse_price(row.get("Variant Price"), where.at("Variant Price")),
        currency=parse_currency(currency, "the Shopify currency option"),
        url=check_url(f"https://{shop_domain.strip().strip('/')}/products/{handle}",
                      where.at("Handle")),
        image=image if is_url(image) else "",
        brand=bounded(clean_text(row.get("Vendor", "") or parent.get("Vendor", "")),
                      MAX_BRAND_CHARS, where.at("Vendor"), notes),
        keywords=parse_keywords(row.get("Tags", "") or parent.get("Tags", "")),
        compare_at_price=(parse_price(compare, where.at("Variant Compare At Price"))
                          if compare else None),
    )


def parse_price(value: object, where: str) -> Decimal:
    """A non-negative decimal price; '24,99', 'free' and '-3' are errors with a fix."""
    text = _text(value)[:MAX_CELL_CHARS].replace("\u00a0", "").replace(" ", "")
    if not text:
        raise CatalogError(f"{where}: empty", hint="Write the price as a number, e.g. 24.99")
    if re.fullmatch(r"-?\d+,\d{1,2}", text):
        raise CatalogError(f"{where}: {excerpt(text)} uses a comma as decimal separator",
                           hint=f"Write {text.replace(',', '.')}")
    plain = text.replace(",", "") if re.fullmatch(r"\d{1,3}(,\d{3})+(\.\d+)?", text) else text
    try:  # plain decimals only: 1e308 and 1E+30 are typos, not prices
        amount = Decimal(plain) if re.fullmatch(r"-?\d{1,15}(\.\d{1,6})?", plain) else None
    except InvalidOperation:
        amount = None
    if amount is not None and amount >= MAX_PRICE:
        raise CatalogError(f"{where}: {excerpt(text, 30)} is too large for a price",
                           hint=f"Write a price below {MAX_PRICE:,}, e.g. 24.99")
    if amount is None or not amount.is_finite():
        hint = ("Write 0 for free items" if text.lower() == "free"
                else "Write a plain number without currency symbols, e.g. 24.99")
        raise CatalogError(f"{where}: {excerpt(text)} is not a price", hint=hint)
    if amount < 0:
        raise CatalogError(f"{where}: {text} is negative", hint="Prices must be 0 or more")
    return amount


def parse_currency(value: object, where: str) -> str:
    """An ISO 4217 code known to Babel, upper-cased."""
    code = _text(value).upper()
    if not is_currency(code):
        raise CatalogError(f"{where}: {excerpt(code or 'empty', 20)} is not an ISO 4217 "
                           "currency code",
                           hint="Use a three-letter code such as USD, EUR, GBP or JPY")
    return code


def check_url(url: str, where: str) -> str:
    """The URL unchanged if it is absolute http(s); javascript:, data: etc. are errors."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        ok = False
    if len(url) > MAX_URL_CHARS or safe_text.clean_text(url) != url:
        raise CatalogError(f"{where}: {excerpt(url, 40)} is over {MAX_URL_CHARS} characters "
                           "or holds control characters",
                           hint="Use the product page address, e.g. https://shop.example.com/p")
    if not ok or any(ch.isspace() for ch in url):
        raise CatalogError(f"{where}: {excerpt(url or 'empty')} is not an http(s) URL",
                           hint="Use the product page address, e.g. https://shop.example.com/p")
    return url


def parse_keywords(value: object) -> tuple[str, ...]:
    """Keywords from a list or a string separated by commas or '|'."""
    items = value if isinstance(value, list) else re.split(r"[,|]", _text(value)[:MAX_CELL_CHARS])
    words = (clean_text(_text(item))[:MAX_KEYWORD_CHARS] for item in items[:MAX_KEYWORDS * 4])
    return tuple(dict.fromkeys(word for word in words if word))[:MAX_KEYWORDS]


def resolve_image_ref(ref: str, base: Path) -> str:
    """URLs unchanged; local paths made absolute against the catalog's folder."""
    if not ref or is_url(ref):
        return ref
    local = Path(ref).expanduser()
    return str(local if local.is_absolute() else (base / local).resolve())


def clean_text(text: str) -> str:
    """Plain text: HTML tags dropped, entities decoded, control and direction characters
    dropped, whitespace collapsed."""
    without_tags = re.sub(r"<[^>]*>", " ", text[:MAX_CELL_CHARS])
    return " ".join(safe_text.clean_text(html.unescape(without_tags), keep="\t\n").split())


def bounded(value: str, limit: int, where: str, notes: list[str]) -> str:
    """``value`` cut to ``limit`` characters at a word boundary, noting the cut."""
    if len(value) <= limit:
        return value
    cut = value[:limit - 1].rsplit(" ", 1)[0] if " " in value[:limit - 1] else value[:limit - 1]
    notes.append(f"{where}: {len(value)} characters, cut to {len(cut) + 1} "
                 f"(at most {limit} are used)")
    return cut.rstrip() + "…"


def check_identifier(value: str, where: str, what: str) -> str:
    """A SKU or platform id: at most MAX_ID_CHARS printable characters, else an error."""
    if len(value) > MAX_ID_CHARS or safe_text.clean_text(value) != value:
        raise CatalogError(f"{where}: {excerpt(value, 40)} is not a usable {what} "
                           f"(over {MAX_ID_CHARS} characters or control characters)",
                           hint=f"Use a short {what} of letters, digits and dashes")
    return value


def _text(value: object) -> str:
    """A cell or JSON value as stripped text ('' for None)."""
    return "" if value is None else str(value).strip()


def is_url(ref: str) -> bool:
    """True for http(s) URLs."""
    return ref.lower().startswith(("http://", "https://"))


def _slug(text: str) -> str:
    """A SKU-like slug for Shopify variants that have no SKU."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").upper()
