"""The machine misbehaves: disk full, ffmpeg killed, Ctrl-C. A clear line, exit 1
(or 130), no half-written clip folder, the user's files untouched."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipeline import produce
from pipeline.media import ffmpeg
from tests.catalogue.support import CATALOG_CSV, Untouched, cli, make_args, no_output


@pytest.fixture
def tiny_disk(tmp_path: Path) -> Iterator[Path]:
    """A 200 KB tmpfs: room for a folder, not for a rendered clip (needs root + mount)."""
    mount = tmp_path / "tiny-disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=200k", "tmpfs", str(mount)],
                          capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


@pytest.mark.slow
def test_disk_full_during_render(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                 short_scene: Path, tiny_disk: Path) -> None:
    guard = Untouched(short_scene)
    result = cli(capsys, *make_args(short_scene, tiny_disk))
    line = result.error_line()
    assert result.code == 1 and result.out == ""
    assert "no space left on the device" in line and "Free some disk space" in line
    no_output(tiny_disk)
    guard.check()


@pytest.fixture
def killing_ffmpeg(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """CLIPCART_FFMPEG pointing at a wrapper that SIGKILLs the render as soon as it has
    begun writing the clip (or 2 s after it starts), as the kernel's out-of-memory killer
    would; every other ffmpeg call runs normally. Not a fixed delay: a short render on a
    fast machine finishes within one second."""
    real = ffmpeg.ffmpeg_exe()
    wrapper = tmp_path / "ffmpeg-killed"
    wrapper.write_text(
        "#!/bin/bash\n"
        'last="${@: -1}"\n'
        'last="${last#file:}"\n'  # clipcart marks output paths as files
        'if [[ "$last" == *clip.mp4* ]]; then\n'
        '  ( for _ in $(seq 400); do [ -s "$last" ] && break; sleep 0.005; done; kill -9 $$ ) &\n'
        'fi\n'
        f'exec "{real}" "$@"\n')
    wrapper.chmod(0o755)
    monkeypatch.setenv("CLIPCART_FFMPEG", str(wrapper))
    ffmpeg.ffmpeg_exe.cache_clear()
    yield
    ffmpeg.ffmpeg_exe.cache_clear()


@pytest.mark.slow
@pytest.mark.usefixtures("killing_ffmpeg")
def test_ffmpeg_killed_mid_render(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                  short_scene: Path) -> None:
    guard = Untouched(short_scene)
    out = tmp_path / "out"
    result = cli(capsys, *make_args(short_scene, out))
    line = result.error_line()
    assert result.code == 1 and result.out == ""
    assert "ffmpeg was killed (SIGKILL) before it finished" in line and "Run again" in line
    no_output(out)
    guard.check()


def _interrupting_render(calls: list[Path]) -> object:
    """A render that has written half a clip when the user presses Ctrl-C."""
    def render(plan: object, out: Path) -> Path:
        calls.append(out)
        out.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 4096)
        raise KeyboardInterrupt
    return render


def test_ctrl_c_during_make_leaves_nothing(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                           short_scene: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[Path] = []
    monkeypatch.setattr(produce, "render", _interrupting_render(calls))
    guard = Untouched(short_scene)
    out = tmp_path / "out"
    result = cli(capsys, *make_args(short_scene, out))
    assert calls, "the render stage was never reached"
    assert result.code == 130 and "interrupted" in result.error_line()
    no_output(out)
    guard.check()


def test_render_failure_discards_the_staging_folder(tmp_path: Path) -> None:
    """A failing stage removes its staging folder and re-raises the original error."""
    staging = produce.staging_dir(tmp_path / "out", "abc")
    (staging / "clip.mp4").write_bytes(b"half")
    with pytest.raises(OSError, match="disk on fire"), produce.discarded_on_failure(staging):
        raise OSError("disk on fire")
    no_output(tmp_path / "out")


def test_ctrl_c_during_batch_keeps_finished_clips_and_resumes(
        capsys: pytest.CaptureFixture[str], tmp_path: Path, short_scene: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Three rows; a real SIGINT while the second renders. Finished clips stay, nothing
    half-made is left, and the re-run makes only what is missing. The render is a fast
    stand-in (a copy) so no encode is spent."""
    footage = [tmp_path / f"take{i}.mp4" for i in range(3)]
    for path in footage:
        shutil.copy(short_scene, path)
        with path.open("ab") as handle:  # different bytes: three different clip ids
            handle.write(path.name.encode())
    manifest = tmp_path / "campaign.csv"
    manifest.write_text("footage,sku,template\n" + "".join(
        f"{p.name},TRAIL-BOTTLE-24,bold\n" for p in footage), "utf-8")
    rendered: list[Path] = []

    def render(plan: object, out: Path) -> Path:
        rendered.append(out)
        if len(rendered) == 2:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C reaches the main thread
            time.sleep(1.0)
        shutil.copy(short_scene, out)
        return out

    monkeypatch.setattr(produce, "render", render)
    guard = Untouched(*footage, manifest)
    out = tmp_path / "out"
    first = cli(capsys, "batch", manifest, "--catalog", CATALOG_CSV, "--out", out,
                "--workers", "1")
    assert first.code == 130 and "interrupted" in first.err
    kept = len(list(out.glob("*/manifest.json")))
    assert 1 <= kept < 3
    before = len(rendered)
    second = cli(capsys, "batch", manifest, "--catalog", CATALOG_CSV, "--out", out,
                 "--workers", "1")
    assert second.code == 0, second.err
    assert len(list(out.glob("*/manifest.json"))) == 3
    assert len(rendered) - before == 3 - kept  # only the missing clips are made again
    assert not list(out.glob(".*"))
    guard.check()


@pytest.mark.slow
def test_sigterm_during_make_stops_it_like_ctrl_c(tmp_path: Path, short_scene: Path) -> None:
    """A real SIGTERM (a service manager's stop) to `clipcart make` while it renders:
    exit 130 with the interrupted line, no staging folder, no render scratch, and no
    process of its left running (Python's default ended make on the spot and left
    Prefect's embedded server running for good)."""
    import sys

    import psutil

    scratch, out = tmp_path / "tmp", tmp_path / "out"
    scratch.mkdir()
    env = {**os.environ, "TMPDIR": str(scratch), "CLIPCART_HOME": str(tmp_path / "home")}
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli",
                             *map(str, make_args(short_scene, out))],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    children: list[psutil.Process] = []
    try:
        deadline = time.monotonic() + 240
        while not list(scratch.glob("clipcart-render-*")):
            assert proc.poll() is None and time.monotonic() < deadline, "no render began"
            time.sleep(0.05)
        children = psutil.Process(proc.pid).children(recursive=True)
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        _, alive = psutil.wait_procs(children, timeout=15)
        assert not alive, [p.cmdline() for p in alive]
    finally:
        if proc.poll() is None:
            proc.kill()
        for child in children:
            with contextlib.suppress(psutil.Error):
                child.kill()
        err = proc.communicate()[1]
    assert proc.returncode == 130, err
    assert [line for line in err.splitlines() if line.strip()] == [
        "clipcart: interrupted; finished clips are kept and nothing half-made is left, so "
        "running the same command again carries on"], err
    no_output(out)
    assert not list(scratch.glob("clipcart-render-*"))
