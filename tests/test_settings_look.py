"""The windows' look, the pure parts: which theme, light or dark, and how tall a window may be."""

from __future__ import annotations

import pytest

from trayapp.tk.dark_mode import dark_from_portal_value, dark_gtk_theme
from trayapp.tk.look import DARK, LIGHT, Palette, choose_theme
from trayapp.tk.scrolled_body import SCREEN_MARGIN, fitting_height

EVERY_THEME = ("clam", "alt", "default", "classic", "vista", "winnative", "xpnative", "aqua")


class TestTheme:
    @pytest.mark.parametrize(
        ("platform", "dark", "theme"),
        [
            ("win32", False, "vista"),  # Windows' own look
            ("win32", True, "clam"),  # vista has no dark form: clam in the dark palette
            ("darwin", False, "aqua"),
            ("darwin", True, "aqua"),  # aqua follows dark mode by itself
            ("linux", False, "clam"),
            ("linux", True, "clam"),
        ],
    )
    def test_each_platform_and_preference(self, platform: str, dark: bool, theme: str) -> None:
        assert choose_theme(platform, dark, EVERY_THEME) == theme

    def test_a_tk_without_the_platform_theme_or_clam(self) -> None:
        assert choose_theme("win32", False, ("clam", "default")) == "clam"
        assert choose_theme("linux", False, ("default", "classic")) == "default"


def luminance(colour: str) -> float:
    def channel(value: int) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: str, b: str) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


@pytest.mark.parametrize("palette", [LIGHT, DARK], ids=["light", "dark"])
def test_text_is_readable_on_each_palette(palette: Palette) -> None:
    """WCAG AA for text (4.5:1) for everything that is read; hints and disabled text less
    loud, but still 3:1 on their own backgrounds."""
    for name in ("text", "error", "ok", "info", "muted"):
        assert contrast(getattr(palette, name), palette.background) >= 4.5, name
    assert contrast(palette.text, palette.field) >= 4.5
    assert contrast(palette.disabled_text, palette.disabled_field) >= 3
    # The disabled field must look different from an enabled one.
    assert palette.disabled_field != palette.field


def test_the_information_colour_is_not_the_error_colour() -> None:
    for palette in (LIGHT, DARK):
        assert palette.info != palette.error
        r, _, b = (int(palette.info[i : i + 2], 16) for i in (1, 3, 5))
        assert b > r, "information is blue, errors red"


class TestDarkPreference:
    @pytest.mark.parametrize(
        ("value", "dark"),
        [
            (("u", 1), True),  # ReadOne: the number in one variant
            (("v", ("u", 1)), True),  # Read: in two
            (("v", ("v", ("u", 1))), True),  # some portals: in three
            (("u", 2), False),
            (("u", 0), None),  # no preference: the next source decides
            (("s", "dark"), None),
            (None, None),
            (("b", True), None),
        ],
    )
    def test_the_portals_colour_scheme(self, value: object, dark: bool | None) -> None:
        assert dark_from_portal_value(value) is dark

    @pytest.mark.parametrize(
        ("name", "dark"),
        [
            ("Adwaita:dark", True),
            ("Adwaita-dark", True),
            (" Arc-Dark ", True),
            ("Adwaita", False),
            ("Darkish", False),
            ("", False),
        ],
    )
    def test_gtk_theme(self, name: str, dark: bool) -> None:
        assert dark_gtk_theme(name) is dark


class TestFittingHeight:
    def test_all_of_it_when_the_screen_has_room(self) -> None:
        assert fitting_height(400, 0, 768) == 400

    def test_no_more_than_the_screen_below_the_top_less_a_margin(self) -> None:
        assert fitting_height(900, 0, 600) == 600 - SCREEN_MARGIN
        assert fitting_height(900, 100, 600) == 600 - 100 - SCREEN_MARGIN
        assert fitting_height(900, -20, 600) == 600 - SCREEN_MARGIN  # a top above the screen

    def test_never_nothing(self) -> None:
        assert fitting_height(900, 700, 600) == 1
