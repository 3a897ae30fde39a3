"""State -> the tray icon's pixels, at the sizes panels show it, without any display.

Legibility is measured, not eyeballed: WCAG contrast on the drawn pixels, for every look of the
icon at every panel size on a dark and a light panel.
"""

from __future__ import annotations

from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from PIL import Image

from tests.support.colours import colour_family, dominant_family
from tests.support.icon_states import ICON_STATES, PANELS, refreshing
from tests.support.tray_states import state_with
from trayapp.errors import AuthError, NetworkError, PermissionDeniedError
from trayapp.tray.contrast import NON_TEXT_MINIMUM, TEXT_MINIMUM, contrast_ratio, measure_badge
from trayapp.tray.icon import (
    COLOURS,
    DRAWN_SIZES,
    ICON_SIZE,
    PALETTES,
    Layout,
    TextFit,
    draw_icon,
    fit_text,
    icon_image,
    icon_look,
    icon_text,
    notification_icon,
    pystray_image_size,
    text_boxes,
)
from trayapp.tray.render import short_amount, short_hours
from trayapp.tray.state import Level, TrayState

PANEL_SIZES = (16, 22, 24, 32)


def without_text(state: TrayState, size: int) -> Image.Image:
    return draw_icon(state.level, "", size, refreshing=state.refreshing)


def pixels(image: Image.Image) -> list[tuple[int, int, int, int]]:
    data = image.convert("RGBA").tobytes()
    return [(data[i], data[i + 1], data[i + 2], data[i + 3]) for i in range(0, len(data), 4)]


