"""Helpers shared by the fault catalogue: run the CLI in-process, read its one
error line, and prove the user's files were left exactly as they were."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from flows.cli import main
from pipeline.media.ffmpeg import run_ffmpeg
from pipeline.media.samples import CATALOG_CSV, DEMO_SKU

SKU = DEMO_SKU


def PUBLIC_DNS(host: str, port: int) -> list[str]:
    """A resolver answering a public documentation-free address for every name."""
    return ["93.184.215.14"]


@dataclass(frozen=True)
class Result:
    """What one in-process CLI run returned and printed."""

    code: int
    out: str
    err: str

    def error_line(self) -> str:
        """The single stderr line of a rejection; fails on tracebacks or several lines."""
        lines = [line for line in self.err.splitlines() if line.strip()]
        assert "Traceback" not in self.err, self.err
        assert len(lines) == 1, self.err
        assert lines[0].startswith("clipcart: "), lines[0]
        return lines[0]

    def manifest(self) -> dict[str, Any]:
        """The manifest printed by ``make --json``."""
        assert self.code == 0, self.err
        data: dict[str, Any] = json.loads(self.out)
        return data


def cli(capsys: pytest.CaptureFixture[str], *argv: str | Path) -> Result:
    """Run ``clipcart ARGV`` in-process and capture what it printed."""
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return Result(code, out, err)


def make_args(footage: Path, out: Path, *extra: str | Path, catalog: Path = CATALOG_CSV,
              sku: str = SKU) -> list[str | Path]:
    """Arguments of ``clipcart make`` with JSON output and a 5 s clip (the shortest)."""
    return ["make", footage, "--catalog", catalog, "--sku", sku, "--out", out,
            "--duration", "5", "--json", *extra]


def rejected(result: Result, *needles: str) -> str:
    """Assert exit 2, nothing on stdout, one line naming every needle; return it."""
    line = result.error_line()
    assert result.code == 2, result.err
    assert result.out == ""
    for needle in needles:
        assert needle in line, f"{needle!r} not in {line!r}"
    return line


class Untouched:
    """Fingerprints (sha256, size, mtime) of the user's files, to check after a run."""

    def __init__(self, *paths: Path) -> None:
        self.paths = list(paths)
        self.before = self._prints()

    def _prints(self) -> dict[Path, tuple[str, int, int] | None]:
        return {p: _fingerprint(p) for p in _files(self.paths)}

    def check(self) -> None:
        """Every file is still there with the same bytes and mtime; none were added."""
        assert self._prints() == self.before


def _fingerprint(path: Path) -> tuple[str, int, int] | None:
    if not path.exists():
        return None
    stat = path.stat()
    return hashlib.sha256(path.read_bytes()).hexdigest(), stat.st_size, stat.st_mtime_ns


def _files(paths: Iterable[Path]) -> list[Path]:
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*") if p.is_file() or p.is_symlink()))
        else:
            found.append(path)
    return found


def no_output(out: Path) -> None:
    """No clip folder, no hidden staging folder, no stray file under ``out``."""
    leftovers = sorted(out.rglob("*")) if out.exists() else []
    assert leftovers == [], leftovers


def footage(out: Path, *args: str, seconds: float = 4.0, size: str = "320x240",
            fps: str = "30", audio: bool = True, vcodec: tuple[str, ...] = ("-c:v", "libx264"),
            vf: str = "format=yuv420p", pattern: str = "testsrc2") -> Path:
    """A small lavfi test pattern (with a tone) encoded with extra ``args`` before the output.

    ``pattern`` "color" gives flat frames, which encode fast even at 4K.
    """
    source = "color=c=0x3b2f80:" if pattern == "color" else f"{pattern}="
    inputs = ["-f", "lavfi", "-i", f"{source}s={size}:r={fps}:d={seconds}"]
    maps = ["-map", "0:v"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=f=330:d={seconds}"]
        maps += ["-map", "1:a", "-c:a", "aac", "-ar", "48000"]
    run_ffmpeg(["-y", "-v", "error", *inputs, *maps, "-vf", vf, *vcodec, "-preset", "ultrafast",
                *args, str(out)])
    return out
