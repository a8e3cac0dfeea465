"""Tagged links and post captions within each platform's limits."""

from __future__ import annotations

import re
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pipeline.brand.templates import load_template
from pipeline.core.errors import CatalogError
from pipeline.core.models import Product
from pipeline.products.links import (
    hashtags,
    platform_links,
    post_caption,
    post_captions,
    tag_link,
    youtube_title,
)
from pipeline.publish.platforms import (
    CAPTION_RULES,
    PLATFORMS,
    caption_problem,
    shop_anchor_title,
    utf16_units,
)

LINKLESS = {p for p in PLATFORMS if not CAPTION_RULES[p].links_allowed}

URL = "https://shop.example.com/products/trailhead-bottle"


def product(**changes: object) -> Product:
    """The sample bottle, with ``changes``."""
    base = Product(sku="TRAIL-BOTTLE-24", title="Trailhead Insulated Bottle",
                   price=Decimal("24.00"), url=URL, brand="Trailhead",
                   keywords=("insulated", "bottle", "leak proof"))
    return base.model_copy(update=changes)


def tag(url: str) -> str:
    """``url`` tagged with fixed values."""
    return tag_link(url, source="tiktok", medium="social", campaign="c", content="clip1")


def test_tag_link_adds_utm() -> None:
    query = parse_qs(urlsplit(tag(URL)).query)
    assert query == {"utm_source": ["tiktok"], "utm_medium": ["social"],
                     "utm_campaign": ["c"], "utm_content": ["clip1"]}


def test_tag_link_keeps_params_and_fragment_replaces_utm() -> None:
    tagged = tag(URL + "?variant=42&UTM_SOURCE=old&utm_medium=x&ref=#reviews")
    parts = urlsplit(tagged)
    query = parse_qs(parts.query, keep_blank_values=True)
    assert query["variant"] == ["42"] and query["ref"] == [""]
    assert query["utm_source"] == ["tiktok"] and query["utm_medium"] == ["social"]
    assert "UTM_SOURCE" not in query and parts.fragment == "reviews"


def test_tag_link_encodes_values() -> None:
    tagged = tag_link(URL, source="tiktok", medium="social", campaign="spring sale & more",
                      content="")
    query = parse_qs(urlsplit(tagged).query)
    assert query["utm_campaign"] == ["spring sale & more"] and "utm_content" not in query


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://x.example", "//x.example/a",
                                 "https://", "http://exa mple.com", "https://x.example:99999/"])
def test_tag_link_rejects(url: str) -> None:
    with pytest.raises(CatalogError):
        tag(url)


@given(url=st.text(), source=st.text(), medium=st.text(), campaign=st.text(),
       content=st.text())
def test_tag_link_only_raises_catalog_error(url: str, source: str, medium: str, campaign: str,
                                           content: str) -> None:
    try:
        result = tag_link(url, source=source, medium=medium, campaign=campaign, content=content)
    except CatalogError:
        return
    assert result.lower().startswith(("http://", "https://"))


@given(path=st.text(), query=st.text(), fragment=st.text())
def test_tag_link_http_urls_keep_host(path: str, query: str, fragment: str) -> None:
    url = f"https://shop.example.com/{path}?{query}#{fragment}"
    try:
        tagged = tag(url)
    except CatalogError:
        return
    parts = urlsplit(tagged)
    assert parts.hostname == "shop.example.com"
    assert parse_qs(parts.query)["utm_content"] == ["clip1"]


def test_platform_links() -> None:
    links = platform_links(product(), load_template("bold"), "clip1")
    assert set(links) == set(PLATFORMS)
    for platform, link in links.items():
        query = parse_qs(urlsplit(link).query)
        assert query["utm_content"] == ["clip1"]
        assert query["utm_campaign"] == ["bold-trail-bottle-24"]
        assert query["utm_source"][0].startswith(platform.split("-")[0])
    assert parse_qs(urlsplit(links["youtube"]).query)["utm_medium"] == ["video"]


@pytest.mark.parametrize("platform", [p for p in PLATFORMS if p not in LINKLESS])
def test_post_caption_has_price_link_and_tags(platform: str) -> None:
    template = load_template("bold")
    text = post_caption(product(), template, URL, platform, "$24.00")
    assert "$24.00" in text and URL in text and "Trailhead Insulated Bottle" in text
    assert "#leakproof" in text and "#Trailhead" in text


def test_tiktok_caption_counts_utf16_units() -> None:
    title = "🔥" * 1500  # 3000 UTF-16 units, 1500 characters
    text = post_caption(product(title=title), load_template("bold"), URL, "tiktok", "$24.00")
    assert utf16_units(text) <= 2200 and URL in text and "$24.00" in text


def test_instagram_caption_limits() -> None:
    many = tuple(f"kw{i}" for i in range(60))
    text = post_caption(product(keywords=many, title="Bottle #one #two"), load_template("bold"),
                        URL, "instagram", "$24.00")
    assert len(re.findall(r"#\w+", text)) <= 30 and len(text) <= 2200
    long = post_caption(product(title="word " * 800), load_template("bold"), URL, "instagram",
                        "$24.00")
    assert len(long) <= 2200 and URL in long and long.count("…") >= 1


