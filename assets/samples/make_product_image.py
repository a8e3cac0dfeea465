"""Draw assets/samples/product.png: a stylised insulated bottle, 600x600 RGBA.

Run from the repo root: python assets/samples/make_product_image.py
"""

from __future__ import annotations

from pathlib import Path

from PIL import Image, ImageDraw, ImageFilter

SIZE = 600
SCALE = 3
OUT = Path(__file__).with_name("product.png")


def bottle(scale: int) -> Image.Image:
    """The bottle drawn at ``scale`` times the final size."""
    s = scale
    image = Image.new("RGBA", (SIZE * s, SIZE * s), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    # soft ground shadow
    shadow = Image.new("RGBA", image.size, (0, 0, 0, 0))
    ImageDraw.Draw(shadow).ellipse((200 * s, 540 * s, 400 * s, 575 * s), fill=(0, 0, 0, 90))
    image.alpha_composite(shadow.filter(ImageFilter.GaussianBlur(8 * s)))
    body = (205 * s, 150 * s, 395 * s, 555 * s)
    draw.rounded_rectangle(body, radius=60 * s, fill=(27, 94, 84, 255))
    # shoulder and neck
    draw.rounded_rectangle((230 * s, 105 * s, 370 * s, 190 * s), radius=45 * s,
                           fill=(27, 94, 84, 255))
    draw.rectangle((255 * s, 78 * s, 345 * s, 112 * s), fill=(200, 205, 208, 255))
    # cap with grip ridges and a carry loop
    draw.rounded_rectangle((245 * s, 28 * s, 355 * s, 84 * s), radius=14 * s,
                           fill=(34, 38, 41, 255))
    for x in range(258, 345, 14):
        draw.line((x * s, 36 * s, x * s, 76 * s), fill=(62, 68, 72, 255), width=3 * s)
    draw.arc((272 * s, 2 * s, 328 * s, 50 * s), 180, 360, fill=(34, 38, 41, 255), width=10 * s)
    # steel base band and label band
    draw.rounded_rectangle((205 * s, 505 * s, 395 * s, 555 * s), radius=40 * s,
                           fill=(200, 205, 208, 255))
    draw.rectangle((205 * s, 505 * s, 395 * s, 520 * s), fill=(200, 205, 208, 255))
    draw.rectangle((205 * s, 300 * s, 395 * s, 370 * s), fill=(240, 196, 92, 255))
    # mountain mark on the label
    draw.polygon([(255 * s, 360 * s), (290 * s, 315 * s), (310 * s, 338 * s), (325 * s, 322 * s),
                  (350 * s, 360 * s)], fill=(27, 94, 84, 255))
    # highlight and shade for a round look, blended on top
    gloss = Image.new("RGBA", image.size, (0, 0, 0, 0))
    shine = ImageDraw.Draw(gloss)
    shine.rounded_rectangle((225 * s, 170 * s, 247 * s, 490 * s), radius=11 * s,
                           fill=(255, 255, 255, 70))
    shine.rounded_rectangle((360 * s, 170 * s, 380 * s, 500 * s), radius=10 * s,
                           fill=(0, 0, 0, 45))
    image.alpha_composite(gloss.filter(ImageFilter.GaussianBlur(3 * s)))
    return image


def main() -> None:
    """Render at 3x and scale down for smooth edges."""
    bottle(SCALE).resize((SIZE, SIZE), Image.Resampling.LANCZOS).save(OUT)
    print(OUT)


if __name__ == "__main__":
    main()
