"""The link-in-bio page: one static, mobile-first HTML file listing the clips in a folder.

Captions on TikTok and Reels are not clickable, so creators point their bio link
at this page. ``write_linkpage(DIR)`` reads every ``DIR/<clip>/manifest.json`` and
writes ``DIR/index.html`` (atomically) with each clip's thumbnail, product title,
price and a shop button.

Links: the page uses its own ``utm_source=linkpage``, built from the clip's
Instagram link with only the source changed (same medium, campaign and
``utm_content`` = clip id). A sale through the page is then told apart from one
through a clickable caption (YouTube) while still naming the clip that sold it.

Safety: every catalog or manifest string goes through ``html.escape``; the page
has no scripts and no inline event handlers, only http(s) links, and a strict
Content-Security-Policy (no scripts at all, images from the page's own folder,
one hashed style block) so even a missed escape could not run code. No external
resources: fonts are the system's, images are the thumbnails beside the page.
"""

from __future__ import annotations

import base64
import hashlib
import html
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from pipeline.core.errors import BadInput, CatalogError
from pipeline.core.safe_parse import load_json
from pipeline.core.safe_text import excerpt
from pipeline.products.links import check_link, tag_link

PAGE_NAME = "index.html"
LINKPAGE_SOURCE = "linkpage"
"""utm_source of every link on the page."""
DEFAULT_TITLE = "Shop my clips"
GENERATOR = "clipcart linkpage"
"""The page's generator meta tag; an index.html without it is the user's and is kept."""
LINK_PLATFORM_ORDER = ("instagram", "tiktok", "youtube", "tiktok-shop")
"""Which manifest link the page link is derived from, first found wins."""


_REMAKE = "Re-make that clip; its manifest should hold one link per platform"


class LinkpageError(BadInput):
    """The clip folder or one of its manifests cannot make a link page."""


@dataclass(frozen=True)
class PageEntry:
    """One clip as the page shows it; every field is plain (unescaped) text."""

    clip_id: str
    title: str
    price: str
    link: str
    thumbnail: str
    """URL of the thumbnail relative to the page (percent-encoded), or '' for none."""


def write_linkpage(folder: Path, title: str = DEFAULT_TITLE) -> Path:
    """Write ``folder/index.html`` listing every clip folder in ``folder``; returns its path."""
    folder = Path(folder)
    if not folder.is_dir():
        raise LinkpageError(f"{folder}: not a folder",
                            hint="Pass the --out folder of clipcart make or batch")
    entries = read_entries(folder)
    if not entries:
        raise LinkpageError(f"{folder}: no clip folders (none holds a manifest.json)",
                            hint="Make clips with `clipcart make ... --out DIR` first")
    page = folder / PAGE_NAME
    _check_ours(page)
    _write_atomic(page, render_page(entries, title))
    return page


def read_entries(folder: Path) -> list[PageEntry]:
    """Page entries of every ``folder/<clip>/manifest.json``, newest manifest first."""
    manifests = [child / "manifest.json" for child in folder.iterdir()
                 if child.is_dir() and not child.name.startswith(".")
                 and (child / "manifest.json").is_file()]
    manifests.sort(key=lambda path: (-path.stat().st_mtime_ns, path.parent.name))
    return [entry_from_manifest(path, load_manifest(path)) for path in manifests]


def load_manifest(path: Path) -> dict[str, Any]:
    """The manifest's JSON object; LinkpageError naming the file when it is not one."""
    try:
        data = load_json(path.read_text("utf-8-sig"))
    except (OSError, ValueError) as exc:
        raise LinkpageError(f"{path}: not a readable manifest ({excerpt(str(exc), 120)})",
                            hint="Re-make that clip or move its folder out of DIR") from exc
    if not isinstance(data, dict):
        raise LinkpageError(f"{path}: expected a JSON object",
                            hint="Re-make that clip or move its folder out of DIR")
    return data


