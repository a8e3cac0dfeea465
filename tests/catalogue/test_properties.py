"""Property tests: for any input, clipcart answers or raises its own typed error.

Hypothesis throws arbitrary words, URLs and catalog files at caption segmentation,
link tagging and catalog parsing; anything other than a ClipcartError is a bug.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.captions.cues import build_cues, to_ass, to_srt, to_vtt
from pipeline.core.errors import CatalogError, ClipcartError
from pipeline.core.models import CaptionStyle, Word
from pipeline.products.catalog import load_catalog, parse_price
from pipeline.products.links import tag_link

FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                       HealthCheck.data_too_large])


@st.composite
def timed_words(draw: st.DrawFn) -> list[Word]:
    """Words in order, possibly touching, of any text (emoji, CJK, RTL, markup)."""
    texts = draw(st.lists(st.text(min_size=1, max_size=30).map(lambda t: t.strip() or "x"),
                          max_size=40))
    words, t = [], 0
    for text in texts:
        t += draw(st.integers(0, 2000))
        length = draw(st.integers(1, 1500))
        words.append(Word(text=text.strip(), start_ms=t, end_ms=t + length))
        t += length
    return words


@FAST
@given(timed_words(), st.booleans(), st.lists(st.text(max_size=20), max_size=3),
       st.lists(st.integers(0, 60_000), max_size=4))
def test_caption_segmentation(words: list[Word], upper: bool, keywords: list[str],
                              cuts: list[int]) -> None:
    style = CaptionStyle(uppercase=upper)
    try:
        cues = build_cues(words, style, keywords=keywords, cuts_ms=sorted(cuts))
    except ClipcartError:
        return
    assert all(cue.start_ms <= cue.end_ms for cue in cues)
    starts = [cue.start_ms for cue in cues]
    assert starts == sorted(starts)
    for render in (to_srt, to_vtt, to_ass):
        assert isinstance(render(cues, style), str)


URLS = st.one_of(
    st.text(max_size=60),
    st.builds(lambda scheme, host, path, query: f"{scheme}://{host}/{path}?{query}",
              st.sampled_from(["http", "https", "javascript", "HTTP", "ftp", ""]),
              st.text(max_size=20), st.text(max_size=20), st.text(max_size=30)),
)


@FAST
@given(URLS, st.text(max_size=20), st.text(max_size=20), st.text(max_size=20),
       st.text(max_size=20))
def test_link_tagging(url: str, source: str, medium: str, campaign: str, content: str) -> None:
    try:
        tagged = tag_link(url, source=source, medium=medium, campaign=campaign, content=content)
    except CatalogError:
        return
    assert tagged.lower().startswith(("http://", "https://"))
    assert not any(ch.isspace() for ch in tagged)


CELL = st.one_of(st.text(max_size=25), st.sampled_from(
    ["24.99", "24,99", "free", "-1", "1,299.00", "USD", "EUR", "XXX", "https://s.example.com/p",
     "javascript:alert(1)", "<b>x</b>", "\ufeff", '"', "", "NaN", "Infinity", "1e309"]))
HEADERS = st.lists(st.sampled_from(
    ["sku", "title", "price", "currency", "url", "image", "keywords", "compare_at_price",
     "Handle", "Title", "Variant SKU", "Variant Price", "junk"]), min_size=1, max_size=8)


@FAST
@given(HEADERS, st.lists(st.lists(CELL, max_size=9), max_size=6),
       st.sampled_from(["utf-8", "utf-8-sig", "cp1252", "utf-16"]),
       st.sampled_from([",", ";", "\t"]))
def test_catalog_parsing(header: list[str], rows: list[list[str]], encoding: str,
                         delimiter: str) -> None:
    def quote(cell: str) -> str:
        return '"' + cell.replace('"', '""') + '"'

    lines = [delimiter.join(header)] + [delimiter.join(quote(c) for c in row) for row in rows]
    data = "\n".join(lines).encode(encoding, errors="replace")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalog.csv"
        path.write_bytes(data)
        try:
            products = load_catalog(path)
        except CatalogError:
            return
    assert products and all(p.price >= 0 and p.url.startswith("http")
                            for p in products.values())


@FAST
@given(st.one_of(st.text(max_size=20), st.integers(), st.floats(allow_nan=True), st.none()))
def test_price_parsing(value: object) -> None:
    try:
        price = parse_price(value, "catalog.csv: row 2, field 'price'")
    except CatalogError as exc:
        assert "row 2" in exc.one_line()
        return
    assert price.is_finite() and price >= 0


@FAST
@given(st.binary(max_size=400))
def test_catalog_from_arbitrary_bytes(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "catalog.json"
        path.write_bytes(data)
        with contextlib.suppress(CatalogError):
            load_catalog(path)
