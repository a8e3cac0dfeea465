"""Product cards: deciding what a card shows (`card_spec`) and drawing it (`draw_card`).

The card is an RGBA PNG exactly ``spec.width`` x ``spec.height`` that the renderer
overlays at (spec.x, spec.y): a rounded panel, the product picture, the title (two
lines at most, any script), the price in the accent colour, the compare-at price
struck through, a call-to-action pill and, optionally, a QR code of the link.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import segno
from PIL import Image, ImageDraw, ImageOps

from pipeline.brand.templates import Template
from pipeline.captions import fonts
from pipeline.captions.typeset import ELLIPSIS, Typesetter
from pipeline.core.locale import cjk_face, effective_locale
from pipeline.core.models import CardSpec, Product
from pipeline.products.links import check_link
from pipeline.products.prices import format_price
from pipeline.publish.platforms import SAFE_X, SAFE_Y

SCALE = 2
"""Cards are drawn at twice their size and scaled down, for smooth edges."""
RGBA = tuple[int, int, int, int]
Box = tuple[int, int, int, int]
TITLE_SIZES = (1.0, 0.86, 0.72)
"""Title sizes tried, as fractions of the base size, before ellipsising."""
PANEL_ALPHA = 255
"""Panel opacity (0-255). Solid: at 95 % the footage showed through as ghost shapes."""
TITLE_SIZE, PRICE_SIZE, COMPARE_SIZE = 0.17, 0.21, 0.13
"""Font sizes as fractions of the text box height (the card minus its padding)."""
PILL_HEIGHT, PILL_TEXT = 0.26, 0.5
"""CTA pill height (fraction of the text box) and its label size (fraction of the pill)."""
BLOCK_GAP = 0.06
"""Space between title, price and pill, as a fraction of the text box height."""
TITLE_ASCENT, TITLE_PITCH, TITLE_DESCENT = 0.95, 1.18, 0.25
"""Title line metrics in font sizes: first baseline, line to line, below the last baseline."""
PRICE_ASCENT, PRICE_DEPTH = 0.8, 0.95
"""Price baseline below its top, and its whole depth, in font sizes."""
QR_MAX_WIDTH, PICTURE_MAX_WIDTH = 0.27, 0.2
"""With a QR code, the QR and picture tiles are capped at these fractions of the card
width so the title keeps room."""


def card_spec(product: Product, template: Template, *, start_ms: int, end_ms: int,
              image: Path | None, link: str) -> CardSpec:
    """What the card shows, from the product and the template; where it goes is decided
    later (``pipeline.footage.placement``), this puts it top centre of the safe zone.

    The card stays at least ``template.card.min_on_screen_ms``: a shorter window is
    lengthened (the caller clamps it to the clip). ``link`` must be http(s); it is
    the QR target when the template shows a QR code.
    """
    check_link(link)
    style = template.card
    start_ms = max(0, start_ms)
    end_ms = max(end_ms, start_ms + style.min_on_screen_ms)
    compare = product.compare_at_price
    locale = effective_locale(product.locale, template.locale)
    return CardSpec(
        title=product.title,
        price_text=format_price(product.price, product.currency, locale),
        compare_at_text=(format_price(compare, product.currency, locale)
                         if compare is not None and compare > product.price else ""),
        cta=template.card_call(locale),
        cjk_face=cjk_face(locale),
        image=str(image) if image else "",
        background=style.background,
        foreground=style.foreground,
        accent=style.accent,
        font_path=str(fonts.latin_font_path(style.font_weight)),
        # centred at the top of the safe zone until placement moves it off the subject
        x=SAFE_X[0] + (SAFE_X[1] - SAFE_X[0] - style.width) // 2, y=SAFE_Y[0],
        width=style.width, height=style.height,
        start_ms=start_ms, end_ms=end_ms,
        animation=style.animation,
        qr_link=link if style.show_qr else "",
        corner_radius=style.corner_radius,
    )


def draw_card(spec: CardSpec, out: Path) -> Path:
    """Draw the card as an RGBA PNG of exactly spec.width x spec.height at ``out``.

    The file is written to a temporary name and renamed, so readers never see
    half a PNG.
    """
    width, height = spec.width * SCALE, spec.height * SCALE
    qr_link, corner_radius = spec.qr_link, spec.corner_radius
    canvas = Image.new("RGBA", (width, height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(canvas)
    draw.rounded_rectangle((0, 0, width - 1, height - 1), radius=corner_radius * SCALE,
                           fill=rgba(spec.background, PANEL_ALPHA))
    pad = round(height * 0.09)
    left, right = pad, width - pad
    if qr_link:
        qr_side = min(height - 2 * pad, round(width * QR_MAX_WIDTH))
        top = (height - qr_side) // 2
        right = _draw_qr(canvas, qr_link, (right - qr_side, top, right, top + qr_side))
        right -= pad
    if spec.image:
        side = height - 2 * pad
        if qr_link:  # leave the title room next to two squares
            side = min(round(side * 0.8), round(width * PICTURE_MAX_WIDTH))
        top = (height - side) // 2
        left = _draw_picture(canvas, Path(spec.image), spec,
                             (pad, top, pad + side, top + side)) + pad
    _draw_text(draw, spec, (left, pad, right, height - pad))
    final = canvas.resize((spec.width, spec.height), Image.Resampling.LANCZOS)
    return _save_png(final, out)


def _draw_picture(canvas: Image.Image, path: Path, spec: CardSpec, box: Box) -> int:
    """The product picture fitted (aspect kept) on a tile in ``box``; returns its right x."""
    try:
        with Image.open(path) as opened:
            picture = ImageOps.exif_transpose(opened).convert("RGBA")
    except (OSError, ValueError):
        return box[0] - round(canvas.height * 0.09)  # unreadable: no picture, no tile
    tile = Image.new("RGBA", (box[2] - box[0], box[3] - box[1]), (0, 0, 0, 0))
    ImageDraw.Draw(tile).rounded_rectangle(
        (0, 0, tile.width - 1, tile.height - 1), radius=round(tile.width * 0.12),
        fill=_mix(spec.background, spec.foreground, 0.07))
    inner = round(tile.width * 0.06)
    picture = ImageOps.contain(picture, (tile.width - 2 * inner, tile.height - 2 * inner),
                               Image.Resampling.LANCZOS)
    tile.alpha_composite(picture, ((tile.width - picture.width) // 2,
                                   (tile.height - picture.height) // 2))
    canvas.alpha_composite(tile, (box[0], box[1]))
    return box[2]


def _draw_qr(canvas: Image.Image, link: str, box: Box) -> int:
    """A QR code of ``link`` on a white tile in ``box``; returns the tile's left x."""
    qr = segno.make(link, error="l")  # segno raises the level when it costs no size
    size = box[3] - box[1]
    modules = qr.symbol_size(scale=1, border=2)[0]
    module = max(1, size // modules // SCALE) * SCALE  # whole pixels after scaling down
    side = modules * module
    left = box[2] - size + (size - side) // 2
    top = box[1] + (size - side) // 2
    left, top = left - left % SCALE, top - top % SCALE
    draw = ImageDraw.Draw(canvas)
    draw.rounded_rectangle((box[2] - size, box[1], box[2], box[3]), radius=round(size * 0.06),
                           fill=(255, 255, 255, 255))
    for row, bits in enumerate(qr.matrix_iter(scale=1, border=2)):
        for col, dark in enumerate(bits):
            if dark:
                x, y = left + col * module, top + row * module
                draw.rectangle((x, y, x + module - 1, y + module - 1), fill=(0, 0, 0, 255))
    return box[2] - size


def _draw_text(draw: ImageDraw.ImageDraw, spec: CardSpec, box: Box) -> None:
    """Title, prices and the CTA pill as one block, centred vertically in ``box``.

    Sizes are fractions of the box height, chosen so that on a 1080x1920 frame a
    300 px card sets the title at about 40 px and the CTA at about 30 px: still
    readable when the clip is shown 390 points wide on a phone.
    """
    left, top, right, bottom = box
    height = bottom - top
    title, lines = _fit_title(spec, round(height * TITLE_SIZE), right - left)
    price = Typesetter(fonts.latin_font_path("Black"), round(height * PRICE_SIZE), spec.cjk_face)
    pill_h, gap = round(height * PILL_HEIGHT), height * BLOCK_GAP
    title_h = title.size * (TITLE_ASCENT + TITLE_PITCH * (len(lines) - 1) + TITLE_DESCENT)
    block = title_h + gap + price.size * PRICE_DEPTH + gap + pill_h
    y = top + max(0.0, (height - block) / 2)
    baseline = y + title.size * TITLE_ASCENT
    for line in lines:
        title.draw(draw, left, baseline, line, rgba(spec.foreground))
        baseline += title.size * TITLE_PITCH
    y += title_h + gap
    price_baseline = y + price.size * PRICE_ASCENT
    end = price.draw(draw, left, price_baseline, spec.price_text, rgba(spec.accent))
    if spec.compare_at_text:
        _struck(draw, spec, end + price.size * 0.35, price_baseline,
                round(height * COMPARE_SIZE), right)
    pill_bottom = min(bottom, round(y + price.size * PRICE_DEPTH + gap + pill_h))
    _pill(draw, spec, (left, pill_bottom), pill_h, right)


def _fit_title(spec: CardSpec, size: int, width: int) -> tuple[Typesetter, list[str]]:
    """The title set in two lines, a size smaller (down to 72 %) if that avoids '…'.

    When even the smallest size needs '…', the full size is used: a cut title
    reads better large than small.
    """
    font = spec.font_path or fonts.latin_font_path("Bold")
    for factor in TITLE_SIZES:
        setter = Typesetter(font, round(size * factor), spec.cjk_face)
        lines = setter.wrap(spec.title, width)
        if not lines or not lines[-1].endswith(ELLIPSIS):
            return setter, lines
    setter = Typesetter(font, size, spec.cjk_face)
    return setter, setter.wrap(spec.title, width)


def _struck(draw: ImageDraw.ImageDraw, spec: CardSpec, x: float, baseline: float,
            size: int, right: int) -> None:
    """The compare-at price, dimmed and struck through, if it fits."""
    setter = Typesetter(fonts.latin_font_path("Regular"), size, spec.cjk_face)
    if x + setter.width(spec.compare_at_text) > right:
        return
    colour = rgba(spec.foreground, 150)
    end = setter.draw(draw, x, baseline, spec.compare_at_text, colour)
    mid = baseline - size * 0.36
    draw.line((x - 2, mid, end + 2, mid), fill=colour, width=max(2, size // 12))


def _pill(draw: ImageDraw.ImageDraw, spec: CardSpec, anchor: tuple[int, int], height: int,
          right: int) -> None:
    """The call to action in a pill of the accent colour, bottom-left at ``anchor``."""
    setter = Typesetter(fonts.latin_font_path("Black"), round(height * PILL_TEXT), spec.cjk_face)
    label = setter.ellipsize(setter.visible(spec.cta), right - anchor[0] - height)
    width = setter.width(label) + height
    x, bottom = anchor
    draw.rounded_rectangle((x, bottom - height, x + width, bottom), radius=height // 2,
                           fill=rgba(spec.accent))
    baseline = bottom - height / 2 + setter.size * 0.36
    setter.draw(draw, x + height / 2, baseline, label, rgba(_ink_on(spec.accent)))


def _save_png(image: Image.Image, out: Path) -> Path:
    """Write ``image`` to ``out`` via a temporary file and an atomic rename."""
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=out.parent, prefix=f".{out.stem}-", suffix=".png")
    try:
        with os.fdopen(fd, "wb") as handle:
            image.save(handle, format="PNG")
        os.replace(tmp, out)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out


def rgba(colour: str, alpha: int = 255) -> RGBA:
    """'#RRGGBB' as an (r, g, b, a) tuple."""
    value = colour.lstrip("#")
    return int(value[0:2], 16), int(value[2:4], 16), int(value[4:6], 16), alpha


def _mix(base: str, other: str, amount: float) -> RGBA:
    """``base`` moved ``amount`` (0-1) of the way toward ``other``, opaque."""
    a, b = rgba(base), rgba(other)
    r, g, bl = (round(a[i] + (b[i] - a[i]) * amount) for i in range(3))
    return r, g, bl, 255


def _ink_on(colour: str) -> str:
    """Black or white, whichever reads better on ``colour``."""
    r, g, b, _ = rgba(colour)
    luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b
    return "#111111" if luminance > 150 else "#FFFFFF"
