"""Catalog files as people export them: each loads (text cleaned, adjustments
warned) or is rejected with the file, row and field and how to fix it."""

from __future__ import annotations

import shutil
import struct
import zlib
from pathlib import Path

import httpx
import pytest
from PIL import Image

from pipeline.brand.templates import load_template
from pipeline.core.errors import CatalogError
from pipeline.media.samples import CATALOG_CSV, SAMPLES_DIR
from pipeline.produce import MakeRequest, load_inputs, undrawable_text
from pipeline.products.card import card_spec, draw_card
from pipeline.products.catalog import load_catalog
from pipeline.products.images import resolve_image
from pipeline.products.links import platform_links, post_caption, youtube_title
from tests.catalogue.support import PUBLIC_DNS, SKU, Untouched, cli, make_args, no_output, rejected

HEADER = "sku,title,price,currency,url,image\n"
GOOD = "MUG-1,Camp Mug,18.00,USD,https://shop.example.com/mug,\n"


def _csv(tmp_path: Path, *rows: str, header: str = HEADER, encoding: str = "utf-8") -> Path:
    path = tmp_path / "catalog.csv"
    path.write_bytes((header + "".join(rows)).encode(encoding))
    return path


def _error(path: Path, *needles: str) -> str:
    guard = Untouched(path)
    with pytest.raises(CatalogError) as info:
        load_catalog(path)
    guard.check()
    line = info.value.one_line()
    assert "\n" not in line
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


def test_missing_column_through_the_cli(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                        short_scene: Path) -> None:
    catalog = _csv(tmp_path, "MUG-1,Camp Mug,https://shop.example.com/mug\n",
                   header="sku,title,url\n")
    guard = Untouched(tmp_path, short_scene)
    result = cli(capsys, *make_args(short_scene, tmp_path / "out", catalog=catalog,
                                    sku="MUG-1"))
    rejected(result, "catalog.csv", "row 1", "missing column(s) price", "Add the column")
    guard.check()
    no_output(tmp_path / "out")


def test_duplicate_sku(tmp_path: Path) -> None:
    _error(_csv(tmp_path, GOOD, GOOD.replace("Camp Mug", "Camp Mug v2")),
           "row 3, field 'sku'", "duplicate SKU 'MUG-1'", "first seen in row 2", "own SKU")


@pytest.mark.parametrize(("price", "needle", "fix"), [
    ("24,99", "comma as decimal separator", "Write 24.99"),
    ("free", "'free' is not a price", "Write 0 for free items"),
    ("-3.00", "is negative", "0 or more"),
    ("$24.99", "is not a price", "without currency symbols"),
])
def test_bad_prices(tmp_path: Path, price: str, needle: str, fix: str) -> None:
    row = f'MUG-1,Camp Mug,"{price}",USD,https://shop.example.com/mug,\n'
    _error(_csv(tmp_path, row), "row 2, field 'price'", needle, fix)


def test_unknown_currency(tmp_path: Path) -> None:
    _error(_csv(tmp_path, GOOD.replace("USD", "XYZ")), "row 2, field 'currency'",
           "'XYZ' is not an ISO 4217", "USD, EUR")


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>",
                                 "ftp://shop.example.com/mug", "shop.example.com/mug"])
def test_non_http_urls(tmp_path: Path, url: str) -> None:
    _error(_csv(tmp_path, GOOD.replace("https://shop.example.com/mug", url)),
           "row 2, field 'url'", "is not an http(s) URL", "https://")


def test_bom_and_cp1252_files_load(tmp_path: Path) -> None:
    row = "CAFE-1,Café crème Mug \u2013 12 oz,9.50,EUR,https://shop.example.com/cafe,\n"
    for encoding in ("utf-8-sig", "cp1252"):
        product = load_catalog(_csv(tmp_path, row, encoding=encoding))["CAFE-1"]
        assert product.title == "Café crème Mug \u2013 12 oz" and product.currency == "EUR"


def test_html_in_fields_becomes_plain_text(tmp_path: Path) -> None:
    row = ('MUG-1,"<b>Camp</b> Mug &amp; Lid<script>alert(1)</script>",18,USD,'
           "https://shop.example.com/mug,\n")
    product = load_catalog(_csv(tmp_path, row))["MUG-1"]
    assert "<" not in product.title and "&amp;" not in product.title
    assert product.title.startswith("Camp Mug & Lid")


