"""TrayState -> the tray icon's pixels: a badge in the level's colour with the amount on it. Pure.

Which words the icon shows comes from `render` (the short amount); how they are drawn is here.

Tray icons are 16 to 32 px, so the icon is drawn for the size it is shown at, never shrunk: the
amount is set in a small pixel font whose strokes and proportions are chosen from the real pixel
size, every edge on a whole pixel, so nothing blurs to grey. Each badge pairs a light and a dark
colour (the fill and its ink: text, ring and marks), at least 4.5:1 apart, so the text is
legible and one of the two stands out from any dark or light panel. Levels differ by shape too:
warn has a notch, critical a bar above and below the amount, problems a row of crosses, waiting
a dashed ring; a refresh shows as three dots below the amount, never over it.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, NamedTuple

from trayapp.deepgram.models import MAIN_UNIT
from trayapp.formats import HOURS
from trayapp.tray.render import short_amount, short_hours
from trayapp.tray.state import Level, TrayState

if TYPE_CHECKING:
    from PIL import Image, ImageDraw

ICON_SIZE = 64
"""The size handed to backends that take one image and scale it themselves."""
DRAWN_SIZES = (16, 22, 24, 32, 48, 64)
"""Sizes worth drawing for hosts that pick their own (StatusNotifierItem pixmaps): the common
panel sizes 16-24, 32 for HiDPI or tall panels, 48-64 for hosts that scale down themselves."""

SMALLEST_DRAWN = 14
"""Below this the badge has no room for its ring, marks and text: it is drawn at this and shrunk."""
ICO_FRAME_SIZES = (16, 24, 32, 48, 64)
"""The frames Pillow writes into the icon file pystray's win32 backend loads: each shrunk from the
image, except the one of the image's own size."""


def pystray_image_size(backend: str, shown_at: int | None) -> int:
    """The size to draw the one image a pystray backend takes.

    `shown_at` is the size the backend shows it at, where it says (gtk's status icon once a tray
    has embedded it; Windows' small-icon size at the screen's DPI): drawn at that size, nothing
    scales it. Where it does not say, ICON_SIZE, which the backend shrinks. On Windows a size
    between the icon file's frames (20 px at 125 %) is drawn at the next frame up.
    """
    if shown_at is None or shown_at <= 0:
        return ICON_SIZE
    if backend == "win32":
        return next((frame for frame in ICO_FRAME_SIZES if frame >= shown_at), ICON_SIZE)
    return shown_at


RGB = tuple[int, int, int]
BLACK: RGB = (0, 0, 0)
WHITE: RGB = (255, 255, 255)


class Palette(NamedTuple):
    """A badge's colours: the fill, and the ink its text, ring and marks are drawn in."""

    fill: RGB
    ink: RGB


# The contract's colour families, in shades chosen for contrast: white ink on a green and a red
# dark enough for it (about 6:1), black ink on amber and grey (7:1 and more).
PALETTES: dict[Level, Palette] = {
    Level.OK: Palette((20, 120, 50), WHITE),
    Level.WARN: Palette((245, 170, 20), BLACK),
    Level.CRITICAL: Palette((200, 30, 30), WHITE),
    Level.WAITING: Palette((150, 150, 150), BLACK),
    Level.PROBLEM: Palette((150, 150, 150), BLACK),
}
COLOURS: dict[Level, RGB] = {level: palette.fill for level, palette in PALETTES.items()}


class Mark(enum.Enum):
    """What tells a level without its colour: drawn in the bands above and below the text."""

    NONE = "none"
    NOTCH = "notch"
    """A triangle hanging from the top edge, like a warning sign's."""
    BARS = "bars"
    """A bar above and below the amount: the bands in ink, inside a line of fill."""
    CROSSES = "crosses"
    """A row of small crosses above and below."""
    DASHED = "dashed"
    """The ring drawn in dashes: nothing known yet."""


MARKS: dict[Level, Mark] = {
    Level.OK: Mark.NONE,
    Level.WARN: Mark.NOTCH,
    Level.CRITICAL: Mark.BARS,
    Level.WAITING: Mark.DASHED,
    Level.PROBLEM: Mark.CROSSES,
}


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
    """Draw the tray icon at `size` px: a badge in the level's colour with the amount on it.

    Meaning never rests on colour alone: a mark in the bands above and below the amount tells
    the level (see `Mark`), and the text shows the amount, `?` (no key) or `…` (first fetch).
    While a refresh runs, three dots replace the lower band's mark.
    """
    return draw_icon(state.level, icon_text(state), size, refreshing=state.refreshing)