def entry_from_manifest(path: Path, manifest: dict[str, Any]) -> PageEntry:
    """What the page shows for the clip whose manifest is at ``path``."""
    clip_id = _text(manifest.get("clip_id")) or path.parent.name
    product = manifest.get("product")
    product = product if isinstance(product, dict) else {}
    return PageEntry(
        clip_id=clip_id,
        title=_text(product.get("title")) or _text(manifest.get("sku")) or clip_id,
        price=_text(product.get("price")),
        link=_short_link(manifest) or page_link(path, manifest.get("links")),
        thumbnail=thumbnail_url(path.parent, manifest.get("outputs")),
    )


def _short_link(manifest: dict[str, Any]) -> str:
    """The clip's counted short link for this page (``short_links.linkpage``), if it has one."""
    short = manifest.get("short_links")
    url = short.get("linkpage") if isinstance(short, dict) else None
    try:
        return check_link(url) if isinstance(url, str) and url else ""
    except CatalogError:
        return ""


def page_link(path: Path, links: object) -> str:
    """The clip's Instagram link (or the first known one) re-tagged utm_source=linkpage."""
    if not isinstance(links, dict):
        raise LinkpageError(f"{path}: field 'links' is missing", hint=_REMAKE)
    for platform in LINK_PLATFORM_ORDER:
        url = links.get(platform)
        if isinstance(url, str) and url:
            return _retag(path, platform, url)
    raise LinkpageError(f"{path}: field 'links' has none of {', '.join(LINK_PLATFORM_ORDER)}",
                        hint=_REMAKE)


def _retag(path: Path, platform: str, url: str) -> str:
    """``url`` with utm_source=linkpage and its other utm values kept."""
    try:
        check_link(url)
    except CatalogError as exc:
        raise LinkpageError(f"{path}: field 'links.{platform}': {exc.message}",
                            hint="Fix the product url in the catalog and re-make the clip") from exc
    utm = {key.lower(): value for key, value in parse_qsl(urlsplit(url).query)
           if key.lower().startswith("utm_")}
    return tag_link(url, source=LINKPAGE_SOURCE, medium=utm.get("utm_medium", ""),
                    campaign=utm.get("utm_campaign", ""), content=utm.get("utm_content", ""))


def thumbnail_url(clip_folder: Path, outputs: object) -> str:
    """The thumbnail's URL relative to the page, if the file is in the clip's folder.

    The manifest holds an absolute path, which breaks when the folder is moved or
    served; the file's name is looked up inside the clip folder instead.
    """
    name = outputs.get("thumbnail") if isinstance(outputs, dict) else None
    name = Path(name).name if isinstance(name, str) and name else "thumbnail.jpg"
    picture = clip_folder / name
    if name in ("", ".", "..") or not picture.is_file():
        return ""
    return quote(f"{clip_folder.name}/{name}")


def render_page(entries: list[PageEntry], title: str = DEFAULT_TITLE) -> str:
    """The whole HTML document; every string from a manifest is escaped."""
    cards = "\n".join(_card(entry) for entry in entries)
    count = f"{len(entries)} clip{'s' if len(entries) != 1 else ''} \u00b7 tap to shop"
    csp = html.escape(content_security_policy(), quote=False).replace('"', "&quot;")
    return _PAGE.format(csp=csp, generator=GENERATOR, title=html.escape(title), css=CSS,
                        count=html.escape(count), cards=cards)


def content_security_policy() -> str:
    """No scripts, no network but the page's own images, and only the page's one style block."""
    digest = base64.b64encode(hashlib.sha256(CSS.encode("utf-8")).digest()).decode("ascii")
    return ("default-src 'none'; img-src 'self'; "
            f"style-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'")


