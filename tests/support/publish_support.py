"""Shared helpers for the publish tests: fake MP4 files and fast timings."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

from pipeline.publish.base import Pacing, PollPolicy, RetryPolicy
from pipeline.publish.douyin import PartRule as DouyinParts
from pipeline.publish.service import Tuning
from pipeline.publish.tiktok.client import ChunkRule
from sandbox.state import SandboxConfig

SMALL_CHUNKS = ChunkRule(min_chunk=50_000, max_chunk=200_000, max_last=400_000, preferred=100_000)
"""TikTok's chunk rule scaled down 100x so a few hundred KB exercise chunking."""
SMALL_PARTS = DouyinParts(single_max=200_000, part_bytes=100_000)
"""Douyin's part rule scaled down (single request up to 200 KB, 100 KB parts)."""


def fake_mp4(path: Path, size: int, seed: int = 0) -> Path:
    """A file of ``size`` bytes that starts like an MP4 (ftyp box), random after that."""
    head = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    body = random.Random(seed).randbytes(max(0, size - len(head)))
    path.write_bytes((head + body)[:size])
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fast_pacing(sleep: object = None) -> Pacing:
    retry = RetryPolicy(attempts=10, base_s=0.005, max_delay_s=0.05, max_retry_after_s=5.0)
    poll = PollPolicy(first_s=0.01, max_interval_s=0.05, timeout_s=20.0)
    if sleep is None:
        return Pacing(retry=retry, poll=poll)
    return Pacing(retry=retry, poll=poll, sleep=sleep)  # type: ignore[arg-type]


def fast_tuning() -> Tuning:
    pacing = fast_pacing()
    return Tuning(
        pacing=pacing,
        instagram_poll=pacing.poll,
        tiktok_chunks=SMALL_CHUNKS,
        youtube_chunk_bytes=262_144,
        douyin_parts=SMALL_PARTS,
        lease_s=60.0,
    )


def fast_sandbox_config(**overrides: object) -> SandboxConfig:
    values: dict[str, object] = {
        "processing_s": 0.05,
        "slow_s": 0.05,
        "retry_after_s": 0.02,
        "rate_window_s": 0.5,
        "chunk_rule": SMALL_CHUNKS,
        "douyin_min_part": SMALL_PARTS.part_bytes,
    }
    values.update(overrides)
    return SandboxConfig.model_validate(values)
