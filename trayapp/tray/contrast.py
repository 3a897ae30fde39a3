"""WCAG 2 contrast between colours, and the contrast a drawn icon really has. Pure.

The tray icon's colours are chosen to meet WCAG's thresholds (4.5:1 for text, 3:1 for the shapes
that tell the badge from the panel); this module measures them, for the tests and the docs.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from statistics import median
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from PIL import Image

RGB = tuple[int, int, int]

TEXT_MINIMUM = 4.5
"""WCAG 2 AA for text (success criterion 1.4.3)."""
NON_TEXT_MINIMUM = 3.0
"""WCAG 2 AA for the parts of a graphic needed to understand it (success criterion 1.4.11)."""


def channel_luminance(value: int) -> float:
    """One sRGB channel (0-255) as linear light, by the sRGB transfer function WCAG uses."""
    scaled = value / 255
    return scaled / 12.92 if scaled <= 0.04045 else ((scaled + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: RGB) -> float:
    """WCAG's relative luminance: 0 for black, 1 for white."""
    r, g, b = (channel_luminance(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: RGB, second: RGB) -> float:
    """WCAG's contrast ratio, from 1 (the same luminance) to 21 (black on white); symmetric."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def over(colour: tuple[int, int, int, int], background: RGB) -> RGB:
    """A pixel with alpha as it looks drawn over an opaque background."""
    *rgb, alpha = colour
    return (
        round((rgb[0] * alpha + background[0] * (255 - alpha)) / 255),
        round((rgb[1] * alpha + background[1] * (255 - alpha)) / 255),
        round((rgb[2] * alpha + background[2] * (255 - alpha)) / 255),
    )


def text_contrast(
    with_text: Sequence[RGB], without_text: Sequence[RGB], text_colour: RGB
) -> float | None:
    """How well drawn text stands out: the median contrast of its pixels with what is under them.

    The two sequences are the same pixels drawn with and without the text. The text's pixels are
    those the text made nearer `text_colour` (an outline or a blurred edge on the other side of
    the badge's colour is not the text); each is compared with the pixel it covered, so a blurred
    glyph counts as the grey it became. None when the text changed no pixel that way.
    """
    target = relative_luminance(text_colour)
    ratios = []
    for drawn, under in zip(with_text, without_text, strict=True):
        before, after = relative_luminance(under), relative_luminance(drawn)
        if drawn != under and abs(target - after) < abs(target - before):
            ratios.append(contrast_ratio(drawn, under))
    return median(ratios) if ratios else None


def edge_contrast(layers: Iterable[Sequence[RGB]], panel: RGB) -> float:
    """How well a badge stands out from the panel: the best of its edge's layers, each layer's
    pixels by their median contrast with the panel.

    The layers are the badge's outermost opaque pixels and those just inside them (its ring and
    its fill): one of them standing out (WCAG's 3:1 for graphics) is enough to see the outline.
    """
    return max(
        median(contrast_ratio(colour, panel) for colour in layer) for layer in layers if layer
    )


# --- on drawn pixels ------------------------------------------------------------------------------


class BadgeContrast(NamedTuple):
    """What a drawn badge measures on a panel: its text against the badge, its edge against the
    panel (None when the badge has no text)."""

    text: float | None
    edge: float


def measure_badge(
    drawn: Image.Image, without_text: Image.Image, text_colour: RGB, panel: RGB
) -> BadgeContrast:
    """Measure an icon as it looks on a panel of colour `panel`.

    `without_text` is the same icon drawn with no text: the pixels that differ are the text's.
    """
    from PIL import Image

    on_panel, bare_on_panel = (
        Image.alpha_composite(Image.new("RGBA", image.size, (*panel, 255)), image.convert("RGBA"))
        for image in (drawn, without_text)
    )
    text = text_contrast(_rgb_pixels(on_panel), _rgb_pixels(bare_on_panel), text_colour)
    return BadgeContrast(text, edge_contrast(edge_layers(drawn, panel), panel))


def edge_layers(image: Image.Image, panel: RGB, depth: int = 2) -> list[list[RGB]]:
    """A badge's outermost opaque pixels, and `depth - 1` layers of pixels inside them, as they
    look over `panel`: its ring and its fill, or its fill twice where it has no ring. (A badge
    a host has shrunk blurs its ring into its fill over a pixel more: measure three layers.)"""
    rgba = image.convert("RGBA")
    width, height = rgba.size
    data = rgba.tobytes()

    def pixel(x: int, y: int) -> tuple[int, int, int, int]:
        i = 4 * (y * width + x)
        return (data[i], data[i + 1], data[i + 2], data[i + 3])

    def opaque(x: int, y: int) -> bool:
        return 0 <= x < width and 0 <= y < height and pixel(x, y)[3] >= 128

    def around(x: int, y: int) -> tuple[tuple[int, int], ...]:
        return ((x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1))

    left = {(x, y) for y in range(height) for x in range(width) if opaque(x, y)}
    layer = {p for p in left if not all(opaque(*q) for q in around(*p))}
    layers = []
    for _ in range(depth):
        layers.append([over(pixel(*p), panel) for p in sorted(layer)])
        left -= layer
        layer = {p for p in left if any(q in layer for q in around(*p))}
    return layers


def _rgb_pixels(image: Image.Image) -> list[RGB]:
    data = image.convert("RGB").tobytes()
    return [(data[i], data[i + 1], data[i + 2]) for i in range(0, len(data), 3)]
