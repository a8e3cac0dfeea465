"""Facts about an MP4's video bitstream that a stream probe does not give.

How the closed-GOP check works (``open_gop_reason``), on the packets in decode
order as the demuxer returns them:

1. Every keyframe (an MP4 sync sample) must be an instantaneous decoder refresh:
   for H.264 a NAL unit of type 5 (IDR slice), for HEVC types 16-20 (BLA/IDR).
   An I-slice keyframe that is not IDR (H.264 type 1 with a recovery-point SEI,
   HEVC CRA) lets later pictures reference frames before it: an open GOP.
2. No packet after a keyframe in decode order may be shown before it (a smaller
   pts): such "leading" pictures are how open GOPs reference the previous GOP.

NAL units in MP4 are length-prefixed; the prefix size comes from the avcC/hvcC
record in the stream's extradata.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import av

H264_IDR = frozenset({5})
HEVC_IRAP_CLOSED = frozenset({16, 17, 18, 19, 20})


@dataclass(frozen=True)
class VideoFacts:
    """Bitstream facts of the first video stream."""

    profile: str = ""
    cfr: bool = False
    progressive: bool = True
    is_mp4: bool = False
    audio_profile: str = ""
    keyframes: int = 0
    max_gop_s: float = 0.0
    open_gop_reason: str = ""


@dataclass(frozen=True)
class Box:
    """A top-level ISO BMFF box (atom) of an MP4: its type and where it lies (bytes)."""

    kind: str
    offset: int
    length: int
    """As its header states: a box cut off mid-write claims more than the file holds."""


def top_level_boxes(path: Path) -> list[Box]:
    """The MP4's top-level boxes in file order, read from their headers only."""
    boxes: list[Box] = []
    with path.open("rb") as fh:
        offset, size = 0, path.stat().st_size
        while offset < size:
            fh.seek(offset)
            header = fh.read(16)
            if len(header) < 8:
                break
            length, kind = int.from_bytes(header[:4], "big"), header[4:8]
            if length == 1 and len(header) == 16:
                length = int.from_bytes(header[8:16], "big")
            elif length == 0:
                length = size - offset  # "to the end of the file"
            boxes.append(Box(kind.decode("latin-1"), offset, length))
            if length < 8:
                break
            offset += length
    return boxes


def moov_before_mdat(path: Path) -> bool:
    """True when the MP4 index comes first (faststart), read from the top-level atoms."""
    kinds = [b.kind for b in top_level_boxes(path) if b.kind in ("moov", "mdat")]
    return bool(kinds) and kinds[0] == "moov"


def cut_off_reason(path: Path) -> str:
    """Why an MP4 looks cut off mid-write ('' when it does not): no index (``moov``,
    which a plain MP4 recorder writes last), or a last box the file ends inside."""
    boxes = top_level_boxes(path)
    kinds = {b.kind for b in boxes}
    if "mdat" in kinds and not kinds & {"moov", "moof"}:
        return "it has no index (no moov atom: a plain MP4 writes it last)"
    size = path.stat().st_size
    if boxes and boxes[-1].offset + boxes[-1].length > size:
        return f"it ends inside its last {boxes[-1].kind!r} box"
    return ""


def nal_types(data: bytes, codec: str, length_size: int = 4) -> list[int]:
    """NAL unit types of one length-prefixed access unit (H.264 or HEVC)."""
    types, pos = [], 0
    while pos + length_size < len(data):
        size = int.from_bytes(data[pos:pos + length_size], "big")
        header = data[pos + length_size]
        types.append((header >> 1) & 0x3F if codec == "hevc" else header & 0x1F)
        pos += length_size + max(size, 1)
    return types


def nal_length_size(extradata: bytes | None, codec: str) -> int:
    """Length-prefix size from avcC (byte 4) or hvcC (byte 21); 4 when unknown."""
    if not extradata or extradata[0] != 1:
        return 4
    index = 21 if codec == "hevc" else 4
    return (extradata[index] & 0x03) + 1 if len(extradata) > index else 4


@dataclass
class _Packets:
    pts: list[float]
    keys: list[bool]
    key_not_irap: int = 0


def _read_packets(container: av.container.InputContainer) -> _Packets:
    stream = container.streams.video[0]
    codec = stream.codec_context.name
    size = nal_length_size(stream.codec_context.extradata, codec)
    closed = H264_IDR if codec == "h264" else HEVC_IRAP_CLOSED
    found = _Packets(pts=[], keys=[])
    base = float(stream.time_base or 0)
    for packet in container.demux(stream):
        if packet.pts is None:
            continue
        found.pts.append(packet.pts * base)
        found.keys.append(bool(packet.is_keyframe))
        if packet.is_keyframe and codec in ("h264", "hevc") and \
                not closed & set(nal_types(bytes(packet), codec, size)):
            found.key_not_irap += 1
    return found


def _open_gop_reason(found: _Packets) -> str:
    if found.key_not_irap:
        return f"{found.key_not_irap} keyframe(s) are not IDR pictures"
    leading = 0
    for i, (pts, key) in enumerate(zip(found.pts, found.keys, strict=True)):
        if key and i and any(p < pts for p in found.pts[i + 1:i + 8]):
            leading += 1
    return f"{leading} keyframe(s) have leading pictures" if leading else ""


def _max_gop_s(found: _Packets) -> float:
    key_times = sorted(t for t, k in zip(found.pts, found.keys, strict=True) if k)
    end = max(found.pts, default=0.0)
    marks = [*key_times, end]
    return max((b - a for a, b in itertools.pairwise(marks)), default=0.0)


def _is_progressive(container: av.container.InputContainer) -> bool:
    for frame in container.decode(video=0):
        return not frame.interlaced_frame
    return True


def video_facts(path: Path) -> VideoFacts:
    """Profile, frame-rate constancy, scan type and GOP structure of ``path``."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        audio = next(iter(container.streams.audio), None)
        found = _read_packets(container)
        container.seek(0)
        progressive = _is_progressive(container)
        fmt_name = container.format.name
        profile = str(stream.codec_context.profile or "")
        audio_profile = str(audio.codec_context.profile or "") if audio is not None else ""
    times = sorted(found.pts)
    deltas = [b - a for a, b in itertools.pairwise(times)]
    return VideoFacts(profile=profile, cfr=bool(deltas) and max(deltas) - min(deltas) < 0.002,
                      progressive=progressive, is_mp4="mp4" in fmt_name.split(","),
                      audio_profile=audio_profile, keyframes=sum(found.keys),
                      max_gop_s=round(_max_gop_s(found), 3),
                      open_gop_reason=_open_gop_reason(found))
