"""Templates end to end: a real Shopify export makes one clip per template, and they differ.

The slow part makes three clips (bold, minimal, luxe) of the Shopify variant
TRAIL-BTL-24-FOR from the same 8 s 1280x720 footage through the produce_clip
flow. The export's image URLs point at a local HTTP server serving the sample
product picture (no internet in tests), which also exercises the image cache.
The fast part checks that nothing clipcart draws can carry its own name.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import av
import numpy as np
import pytest
from PIL import Image

from pipeline.brand.templates import list_templates
from pipeline.captions.cues import to_ass
from pipeline.core.models import ClipPlan
from pipeline.core.netguard import ALLOW_LOOPBACK_ENV
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.samples import PRODUCT_PNG, make_scene
from pipeline.products.catalog import load_catalog
from pipeline.render.files import RenderFiles
from pipeline.render.graph import render_args
from tests.support.paths import DATA
from tests.support.plans import plan as golden_plan

SHOPIFY_CSV = DATA / "shopify_export.csv"
SHOPIFY_CDN = "https://cdn.shopify.com/s/files/1/0712/3456/7890/files/"
SKU = "TRAIL-BTL-24-FOR"
TEMPLATES = ("bold", "minimal", "luxe")
OWN_NAME = re.compile(r"clip\W*cart", re.IGNORECASE)
CARD_MIN_DIFF = 40.0
"""Least mean absolute difference (0-255, RGB) between two templates' frames over both
card boxes; measured 78-98 (run test_each_template_looks_different with -s)."""
CAPTION_MIN_DIFF = 8.0
"""Least mean absolute difference over both caption bands; measured 15 (minimal/luxe, whose
bands do not overlap, so the text covers a small part of the union) to 97."""


def burned_text(plan: ClipPlan) -> list[str]:
    """Every string the render draws into the picture: card text, QR link, caption events."""
    texts: list[str] = []
    if plan.card is not None:
        card = plan.card
        texts += [card.title, card.price_text, card.compare_at_text, card.cta, card.qr_link]
    events = to_ass(plan.captions, plan.caption_style, plan.width, plan.height)
    texts += [line for line in events.splitlines() if line.startswith("Dialogue:")]
    return texts


def test_templates_carry_no_tool_name() -> None:
    for template in list_templates():
        texts = [template.cta, template.hook, *template.hashtags]
        for platform in template.platforms:
            texts += [template.cta_for(platform), template.hook_for(platform),
                      *template.hashtags_for(platform)]
        assert not [text for text in texts if OWN_NAME.search(text)], template.name


def test_render_draws_only_the_card_and_captions() -> None:
    """No drawtext, no extra picture input: nothing but the card PNG and the ASS captions."""
    plan = golden_plan()
    args = render_args(plan, RenderFiles(card_png="/c.png", ass="/a.ass"), 0.0, "/o.mp4")
    inputs = [args[i + 1] for i, arg in enumerate(args) if arg == "-i"]
    assert inputs[1] == "file:/c.png" and len(inputs) == 3  # footage, card, music
    graph = args[args.index("-filter_complex") + 1]
    assert not re.search(r"drawtext|drawbox|subtitles=|movie=", graph)
    assert graph.count("overlay=") == 1 and len(re.findall(r"(?<![a-z])ass=", graph)) == 1
    assert not [arg for arg in args if OWN_NAME.search(arg)]
    assert not [text for text in burned_text(plan) if OWN_NAME.search(text)]


class _ProductPicture(BaseHTTPRequestHandler):
    """Answers every GET with the sample product PNG (a stand-in for Shopify's CDN)."""

    def do_GET(self) -> None:
        body = PRODUCT_PNG.read_bytes()
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def shopify_catalog(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The committed Shopify export with its image URLs moved to a local server (loopback
    fetching allowed by its documented test-only opt-in)."""
    patch = pytest.MonkeyPatch()
    patch.setenv(ALLOW_LOOPBACK_ENV, "1")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ProductPicture)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    local = f"http://127.0.0.1:{server.server_address[1]}/files/"
    catalog = tmp_path_factory.mktemp("shopify") / "products_export_1.csv"
    catalog.write_text(SHOPIFY_CSV.read_text("utf-8").replace(SHOPIFY_CDN, local), "utf-8")
    yield catalog
    server.shutdown()
    server.server_close()
    patch.undo()


@dataclass(frozen=True)
class Made:
    """One template's clip: its manifest, plan and a frame with card and captions showing."""

    manifest: dict[str, Any]
    plan: ClipPlan
    frame: np.ndarray


@pytest.fixture(scope="module")
def made(shopify_catalog: Path, media_dir: Path,
         tmp_path_factory: pytest.TempPathFactory) -> dict[str, Made]:
    """Three clips of the Shopify variant, one per template, and a shared frame time."""
    from flows.produce import produce_clip

    footage = make_scene(media_dir / "templates_scene.mp4", seconds=8.0, size="1280x720",
                         speech_at_s=0.5, plain=True)
    out = tmp_path_factory.mktemp("templates-e2e")
    manifests = {name: produce_clip(footage, shopify_catalog, SKU, out, name, None)
                 for name in TEMPLATES}
    plans = {name: ClipPlan.model_validate_json(Path(m["outputs"]["plan"]).read_text("utf-8"))
             for name, m in manifests.items()}
    at = frame_time(list(plans.values()))
    return {name: Made(m, plans[name], frame_at(Path(m["outputs"]["video"]), at, out / name))
            for name, m in manifests.items()}


def frame_time(plans: list[ClipPlan]) -> int:
    """A time (ms) when every plan's card is fully in and each shows a caption."""
    cards = [p.card for p in plans if p.card is not None]
    assert len(cards) == len(plans)
    start, end = max(c.start_ms for c in cards) + 700, min(c.end_ms for c in cards) - 300
    for at in range(start, end, 100):
        if all(any(c.start_ms <= at < c.end_ms for c in p.captions) for p in plans):
            return at
    raise AssertionError(f"no time in {start}-{end} ms shows every card and a caption")


def frame_at(video: Path, at_ms: int, stem: Path) -> np.ndarray:
    """The frame at ``at_ms`` as an RGB array (also kept as ``stem``.png)."""
    png = stem.with_suffix(".png")
    run_ffmpeg(["-y", "-v", "error", "-ss", f"{at_ms / 1000:.3f}", "-i", str(video),
                "-frames:v", "1", str(png)])
    with Image.open(png) as image:
        return np.asarray(image.convert("RGB")).astype(np.int16)


def region_diff(a: np.ndarray, b: np.ndarray, boxes: list[tuple[int, int, int, int]]) -> float:
    """Mean absolute RGB difference of ``a`` and ``b`` over the union of ``boxes``."""
    mask = np.zeros(a.shape[:2], dtype=bool)
    for left, top, right, bottom in boxes:
        mask[top:bottom, left:right] = True
    return float(np.abs(a - b)[mask].mean())


@pytest.mark.slow
def test_shopify_variant_makes_a_clip(made: dict[str, Made]) -> None:
    product = load_catalog(SHOPIFY_CSV)[SKU]
    for name, clip in made.items():
        manifest = clip.manifest
        assert manifest["sku"] == SKU and manifest["qc"]["passed"], manifest["qc"]
        # picture fetched, captions present; only the emoji no shipped font draws is noted
        assert len(manifest["warnings"]) == 1, manifest["warnings"]
        assert "cannot draw '🌲'" in manifest["warnings"][0]
        assert manifest["product"]["title"] == "Trailhead Insulated Bottle 🌲 (Forest / 24 oz)"
        card = clip.plan.card
        assert card is not None and card.image and Path(card.image).is_file()
        assert card.title == product.title and "<" not in card.title
        assert card.price_text == "$24.00" and card.compare_at_text == "$32.00"
        link = urlsplit(manifest["links"]["instagram"])
        assert link.path == "/products/trailhead-insulated-bottle"
        query = parse_qs(link.query)
        assert query["utm_campaign"] == [f"{name}-trail-btl-24-for"]
        assert query["utm_content"] == [manifest["clip_id"]]
        assert "$24.00" in manifest["caption_text"]
        assert "#TrailheadGoods" in manifest["caption_text"]
    assert len({clip.manifest["clip_id"] for clip in made.values()}) == 3


@pytest.mark.slow
def test_each_template_looks_different(made: dict[str, Made]) -> None:
    """Pairwise, frames differ clearly where either template puts its card or captions."""
    measured = {}
    at = frame_time([made[name].plan for name in TEMPLATES])  # when the frames were taken
    for i, first in enumerate(TEMPLATES):
        for second in TEMPLATES[i + 1:]:
            a, b = made[first], made[second]
            cards = [card_box(a.plan), card_box(b.plan)]
            captions = [caption_box(a.plan, at), caption_box(b.plan, at)]
            measured[f"{first}/{second}"] = (region_diff(a.frame, b.frame, cards),
                                             region_diff(a.frame, b.frame, captions))
    print(json.dumps(measured))
    for pair, (card_diff, caption_diff) in measured.items():
        assert card_diff > CARD_MIN_DIFF, (pair, card_diff)
        assert caption_diff > CAPTION_MIN_DIFF, (pair, caption_diff)


def card_box(plan: ClipPlan) -> tuple[int, int, int, int]:
    """The card's box on the frame."""
    card = plan.card
    assert card is not None
    return card.x, card.y, card.x + card.width, card.y + card.height


def caption_box(plan: ClipPlan, at_ms: int) -> tuple[int, int, int, int]:
    """Where the plan put the captions on screen at ``at_ms`` (placement moves them off
    the subject, so not always into the template's own band)."""
    box = next(p for p in plan.placements
               if p.overlay == "captions" and p.start_ms <= at_ms < p.end_ms)
    return box.x, box.y, box.x + box.width, box.y + box.height


@pytest.mark.slow
def test_rendered_clips_carry_no_tool_name(made: dict[str, Made]) -> None:
    for clip in made.values():
        assert not [text for text in burned_text(clip.plan) if OWN_NAME.search(text)]
        assert clip.plan.captions and clip.plan.card is not None
        with av.open(clip.manifest["outputs"]["video"]) as container:
            tags = [*container.metadata.values(),
                    *(v for s in container.streams for v in s.metadata.values())]
        assert not [tag for tag in tags if OWN_NAME.search(tag)], tags


@pytest.mark.slow
def test_link_page_lists_the_real_clips(made: dict[str, Made]) -> None:
    from pipeline.ops.linkpage import read_entries, write_linkpage

    folder = Path(made["bold"].manifest["outputs"]["video"]).parents[1]
    page = write_linkpage(folder).read_text("utf-8")
    entries = {entry.clip_id: entry for entry in read_entries(folder)}
    assert set(entries) == {clip.manifest["clip_id"] for clip in made.values()}
    for clip_id, entry in entries.items():
        assert (folder / entry.thumbnail).is_file() and f'src="{entry.thumbnail}"' in page
        assert parse_qs(urlsplit(entry.link).query)["utm_content"] == [clip_id]
