"""Content fingerprints of stage inputs, for caching finished stages.

A fingerprint depends on what a value *is*, not where it lives: a MediaInfo is its
footage's bytes (sha256) plus its probed facts without the path; models and dataclasses
are their JSON. Renaming a file keeps its fingerprint; changing a byte changes it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import BaseModel

from pipeline.core.digest import file_digest
from pipeline.core.models import MediaInfo
from pipeline.produce import Inputs

NOT_CONTENT = frozenset({"seconds"})
"""Dataclass fields that say how long something took, not what it found."""


def footage_digest(path: Path) -> str:
    """sha256 of the file, remembered per (path, size, mtime) so it is read once."""
    stat = path.stat()
    return _digest_of(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _digest_of(path: str, _size: int, _mtime_ns: int) -> str:
    """The digest of one version of a file (size and mtime are part of the key)."""
    return file_digest(Path(path))


def plain(value: Any) -> Any:
    """A JSON-able, path-free stand-in for ``value``."""
    if isinstance(value, MediaInfo):
        facts = value.model_dump(mode="json", exclude={"path"})
        return {"footage": footage_digest(Path(value.path)), **facts}
    if isinstance(value, Inputs):
        return {"clip_id": value.clip_id}  # Inputs: the clip id is already a content hash
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, np.ndarray):
        return {"array": hashlib.sha256(value.tobytes()).hexdigest(),
                "shape": list(value.shape), "dtype": str(value.dtype)}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)
                if f.name not in NOT_CONTENT}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, Path):
        return footage_digest(value) if value.is_file() else str(value)
    return value


def fingerprint(stage: str, *values: Any) -> str:
    """sha256 over the stage name and the content of its inputs."""
    raw = json.dumps([stage, *(plain(v) for v in values)], sort_keys=True, default=str)
    return hashlib.sha256(raw.encode()).hexdigest()
