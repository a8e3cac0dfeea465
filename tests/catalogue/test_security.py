"""Secrets stay secret; the sandbox refuses callers without a valid token.

A publish run through the real sandbox, with faults injected so error paths are
logged too, on all four platforms and through the CLI. Then everything that run
produced (stdout, stderr, every log record at DEBUG, the ledger database, files
under the clip folder and CLIPCART_HOME) is scanned for every credential string.

The link page's escaping of catalog text (script injection in headless Chromium)
is covered by the link-page helper's tests (tests/test_linkpage*.py), not repeated here.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pipeline.publish.tiktok.client import ChunkRule
from sandbox.server import SandboxHandle, start_sandbox
from tests.catalogue.support import cli
from tests.support.publish_support import fake_mp4, fast_sandbox_config


@pytest.fixture(scope="module")
def faulty_sandbox() -> Iterator[SandboxHandle]:
    config = fast_sandbox_config(chunk_rule=ChunkRule())
    with start_sandbox(config=config, faults="5xx=0.15,drop=0.1", seed=7) as handle:
        yield handle


def _secrets(sandbox: SandboxHandle) -> list[str]:
    creds = httpx.get(f"{sandbox.base_url}/_sandbox/credentials").json()
    found = [value for platform in creds.values() for key, value in platform.items()
             if key not in ("client_key", "app_key", "ig_user_id")]
    assert len(found) >= 6
    return found


def _clip_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "clip-abc"
    folder.mkdir()
    fake_mp4(folder / "clip.mp4", 300_000, seed=3)
    manifest = {"clip_id": "clip-abc", "sku": "MUG-1", "caption_text": "Camp mug #ad",
                "product": {"tiktok_product_id": "1729", "instagram_product_id": "55"}}
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    return folder


def _produced(*roots: Path) -> bytes:
    return b"\n".join(p.read_bytes() for root in roots for p in sorted(root.rglob("*"))
                      if p.is_file())


def test_tokens_never_appear_in_logs_ledger_or_files(
        capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture, tmp_path: Path,
        faulty_sandbox: SandboxHandle) -> None:
    folder = _clip_dir(tmp_path)
    ledger = tmp_path / "ledger.db"
    caplog.set_level(logging.DEBUG)
    printed = []
    for platform in ("tiktok", "tiktok-shop", "instagram", "youtube"):
        result = cli(capsys, "publish", folder, "--platform", platform,
                     "--sandbox", faulty_sandbox.base_url, "--ledger", f"sqlite:///{ledger}")
        printed.append(result.out + result.err)
    status = cli(capsys, "publish", "--status", "--ledger", f"sqlite:///{ledger}")
    assert sum("published" in text for text in printed) >= 2, printed
    everything = "\n".join([*printed, status.out, status.err, caplog.text]).encode()
    everything += _produced(tmp_path, Path(os.environ["CLIPCART_HOME"]))
    leaked = [s for s in _secrets(faulty_sandbox) if s.encode() in everything]
    assert leaked == []


@pytest.mark.parametrize("header", [None, "Bearer nope", "Bearer sbx-tiktok-00000000000000000000",
                                    "Basic c2J4OnNieA=="])
@pytest.mark.parametrize("path", ["/v2/post/publish/creator_info/query/",
                                  "/v2/post/publish/video/init/"])
def test_sandbox_refuses_requests_without_a_valid_token(header: str | None, path: str) -> None:
    with start_sandbox(config=fast_sandbox_config()) as sandbox:
        headers = {"Authorization": header} if header else {}
        response = httpx.post(f"{sandbox.base_url}{path}", headers=headers, json={})
        assert response.status_code == 401
        assert sandbox.posts() == []


@pytest.mark.parametrize(("platform", "path"), [
    ("youtube", "/upload/youtube/v3/videos?uploadType=resumable&part=snippet,status"),
    ("instagram", "/v25.0/178/media"),
])
def test_other_platforms_refuse_a_tiktok_token(platform: str, path: str) -> None:
    with start_sandbox(config=fast_sandbox_config()) as sandbox:
        wrong = sandbox.tokens["tiktok"]
        response = httpx.post(f"{sandbox.base_url}{path}", json={},
                              headers={"Authorization": f"Bearer {wrong}"},
                              params={"access_token": wrong} if platform == "instagram" else {})
        assert response.status_code in (400, 401, 403), response.text
        assert sandbox.posts() == []


def test_artifact_markdown_shows_hostile_data_as_text() -> None:
    """SKUs, titles and errors from users' files never become markup in Prefect's UI."""
    from flows.markdown import md_text

    hostile = "X|Y ![pwn](http://127.0.0.1/x.png) <img src=x onerror=alert(1)>\n# head\x1b[31m"
    shown = md_text(hostile)
    assert "\n" not in shown and "\x1b" not in shown
    assert re.search(r"(?<!\\)[<>!\[\]()|#]", shown) is None  # every special is escaped
    assert md_text("a" * 1000).endswith("\u2026") and len(md_text("a" * 1000)) == 160
