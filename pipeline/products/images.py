"""Product images: local files or http(s) URLs, verified with Pillow and cached.

Nothing here raises for a bad image: a clip without a product picture is still a
clip, so every failure becomes a warning and ``None``. Downloads go through
``netguard.GuardedTransport``: public hosts only (every redirect hop checked), one
total deadline per image and a size cap.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
import time
import warnings as pywarnings
from pathlib import Path

import httpx
from PIL import Image

from pipeline.core.digest import file_digest
from pipeline.core.home import home_subdir
from pipeline.core.netguard import GuardedTransport, Resolver
from pipeline.core.safe_text import excerpt
from pipeline.products.catalog import is_url

MAX_BYTES = 15 * 1024 * 1024
"""Largest image download accepted, in bytes."""
MAX_PIXELS = 40_000_000
"""Largest image accepted, in pixels (guards against decompression bombs)."""
TIMEOUT_S = 5.0
"""Longest wait for one network step (connect, one read), in seconds."""
DEADLINE_S = 20.0
"""Longest a whole image download may take, redirects included, in seconds."""
MAX_REDIRECTS = 5


def resolve_image(ref: str, warnings: list[str], *,
                  transport: httpx.BaseTransport | None = None,
                  resolver: Resolver | None = None) -> Path | None:
    """A verified local image for ``ref`` (a path or http(s) URL), or None with a warning.

    ``transport`` and ``resolver`` replace the network and DNS (tests).
    """
    if not ref:
        return None
    if is_url(ref):
        path = _fetch(ref, warnings, GuardedTransport(
            deadline_s=DEADLINE_S, read_timeout_s=TIMEOUT_S, inner=transport, resolver=resolver))
        if path is None:
            return None
    else:
        path = Path(ref).expanduser()
        if not path.is_file():
            warnings.append(f"product image {excerpt(ref)} does not exist; "
                            "the card has no picture")
            return None
    problem = verify_image(path)
    if problem:
        warnings.append(f"product image {excerpt(ref)} is unusable ({excerpt(problem)}); "
                        "the card has no picture")
        return None
    return path


def image_identity(ref: str) -> str:
    """What a product image contributes to a clip id: a URL as written, a local file by
    its bytes (so the same catalog in another folder gives the same id), or 'missing'."""
    if not ref or is_url(ref):
        return ref
    path = Path(ref).expanduser()
    return f"sha256:{file_digest(path)}" if path.is_file() else f"missing:{path.name}"


def verify_image(path: Path) -> str:
    """'' when Pillow can fully decode ``path`` within the pixel limit, else the reason.

    The size is checked from the header before decoding; Pillow's own bomb guard
    (error or warning) is caught too. Pillow's global limit is left alone so this
    is safe to call from threads.
    """
    try:
        with pywarnings.catch_warnings():
            pywarnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                if image.width * image.height > MAX_PIXELS:
                    return f"{image.width}x{image.height} is too many pixels"
                image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        return "image too large (possible decompression bomb)"
    except (OSError, ValueError, SyntaxError) as exc:
        return f"not a readable image: {exc}"
    return ""


def cached_path(url: str) -> Path:
    """Where the download of ``url`` is cached (by SHA-256 of the URL)."""
    digest = hashlib.sha256(url.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return home_subdir("images") / digest


def _fetch(url: str, warnings: list[str], transport: GuardedTransport) -> Path | None:
    """Download ``url`` into the cache (once); None with a warning on any failure."""
    target = cached_path(url)
    if target.is_file() and target.stat().st_size > 0:
        return target
    try:
        data = _download(url, transport)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        warnings.append(f"could not download product image {excerpt(url)} "
                        f"({excerpt(str(exc), 120)}); the card has no picture")
        return None
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=".part")
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.replace(tmp, target)
    return target


def _download(url: str, transport: GuardedTransport) -> bytes:
    """The body of ``url``; ValueError when it is not 2xx or larger than MAX_BYTES."""
    with httpx.Client(timeout=TIMEOUT_S, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                      transport=transport) as client, \
            client.stream("GET", url) as response:
        if response.status_code >= 400:
            raise ValueError(f"HTTP {response.status_code}")
        declared = int(response.headers.get("content-length") or 0)
        if declared > MAX_BYTES:
            raise ValueError(f"{declared} bytes is over the {MAX_BYTES} byte limit")
        chunks: list[bytes] = []
        total = 0
        for chunk in response.iter_bytes():
            if time.monotonic() > transport.deadline:
                raise ValueError(f"took longer than {DEADLINE_S:g} s")
            total += len(chunk)
            if total > MAX_BYTES:
                raise ValueError(f"over the {MAX_BYTES} byte limit")
            chunks.append(chunk)
    return b"".join(chunks)
