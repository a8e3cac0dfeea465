"""The link-in-bio page: entries from manifests, escaping, links, atomic write, CLI."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from flows.cli import main
from pipeline.ops.linkpage import (
    LinkpageError,
    PageEntry,
    content_security_policy,
    read_entries,
    render_page,
    write_linkpage,
)
from tests.support.linkpage_support import INJECTION, add_clip, sample_clips


class Tags(HTMLParser):
    """Every start tag with its attributes, and the text, of an HTML document."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_entries_newest_first_with_linkpage_links(tmp_path: Path) -> None:
    clips = sample_clips(tmp_path)
    entries = read_entries(tmp_path)
    assert [e.clip_id for e in entries] == list(clips)  # ages 0, 60, 120 s
    for entry in entries:
        query = parse_qs(urlsplit(entry.link).query)
        assert query["utm_source"] == ["linkpage"] and query["variant"] == ["42"]
        assert query["utm_content"] == [entry.clip_id]
        assert query["utm_medium"] == ["social"] and query["utm_campaign"] == ["bold-trail"]
        assert entry.thumbnail == f"{entry.clip_id}/thumbnail.jpg"
    assert entries[1].title == "トレイルヘッド 保温ボトル 500ml 🔥" and entries[1].price == "¥2,400"


def test_page_escapes_catalog_text(tmp_path: Path) -> None:
    sample_clips(tmp_path)
    page = write_linkpage(tmp_path).read_text("utf-8")
    parsed = Tags(page)
    names = [tag for tag, _ in parsed.tags]
    assert "script" not in names
    assert not [a for _, attrs in parsed.tags for a in attrs if a.startswith("on")]
    assert [attrs["src"] for tag, attrs in parsed.tags if tag == "img"] == [
        f"a1b2c3d4e5f6000{i}/thumbnail.jpg" for i in (1, 2, 3)]
    assert INJECTION in "".join(parsed.text) and "<b>$1</b>" in "".join(parsed.text)


def test_page_has_strict_csp_and_no_external_resources(tmp_path: Path) -> None:
    sample_clips(tmp_path)
    page = write_linkpage(tmp_path).read_text("utf-8")
    csp = content_security_policy()
    assert "default-src 'none'" in csp and "script-src" not in csp and "unsafe" not in csp
    assert f'content="{csp}"' in page
    hrefs = re.findall(r'(?:href|src)="([^"]*)"', page)
    assert hrefs and all(h.startswith("https://shop.example.com/") or not re.match(r"\w+:", h)
                         for h in hrefs)
    assert "@import" not in page and "url(" not in page


def test_attribute_injection_is_escaped() -> None:
    entry = PageEntry(clip_id='x" onmouseover="alert(1)', title='"><svg onload=alert(1)>',
                      price="$1", link="https://shop.example.com/?a=1&b=\"'", thumbnail="")
    parsed = Tags(render_page([entry], title="<i>Me</i>"))
    assert not [a for _, attrs in parsed.tags for a in attrs if a.startswith("on")]
    assert {tag for tag, _ in parsed.tags} == {
        "html", "head", "meta", "title", "style", "body", "main", "header", "h1", "p", "ul",
        "li", "a", "div", "h2"}
    item = next(attrs for tag, attrs in parsed.tags if tag == "li")
    assert item["data-clip-id"] == 'x" onmouseover="alert(1)'
    assert [attrs["href"] for tag, attrs in parsed.tags if tag == "a"] == [entry.link] * 2


def test_missing_thumbnail_and_product(tmp_path: Path) -> None:
    data = add_clip(tmp_path, "c1", "Bottle", "$5", thumbnail=False)
    del data["product"]
    (tmp_path / "c1" / "manifest.json").write_text(json.dumps(data), "utf-8")
    [entry] = read_entries(tmp_path)
    assert entry.thumbnail == "" and entry.title == "TRAIL-BOTTLE-24" and entry.price == ""
    assert "<img" not in write_linkpage(tmp_path).read_text("utf-8")


def test_moved_folder_and_odd_names_use_relative_thumbnail(tmp_path: Path) -> None:
    add_clip(tmp_path, "clip #1 ü", "Bottle", "$5")
    [entry] = read_entries(tmp_path)
    assert entry.thumbnail == "clip%20%231%20%C3%BC/thumbnail.jpg"


def test_skips_hidden_partial_folders_and_loose_files(tmp_path: Path) -> None:
    add_clip(tmp_path, "c1", "Bottle", "$5")
    add_clip(tmp_path, ".c2.partial", "Half made", "$5")
    (tmp_path / "notes.txt").write_text("x")
    assert [e.clip_id for e in read_entries(tmp_path)] == ["c1"]


def test_rewrite_replaces_own_page_atomically(tmp_path: Path) -> None:
    add_clip(tmp_path, "c1", "Bottle", "$5")
    first = write_linkpage(tmp_path)
    add_clip(tmp_path, "c2", "Mug", "$7")
    second = write_linkpage(tmp_path, title="My picks")
    assert first == second == tmp_path / "index.html"
    page = second.read_text("utf-8")
    assert "Mug" in page and "<h1>My picks</h1>" in page
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c1", "c2", "index.html"]
    assert oct(second.stat().st_mode & 0o777) == "0o644"


def test_keeps_users_own_index_html(tmp_path: Path) -> None:
    add_clip(tmp_path, "c1", "Bottle", "$5")
    (tmp_path / "index.html").write_text("<p>mine</p>")
    with pytest.raises(LinkpageError, match="not made by"):
        write_linkpage(tmp_path)
    assert (tmp_path / "index.html").read_text() == "<p>mine</p>"


@pytest.mark.parametrize(("change", "message"), [
    (lambda p: p.write_text("{not json"), "not a readable manifest"),
    (lambda p: p.write_text("[1]"), "expected a JSON object"),
    (lambda p: p.write_text(json.dumps({"clip_id": "c1"})), "field 'links' is missing"),
    (lambda p: p.write_text(json.dumps({"links": {"snap": "https://x.example"}})),
     "has none of instagram"),
    (lambda p: p.write_text(json.dumps({"links": {"instagram": "javascript:alert(1)"}})),
     r"field 'links.instagram'.*not an http\(s\) URL"),
])
def test_bad_manifest_names_file_and_field(tmp_path: Path, change: object, message: str) -> None:
    add_clip(tmp_path, "c1", "Bottle", "$5")
    change(tmp_path / "c1" / "manifest.json")  # type: ignore[operator]
    with pytest.raises(LinkpageError, match=message) as info:
        write_linkpage(tmp_path)
    assert str(tmp_path / "c1" / "manifest.json") in info.value.one_line()
    assert not (tmp_path / "index.html").exists()


def test_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sample_clips(tmp_path)
    assert main(["linkpage", str(tmp_path), "--title", "Shop Anna's picks"]) == 0
    assert capsys.readouterr().out.strip() == str((tmp_path / "index.html").resolve())
    assert "<h1>Shop Anna&#x27;s picks</h1>" in (tmp_path / "index.html").read_text("utf-8")


@pytest.mark.parametrize("kind", ["missing", "empty"])
def test_cli_bad_folder_exits_2(tmp_path: Path, kind: str,
                                capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "nope" if kind == "missing" else tmp_path
    assert main(["linkpage", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("clipcart: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
