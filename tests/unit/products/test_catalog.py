"""Catalog loading: generic CSV/JSON, Shopify exports, encodings and every error case."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from pipeline.core.errors import CatalogError
from pipeline.products.catalog import find_product, load_catalog
from tests.support.paths import REPO

HEADER = ("sku,title,price,currency,url,image,brand,keywords,compare_at_price,"
          "tiktok_product_id,instagram_product_id\n")
BOTTLE = ("TRAIL-BOTTLE-24,Trailhead Insulated Bottle,24.00,USD,"
          "https://shop.example.com/products/trailhead-bottle,product.png,Trailhead,"
          "\"insulated,bottle,leak proof\",32.00,1729384756,987654321\n")

SHOPIFY = """\
Handle,Title,Body (HTML),Vendor,Product Category,Type,Tags,Published,Option1 Name,Option1 Value,\
Option2 Name,Option2 Value,Variant SKU,Variant Grams,Variant Inventory Qty,Variant Price,\
Variant Compare At Price,Image Src,Image Position,Variant Image,Status
trail-bottle,Trail Bottle &amp; Cap,"<p>Keeps drinks <strong>cold</strong>
for 24 hours.</p>",Trailhead,Drinkware,Bottles,"insulated, bottle",TRUE,Colour,Forest,\
Size,24 oz,TB-FOREST-24,450,10,24.00,32.00,https://cdn.example.com/tb-forest.png,1,,active
trail-bottle,,,,,,,,,Sand,,24 oz,TB-SAND-24,450,5,26.00,,https://cdn.example.com/tb-2.png,2,\
https://cdn.example.com/tb-sand.png,
trail-bottle,,,,,,,,,,,,,,,,,https://cdn.example.com/tb-3.png,3,,
camp-mug,Camp Mug 🏕️,<em>Enamel</em> mug,Trailhead,,Mugs,mug,TRUE,Title,Default Title,,,,\
300,3,18.00,,https://cdn.example.com/mug.png,1,,active
"""


def write(tmp_path: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    """A catalog file in tmp_path."""
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def error_for(path: Path) -> str:
    """The one-line message load_catalog raises for ``path``."""
    with pytest.raises(CatalogError) as caught:
        load_catalog(path)
    assert caught.value.exit_code == 2
    return caught.value.one_line()


def test_generic_csv(tmp_path: Path) -> None:
    path = write(tmp_path, "cat.csv", HEADER + BOTTLE)
    product = load_catalog(path)["TRAIL-BOTTLE-24"]
    assert product.title == "Trailhead Insulated Bottle"
    assert product.price == Decimal("24.00")
    assert product.compare_at_price == Decimal("32.00")
    assert product.keywords == ("insulated", "bottle", "leak proof")
    assert product.tiktok_product_id == "1729384756"
    assert product.image == str(tmp_path / "product.png")


def test_minimal_columns_any_case_and_pipe_keywords(tmp_path: Path) -> None:
    path = write(tmp_path, "cat.csv", "SKU,Title,Price,URL,Keywords\n"
                 "A1,Mug,5,https://x.example/a,camp|mug\n\nB2,Cup,0,http://x.example/b,\n")
    catalog = load_catalog(path)
    assert catalog["A1"].keywords == ("camp", "mug")
    assert catalog["A1"].currency == "USD"
    assert catalog["B2"].price == Decimal("0")


def test_semicolon_csv_and_spaced_headers(tmp_path: Path) -> None:
    path = write(tmp_path, "excel.csv", "SKU;Title;Price;URL;Compare At Price\n"
                 "E1;Becher;12.50;https://x.example/e;15\n")
    assert load_catalog(path)["E1"].compare_at_price == Decimal("15")
    path = write(tmp_path, "excel2.csv", "SKU;Title;Price;URL\nE1;Becher;12,50;https://x.example/e\n")
    message = error_for(path)
    assert "row 2, field 'price'" in message and "12.50" in message


def test_json_catalog(tmp_path: Path) -> None:
    items = [{"sku": "J1", "title": "Jacket 🧥 <b>warm</b>", "price": 99.5, "currency": "eur",
              "url": "https://x.example/j", "keywords": ["a", "b"], "image": "img/j.png",
              "tiktok_product_id": 12345}]
    path = write(tmp_path, "cat.json", json.dumps({"products": items}))
    product = load_catalog(path)["J1"]
    assert product.price == Decimal("99.5")
    assert product.currency == "EUR"
    assert product.title == "Jacket 🧥 warm"
    assert product.tiktok_product_id == "12345"
    assert product.image == str(tmp_path / "img" / "j.png")


def test_json_missing_field_names_item(tmp_path: Path) -> None:
    path = write(tmp_path, "cat.json", json.dumps([{"sku": "J1", "title": "T",
                                                     "url": "https://x.example"}]))
    message = error_for(path)
    assert "cat.json" in message and "item 1" in message and "'price'" in message


def test_shopify_export_with_variants(tmp_path: Path) -> None:
    catalog = load_catalog(write(tmp_path, "products_export.csv", SHOPIFY),
                           shop_domain="trailhead.example")
    assert set(catalog) == {"TB-FOREST-24", "TB-SAND-24", "CAMP-MUG"}
    forest, sand, mug = catalog["TB-FOREST-24"], catalog["TB-SAND-24"], catalog["CAMP-MUG"]
    assert forest.title == "Trail Bottle & Cap (Forest / 24 oz)"
    assert sand.title == "Trail Bottle & Cap (Sand / 24 oz)"
    assert sand.brand == forest.brand == "Trailhead"
    assert sand.price == Decimal("26.00") and sand.compare_at_price is None
    assert forest.image == "https://cdn.example.com/tb-forest.png"
    assert sand.image == "https://cdn.example.com/tb-sand.png"
    assert sand.url == "https://trailhead.example/products/trail-bottle"
    assert forest.keywords == ("insulated", "bottle")
    assert mug.title == "Camp Mug 🏕️"
    assert mug.url == "https://trailhead.example/products/camp-mug"
    assert load_catalog(tmp_path / "products_export.csv")["CAMP-MUG"].url == \
        "https://shop.example.com/products/camp-mug"


def test_shopify_bad_variant_price_names_row(tmp_path: Path) -> None:
    text = SHOPIFY.replace("TB-SAND-24,450,5,26.00", 'TB-SAND-24,450,5,"26,50"')
    message = error_for(write(tmp_path, "export.csv", text))
    # the product row spans two physical lines but is one spreadsheet row (row 2)
    assert "export.csv: row 3, field 'Variant Price'" in message
    assert "26.50" in message


def test_utf8_bom(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.csv", "\ufeff" + HEADER + BOTTLE.replace("Trailhead Insulated",
                                                                         "Café Insulated"))
    assert load_catalog(path)["TRAIL-BOTTLE-24"].title == "Café Insulated Bottle"


def test_cp1252(tmp_path: Path) -> None:
    row = "CP-1,Crème brûlée torch \u2013 pro,12.50,EUR,https://x.example/t,,,,,,\n"
    path = write(tmp_path, "win.csv", HEADER + row, encoding="cp1252")
    assert load_catalog(path)["CP-1"].title == "Crème brûlée torch \u2013 pro"


def test_missing_columns(tmp_path: Path) -> None:
    message = error_for(write(tmp_path, "cat.csv", "sku,title,currency\nA,B,USD\n"))
    assert "cat.csv" in message and "row 1" in message
    assert "price" in message and "url" in message


def test_duplicate_sku_names_both_rows(tmp_path: Path) -> None:
    message = error_for(write(tmp_path, "cat.csv", HEADER + BOTTLE + BOTTLE))
    assert "row 3, field 'sku'" in message and "row 2" in message
    assert "TRAIL-BOTTLE-24" in message


@pytest.mark.parametrize(("price", "expect"), [
    ('"24,99"', "24.99"), ("free", "0"), ("-3.00", "negative"), ("$4", "plain number"),
    ("", "empty")])
def test_bad_prices(tmp_path: Path, price: str, expect: str) -> None:
    row = BOTTLE.replace(",24.00,", f",{price},")
    message = error_for(write(tmp_path, "cat.csv", HEADER + row))
    assert "cat.csv: row 2, field 'price'" in message
    assert expect in message


def test_thousands_separator_is_accepted(tmp_path: Path) -> None:
    row = BOTTLE.replace(",24.00,", ',"1,299.00",')
    assert load_catalog(write(tmp_path, "c.csv", HEADER + row))["TRAIL-BOTTLE-24"].price == \
        Decimal("1299.00")


def test_unknown_currency(tmp_path: Path) -> None:
    message = error_for(write(tmp_path, "cat.csv", HEADER + BOTTLE.replace(",USD,", ",XYZ,")))
    assert "row 2, field 'currency'" in message and "XYZ" in message and "ISO 4217" in message


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.example/a", "shop.example.com",
                                 "data:text/html,hi", "https://"])
def test_non_http_urls(tmp_path: Path, url: str) -> None:
    row = BOTTLE.replace("https://shop.example.com/products/trailhead-bottle", url)
    message = error_for(write(tmp_path, "cat.csv", HEADER + row))
    assert "row 2, field 'url'" in message and "http(s)" in message


def test_bad_compare_at_price(tmp_path: Path) -> None:
    message = error_for(write(tmp_path, "cat.csv", HEADER + BOTTLE.replace(",32.00,", ",abc,")))
    assert "row 2, field 'compare_at_price'" in message


def test_empty_and_missing_files(tmp_path: Path) -> None:
    assert "empty" in error_for(write(tmp_path, "empty.csv", ""))
    assert "no products" in error_for(write(tmp_path, "header.csv", HEADER))
    assert "cannot read" in error_for(tmp_path / "nope.csv")
    assert "invalid JSON" in error_for(write(tmp_path, "bad.json", "[{"))


def test_find_product_suggests_close_skus(tmp_path: Path) -> None:
    path = write(tmp_path, "cat.csv", HEADER + BOTTLE)
    catalog = load_catalog(path)
    assert find_product(catalog, "trail-bottle-24", path).sku == "TRAIL-BOTTLE-24"
    with pytest.raises(CatalogError) as caught:
        find_product(catalog, "TRAIL-BOTLE-24", path)
    assert "TRAIL-BOTLE-24" in caught.value.message and str(path) in caught.value.message
    assert "TRAIL-BOTTLE-24" in caught.value.hint


def test_sample_catalog_loads() -> None:
    path = REPO / "assets" / "samples" / "catalog.csv"
    product = load_catalog(path)["TRAIL-BOTTLE-24"]
    assert product.title == "Trailhead Insulated Bottle" and product.brand == "Trailhead"
    assert product.price == Decimal("24.00") and product.compare_at_price == Decimal("32.00")
    assert product.instagram_product_id == "987654321"
    assert Path(product.image).is_file()
