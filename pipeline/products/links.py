"""Tagged product links and post captions that fit each platform's limits.

The limits are ``publish.platforms``' table. Trimming drops hashtags first, then
shortens the hook and title; the price and the call (with its link where the platform
allows one: not on Douyin, where the text says where to buy) always survive.

The fixed words (the call to action) are in the product's language: see
``pipeline.core.locale`` and ``Template.post_call``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pipeline.brand.templates import Template
from pipeline.core import safe_text
from pipeline.core.errors import CatalogError
from pipeline.core.locale import WordKey, effective_locale
from pipeline.core.models import Product
from pipeline.publish.platforms import (
    CAPTION_RULES,
    HASHTAG,
    PLATFORMS,
    UTM_SOURCE,
    YOUTUBE_TITLE_CHARS,
    Platform,
    caption_problem,
    platform_named,
    utf16_units,
    without_links,
)

CALL_WORD: dict[Platform, WordKey] = {
    "tiktok": "shop_now", "tiktok-shop": "tap_the_cart", "instagram": "tap_to_shop",
    "youtube": "link_below", "douyin": "link_in_bio",
}
"""Which fixed word a caption's call uses on each platform, outside the template's language."""


def check_link(url: str) -> str:
    """``url`` unchanged if it is an absolute http(s) URL; CatalogError otherwise."""
    try:
        parts = urlsplit(url)
        ok = parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        ok = False
    if not ok or any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise CatalogError(f"product link {url[:200]!r} is not an http(s) URL",
                           hint="Set the product's url to its page, e.g. https://shop.example.com/p")
    return url


def tag_link(url: str, *, source: str, medium: str, campaign: str, content: str) -> str:
    """``url`` with utm_source/medium/campaign/content set (empty values left out).

    The URL's own query parameters and fragment are kept; existing utm_* are replaced.
    """
    check_link(url)
    parts = urlsplit(url)
    try:
        query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
                 if not k.lower().startswith("utm_")]
        utm = {"utm_source": source, "utm_medium": medium,
               "utm_campaign": campaign, "utm_content": content}
        query += [(k, v) for k, v in utm.items() if v]
        return urlunsplit(parts._replace(query=urlencode(query)))
    except (ValueError, UnicodeError) as exc:
        raise CatalogError(f"cannot tag link {url[:200]!r} ({exc})",
                           hint="Use plain text for the product url and UTM values") from exc


def platform_links(product: Product, template: Template, clip_id: str) -> dict[str, str]:
    """The product link tagged for each platform (tiktok, tiktok-shop, instagram, youtube,
    douyin: not in its post, but on the link page and QR code)."""
    campaign = (template.utm.campaign or "{sku}").replace("{sku}", product.sku.lower())
    return {
        platform: tag_link(product.url, source=UTM_SOURCE[platform],
                           medium=template.utm_medium_for(platform),
                           campaign=campaign, content=clip_id)
        for platform in PLATFORMS
    }


def post_caption(product: Product, template: Template, link: str, platform: str,
                 price_text: str) -> str:
    """The post text for ``platform``, trimmed to its limit (YouTube: the description).

    The call is in the product's language; on a platform whose posts carry no links it
    names where to buy instead of ``link`` (and any link in the hook or title is dropped).
    """
    name = _platform(platform)

    def fits(text: str) -> bool:
        return not caption_problem(text, name)

    hook = template.hook_for(name)
    title = product.title
    tags = hashtags(product, template, name)
    most_tags = CAPTION_RULES[name].max_hashtags
    if most_tags is not None:
        tags = tags[:max(0, most_tags - len(HASHTAG.findall(f"{hook} {title}")))]
    locale = effective_locale(product.locale, template.locale)
    linkless = not CAPTION_RULES[name].links_allowed
    call = template.post_call(name, CALL_WORD[name], locale, own_default=not linkless)
    if linkless:
        hook, title = without_links(hook), without_links(title)
    else:
        call = f"{call}: {link}"
    while True:
        text = _compose(hook, title, price_text, call, tags)
        if fits(text):
            return text
        if tags:
            tags = tags[:-1]
        elif hook:
            hook = _shorten(hook)
        elif len(title) > 1:
            title = _shorten(title)
        else:
            return _hard_cut(text, fits)


def post_captions(product: Product, template: Template, links: dict[str, str],
                  price_text: str) -> dict[str, str]:
    """The post text for every platform, each with that platform's own tagged link."""
    return {platform: post_caption(product, template, links[platform], platform, price_text)
            for platform in PLATFORMS}


