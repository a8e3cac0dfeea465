"""Where captions and the product card go: off the subject, inside the platforms' safe zone.

The template ranks slots (captions: lower or upper third of the safe zone; card: top,
bottom or side). The card keeps one slot for its whole time on screen, each caption
cue one slot for its whole time (nothing jumps while on screen). A slot's cost over
that stretch is, per analysis frame of the subject (``Framing.subjects``, output
pixels): 10 when it covers the face itself, 1 when it only covers the room kept around
it (hair above, chin below), averaged over the frames; plus 0.01 per rank below the
template's first choice, and, in the fit layout, 0.05 for lying on the picture rather
than in a blurred band. Captions never cover the card. The cheapest slot wins, and the
plan records it with the reason.

``compact`` placement (what planning falls back to when the plain one covers the
subject and fitting the frame is no way out, as in portrait footage): a caption slot
the card takes is also offered against it (``lower-stacked`` above a card at the bottom,
``upper-stacked`` below one at the top: the stack the template is checked to fit), for
0.02 more; the card's slot is chosen together with the captions shown beside it (its
cost plus theirs), and may be a smaller card (``CARD_SCALES``). A high face in portrait
footage leaves the space below it for the card or two caption lines, not both at full
size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from pipeline.brand.templates import Template, caption_height
from pipeline.core.models import CaptionCue, CardSpec, OverlayPlacement
from pipeline.footage.layout import Framing, Rect, SubjectBox
from pipeline.publish.platforms import FRAME_H

FACE_COST, ROOM_COST, RANK_COST, PICTURE_COST, CARD_CLASH = 10.0, 1.0, 0.01, 0.05, 100.0
STACK_COST = 0.02
"""Captions against the card rather than at the edge of the safe zone: taken when the
template's own slots cover the subject (or all lie under the card)."""
SIDE_COST = 0.05
"""A side card is narrower (its title wraps sooner): only when it keeps clearer."""
ROOM = (0.2, 0.55, 0.35)
"""Room kept around a face, as fractions of its box: each side, above (forehead and
hair: the detector's box starts at the brows), below (chin)."""
NEAR_MS = 300
"""A cue shorter than the subject's sampling still looks at samples this close."""
SIDE_WIDTH = 0.58
"""A side card's width as a fraction of the safe zone's."""
CHAR_WIDTH = 0.6
"""Average advance of a caption character, in font sizes (Lato, mixed case)."""
OVERLAP_MIN = 0.02
"""A face counts as covered when more than this fraction of its box is under the slot."""
CARD_SCALES = (1.0, 0.8, 0.65, 0.55)
"""Card sizes tried at the top and bottom, as fractions of the template's (everything on
the card is drawn in proportion to its height)."""
SMALL_CARD_COST = 0.2
"""Cost of a smaller card per fraction of its size given up (0.09 at 55 %): taken only
when it keeps the card or the captions beside it off the subject."""


@dataclass(frozen=True)
class Slot:
    """A candidate place for an overlay."""

    name: str
    rect: Rect
    rank: int
    scale: float = 1.0
    """A card's size as a fraction of the template's."""


def place_overlays(framing: Framing, template: Template, cues: Sequence[CaptionCue],
                   card: CardSpec | None, safe: Rect, compact: bool = False
                   ) -> tuple[tuple[CaptionCue, ...], CardSpec | None,
                              tuple[OverlayPlacement, ...]]:
    """Cues with their ``margin_v``, the card at its place, and the placements recorded.

    ``safe`` is (x0, y0, x1, y1), the area clear of the target platforms' interfaces;
    ``compact`` also tries captions stacked on the card and smaller cards.
    """
    placements: list[OverlayPlacement] = []
    card_rect: Rect | None = None
    if card is not None:
        slots = card_slots(template, card, safe, compact)
        if compact:
            beside = [cue for cue in cues if _overlaps_time(cue, card)]
            slot, why, seen = _best_card(slots, framing, card, template, beside, safe)
        else:
            slot, why, seen = _best(slots, framing, card.start_ms, card.end_ms, None)
        card_rect = slot.rect
        x, y, w, h = slot.rect
        card = card.model_copy(update={"x": x, "y": y, "width": w, "height": h})
        placements.append(OverlayPlacement(overlay="card", start_ms=card.start_ms,
                                           end_ms=card.end_ms, slot=slot.name, x=x, y=y,
                                           width=w, height=h, reason=why, frames=seen[0],
                                           on_subject=seen[1]))
    placed: list[CaptionCue] = []
    previous = ""
    for cue in cues:
        clash = card_rect if card is not None and _overlaps_time(cue, card) else None
        slots = caption_slots(template, cue, safe, previous, clash if compact else None)
        slot, why, seen = _best(slots, framing, cue.start_ms, cue.end_ms, clash)
        previous = slot.name
        x, y, w, h = slot.rect
        placed.append(cue.model_copy(update={"margin_v": FRAME_H - (y + h)}))
        placements.append(OverlayPlacement(overlay="captions", start_ms=cue.start_ms,
                                           end_ms=cue.end_ms, slot=slot.name, x=x, y=y,
                                           width=w, height=h, reason=why, frames=seen[0],
                                           on_subject=seen[1]))
    return tuple(placed), card, tuple(placements)