def text_box(state: TrayState, size: int) -> tuple[int, int, int, int]:
    """The box (left, top, right, bottom; exclusive) around the pixels the text changes."""
    changed = [
        i
        for i, (a, b) in enumerate(
            zip(pixels(icon_image(state, size)), pixels(without_text(state, size)), strict=True)
        )
        if a != b
    ]
    xs, ys = [i % size for i in changed], [i // size for i in changed]
    return min(xs), min(ys), max(xs) + 1, max(ys) + 1


# --- contrast, measured on the drawn pixels --------------------------------------------------


@pytest.mark.parametrize("panel", PANELS)
@pytest.mark.parametrize("size", PANEL_SIZES)
@pytest.mark.parametrize("name", ICON_STATES)
def test_text_and_badge_meet_wcag_contrast_on_the_panel(name: str, size: int, panel: str) -> None:
    state = ICON_STATES[name]
    measured = measure_badge(
        icon_image(state, size), without_text(state, size), PALETTES[state.level].ink, PANELS[panel]
    )
    assert measured.text is not None and measured.text >= TEXT_MINIMUM, measured
    assert measured.edge >= NON_TEXT_MINIMUM, measured


@pytest.mark.parametrize("size", PANEL_SIZES)
@pytest.mark.parametrize("name", ICON_STATES)
def test_the_colours_drawn_are_the_designed_ones(name: str, size: int) -> None:
    """Every opaque pixel is the fill or the ink, nothing between: no blur, no stray shade."""
    state = ICON_STATES[name]
    fill, ink = PALETTES[state.level]
    opaque = Counter(p[:3] for p in pixels(icon_image(state, size)) if p[3] == 255)
    assert set(opaque) == {fill, ink}
    assert {p[3] for p in pixels(icon_image(state, size))} <= {0, 255}
    assert opaque.most_common(1)[0][0] == fill


def test_the_designed_colours_meet_the_thresholds_with_a_margin_to_spare() -> None:
    for fill, ink in PALETTES.values():
        assert contrast_ratio(fill, ink) >= 5.0


def test_the_measure_tells_blurred_text_from_crisp() -> None:
    """The same badge shrunk and blown up again, as a host that scales a pixmap does, measures
    below 4.5:1: the measure sees blur (the old design measured 1.3-4.5:1 this way)."""
    state = ICON_STATES["warn"]
    crisp = draw_icon(Level.WARN, "12", 24)
    blurred = crisp.resize((12, 12), Image.Resampling.LANCZOS).resize((24, 24))
    bare = without_text(state, 24).resize((12, 12), Image.Resampling.LANCZOS).resize((24, 24))
    measured = measure_badge(blurred, bare, PALETTES[Level.WARN].ink, PANELS["dark"])
    assert measured.text is not None and measured.text < TEXT_MINIMUM


# --- colour families (the contract's "Icon colours") ---------------------------------------------


@pytest.mark.parametrize(
    ("state", "level", "family"),
    [
        (state_with("128.32"), Level.OK, "green"),
        (state_with("20"), Level.OK, "green"),
        (state_with("19.99"), Level.WARN, "amber"),
        (state_with("5"), Level.WARN, "amber"),
        (state_with("4.99"), Level.CRITICAL, "red"),
        (state_with("0"), Level.CRITICAL, "red"),
        (state_with(), Level.WAITING, "grey"),
        (state_with(has_key=False), Level.PROBLEM, "grey"),
        (state_with("128", error=AuthError("refused")), Level.PROBLEM, "grey"),
        (state_with(error=PermissionDeniedError("member")), Level.PROBLEM, "grey"),
        (state_with("128", stale=True), Level.PROBLEM, "grey"),
        (state_with(error=NetworkError("offline")), Level.PROBLEM, "grey"),
    ],
)
def test_level_and_icon_colour(state: TrayState, level: Level, family: str) -> None:
    assert state.level is level
    assert colour_family(COLOURS[level]) == family
    for size in (*PANEL_SIZES, 64):
        assert dominant_family(icon_image(state, size)) == family


# --- the amount: large, centred, whole pixels -----------------------------------------------------


@pytest.mark.parametrize(
    ("size", "tallest"), [(16, 8), (22, 12), (24, 12), (32, 16), (48, 24), (64, 32)]
)
def test_the_amount_is_as_tall_as_the_size_allows(size: int, tallest: int) -> None:
    """The user test found 6-7 px of blurred text at 24 px; now 12 px of crisp strokes."""
    left, top, right, bottom = text_box(state_with("128.32"), size)
    assert bottom - top >= tallest
    assert right - left >= size * 0.55  # three digits fill most of the width


@pytest.mark.parametrize("size", DRAWN_SIZES)
@pytest.mark.parametrize("name", ["ok", "warn", "critical", "stale", "refreshing", "no key"])
def test_the_amount_is_centred(name: str, size: int) -> None:
    left, top, right, bottom = text_box(ICON_STATES[name], size)
    assert abs(top - (size - bottom)) <= 1, (top, bottom)
    assert abs(left - (size - right)) <= 1, (left, right)


def every_icon_text() -> list[str]:
    amounts = ["0", "4.19", "9.99", "128.32", "999.99", "1234", "99999", "999999", "3456789"]
    amounts += ["999999999", "1000000000", "-12", "-1500", "-0.5"]
    texts = [short_amount(Decimal(a)) for a in amounts]
    texts += [short_hours(Decimal(h)) for h in ("4.15", "12", "128", "1234", "99999", "999999")]
    return [*texts, "?", "!", "…", "-"]


@pytest.mark.parametrize("size", DRAWN_SIZES)
def test_every_text_the_icon_shows_fits_its_room(size: int) -> None:
    layout = Layout.for_size(size)
    width, height = layout.text_room
    for text in every_icon_text():
        fit = fit_text(text, layout)
        assert fit is not None, text
        assert fit.width <= width and fit.height <= height, (text, fit)
        assert fit.height >= 3 * fit.stroke + 2, (text, fit)


@pytest.mark.parametrize(
    ("text", "size", "shown"),
    [
        ("$128", 16, "128"),  # "$" is never drawn: at these sizes it reads as S or 5
        ("$4.1", 16, "4.1"),
        ("1.2k", 16, "1k"),  # four characters do not fit in 16 px: the decimals go
        ("-$1.5k", 16, "-1k"),
        ("4.1h", 16, "4h"),
        ("1.2k", 22, "1.2k"),
        ("4.1h", 22, "4.1h"),
        ("1B+", 16, "1B+"),
        ("999k", 16, ".9M"),
        ("128M", 16, ".1B"),
        ("128h", 16, "128"),
        ("999kh", 16, ".9M"),
        ("-$128", 16, "-"),
        ("999k", 22, "999k"),
        ("$0", 64, "0"),
    ],
)
def test_what_the_icon_shows_where_the_text_does_not_fit(text: str, size: int, shown: str) -> None:
    fit = fit_text(text, Layout.for_size(size))
    assert fit is not None and fit.text == shown


def test_shorter_amounts_are_drawn_larger() -> None:
    short, long = (fit_text(t, Layout.for_size(24)) for t in ("$4.1", "1.2k"))
    assert short is not None and long is not None
    assert (
        short.height > long.height and 2 * short.stroke + short.room > 2 * long.stroke + long.room
    )


# --- states by shape ------------------------------------------------------------------------------


def grey(image: Image.Image) -> bytes:
    return image.convert("L").tobytes()


@pytest.mark.parametrize("size", PANEL_SIZES)
def test_every_look_differs_in_greyscale(size: int) -> None:
    """Without colour (macOS templates, colour-blind users) every level, with the same amount,
    and every refresh still looks different."""
    looks = {
        (level, busy): grey(draw_icon(level, "12", size, refreshing=busy))
        for level in Level
        for busy in (False, True)
        if not (level is Level.WAITING and busy)
    }
    assert len(set(looks.values())) == len(looks)


def shape_pixels(level: Level, size: int, *, busy: bool = False) -> set[tuple[int, int]]:
    """Where the ink is, amount aside: the ring and the marks."""
    image = draw_icon(level, "", size, refreshing=busy)
    ink = PALETTES[level].ink
    return {
        (i % size, i // size) for i, p in enumerate(pixels(image)) if p[3] == 255 and p[:3] == ink
    }


@pytest.mark.parametrize("size", PANEL_SIZES)
@pytest.mark.parametrize(
    ("first", "second"),
    [
        (Level.OK, Level.WARN),
        (Level.OK, Level.CRITICAL),
        (Level.WARN, Level.CRITICAL),
        (Level.WARN, Level.PROBLEM),
        (Level.CRITICAL, Level.PROBLEM),
        (Level.PROBLEM, Level.WAITING),
        (Level.OK, Level.WAITING),
    ],
)
def test_the_marks_differ_in_shape(first: Level, second: Level, size: int) -> None:
    """The user test found "!" and "!!" alike at 24 px: the marks now differ by many pixels."""
    assert len(shape_pixels(first, size) ^ shape_pixels(second, size)) >= 8


@pytest.mark.parametrize("size", PANEL_SIZES)
def test_warn_has_a_notch_pointing_down_from_the_top(size: int) -> None:
    layout = Layout.for_size(size)
    ink = shape_pixels(Level.WARN, size) - shape_pixels(Level.OK, size)
    widths = [len([x for x, y in ink if y == row]) for row in layout.top_band]
    assert widths[0] >= 4 and widths == sorted(widths, reverse=True) and widths[-1] < widths[0]
    assert all(y in layout.top_band for _, y in ink)


@pytest.mark.parametrize("size", PANEL_SIZES)
def test_critical_has_a_bar_above_and_below_the_amount(size: int) -> None:
    layout = Layout.for_size(size)
    ink = shape_pixels(Level.CRITICAL, size) - shape_pixels(Level.OK, size)
    for band in (layout.top_band, layout.bottom_band):
        longest = max(len([x for x, y in ink if y == row]) for row in band)
        assert longest >= size - 2 * layout.radius
    # inside a line of fill, so the badge's own edge stays red on a light panel
    assert not ink & {(x, layout.ring) for x in range(size)}


@pytest.mark.parametrize("size", [22, 24, 32])
def test_a_problem_is_marked_with_crosses(size: int) -> None:
    """An X looks the same mirrored and turned a quarter turn: each mark is a 3x3 X."""
    ink = shape_pixels(Level.PROBLEM, size) - shape_pixels(Level.OK, size)
    centres = [
        (x, y)
        for x, y in ink
        if {(x - 1, y - 1), (x + 1, y - 1), (x - 1, y + 1), (x + 1, y + 1)} <= ink
        and not {(x - 1, y), (x + 1, y), (x, y - 1), (x, y + 1)} & ink
    ]
    assert len(centres) >= 4


def test_a_problem_at_16_px_is_still_marked_above_and_below() -> None:
    layout = Layout.for_size(16)
    ink = shape_pixels(Level.PROBLEM, 16) - shape_pixels(Level.OK, 16)
    assert {y for _, y in ink} & set(layout.top_band) and {y for _, y in ink} & set(
        layout.bottom_band
    )


@pytest.mark.parametrize("size", PANEL_SIZES)
def test_waiting_has_a_dashed_ring(size: int) -> None:
    ring_row = [(x, 0) for x in range(Layout.for_size(size).radius, size - 4)]
    solid, dashed = shape_pixels(Level.OK, size), shape_pixels(Level.WAITING, size)
    assert all(p in solid for p in ring_row)
    assert 0.5 < len([p for p in ring_row if p in dashed]) / len(ring_row) < 0.8


@pytest.mark.parametrize("size", PANEL_SIZES)
@pytest.mark.parametrize("level", [Level.OK, Level.WARN, Level.CRITICAL, Level.PROBLEM])
def test_marks_and_refresh_dots_never_touch_the_amount(level: Level, size: int) -> None:
    """The user test found the refresh dot covering the last digit: now the text's rows, and a
    row of fill either side, hold nothing but fill inside the ring."""
    ring = Layout.for_size(size).ring
    for busy in (False, True):
        drawn = draw_icon(level, "0.0k", size, refreshing=busy)
        bare = draw_icon(level, "", size, refreshing=busy)
        text_rows = [
            i // size
            for i, (a, b) in enumerate(zip(pixels(drawn), pixels(bare), strict=True))
            if a != b
        ]
        top, bottom = min(text_rows) - 1, max(text_rows) + 1
        for y in range(top, bottom + 1):
            row = [bare.getpixel((x, y)) for x in range(ring, size - ring)]
            assert set(row) == {(*PALETTES[level].fill, 255)}, (busy, y)


@pytest.mark.parametrize("size", PANEL_SIZES)
def test_refreshing_shows_three_dots_in_the_lower_band(size: int) -> None:
    layout = Layout.for_size(size)
    dots = shape_pixels(Level.OK, size, busy=True) - shape_pixels(Level.OK, size)
    assert dots and all(y in layout.bottom_band for _, y in dots)
    row = sorted({x for x, _ in dots})
    runs = sum(1 for a, b in zip([-2, *row], row, strict=False) if b - a > 1)
    assert runs == 3
    plain, busy = state_with("128"), state_with("128", refreshing=True)
    assert icon_look(plain) != icon_look(busy)


def test_a_notification_icon_never_shows_a_refresh() -> None:
    for name, state in ICON_STATES.items():
        for size in (32, 64):
            shown = notification_icon(refreshing(state), size)
            expected = draw_icon(state.level, icon_text(state), size)
            assert shown.tobytes() == expected.tobytes(), name


# --- what the app relies on -----------------------------------------------------------------------


def test_a_redraw_is_needed_exactly_when_the_icon_would_look_different() -> None:
    base = state_with("128.32")
    assert icon_look(base) == icon_look(state_with("128.99", checked_at=None))
    assert icon_look(base) != icon_look(state_with("12"))  # another level
    assert icon_look(base) != icon_look(state_with("130"))  # another amount
    assert icon_look(base) != icon_look(state_with("128.32", refreshing=True))


def test_icon_draws_at_any_size() -> None:
    """Whatever size a backend reports (GTK's status icon can say 14 px, or 0 before a tray
    takes it), every look draws, at that size."""
    for size in range(1, 130):
        for name, state in ICON_STATES.items():
            image = icon_image(state, size=size)
            assert image.size == (size, size) and image.mode == "RGBA", (name, size)


@pytest.mark.parametrize(
    ("backend", "shown_at", "size"),
    [
        ("gtk", 22, 22),  # drawn at the size the status icon shows: GTK scales nothing
        ("gtk", None, ICON_SIZE),  # no tray has taken it yet: a large one, shrunk meanwhile
        ("gtk", 0, ICON_SIZE),
        ("xorg", None, ICON_SIZE),
        ("win32", 16, 16),  # Windows' small-icon size at 100 %, 150 %, 200 %
        ("win32", 24, 24),
        ("win32", 32, 32),
        ("win32", 20, 24),  # 125 %: Pillow's icon file has no 20 px frame, so the next one up
        ("win32", 40, 48),
        ("win32", 80, ICON_SIZE),
    ],
)
def test_the_image_handed_to_pystray_is_drawn_at_the_size_shown(
    backend: str, shown_at: int | None, size: int
) -> None:
    assert pystray_image_size(backend, shown_at) == size


def test_the_icon_text_says_which_grey_it_is() -> None:
    assert icon_text(state_with()) == "…"  # first check still running
    assert icon_text(state_with(error=NetworkError("offline."))) == "!"
    assert icon_text(state_with(has_key=False)) == "?"
    assert icon_text(state_with("128", has_key=False)) == "?"
    assert icon_text(state_with("12.5", stale=True)) == "$12"


def test_the_contact_sheet_script_runs(tmp_path: Path) -> None:
    """scripts/icon_contact_sheet.py draws the sheet and the table (their pixels are not
    compared with the committed ones: they vary with Pillow's font rendering)."""
    from scripts.icon_contact_sheet import main

    assert main(["--out", str(tmp_path)]) == 0
    with Image.open(tmp_path / "icon-contact-sheet.png") as sheet:
        assert sheet.width > 4 * sum(PANEL_SIZES) and sheet.height > len(ICON_STATES) * 4 * 32
    table = (tmp_path / "icon-contrast.md").read_text()
    for name in ICON_STATES:
        assert table.count(f"| {name} |") == len(PANEL_SIZES)
    # The old design is measured alongside where git has its commit (not in a shallow clone).
    assert "text before" in table or "could not be read from git" in table


@pytest.mark.parametrize(("stroke", "room"), [(1, 1), (1, 3), (2, 3), (2, 6), (3, 8)])
def test_stems_are_strokes_not_slabs(stroke: int, room: int) -> None:
    """A 1's stem, and every column of a k, ?, M or …, is about a stroke wide: stretched to the
    room of a 0 (the hole in it), a stem reads as a block."""
    for text in ("1", "?", "k", "M", "…"):
        fit = TextFit(text, stroke, room, 3 * stroke + 2 * room + 2)
        boxes = list(text_boxes(fit, 0, 0))
        if text == "1":  # the flag and the foot span the glyph; the stem is a stroke
            foot = fit.height - fit.stroke
            assert {r - lft + 1 for lft, t, r, _ in boxes if 0 < t < foot} == {stroke}
        else:
            widest = max(r - lft + 1 for lft, _, r, _ in boxes)
            assert widest <= max(stroke, round((2 * stroke + room) / 3)) + 1, text
