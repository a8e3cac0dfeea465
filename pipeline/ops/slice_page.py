"""OUT/slice.html: the slice report as a page a person reads (thumbnails, times, why).

The same data as OUT/slice.json; every string is escaped, and the page runs no
script and loads nothing but the clips' own thumbnails (relative paths).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import quote

CSS = """body{font:15px/1.4 system-ui,sans-serif;margin:24px;color:#141417;background:#f3f3f5}
h1{font-size:22px}h2{font-size:17px;margin-top:28px}.meta{color:#5c5c66}
table{border-collapse:collapse;background:#fff;width:100%}
td,th{padding:8px 10px;border-bottom:1px solid #e4e4ea;text-align:left;vertical-align:top}
th{font-size:13px;color:#5c5c66}img{width:54px;border-radius:6px}.warn{color:#a3401a}
code{font-size:13px}"""


def render_report(reports: Sequence[dict[str, Any]], out_dir: Path) -> str:
    """The whole page for the recordings of ``OUT/slice.json``."""
    sections = "\n".join(_section(r, out_dir) for r in reports)
    return (f"<!doctype html><html lang=en><head><meta charset=utf-8>"
            f"<meta name=viewport content='width=device-width,initial-scale=1'>"
            f"<meta http-equiv=Content-Security-Policy content=\"default-src 'none'; "
            f"img-src 'self'; style-src 'unsafe-inline'\">"
            f"<title>Slice report</title><style>{CSS}</style></head><body>"
            f"<h1>Slice report</h1>{sections}</body></html>\n")


def _section(report: dict[str, Any], out_dir: Path) -> str:
    e = html.escape
    name = Path(str(report.get("recording", ""))).name
    minutes = int(report.get("speech_ms", 0)) // 60000
    meta = (f"{len(report.get('pitches', []))} pitches · {report.get('catalog_names', 0)} "
            f"catalog names · {minutes} min of speech")
    warnings = "".join(f"<p class=warn>{e(str(w))}</p>" for w in report.get("warnings", []))
    message = f"<p>{e(str(report['message']))}</p>" if report.get("message") else ""
    rows = "".join(_row(p, out_dir) for p in report.get("pitches", []))
    table = ("<table><tr><th></th><th>product</th><th>where</th><th>score</th>"
             f"<th>clip id</th><th>why</th></tr>{rows}</table>") if rows else ""
    return f"<h2>{e(name)}</h2><p class=meta>{e(meta)}</p>{warnings}{message}{table}"


def _row(pitch: dict[str, Any], out_dir: Path) -> str:
    e = html.escape
    clip = str(pitch.get("clip_id", ""))
    thumb = out_dir / clip / "thumbnail.jpg"
    img = f"<img alt='' src='{quote(clip)}/thumbnail.jpg'>" if clip and thumb.is_file() else ""
    why = "<br>".join(e(str(w)) for w in pitch.get("why", []))
    return (f"<tr><td>{img}</td><td>{e(str(pitch.get('title', '')))}<br>"
            f"<code>{e(str(pitch.get('sku', '')))}</code></td>"
            f"<td>{e(str(pitch.get('where', '')))}</td><td>{float(pitch.get('score', 0)):.1f}"
            f"</td><td><code>{e(clip)}</code></td><td>{why}</td></tr>")