def manifest_caption(manifest: Mapping[str, Any], platform: str) -> str:
    """A clip manifest's post text for ``platform``: its own entry in ``captions`` (own
    tagged link, own limits), else ``caption_text`` (manifests written before)."""
    captions = manifest.get("captions")
    if isinstance(captions, Mapping) and captions.get(platform):
        text = str(captions[platform])
    else:
        text = str(manifest["caption_text"])
    # posted text: no terminal controls or direction overrides, newlines kept
    return safe_text.clean_text(text, keep="\n\t")


def manifest_product_ids(manifest: Mapping[str, Any]) -> dict[str, str]:
    """The platform product handles in a clip manifest: TikTok and Instagram product ids,
    the Douyin mini-program page of the product."""
    product = manifest.get("product") or {}
    fields = {"tiktok": "tiktok_product_id", "instagram": "instagram_product_id",
              "douyin": "douyin_micro_app_url"}
    return {platform: str(product.get(field) or "") for platform, field in fields.items()}


def youtube_title(product: Product, template: Template, price_text: str = "") -> str:
    """A Shorts title: ≤ 100 characters, no < or >, ending in #Shorts."""
    suffix = " #Shorts"
    price = f" - {price_text}" if price_text else ""
    base = " ".join(product.title.replace("<", "").replace(">", "").split())
    room = YOUTUBE_TITLE_CHARS - len(suffix) - utf16_units(price)
    if utf16_units(base) > room:
        base = base[:room - 1]  # every character is at least one unit
        while base and utf16_units(base) > room - 1:
            base = base[:-1]
        base = base.rstrip() + "\u2026"
    return f"{base}{price}{suffix}"


def hashtags(product: Product, template: Template, platform: Platform) -> list[str]:
    """'#tag' strings: the template's for the platform, then the brand and keywords."""
    words = [*template.hashtags_for(platform), product.brand, *product.keywords]
    out: dict[str, str] = {}
    for word in words:
        tag = re.sub(r"\W+", "", word)
        if tag and tag.casefold() not in out:
            out[tag.casefold()] = f"#{tag}"
    return list(out.values())


def _compose(hook: str, title: str, price: str, call: str, tags: list[str]) -> str:
    """Hook, title and price, call to action with link, then hashtags."""
    lines = [hook, f"{title} - {price}" if price else title, call]
    body = "\n".join(line for line in lines if line)
    return f"{body}\n\n{' '.join(tags)}" if tags else body


def _shorten(text: str) -> str:
    """``text`` about 10 % shorter, cut at a word where possible, with '…'."""
    bare = text.removesuffix("\u2026")
    cut = bare[:max(0, len(bare) - max(1, len(bare) // 10))]
    if " " in cut[len(cut) // 2:]:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip() + "\u2026" if cut.strip() else ""


def _hard_cut(text: str, fits: Callable[[str], bool]) -> str:
    """Last resort: drop characters from the end until it fits."""
    while text and not fits(text):
        text = text[:-1]
    return text


def _platform(platform: str) -> Platform:
    """``platform`` checked against the known names."""
    known = platform_named(platform)
    if known is None:
        raise CatalogError(f"unknown platform {platform!r}",
                           hint=f"Use one of {', '.join(PLATFORMS)}")
    return known