def notification_icon(state: TrayState, size: int = ICON_SIZE) -> Image.Image:
    """The icon for a notification: as the tray's, without the refresh dots (a notification
    outlives the refresh it was shown during)."""
    return draw_icon(state.level, icon_text(state), size, refreshing=False)


# --- layout -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """Where things go on a badge of `size` px: every value a whole number of pixels."""

    size: int
    ring: int
    """The ink outline's width."""
    radius: int
    """The badge's corner radius."""
    pad: int
    """Fill kept clear between the text and the ring or a band."""
    band: int
    """The rows above and below the text where the marks go."""
    max_stroke: int
    """The text's stroke width where it fits."""

    @classmethod
    def for_size(cls, size: int) -> Layout:
        return cls(
            size=size,
            ring=max(1, size // 32),
            radius=max(2, round(size * 0.18)),
            pad=max(1, size // 24),
            band=max(2, round(size / 8)),
            max_stroke=max(1, round(size / 14)),
        )

    @property
    def text_room(self) -> tuple[int, int]:
        """The width and height the text may take."""
        side = self.ring + self.pad
        return self.size - 2 * side, self.size - 2 * (side + self.band)

    @property
    def top_band(self) -> range:
        return range(self.ring, self.ring + self.band)

    @property
    def bottom_band(self) -> range:
        return range(self.size - self.ring - self.band, self.size - self.ring)


# --- the pixel font ---------------------------------------------------------------------------

# Glyphs on a grid of 5 rows. Even columns and rows are strokes, odd ones the room between them:
# each is stretched to the pixel size (strokes to the stroke width, rooms to what fits), so one
# drawing serves every size and every edge stays on a whole pixel. ":" inks the upper part of a
# cell only, leaving a gap below (the stem of a ? above its dot).
GLYPHS: dict[str, tuple[str, ...]] = {
    "0": ("###", "#.#", "#.#", "#.#", "###"),
    "1": ("##.", ".#.", ".#.", ".#.", "###"),
    "2": ("###", "..#", "###", "#..", "###"),
    "3": ("###", "..#", "###", "..#", "###"),
    "4": ("#.#", "#.#", "###", "..#", "..#"),
    "5": ("###", "#..", "###", "..#", "###"),
    "6": ("###", "#..", "###", "#.#", "###"),
    "7": ("###", "..#", "..#", "..#", "..#"),
    "8": ("###", "#.#", "###", "#.#", "###"),
    "9": ("###", "#.#", "###", "..#", "###"),
    ".": (".", ".", ".", ".", "#"),
    "k": ("#..", "#.#", "##.", "#.#", "#.#"),
    "M": ("#...#", "##.##", "#.#.#", "#...#", "#...#"),
    "B": ("##.", "#.#", "##.", "#.#", "##."),
    "h": ("#..", "#..", "###", "#.#", "#.#"),
    "+": ("...", ".#.", "###", ".#.", "..."),
    "-": ("...", "...", "###", "...", "..."),
    "?": ("###", "..#", ".##", ".:.", ".#."),
    "!": ("#", "#", "#", ".", "#"),
    "…": (".....", ".....", "#.#.#", ".....", "....."),
}
UNKNOWN_GLYPH = GLYPHS["?"]
CENTRED_STEM = frozenset("1+")
"""Glyphs whose middle column is a stroke (the stem of a 1): their sides take the room."""
EVEN_COLUMNS = frozenset("k?M…")
"""Other glyphs with strokes in their odd columns: all their columns get one width, near the
stroke's, lest a stroke become a slab as wide as the hole in a 0."""


class TextFit(NamedTuple):
    """How a text is set on a badge: the characters shown, its stroke and its proportions."""

    text: str
    stroke: int
    room: int
    """The width of the glyphs' inner columns (the hole in a 0)."""
    height: int

    @property
    def width(self) -> int:
        return sum(_glyph_width(c, self.stroke, self.room) for c in self.text) + self.stroke * (
            len(self.text) - 1
        )


def _glyph(char: str) -> tuple[str, ...]:
    return GLYPHS.get(char, UNKNOWN_GLYPH)


def _column_widths(char: str, stroke: int, room: int) -> list[int]:
    columns = len(_glyph(char)[0])
    if char in CENTRED_STEM:  # as wide as a digit, its stem a stroke wide
        side = (stroke + room) // 2
        return [side, stroke, stroke + room - side]
    if char in EVEN_COLUMNS:
        return [max(stroke, round((2 * stroke + room) / 3))] * columns
    return [stroke if i % 2 == 0 else room for i in range(columns)]


def _glyph_width(char: str, stroke: int, room: int) -> int:
    return sum(_column_widths(char, stroke, room))


def drawn_text(text: str) -> str:
    """The characters drawn for `text`: all but `$`. In a few pixels a `$` reads as an S or a 5
    ("$0" as "50"), and the amounts are dollars unless they end in `h` (hours)."""
    return text.replace("$", "")


def without_decimals(text: str) -> str:
    """`1.2k` -> `1k`: for when the decimals do not fit; still rounded down, as amounts are."""
    whole, point, rest = text.partition(".")
    return whole + rest.lstrip("0123456789") if point else text


NEXT_UNIT = {"k": "M", "M": "B"}


def shorter_forms(text: str) -> Iterator[str]:
    """`text` without `$`, then ever shorter forms of it for a 16 px icon (three characters):
    without decimals (`1.2k` -> `1k`), without the hours' `h` (`128h` -> `128`), in the next
    unit up (`999k` -> `.9M`), and at last the sign alone (`-128` -> `-`). Each still rounds
    down, as the amounts do."""
    shown = drawn_text(text)
    yield shown
    whole = without_decimals(shown)
    yield whole
    if whole.endswith("h"):
        yield from shorter_forms(whole[:-1])
        return
    digits, unit = whole[:-1], whole[-1:]
    if unit in NEXT_UNIT and digits.isdigit() and len(digits) == 3:
        yield f".{digits[0]}{NEXT_UNIT[unit]}"
    if whole.startswith("-"):
        yield "-"


def fit_text(text: str, layout: Layout) -> TextFit | None:
    """The largest legible setting of `text` in the layout's room: the first of its
    `shorter_forms` that fits (all of it from 22 px up); None where none does (below 16 px)."""
    width, height = layout.text_room
    for form in shorter_forms(text):
        found = _largest_setting(form, width, height, layout.max_stroke)
        if found is not None:
            return found
    return None


def _largest_setting(text: str, width: int, height: int, max_stroke: int) -> TextFit | None:
    for stroke in range(max_stroke, 0, -1):
        # Taller than about twice its width a glyph reads as a picket fence; wider than three
        # quarters of the room's height it is a smudge: the inner columns stay in between.
        for room in range(max(1, round(height * 0.75) - 2 * stroke), 0, -1):
            fit = TextFit(text, stroke, room, height)
            if fit.width <= width:
                glyph_width = 2 * stroke + room
                tallest = min(height, 2 * glyph_width + 2)
                if tallest >= 3 * stroke + 2:
                    return fit._replace(height=tallest)
    return None


def _row_heights(height: int, stroke: int) -> tuple[int, ...]:
    """Five rows: strokes at the top, middle and bottom, the rest shared by the two rooms
    (the lower one gets the odd pixel, as type does)."""
    rooms = height - 3 * stroke
    upper = rooms // 2
    return (stroke, upper, stroke, rooms - upper, stroke)


def text_boxes(fit: TextFit, left: int, top: int) -> Iterator[tuple[int, int, int, int]]:
    """The text's inked rectangles (left, top, right, bottom, inclusive) drawn from (left, top)."""
    heights = _row_heights(fit.height, fit.stroke)
    x = left
    for char in fit.text:
        rows = _glyph(char)
        widths = _column_widths(char, fit.stroke, fit.room)
        y = top
        for row, row_height in zip(rows, heights, strict=True):
            cx = x
            for cell, cell_width in zip(row, widths, strict=True):
                if cell == "#":
                    yield (cx, y, cx + cell_width - 1, y + row_height - 1)
                elif cell == ":":
                    inked = max(1, row_height - max(1, row_height // 2))
                    yield (cx, y, cx + cell_width - 1, y + inked - 1)
                cx += cell_width
            y += row_height
        x += sum(widths) + fit.stroke


# --- drawing ------------------------------------------------------------------------------------


def draw_icon(level: Level, text: str, size: int, *, refreshing: bool = False) -> Image.Image:
    """The badge for `level` with `text` at `size` px (the tray's look, without a TrayState)."""
    from PIL import Image, ImageDraw

    if size < SMALLEST_DRAWN:  # no room for the layout: shrink the smallest that has it
        drawn = draw_icon(level, text, SMALLEST_DRAWN, refreshing=refreshing)
        return drawn.resize((max(1, size), max(1, size)), Image.Resampling.LANCZOS)
    layout = Layout.for_size(size)
    fill, ink = PALETTES[level]
    image = Image.new("RGBA", (size, size), (*ink, 255))
    draw = ImageDraw.Draw(image)
    ring = layout.ring
    draw.rounded_rectangle(
        (ring, ring, size - 1 - ring, size - 1 - ring),
        radius=max(1, layout.radius - ring),
        fill=(*fill, 255),
    )
    mark = MARKS[level]
    if mark is Mark.DASHED:
        _dash_the_ring(draw, layout, fill)
    _draw_mark(draw, layout, mark, ink, bottom=not refreshing)
    if refreshing:
        _draw_refresh_dots(draw, layout, ink)
    fit = fit_text(text, layout) if text else None
    if fit is not None:
        left = (size - fit.width) // 2
        top = (size - fit.height) // 2
        for rectangle in text_boxes(fit, left, top):
            draw.rectangle(rectangle, fill=(*ink, 255))
    # The badge's rounded outline last: marks drawn square into the corners are cut back to it.
    outline = Image.new("L", (size, size), 0)
    ImageDraw.Draw(outline).rounded_rectangle((0, 0, size - 1, size - 1), layout.radius, fill=255)
    return Image.composite(image, Image.new("RGBA", (size, size), (0, 0, 0, 0)), outline)


def _draw_mark(
    draw: ImageDraw.ImageDraw, layout: Layout, mark: Mark, ink: RGB, *, bottom: bool
) -> None:
    colour = (*ink, 255)
    size, ring = layout.size, layout.ring
    bands = [layout.top_band, layout.bottom_band] if bottom else [layout.top_band]
    if mark is Mark.NOTCH:
        # A triangle pointing at the amount from the top edge, two pixels narrower a row.
        for k, y in enumerate(layout.top_band):
            half = layout.band - k + 1
            draw.rectangle((size // 2 - half, y, (size - 1) // 2 + half, y), fill=colour)
    elif mark is Mark.BARS:
        # Inset by a line of fill, so the badge's edge stays its fill all round (white bars
        # against the ring would read as part of a light panel), and a third of the band thick,
        # so the fill stays the badge's main colour, also where a host shrinks a large pixmap.
        inset, thick = max(1, layout.band // 4), max(1, layout.band // 3)
        for band in bands:
            top = band == layout.top_band
            rows = band[inset : inset + thick] if top else band[-inset - thick : -inset]
            draw.rectangle((ring + 1, rows[0], size - 2 - ring, rows[-1]), fill=colour)
    elif mark is Mark.CROSSES:
        for band in bands:
            for x, y in _crosses(layout, band):
                draw.point((x, y), fill=colour)


def _crosses(layout: Layout, band: range) -> Iterator[tuple[int, int]]:
    """Small crosses (3x3, or the upper halves in a 2-row band) along a band, inside the ring."""
    size, edge = layout.size, layout.ring + 1
    rows = list(band)[:3]
    top = band[0] + (len(band) - len(rows)) // 2
    pattern = ("#.#", ".#.", "#.#")[: len(rows)]
    first = edge + (size - 2 * edge) % 4 // 2
    for x in range(first, size - edge - 2, 4):
        for dy, line in enumerate(pattern):
            for dx, cell in enumerate(line):
                if cell == "#":
                    yield (x + dx, top + dy)


def _dash_the_ring(draw: ImageDraw.ImageDraw, layout: Layout, fill: RGB) -> None:
    """One in three of the ring's pixels in the fill's colour: a dashed outline, whose dashes
    still cover most of the ring (on a light panel they, not the grey fill, outline it)."""
    size, ring = layout.size, layout.ring
    for y in range(size):
        for x in range(size):
            on_ring = min(x, y, size - 1 - x, size - 1 - y) < ring
            if on_ring and (x + y) % 3 == 2:
                draw.point((x, y), fill=(*fill, 255))


def _draw_refresh_dots(draw: ImageDraw.ImageDraw, layout: Layout, ink: RGB) -> None:
    """Three dots in the lower band, clear of the text: a refresh is running."""
    dot = max(2, layout.band // 2)
    top = layout.bottom_band[0] + (layout.band - dot) // 2
    left = (layout.size - 5 * dot) // 2
    for i in range(3):
        x = left + 2 * dot * i
        draw.rectangle((x, top, x + dot - 1, top + dot - 1), fill=(*ink, 255))