@pytest.mark.parametrize(("title", "lost"), [
    ("Trailhead Bottle 🔥💧 limited drop", "cannot draw '🔥💧'"),
    ("トレイルヘッド 保温ボトル 500ml", ""),
    ("قارورة معزولة للرحلات", "the card shows no title"),
    ("בקבוק תרמי לטיולים", "the card shows no title"),
    ("Bottle " * 120, ""),
])
def test_unusual_titles_make_a_card_and_posts(tmp_path: Path, title: str, lost: str) -> None:
    """Emoji, CJK, right-to-left and very long titles: the card draws, every post fits,
    and characters the card fonts lack are named in a warning (no RTL font ships yet)."""
    catalog = _csv(tmp_path, f'MUG-1,"{title}",18,USD,https://shop.example.com/mug,\n')
    product = load_catalog(catalog)["MUG-1"]
    template = load_template("bold")
    links = platform_links(product, template, "clip123")
    spec = card_spec(product, template, start_ms=0, end_ms=4000, image=None,
                     link=links["tiktok"])
    card = draw_card(spec, tmp_path / "card.png")
    with Image.open(card) as image:
        assert image.size == (spec.width, spec.height)
    for platform in ("tiktok", "instagram", "youtube"):
        caption = post_caption(product, template, links[platform], platform, "$18.00")
        assert links[platform] in caption and len(caption) <= 5000
    assert len(youtube_title(product, template, "$18.00")) <= 100
    warnings = undrawable_text(spec.title, spec.font_path)
    assert (lost in warnings[0]) if lost else warnings == []


def _png(path: Path, size: tuple[int, int]) -> Path:
    Image.new("RGB", (8, 8), "red").save(path)
    data = bytearray(path.read_bytes())
    # rewrite IHDR's width and height (bytes 16-24) and its CRC: a "huge" header, tiny file
    data[16:24] = struct.pack(">II", *size)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


def test_missing_image_is_a_warning(tmp_path: Path) -> None:
    warnings: list[str] = []
    assert resolve_image(str(tmp_path / "gone.png"), warnings) is None
    assert "does not exist" in warnings[0] and "no picture" in warnings[0]


def test_corrupt_image_is_a_warning(tmp_path: Path) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    warnings: list[str] = []
    assert resolve_image(str(broken), warnings) is None
    assert "unusable" in warnings[0]


def test_huge_image_is_refused_before_decoding(tmp_path: Path) -> None:
    bomb = _png(tmp_path / "bomb.png", (60_000, 60_000))
    warnings: list[str] = []
    assert resolve_image(str(bomb), warnings) is None
    assert "too many pixels" in warnings[0] or "too large" in warnings[0]


def test_unreachable_image_url_is_a_warning() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    warnings: list[str] = []
    url = "https://cdn.example.com/unreachable.png"
    assert resolve_image(url, warnings, transport=httpx.MockTransport(refuse),
                         resolver=PUBLIC_DNS) is None
    assert "could not download" in warnings[0]


def test_oversized_image_download_is_a_warning() -> None:
    def huge(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-length": str(200 * 1024 * 1024)},
                              content=b"")

    warnings: list[str] = []
    url = "https://cdn.example.com/huge.png"
    assert resolve_image(url, warnings, transport=httpx.MockTransport(huge),
                         resolver=PUBLIC_DNS) is None
    assert "byte limit" in warnings[0]


def _catalog_copy(folder: Path) -> Path:
    """The sample catalog and its product image, copied into ``folder``."""
    folder.mkdir(parents=True)
    shutil.copy(SAMPLES_DIR / "product.png", folder / "product.png")
    return Path(shutil.copy(CATALOG_CSV, folder / "catalog.csv"))


def _clip_id(footage: Path, catalog: Path, out: Path) -> str:
    return load_inputs(MakeRequest(footage=footage, catalog=catalog, sku=SKU,
                                   out_dir=out)).clip_id


def test_moving_the_catalog_keeps_clip_ids(tmp_path: Path, short_scene: Path) -> None:
    """The clip id knows the product image by its bytes: the same catalog in another
    folder (another checkout, a moved share) names the same clips, so nothing is made
    or published twice; a changed picture is a new clip."""
    first = _catalog_copy(tmp_path / "a")
    second = _catalog_copy(tmp_path / "elsewhere" / "b")
    same = _clip_id(short_scene, first, tmp_path / "out")
    assert _clip_id(short_scene, second, tmp_path / "out") == same
    Image.new("RGB", (64, 64), (0, 200, 0)).save(second.parent / "product.png")
    assert _clip_id(short_scene, second, tmp_path / "out") != same
