"""TikTok's FILE_UPLOAD chunk rule (docs/platforms.md), shared by the client and the sandbox.

Chunks are 5-64 MB except the last, which takes the remainder (under two chunks, so
at most 128 MB); a file under 5 MB is one chunk; ``total_chunk_count =
floor(video_size / chunk_size)``; a single chunk may not exceed 64 MB, so a 64-128 MB
file is split in two. MB is read as MiB, the stricter reading of the lower bound.
"""

from __future__ import annotations

from pydantic import Field

from pipeline.core.models import Frozen

MiB = 1024 * 1024


class ChunkRule(Frozen):
    """Chunk size bounds in bytes; tests shrink them, production keeps the defaults."""

    min_chunk: int = Field(
        default=5 * MiB, description="Smallest chunk but the last; smaller files: 1."
    )
    max_chunk: int = Field(default=64 * MiB, description="Largest chunk but the last.")
    max_last: int = Field(default=128 * MiB, description="Largest last chunk.")
    preferred: int = Field(
        default=10 * MiB, description="Chunk size asked for when a file needs chunks."
    )


class ChunkPlan(Frozen):
    """The ``source_info`` numbers for FILE_UPLOAD and the byte ranges they imply."""

    video_size: int
    chunk_size: int
    total_chunk_count: int

    def ranges(self) -> list[tuple[int, int]]:
        """Inclusive (first, last) byte of each chunk; the last takes the remainder."""
        out = []
        for i in range(self.total_chunk_count):
            first = i * self.chunk_size
            last = (
                self.video_size - 1
                if i == self.total_chunk_count - 1
                else first + self.chunk_size - 1
            )
            out.append((first, last))
        return out


def plan_chunks(video_size: int, rule: ChunkRule | None = None) -> ChunkPlan:
    """Chunk numbers for a file of ``video_size`` bytes under docs/platforms.md's rules."""
    rule = rule or ChunkRule()
    if video_size <= 0:
        raise ValueError("video_size must be positive")
    if video_size < rule.min_chunk:
        return ChunkPlan(video_size=video_size, chunk_size=video_size, total_chunk_count=1)
    chunk = min(max(rule.preferred, rule.min_chunk), rule.max_chunk)
    if video_size <= chunk:
        return ChunkPlan(video_size=video_size, chunk_size=video_size, total_chunk_count=1)
    count = video_size // chunk
    if count == 1 and video_size > rule.max_chunk:
        chunk = video_size // 2  # a lone chunk may not exceed max_chunk: split in two
        count = video_size // chunk
    return ChunkPlan(video_size=video_size, chunk_size=chunk, total_chunk_count=count)


def check_chunk_plan(plan: ChunkPlan, rule: ChunkRule) -> str:
    """Why ``plan`` breaks the rules ("" if it does not); the sandbox uses this too."""
    size, chunk, count = plan.video_size, plan.chunk_size, plan.total_chunk_count
    if size < rule.min_chunk:
        return "" if (chunk, count) == (size, 1) else "a file under the minimum is one chunk"
    if not rule.min_chunk <= chunk <= rule.max_chunk:
        return f"chunk_size {chunk} outside {rule.min_chunk}..{rule.max_chunk}"
    if count < 1 or count != size // chunk:
        return f"total_chunk_count must be floor({size}/{chunk}) = {size // chunk}"
    last = size - (count - 1) * chunk
    if last > (rule.max_chunk if count == 1 else rule.max_last):
        return f"last chunk of {last} bytes is too large"
    return ""
