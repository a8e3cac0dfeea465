"""The loop end to end, in-process: short links → publish → stats → a click → report.

Real sandbox HTTP server, real short-link server, real SQLite ledger database; the
clips are fake MP4 folders (rendering is tested elsewhere).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer
from typer.testing import CliRunner

from flows import loop_cli, publish_cli
from flows.links_server import LinksHandle, start_links
from flows.produce import counted
from pipeline.core.errors import ClipcartError
from pipeline.products.links import tag_link
from sandbox.server import SandboxHandle, start_sandbox
from tests.support.publish_support import fake_mp4, fast_sandbox_config

SHOP = "https://shop.example.com/p/serum?ref=1"


def run(*args: str) -> tuple[int, str]:
    """Like the main CLI: a ClipcartError becomes one line and its exit code."""
    app = typer.Typer()
    publish_cli.register(app)
    loop_cli.register(app)
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    if isinstance(result.exception, ClipcartError):
        return result.exception.exit_code, result.exception.one_line()
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("CLIPCART_HOME", str(home))
    return home


@pytest.fixture
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox(seed=5, config=fast_sandbox_config(metrics_hour_s=60.0)) as handle:
        yield handle


@pytest.fixture
def links(home: Path) -> Iterator[LinksHandle]:
    with start_links() as handle:
        yield handle


def clip_folder(out: Path, clip_id: str, variant: str) -> Path:
    """A clip folder as make writes it: clip.mp4 and a manifest with tagged links."""
    folder = out / clip_id
    folder.mkdir(parents=True)
    fake_mp4(folder / "clip.mp4", 4000, seed=len(clip_id) + ord(variant))
    urls = {p: tag_link(SHOP, source=p, medium="social", campaign="serum-1", content=clip_id)
            for p in ("tiktok", "tiktok-shop", "instagram", "youtube")}
    manifest = {
        "clip_id": clip_id, "sku": "SERUM-1", "template": "bold", "variant": variant,
        "links": urls, "caption_text": f"Glow serum\nShop: {urls['tiktok']}",
        "captions": {**{p: f"Glow serum\nShop: {u}" for p, u in urls.items()},
                     "douyin": "Glow serum, shop in the bio"},
        "product": {"title": "Glow serum", "price": "$12", "tiktok_product_id": "1729",
                    "instagram_product_id": "55"},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), "utf-8")
    return folder


def test_published_clips_earn_views_and_a_counted_click(
    home: Path, tmp_path: Path, sandbox: SandboxHandle, links: LinksHandle
) -> None:
    (home / "publishing.yaml").write_text(f"links:\n  base_url: {links.base_url}/\n", "utf-8")
    ledger = f"sqlite:///{home / 'ledger.db'}"
    folders = [clip_folder(tmp_path / "out", cid, v) for cid, v in (("clipa", "a"),
                                                                     ("clipb", "b"))]
    manifests = [counted(json.loads((f / "manifest.json").read_text()), f.parent)
                 for f in folders]
    short = manifests[0]["short_links"]
    assert set(short) == {"tiktok", "tiktok-shop", "instagram", "youtube", "linkpage"}
    assert short["tiktok"].startswith(f"{links.base_url}/l/")
    assert short["tiktok"] in manifests[0]["caption_text"]
    assert SHOP not in manifests[0]["captions"]["youtube"].split("Shop: ")[1]
    for folder in folders:
        for platform in ("tiktok", "youtube"):
            code, said = run("publish", str(folder), "--platform", platform,
                             "--sandbox", sandbox.base_url, "--ledger", ledger)
            assert code == 0, said
    assert any(short["tiktok"] in p["title"] for p in sandbox.posts())
    code, said = run("publish", str(folders[0]), "--platform", "douyin",
                     "--sandbox", sandbox.base_url, "--ledger", ledger)
    assert code == 0, said

    code, said = run("stats", "--sandbox", sandbox.base_url, "--ledger", ledger, "--json")
    assert code == 0, said
    snapshots = json.loads(said)
    assert len(snapshots) == 5 and all(s["views"] > 0 for s in snapshots)
    douyin = next(s for s in snapshots if s["platform"] == "douyin")
    assert (douyin["clip_id"], douyin["variant"]) == ("clipa", "a") and douyin["likes"] >= 0

    answer = httpx.get(f"{short['tiktok']}?src=bio", follow_redirects=False,
                       headers={"User-Agent": "Secret-UA/1.0", "Referer": "https://x.test/p?q=1"})
    assert answer.status_code == 302
    assert answer.headers["location"] == manifests[0]["links"]["tiktok"]
    assert httpx.head(short["tiktok"]).status_code == 302  # previews are not counted
    assert httpx.get(f"{links.base_url}/l/aaaaaaaaaa").status_code == 404

    code, said = run("report", "--json", "--ledger", ledger, "--html",
                     str(tmp_path / "report.html"))
    assert code == 0, said
    rows = {(r["clip_id"], r["platform"]): r for r in json.loads(said)["rows"]}
    clicked = rows[("clipa", "tiktok")]
    assert clicked["clicks"] == 1 and clicked["views"] > 0
    assert clicked["ctr"] == pytest.approx(1 / clicked["views"], abs=5e-7)  # 6 places
    assert 0 < clicked["ctr_low"] < clicked["ctr"] < clicked["ctr_high"] < 1
    assert (clicked["sku"], clicked["template"], clicked["variant"]) == ("SERUM-1", "bold", "a")
    assert rows[("clipb", "tiktok")]["clicks"] == 0
    assert rows[("clipa", "douyin")]["views"] == douyin["views"]
    assert set(json.loads(said)) == {"rows"}
    assert "<svg" in (tmp_path / "report.html").read_text("utf-8")

    database = sqlite3.connect(home / "ledger.db")
    columns = [c[1] for c in database.execute("PRAGMA table_info(link_clicks)")]
    stored = database.execute("SELECT * FROM link_clicks").fetchall()
    database.close()
    assert columns == ["id", "code", "clip_id", "platform", "source", "clicked_at"]
    assert len(stored) == 1 and stored[0][4] == "bio"
    assert "Secret-UA" not in repr(stored) and "127.0.0.1" not in repr(stored)


@pytest.mark.parametrize(("args", "message"), [
    (["report", "--since", "yesterday"], "--since 'yesterday' is not a date"),
    (["report", "--html", "/nonexistent-dir/r.html"], "does not exist"),
    (["links", "serve", "--port", "70000"], "is not a TCP port"),
])
def test_bad_input_is_one_line_and_exit_2(home: Path, args: list[str], message: str) -> None:
    code, said = run(*args)
    assert code == 2 and message in said and "\n" not in said


def test_bad_base_url_is_bad_input(home: Path, tmp_path: Path) -> None:
    (home / "publishing.yaml").write_text("links:\n  base_url: ftp://nope\n", "utf-8")
    folder = clip_folder(tmp_path / "out", "clipc", "a")
    with pytest.raises(ClipcartError, match=r"links\.base_url") as caught:
        counted(json.loads((folder / "manifest.json").read_text()), folder.parent)
    assert caught.value.exit_code == 2
