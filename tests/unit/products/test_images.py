"""Product images: local or downloaded, verified, cached; failures are warnings."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from PIL import Image

from pipeline.products.images import MAX_BYTES, resolve_image
from tests.catalogue.support import PUBLIC_DNS


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CLIPCART_HOME in tmp_path so the image cache starts empty."""
    monkeypatch.setenv("CLIPCART_HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def png_bytes(tmp_path: Path) -> bytes:
    """A small valid PNG."""
    path = tmp_path / "p.png"
    Image.new("RGBA", (20, 10), (255, 0, 0, 255)).save(path)
    return path.read_bytes()


def test_local_image(tmp_path: Path) -> None:
    path = tmp_path / "ok.png"
    path.write_bytes(png_bytes(tmp_path))
    warnings: list[str] = []
    assert resolve_image(str(path), warnings) == path and warnings == []


def test_missing_and_corrupt_local(tmp_path: Path) -> None:
    warnings: list[str] = []
    assert resolve_image(str(tmp_path / "none.png"), warnings) is None
    bad = tmp_path / "bad.png"
    bad.write_bytes(b"not an image")
    assert resolve_image(str(bad), warnings) is None
    assert len(warnings) == 2 and "does not exist" in warnings[0]
    assert "unusable" in warnings[1]


def test_decompression_bomb(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.png"
    Image.new("1", (8000, 6000)).save(bomb)
    warnings: list[str] = []
    assert resolve_image(str(bomb), warnings) is None
    assert "too many pixels" in warnings[0]


def test_url_downloaded_once_and_cached(tmp_path: Path, home: Path) -> None:
    body = png_bytes(tmp_path)
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, content=body)

    transport = httpx.MockTransport(handler)
    warnings: list[str] = []
    url = "https://cdn.example.com/a.png"
    first = resolve_image(url, warnings, transport=transport, resolver=PUBLIC_DNS)
    second = resolve_image(url, warnings, transport=transport, resolver=PUBLIC_DNS)
    assert first is not None and first == second and first.is_relative_to(home)
    assert len(calls) == 1 and warnings == []


@pytest.mark.parametrize(("response", "expect"), [
    (httpx.Response(404), "HTTP 404"),
    (httpx.Response(200, headers={"content-length": str(MAX_BYTES + 1)}, content=b""), "limit"),
    (httpx.Response(200, content=b"<html>nope</html>"), "unusable"),
])
def test_url_failures_warn(response: httpx.Response, expect: str) -> None:
    transport = httpx.MockTransport(lambda request: response)
    warnings: list[str] = []
    assert resolve_image("https://cdn.example.com/x.png", warnings, transport=transport,
                         resolver=PUBLIC_DNS) is None
    assert expect in warnings[0]


def test_network_error_warns() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("timed out", request=request)

    warnings: list[str] = []
    assert resolve_image("https://cdn.example.com/y.png", warnings,
                         transport=httpx.MockTransport(handler), resolver=PUBLIC_DNS) is None
    assert "could not download" in warnings[0]
