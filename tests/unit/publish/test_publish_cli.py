"""The publish and sandbox commands, in-process with CliRunner and once as a real process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from flows.publish_cli import register
from pipeline.core.errors import ClipcartError
from pipeline.publish.tiktok.client import ChunkRule
from sandbox.server import SandboxHandle, start_sandbox
from tests.support.paths import REPO
from tests.support.publish_support import fake_mp4, fast_sandbox_config


def make_app() -> typer.Typer:
    app = typer.Typer()
    register(app)
    return app


def run(*args: str) -> tuple[int, str]:
    """Like the main CLI: a ClipcartError becomes one line and its exit code."""
    result = CliRunner().invoke(make_app(), list(args), env={"COLUMNS": "200"})
    if isinstance(result.exception, ClipcartError):
        return result.exception.exit_code, result.exception.one_line()
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.output


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    # the CLI uses default tunings (10 MiB TikTok chunks) so the sandbox keeps the real rule
    with start_sandbox(config=fast_sandbox_config(chunk_rule=ChunkRule())) as handle:
        yield handle


def clip_dir(tmp_path: Path, clip_id: str = "abc123") -> Path:
    folder = tmp_path / clip_id
    folder.mkdir()
    fake_mp4(folder / "clip.mp4", 3000, seed=len(clip_id))
    manifest = {
        "clip_id": clip_id,
        "sku": "SERUM-1",
        "caption_text": "Glow #ad",
        "product": {"tiktok_product_id": "1729", "instagram_product_id": "55"},
    }
    (folder / "manifest.json").write_text(json.dumps(manifest))
    return folder


@pytest.fixture
def ledger(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.db'}"


def test_publish_a_clip_dir_then_status(
    sandbox: SandboxHandle, tmp_path: Path, ledger: str
) -> None:
    folder = clip_dir(tmp_path)
    code, out = run(
        "publish",
        str(folder),
        "--platform",
        "youtube",
        "--sandbox",
        sandbox.base_url,
        "--ledger",
        ledger,
    )
    assert code == 0 and out.startswith("published abc123 → youtube/default: post ")
    code, out = run("publish", "--status", "--ledger", ledger)
    assert code == 0 and "published" in out and "youtube" in out


def test_schedule_then_due(sandbox: SandboxHandle, tmp_path: Path, ledger: str) -> None:
    folder = clip_dir(tmp_path, "sched1")
    code, out = run(
        "publish",
        str(folder),
        "--platform",
        "tiktok-shop",
        "--at",
        "2020-01-01T10:00:00",
        "--ledger",
        ledger,
    )
    assert code == 0 and out.startswith("scheduled sched1")
    code, out = run("publish", "--due", "--sandbox", sandbox.base_url, "--ledger", ledger)
    assert code == 0 and "published" in out
    assert any(p["product_id"] == "1729" for p in sandbox.posts())


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["publish"], "exactly one of CLIP_DIR, --due or --status"),
        (["publish", "{dir}", "--platform", "vine"], "--platform must be one of"),
        (["publish", "{missing}", "--platform", "tiktok"], "manifest.json not found"),
        (["publish", "{dir}", "--platform", "tiktok", "--at", "soon"], "not an ISO 8601 time"),
        (["sandbox", "--faults", "meteor=1"], "unknown fault kind"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, args: list[str], message: str) -> None:
    folder = clip_dir(tmp_path)
    argv = [a.format(dir=folder, missing=tmp_path / "nope") for a in args]
    code, line = run(*argv)
    assert code == 2 and message in line and "\n" not in line


SANDBOX_MAIN = """
import typer
from flows.publish_cli import register
app = typer.Typer()
register(app)
app()
"""


def test_sandbox_command_prints_url_and_tokens() -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [sys.executable, "-c", SANDBOX_MAIN, "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(5)]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    assert lines[0].startswith("sandbox: http://127.0.0.1:")
    assert [line.split(":")[0] for line in lines[1:]] == [
        "token tiktok",
        "token tiktok-shop",
        "token instagram",
        "token youtube",
    ]