def test_youtube_description_bytes() -> None:
    text = post_caption(product(title="保温" * 2000), load_template("minimal"), URL, "youtube",
                        "¥2,400")
    assert len(text.encode("utf-8")) <= 5000 and URL in text


def test_youtube_title() -> None:
    title = youtube_title(product(title="<b>Bottle</b> " + "x" * 200), load_template("bold"),
                          "$24.00")
    assert len(title) <= 100 and "<" not in title and ">" not in title
    assert title.endswith("#Shorts") and "$24.00" in title


def test_unknown_platform() -> None:
    with pytest.raises(CatalogError, match="snapchat"):
        post_caption(product(), load_template("bold"), URL, "snapchat", "$1")


def test_hashtags_deduplicated() -> None:
    tags = hashtags(product(keywords=("Bottle", "bottle", "leak-proof")), load_template("bold"),
                    "tiktok")
    assert tags.count("#Bottle") == 1 and "#bottle" not in tags and "#leakproof" in tags


def test_shop_anchor_title() -> None:
    title = shop_anchor_title("Trailhead® Insulated Bottle \u2013 24oz! 🔥 (Forest)")
    assert title == "Trailhead Insulated Bottle"
    assert len(title) < 30 and re.fullmatch(r"[\w ]+", title)
    assert shop_anchor_title("保温ボトル、500ml\uff01") == "保温ボトル 500ml"


@given(title=st.text(min_size=1, max_size=3000), hook=st.text(max_size=500),
       keywords=st.lists(st.text(max_size=30), max_size=80))
def test_post_caption_always_within_limits(title: str, hook: str, keywords: list[str]) -> None:
    template = load_template("bold").model_copy(update={"hook": hook})
    item = product(title=title, keywords=tuple(keywords))
    tiktok = post_caption(item, template, URL, "tiktok", "$24.00")
    assert utf16_units(tiktok) <= 2200 and URL in tiktok
    reels = post_caption(item, template, URL, "instagram", "$24.00")
    assert len(reels) <= 2200 and len(re.findall(r"#\w+", reels)) <= 30 and URL in reels
    youtube = post_caption(item, template, URL, "youtube", "$24.00")
    assert len(youtube.encode("utf-8")) <= 5000 and URL in youtube
    assert len(youtube_title(item, template, "$24.00")) <= 100


_EMOJI = st.sampled_from(["🔥", "🌲", "👍🏽", "👩‍👩‍👧", "🇯🇵", "☕", "✔️",
                          "\U0001d4db\U0001d4fe\U0001d501\U0001d4ee"])  # astral script letters
_CJK = st.text(alphabet=st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF)
               | st.characters(min_codepoint=0x3040, max_codepoint=0x30FF)
               | st.characters(min_codepoint=0x20000, max_codepoint=0x2A6DF), min_size=1,
               max_size=40)
_LATIN = st.text(alphabet=st.characters(codec="latin-1", categories=("L", "N")), min_size=1,
                 max_size=15)
_WORDS = st.lists(st.one_of(_EMOJI, _CJK, _LATIN, st.just("#tag"), st.just("<b>&amp;</b>")),
                  min_size=1, max_size=400).map(" ".join)


@given(title=_WORDS, hook=st.one_of(st.just(""), _WORDS),
       keywords=st.lists(st.one_of(_CJK, _LATIN, _EMOJI), max_size=60),
       template=st.sampled_from(["bold", "minimal", "luxe"]),
       price=st.sampled_from(["$24.00", "24,00\u00a0€", "¥2,400", "₹1,999.00"]))
def test_captions_fit_every_platform_with_emoji_and_cjk(title: str, hook: str,
                                                      keywords: list[str], template: str,
                                                      price: str) -> None:
    """Long emoji/CJK/astral titles: each platform's text fits in every way it may be counted."""
    chosen = load_template(template).model_copy(update={"hook": hook[:500]})
    item = product(title=title, keywords=tuple(keywords))
    links = platform_links(item, chosen, "clip1")
    captions = post_captions(item, chosen, links, price)
    assert set(captions) == set(PLATFORMS)
    for platform, text in captions.items():
        assert price in text, platform
        if platform in LINKLESS:
            assert links[platform] not in text and caption_problem(text, platform) == ""
            continue
        assert links[platform] in text, platform
        assert utf16_units(text) <= 2200 or platform == "youtube"
    reels = captions["instagram"]
    assert len(reels) <= 2200 and len(re.findall(r"#\w+", reels)) <= 30
    assert len(captions["youtube"].encode("utf-8")) <= 5000
    title_text = youtube_title(item, chosen, price)
    assert len(title_text) <= 100 and utf16_units(title_text) <= 100
    assert "<" not in title_text and ">" not in title_text and title_text.endswith("#Shorts")


def test_each_platform_posts_its_own_caption_from_the_manifest() -> None:
    from pipeline.products.links import manifest_caption

    manifest = {"caption_text": "tiktok text",
                "captions": {"tiktok": "tiktok text", "instagram": "ig text ?utm_source=instagram"}}
    assert manifest_caption(manifest, "instagram").endswith("utm_source=instagram")
    assert manifest_caption(manifest, "youtube") == "tiktok text"  # older manifests
    assert manifest_caption({"caption_text": "only"}, "instagram") == "only"
