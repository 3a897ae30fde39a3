"""WCAG contrast, as the icon's tests and docs measure it (trayapp/tray/contrast.py)."""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw

from trayapp.tray.contrast import (
    channel_luminance,
    contrast_ratio,
    edge_contrast,
    edge_layers,
    measure_badge,
    over,
    relative_luminance,
    text_contrast,
)

BLACK, WHITE = (0, 0, 0), (255, 255, 255)


@pytest.mark.parametrize(
    ("first", "second", "ratio"),
    [
        (BLACK, WHITE, 21.0),
        (WHITE, WHITE, 1.0),
        ((0x77, 0x77, 0x77), WHITE, 4.48),  # the classic "#777 on white just fails AA"
        ((0x76, 0x76, 0x76), WHITE, 4.54),
        ((255, 0, 0), WHITE, 4.0),
        ((0, 0, 255), WHITE, 8.59),
        ((0, 128, 0), WHITE, 5.14),
    ],
)
def test_contrast_ratios_match_wcag(first: tuple[int, int, int], second: tuple[int, int, int],
                                    ratio: float) -> None:  # fmt: skip
    assert contrast_ratio(first, second) == pytest.approx(ratio, abs=0.01)
    assert contrast_ratio(second, first) == contrast_ratio(first, second)


def test_luminance_follows_the_srgb_curve() -> None:
    assert relative_luminance(BLACK) == 0 and relative_luminance(WHITE) == pytest.approx(1)
    assert channel_luminance(10) == pytest.approx(10 / 255 / 12.92)  # the linear toe
    assert channel_luminance(11) == pytest.approx(((11 / 255 + 0.055) / 1.055) ** 2.4)
    assert relative_luminance((0, 255, 0)) == pytest.approx(0.7152)
    assert relative_luminance((255, 0, 0)) == pytest.approx(0.2126)
    assert relative_luminance((0, 0, 255)) == pytest.approx(0.0722)


def test_a_pixel_over_a_background() -> None:
    assert over((200, 100, 0, 255), WHITE) == (200, 100, 0)
    assert over((200, 100, 0, 0), (1, 2, 3)) == (1, 2, 3)
    assert over((0, 0, 0, 128), (254, 254, 254)) == (127, 127, 127)


def test_text_contrast_is_the_median_of_the_pixels_the_text_made_nearer_its_colour() -> None:
    fill, grey = (100, 100, 100), (180, 180, 180)
    under = [fill] * 5
    drawn = [WHITE, WHITE, grey, BLACK, fill]  # two crisp, one blurred, an outline, untouched
    assert text_contrast(drawn, under, WHITE) == pytest.approx(contrast_ratio(WHITE, fill))
    blurred = [grey, grey, WHITE, BLACK, fill]
    assert text_contrast(blurred, under, WHITE) == pytest.approx(contrast_ratio(grey, fill))
    assert text_contrast(under, under, WHITE) is None


def test_the_edge_is_the_best_layer_around_the_badge() -> None:
    """A white ring on a dark green badge: on a light panel the ring vanishes and the fill
    inside it is what shows; on a dark panel the ring does."""
    green, light, dark = (20, 120, 50), (229, 229, 229), (49, 54, 59)
    badge = Image.new("RGBA", (10, 10), (0, 0, 0, 0))
    ImageDraw.Draw(badge).rectangle((1, 1, 8, 8), fill=(*green, 255), outline=(*WHITE, 255))
    outer, inner = edge_layers(badge, light)
    assert set(outer) == {WHITE} and len(outer) == 28 and set(inner) == {green}
    assert edge_contrast([outer, inner], light) == pytest.approx(contrast_ratio(green, light))
    assert edge_contrast(edge_layers(badge, dark), dark) == pytest.approx(
        contrast_ratio(WHITE, dark)
    )
    assert len(edge_layers(badge, dark, depth=3)) == 3


def test_a_badge_is_measured_on_the_panel_it_is_drawn_over() -> None:
    bare = Image.new("RGBA", (8, 8), (20, 120, 50, 255))
    drawn = bare.copy()
    ImageDraw.Draw(drawn).rectangle((3, 2, 4, 5), fill=(*WHITE, 255))
    measured = measure_badge(drawn, bare, WHITE, BLACK)
    assert measured.text == pytest.approx(contrast_ratio(WHITE, (20, 120, 50)))
    assert measured.edge == pytest.approx(contrast_ratio((20, 120, 50), BLACK))
