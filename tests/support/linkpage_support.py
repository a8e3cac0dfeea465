"""Clip folders for link-page tests: manifests shaped like `clipcart make` writes them.

Thumbnails are small solid-colour JPEGs drawn with Pillow (no render needed).
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

from PIL import Image

INJECTION = "<img src=x onerror=alert(1)><script>document.title='pwned'</script>"
THUMB_RGB = (224, 48, 112)
"""The thumbnails' colour, easy to find in a screenshot."""


def manifest(clip_id: str, title: str, price: str, folder: Path,
             url: str = "https://shop.example.com/products/trailhead-bottle?variant=42"
             ) -> dict[str, Any]:
    """A manifest with the keys the link page reads, as produce.manifest_for writes them."""
    links = {platform: f"{url}&utm_source={source}&utm_medium=social"
                       f"&utm_campaign=bold-trail&utm_content={quote_plus(clip_id)}"
             for platform, source in (("tiktok", "tiktok"), ("tiktok-shop", "tiktok_shop"),
                                      ("instagram", "instagram"), ("youtube", "youtube"))}
    return {"clip_id": clip_id, "sku": "TRAIL-BOTTLE-24", "links": links,
            "caption_text": f"{title} - {price}",
            "outputs": {"thumbnail": str((folder / "thumbnail.jpg").resolve())},
            "product": {"sku": "TRAIL-BOTTLE-24", "title": title, "price": price}}


def add_clip(root: Path, clip_id: str, title: str, price: str, *, age_s: int = 0,
             thumbnail: bool = True) -> dict[str, Any]:
    """Write ``root/<clip_id>/`` with manifest.json (and thumbnail.jpg); returns the manifest."""
    folder = root / clip_id
    folder.mkdir(parents=True)
    data = manifest(clip_id, title, price, folder)
    if thumbnail:
        Image.new("RGB", (108, 192), THUMB_RGB).save(folder / "thumbnail.jpg", quality=95)
    path = folder / "manifest.json"
    path.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    stamp = 1_700_000_000 - age_s
    os.utime(path, (stamp, stamp))
    return data


def sample_clips(root: Path) -> dict[str, dict[str, Any]]:
    """Three clips: plain, CJK with emoji, and a script-injection title; by clip id."""
    clips = [("a1b2c3d4e5f60001", "Trailhead Insulated Bottle", "$24.00"),
             ("a1b2c3d4e5f60002", "トレイルヘッド 保温ボトル 500ml 🔥", "¥2,400"),
             ("a1b2c3d4e5f60003", INJECTION, "<b>$1</b>")]
    return {cid: add_clip(root, cid, title, price, age_s=i * 60)
            for i, (cid, title, price) in enumerate(clips)}