def _card(entry: PageEntry) -> str:
    """One clip's list item."""
    href = html.escape(entry.link, quote=True)
    alt = html.escape(entry.title, quote=True)
    picture = (f'<img src="{html.escape(entry.thumbnail, quote=True)}" alt="{alt}" '
               'width="1080" height="1920" loading="lazy">' if entry.thumbnail else "")
    price = f'\n    <p class="price">{html.escape(entry.price)}</p>' if entry.price else ""
    return (f'<li class="clip" data-clip-id="{html.escape(entry.clip_id, quote=True)}">\n'
            f'  <a class="thumb" href="{href}" rel="noopener" tabindex="-1">{picture}</a>\n'
            f'  <div class="info">\n    <h2>{html.escape(entry.title)}</h2>{price}\n'
            f'    <a class="shop" href="{href}" rel="noopener">Shop now</a>\n  </div>\n</li>')


def _check_ours(page: Path) -> None:
    """Refuse to replace an index.html the user made themselves."""
    if page.is_file() and f'content="{GENERATOR}"' not in page.read_text("utf-8", "replace"):
        raise LinkpageError(f"{page}: exists and was not made by `clipcart linkpage`",
                            hint="Move or rename that file, then run linkpage again")


def _write_atomic(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` via a temporary file and a rename."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".part")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp makes it 0600; the page is meant to be served
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _text(value: object) -> str:
    """A manifest value as one line of text ('' for missing or non-text values)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return ""
    return " ".join(str(value).split())


CSS = """\
:root{color-scheme:light dark;--bg:#f3f3f5;--card:#fff;--ink:#141417;--muted:#5c5c66;\
--accent:#141417;--on-accent:#fff;--tile:#dcdce2}
@media (prefers-color-scheme:dark){:root{--bg:#0f0f12;--card:#1c1c21;--ink:#f2f2f5;\
--muted:#a3a3ad;--accent:#f2f2f5;--on-accent:#141417;--tile:#2a2a31}}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.45 system-ui,-apple-system,\
"Segoe UI",Roboto,"Helvetica Neue","Noto Sans","Noto Sans CJK JP",Arial,sans-serif,\
"Apple Color Emoji","Segoe UI Emoji","Noto Color Emoji"}
main{max-width:960px;margin:0 auto;padding:28px 16px calc(32px + env(safe-area-inset-bottom))}
header{text-align:center;margin:0 0 22px}
h1{font-size:1.6rem;line-height:1.2;margin:0 0 4px;letter-spacing:-.01em}
header p{margin:0;color:var(--muted)}
.clips{list-style:none;margin:0;padding:0;display:grid;gap:14px;grid-template-columns:1fr}
@media (min-width:640px){.clips{grid-template-columns:repeat(2,minmax(0,1fr))}}
.clip{display:flex;gap:14px;padding:12px;background:var(--card);border-radius:20px;\
box-shadow:0 1px 2px rgb(0 0 0/.06),0 6px 18px rgb(0 0 0/.06)}
.thumb{flex:0 0 100px;aspect-ratio:9/16;border-radius:14px;overflow:hidden;background:var(--tile)}
.thumb img{display:block;width:100%;height:100%;object-fit:cover}
.info{display:flex;flex-direction:column;flex:1;min-width:0;padding:2px 0}
h2{font-size:1.08rem;line-height:1.3;margin:0 0 6px;overflow-wrap:anywhere;display:-webkit-box;\
-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}
.price{margin:0 0 12px;font-size:1.2rem;font-weight:700;font-variant-numeric:tabular-nums}
.shop{margin-top:auto;display:flex;align-items:center;justify-content:center;min-height:48px;\
padding:0 20px;border-radius:999px;background:var(--accent);color:var(--on-accent);\
font-weight:700;text-decoration:none}
.shop:active{transform:scale(.98)}
a:focus-visible{outline:3px solid #3b82f6;outline-offset:3px}
"""
"""The page's one style block; its SHA-256 is in the CSP, so it must not be edited at run time."""

_PAGE = """\
<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover">
<meta name="referrer" content="strict-origin-when-cross-origin">
<meta name="generator" content="{generator}">
<title>{title}</title>
<style>{css}</style>
</head>
<body>
<main>
<header>
<h1>{title}</h1>
<p>{count}</p>
</header>
<ul class="clips">
{cards}
</ul>
</main>
</body>
</html>
"""
