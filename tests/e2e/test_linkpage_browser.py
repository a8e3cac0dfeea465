"""The link page in a real browser: headless Chromium (Debian package ``chromium``).

Chromium loads the page from file://, which is how it runs the page's CSP and
would run any script that escaped: the dumped DOM shows the result. Skipped when
chromium is not installed (.ci/run installs it).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pytest
from PIL import Image

from pipeline.ops.linkpage import write_linkpage
from tests.support.linkpage_support import INJECTION, THUMB_RGB, sample_clips

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed "
                                "(apt-get install chromium; .ci/run does)")
PHONE = (390, 844)
"""iPhone 12-15 viewport in CSS pixels."""


def chromium(page: Path, profile: Path, *args: str) -> str:
    """Run headless Chromium on ``page`` with ``args``; its stdout."""
    assert CHROMIUM is not None
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
         "--no-first-run", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--hide-scrollbars", f"--user-data-dir={profile}",
         f"--window-size={PHONE[0]},{PHONE[1]}", *args, page.as_uri()],
        capture_output=True, text=True, timeout=90, check=False)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout


class Dom(HTMLParser):
    """The dumped DOM: its title, each element's tag and attributes, and its text."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.texts: list[str] = []
        self._in_title = False
        self.title = ""
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.texts.append(data)
        if self._in_title:
            self.title += data

    def all(self, tag: str) -> list[dict[str, str | None]]:
        """Attributes of every ``tag`` element, in document order."""
        return [attrs for name, attrs in self.elements if name == tag]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, dict[str, object]]]:
    """A folder with three clips (plain, CJK + emoji, script injection) and its page."""
    root = tmp_path_factory.mktemp("linkpage")
    clips = sample_clips(root)
    write_linkpage(root, title="Shop my clips")
    return root / "index.html", clips


@pytest.fixture(scope="module")
def dump(site: tuple[Path, dict[str, dict[str, object]]],
         tmp_path_factory: pytest.TempPathFactory) -> Dom:
    profile = tmp_path_factory.mktemp("chromium-profile")
    return Dom(chromium(site[0], profile, "--dump-dom"))


def test_links_match_manifests(dump: Dom, site: tuple[Path, dict[str, dict[str, object]]]
                               ) -> None:
    clips = site[1]
    items = dump.all("li")
    assert [item["data-clip-id"] for item in items] == list(clips)
    anchors = dump.all("a")
    assert len(anchors) == 2 * len(clips)  # thumbnail and shop button per clip
    for index, clip_id in enumerate(clips):
        links = clips[clip_id]["links"]
        assert isinstance(links, dict)
        expected = parse_qs(urlsplit(links["instagram"]).query)
        expected["utm_source"] = ["linkpage"]
        for anchor in anchors[2 * index: 2 * index + 2]:
            href = anchor["href"] or ""
            parts = urlsplit(href)
            assert href.startswith("https://shop.example.com/products/trailhead-bottle?")
            assert parse_qs(parts.query) == expected
            assert parse_qs(parts.query)["utm_content"] == [clip_id]


def test_injected_title_is_text_and_never_runs(dump: Dom) -> None:
    assert dump.title == "Shop my clips"  # the injected script would set 'pwned'
    assert dump.all("script") == []
    images = dump.all("img")
    assert len(images) == 3 and all(img["src"] and img["src"].endswith("/thumbnail.jpg")
                                    for img in images)
    assert not [name for _, attrs in dump.elements for name in attrs if name.startswith("on")]
    assert INJECTION in dump.texts
    assert INJECTION in [img["alt"] for img in images]


def test_harness_would_see_a_script_run(tmp_path: Path) -> None:
    """The same Chromium call does run scripts and handlers on a page without escaping or CSP.

    (alert() is swapped for a DOM change: a dialog would block headless Chromium.)
    """
    injection = INJECTION.replace("alert(1)", "document.body.dataset.ran='yes'")
    page = tmp_path / "unsafe.html"
    page.write_text(f"<!doctype html><title>Shop</title><body><h2>{injection}</h2>", "utf-8")
    dom = Dom(chromium(page, tmp_path / "profile", "--dump-dom"))
    assert dom.title == "pwned" and dom.all("script")
    assert dom.all("body") == [{"data-ran": "yes"}]


def test_screenshot_on_a_phone(site: tuple[Path, dict[str, dict[str, object]]],
                               tmp_path: Path) -> None:
    shot = tmp_path / "phone.png"  # CLIPCART_SHOTS=DIR keeps a copy to look at
    chromium(site[0], tmp_path / "profile", f"--screenshot={shot}")
    if os.environ.get("CLIPCART_SHOTS"):
        shutil.copy(shot, Path(os.environ["CLIPCART_SHOTS"]) / "linkpage-phone.png")
    with Image.open(shot) as image:
        assert image.size == PHONE
        pixels = np.asarray(image.convert("RGB")).astype(int)

    def near(rgb: tuple[int, int, int]) -> np.ndarray:
        return np.abs(pixels - np.array(rgb)).sum(axis=2) < 30

    # thumbnails loaded under the CSP: 100 px wide tiles of 9:16 in the thumbnails' colour
    thumb_rows = np.flatnonzero(near(THUMB_RGB).sum(axis=1) >= 90)
    assert thumb_rows.size >= 2 * 170
    # shop buttons: wide dark pills at least 44 px tall (a comfortable tap target); text in
    # the same ink makes only short runs of rows
    dark_rows = np.flatnonzero(near((20, 20, 23)).sum(axis=1) >= 120)
    runs = np.split(dark_rows, np.flatnonzero(np.diff(dark_rows) > 1) + 1)
    assert [len(run) >= 44 for run in runs if len(run) >= 20] == [True] * 3