def covered_share(placements: Sequence[OverlayPlacement]) -> float:
    """The share of overlay-frames in which an overlay covers the subject."""
    frames = sum(p.frames for p in placements)
    return sum(p.on_subject for p in placements) / frames if frames else 0.0


def card_slots(template: Template, card: CardSpec, safe: Rect, compact: bool = False
               ) -> list[Slot]:
    """The card's candidate places, in the template's order; when ``compact``, top and
    bottom also with the card at each smaller ``CARD_SCALES`` (named like ``bottom-65``)."""
    x0, y0, x1, y1 = safe
    w, h = min(card.width, x1 - x0), card.height
    side_w = max(min(w, round((x1 - x0) * SIDE_WIDTH)), 200)
    out: list[Slot] = []
    for rank, name in enumerate(template.placement.card):
        if name in ("top", "bottom"):
            for scale in CARD_SCALES if compact else CARD_SCALES[:1]:
                sw, sh = (w, h) if scale == 1 else (round(w * scale) // 2 * 2,
                                                     round(h * scale) // 2 * 2)
                x = x0 + (x1 - x0 - sw) // 2
                y = y0 if name == "top" else y1 - sh
                label = name if scale == 1.0 else f"{name}-{round(scale * 100)}"
                out.append(Slot(label, (x, y, sw, sh), rank, scale))
        else:
            for side, x in (("left", x0), ("right", x1 - side_w)):
                for where, y in (("top", y0), ("middle", (y0 + y1 - h) // 2),
                                 ("bottom", y1 - h)):
                    out.append(Slot(f"side-{side}-{where}", (x, y, side_w, h), rank))
    return out


def caption_slots(template: Template, cue: CaptionCue, safe: Rect, previous: str,
                  card: Rect | None = None) -> list[Slot]:
    """The cue's candidate places (the block its lines take), in the template's order;
    the previous cue's slot ranks first among equals so captions do not hop. A slot the
    ``card`` (on screen meanwhile) takes is also offered against it (``lower-stacked``,
    ``upper-stacked``), when that fits in the safe zone."""
    x0, y0, x1, y1 = safe
    style = template.caption
    h = caption_height(style, max(1, len(cue.lines)))
    longest = max((len(" ".join(w.text for w in line)) for line in cue.lines), default=0)
    advance = 1.0 if cue.is_cjk else CHAR_WIDTH
    w = min(x1 - x0, round(longest * style.size * advance + 2 * style.outline))
    x = x0 + (x1 - x0 - w) // 2
    out = []
    stacked = []
    for rank, name in enumerate(template.placement.captions):
        y = y1 - h if name == "lower" else y0
        out.append(Slot(name, (x, y, w, h), rank - (1 if name == previous else 0)))
        if card is not None and _intersects((x, y, w, h), card):
            y = card[1] - h if name == "lower" else card[1] + card[3]
            if y0 <= y <= y1 - h and not _intersects((x, y, w, h), card):
                label = f"{name}-stacked"
                stacked.append(Slot(label, (x, y, w, h),
                                    rank - (1 if label == previous else 0)))
    return out + stacked


def _overlaps_time(cue: CaptionCue, card: CardSpec) -> bool:
    return cue.start_ms < card.end_ms and card.start_ms < cue.end_ms


def _best_card(slots: Sequence[Slot], framing: Framing, card: CardSpec, template: Template,
               beside: Sequence[CaptionCue], safe: Rect) -> tuple[Slot, str, tuple[int, int]]:
    """The card's slot: its own cost plus the cheapest place each caption cue shown
    meanwhile (``beside``) finds around it; why, and (frames seen, frames on the subject)."""
    scored, frames, kind = _scored(slots, framing, card.start_ms, card.end_ms, None)
    total = []
    for cost, slot, on_face in scored:
        captions = sum(min(c for c, _, _ in _scored(
            caption_slots(template, cue, safe, "", slot.rect), framing, cue.start_ms,
            cue.end_ms, slot.rect)[0]) for cue in beside)
        total.append((cost + captions, slot, on_face))
    _, slot, on_face = min(total, key=lambda c: c[0])
    why = _reason(slot, on_face, frames, kind, scored)
    if slot.scale < 1:
        why += (f"; a smaller card ({slot.scale:.0%}): the captions shown with it find a "
                "clearer place")
    return slot, why, (frames, on_face)


def _best(slots: Sequence[Slot], framing: Framing, start_ms: int, end_ms: int,
          avoid: Rect | None) -> tuple[Slot, str, tuple[int, int]]:
    """The cheapest slot over [start_ms, end_ms), why, and (frames seen, frames on the
    subject)."""
    scored, frames, kind = _scored(slots, framing, start_ms, end_ms, avoid)
    _, slot, on_face = min(scored, key=lambda c: c[0])
    return slot, _reason(slot, on_face, frames, kind, scored), (frames, on_face)


def _scored(slots: Sequence[Slot], framing: Framing, start_ms: int, end_ms: int,
            avoid: Rect | None) -> tuple[list[tuple[float, Slot, int]], int, str]:
    """Each slot's cost over [start_ms, end_ms) with the frames it covers the subject in;
    the frames seen; what the subject is (face or subject)."""
    during = _during(framing.subjects, start_ms, end_ms)
    boxes = [s.box for s in during if s.box is not None]
    kind = "face" if any(s.face for s in during) else "subject"
    scored = []
    for slot in slots:
        on_face, in_room = _coverage(slot.rect, boxes)
        cost = (FACE_COST * on_face + ROOM_COST * in_room) / max(1, len(boxes))
        cost += RANK_COST * slot.rank
        if framing.layout == "fit" and _intersects(slot.rect, framing.picture):
            cost += PICTURE_COST
        if avoid is not None and _intersects(slot.rect, avoid):
            cost += CARD_CLASH
        if slot.name.startswith("side"):
            cost += SIDE_COST
        if slot.name.endswith("-stacked"):
            cost += STACK_COST
        cost += SMALL_CARD_COST * (1 - slot.scale)
        scored.append((cost, slot, on_face))
    return scored, len(boxes), kind


def _reason(slot: Slot, on_face: int, frames: int, kind: str,
            scored: list[tuple[float, Slot, int]]) -> str:
    if not frames:
        return f"{slot.name}: no subject found, the template's preferred free slot"
    others = [f"{s.name} {f}" for _, s, f in scored if s is not slot and f]
    covered = f"; on the {kind} elsewhere: {', '.join(others[:3])}" if others else ""
    return (f"{slot.name}: covers the {kind} in {on_face} of {frames} frames"
            f"{covered}")


def _during(subjects: Sequence[SubjectBox], start_ms: int, end_ms: int
            ) -> list[SubjectBox]:
    """The subject sampled while an overlay is on screen (or just around it)."""
    inside = [s for s in subjects if start_ms <= s.t_ms < end_ms]
    return inside or [s for s in subjects if start_ms - NEAR_MS <= s.t_ms < end_ms + NEAR_MS]


def _coverage(rect: Rect, boxes: Sequence[Rect]) -> tuple[int, int]:
    """(frames where ``rect`` covers the subject, frames where it only covers its room)."""
    on, room = 0, 0
    for box in boxes:
        if _overlap_area(rect, box) > OVERLAP_MIN * box[2] * box[3]:
            on += 1
        elif _intersects(rect, with_room(box)):
            room += 1
    return on, room


def with_room(box: Rect) -> Rect:
    """A face box grown by ROOM: what an overlay should leave clear."""
    x, y, w, h = box
    side, above, below = ROOM
    return (round(x - side * w), round(y - above * h), round(w * (1 + 2 * side)),
            round(h * (1 + above + below)))


def _overlap_area(a: Rect, b: Rect) -> int:
    w = min(a[0] + a[2], b[0] + b[2]) - max(a[0], b[0])
    h = min(a[1] + a[3], b[1] + b[3]) - max(a[1], b[1])
    return max(0, w) * max(0, h)


def _intersects(a: Rect, b: Rect) -> bool:
    return _overlap_area(a, b) > 0
