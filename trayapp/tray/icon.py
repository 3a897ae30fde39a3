"""TrayState -> the tray icon's pixels: a badge in the level's colour with the amount on it. Pure.

Which words the icon shows comes from `render` (the short amount); how they are drawn is here.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING

from trayapp.deepgram.models import MAIN_UNIT
from trayapp.formats import HOURS
from trayapp.tray.render import short_amount, short_hours
from trayapp.tray.state import Level, TrayState

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

ICON_SIZE = 64

# Colour families of the contract; the glyphs below carry the same meaning without colour.
COLOURS: dict[Level, tuple[int, int, int]] = {
    Level.OK: (34, 150, 60),
    Level.WARN: (240, 160, 0),
    Level.CRITICAL: (205, 35, 35),
    Level.WAITING: (130, 130, 130),
    Level.PROBLEM: (130, 130, 130),
}
CROSS = "cross"  # drawn with lines: the bundled font has no multiplication sign
BADGE_GLYPHS: dict[Level, str | None] = {
    Level.OK: None,
    Level.WARN: "!",
    Level.CRITICAL: "!!",
    Level.WAITING: None,
    Level.PROBLEM: CROSS,
}
TEXT_FILL = (255, 255, 255, 255)
OUTLINE = (25, 25, 25, 255)


def icon_text(state: TrayState) -> str:
    if not state.has_key:
        return "?"
    if state.snapshot is None:
        return "…" if state.level is Level.WAITING else "!"
    hours = hours_instead_of_dollars(state)
    if hours is not None:
        return short_hours(hours)
    total = state.total
    return "-" if total is None else short_amount(total)  # "-": only units the icon cannot show


def hours_instead_of_dollars(state: TrayState) -> Decimal | None:
    """The hours of an account billed only by the hour, which the icon shows rather than `$0`.

    With dollars present the icon shows dollars: the thresholds and colours are in dollars.
    """
    totals = state.snapshot.totals if state.snapshot is not None else {}
    return totals.get(HOURS) if MAIN_UNIT not in totals else None


def needs_attention(state: TrayState) -> bool:
    """Red, or something wrong: the states worth a panel's prominence, where it offers one."""
    return state.level in (Level.CRITICAL, Level.PROBLEM)


def icon_look(state: TrayState) -> tuple[object, ...]:
    """Everything the icon's pixels depend on: equal looks need no redraw."""
    return (state.level, icon_text(state), state.refreshing)


def icon_image(state: TrayState, size: int = ICON_SIZE) -> Image.Image:
    """Draw the tray icon: a badge in the level's colour with the amount on it.

    Meaning never rests on colour alone: a corner glyph marks warn (!), critical (!!) and
    problem (a cross) states, and the text shows the amount, `?` (no key) or `…` (first fetch).
    """
    from PIL import Image, ImageDraw

    scale = size / ICON_SIZE
    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    colour = COLOURS[state.level]
    draw.rounded_rectangle(
        (0, 0, size - 1, size - 1), radius=round(14 * scale), fill=(*colour, 255)
    )
    _draw_fitted_text(draw, icon_text(state), size, scale)
    glyph = BADGE_GLYPHS[state.level]
    if glyph is not None:
        _draw_badge(draw, glyph, size, scale)
    if state.refreshing:
        radius = 7 * scale
        centre = (size - 1 - radius - 2 * scale, size - 1 - radius - 2 * scale)
        draw.ellipse(_circle(centre, radius), fill=(255, 255, 255, 255), outline=OUTLINE,
                     width=max(1, round(2 * scale)))  # fmt: skip
    return image


def _draw_fitted_text(draw: ImageDraw.ImageDraw, text: str, size: int, scale: float) -> None:
    from PIL import ImageFont

    max_width = size - 6 * scale
    font_size = round(40 * scale)
    while True:
        font = ImageFont.load_default(size=font_size)
        left, _, right, _ = draw.textbbox((0, 0), text, font=font, stroke_width=round(2 * scale))
        if right - left <= max_width or font_size <= 8:
            break
        font_size -= 1
    draw.text(
        (size / 2, size * 0.6),
        text,
        font=font,
        anchor="mm",
        fill=TEXT_FILL,
        stroke_width=max(1, round(2 * scale)),
        stroke_fill=OUTLINE,
    )


def _draw_badge(draw: ImageDraw.ImageDraw, glyph: str, size: int, scale: float) -> None:
    from PIL import ImageFont

    radius = 12 * scale
    centre = (size - 1 - radius, radius)
    draw.ellipse(_circle(centre, radius), fill=(255, 255, 255, 255), outline=OUTLINE,
                 width=max(1, round(2 * scale)))  # fmt: skip
    if glyph == CROSS:
        arm = radius * 0.45
        x, y = centre
        width = max(1, round(3 * scale))
        draw.line((x - arm, y - arm, x + arm, y + arm), fill=OUTLINE, width=width)
        draw.line((x - arm, y + arm, x + arm, y - arm), fill=OUTLINE, width=width)
        return
    font = ImageFont.load_default(size=max(8, round((18 if len(glyph) == 1 else 14) * scale)))
    draw.text(centre, glyph, font=font, anchor="mm", fill=OUTLINE)


def _circle(centre: tuple[float, float], radius: float) -> tuple[int, int, int, int]:
    x, y = centre
    return (
        math.floor(x - radius),
        math.floor(y - radius),
        math.ceil(x + radius),
        math.ceil(y + radius),
    )
