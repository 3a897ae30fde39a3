"""Draw every look of the tray icon at every panel size, and measure its contrast.

Writes docs/icon-contact-sheet.png (each state at 16, 22, 24 and 32 px, actual size and magnified
four times, on a dark and a light panel, with the measured contrast) and docs/icon-contrast.md
(the measures as a table, next to the design before the icon was redrawn, when git can show it).

    .venv/bin/python scripts/icon_contact_sheet.py [--out DIR] [--before COMMIT | --no-before]

The icon is drawn by the app's own code; the contrast is measured on the drawn pixels as the
tests measure it (trayapp/tray/contrast.py).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image, ImageDraw, ImageFont  # noqa: E402

from tests.support.icon_states import ICON_STATES, PANELS  # noqa: E402
from trayapp.tray.contrast import (  # noqa: E402
    NON_TEXT_MINIMUM,
    TEXT_MINIMUM,
    BadgeContrast,
    measure_badge,
)
from trayapp.tray.icon import PALETTES, draw_icon, icon_image  # noqa: E402
from trayapp.tray.state import TrayState  # noqa: E402

SIZES = (16, 22, 24, 32)
MAGNIFY = 4
BEFORE = "c56103a"
"""The last commit with the icon as it was before it was redrawn for small sizes."""
OLD_TEXT = (255, 255, 255)
"""The old design's text colour: white with a dark outline on every badge."""

Drawing = tuple[Image.Image, Image.Image, tuple[int, int, int]]
"""An icon, the same icon without its text, and the colour its text was meant to be."""


def drawn_now(state: TrayState, size: int) -> Drawing:
    bare = draw_icon(state.level, "", size, refreshing=state.refreshing)
    return icon_image(state, size), bare, PALETTES[state.level].ink


def old_design(commit: str) -> Callable[[TrayState, int], Drawing] | None:
    """The icon drawing as of `commit` (render.py then held it), or None where git cannot show
    it or it no longer runs against this checkout."""
    try:
        source = subprocess.run(
            ["git", "show", f"{commit}:trayapp/tray/render.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    module: Any = types.ModuleType("icon_before")
    sys.modules[module.__name__] = module  # dataclasses look their module up
    try:
        exec(compile(source, f"{commit}:trayapp/tray/render.py", "exec"), module.__dict__)
    except Exception:  # it imports what this checkout may since have renamed
        return None

    @contextmanager
    def no_text() -> Iterator[None]:
        real = module.icon_text
        module.icon_text = lambda state: ""
        try:
            yield
        finally:
            module.icon_text = real

    def draw(state: TrayState, size: int) -> Drawing:
        # The way the old icon reached a panel of this size: drawn at 64 px and shrunk by the
        # backend (pystray), or drawn at the size (its StatusNotifierItem pixmaps): the better.
        image = module.icon_image(state, size)
        with no_text():
            bare = module.icon_image(state, size)
        return image, bare, OLD_TEXT

    return draw


def measure(draw: Callable[[TrayState, int], Drawing]) -> dict[tuple[str, int, str], BadgeContrast]:
    found = {}
    for name, state in ICON_STATES.items():
        for size in SIZES:
            image, bare, text = draw(state, size)
            for panel, colour in PANELS.items():
                found[name, size, panel] = measure_badge(image, bare, text, colour)
    return found


def hex_colour(colour: tuple[int, int, int]) -> str:
    return "#" + bytes(colour).hex()


def contact_sheet(measured: dict[tuple[str, int, str], BadgeContrast]) -> Image.Image:
    font = ImageFont.load_default(size=13)
    small = ImageFont.load_default(size=11)
    label_width, gap, row_gap = 92, 10, 26
    actual = sum(SIZES) + gap * len(SIZES)
    magnified = sum(SIZES) * MAGNIFY + gap * len(SIZES)
    strip_width = label_width + actual + magnified + gap
    row_height = max(SIZES) * MAGNIFY + row_gap
    header = 44
    sheet = Image.new("RGB", (strip_width * len(PANELS), header + row_height * len(ICON_STATES)))
    draw = ImageDraw.Draw(sheet)
    for column, (panel, colour) in enumerate(PANELS.items()):
        left = column * strip_width
        draw.rectangle((left, 0, left + strip_width - 1, sheet.height - 1), fill=colour)
        ink = (235, 235, 235) if panel == "dark" else (20, 20, 20)
        title = f"{panel} panel {hex_colour(colour)}: 1x, then x{MAGNIFY}"
        draw.text((left + gap, 8), title, font=font, fill=ink)
        legend = f"T text/badge (AA {TEXT_MINIMUM}), E badge/panel (AA {NON_TEXT_MINIMUM})"
        draw.text((left + gap, 24), legend, font=small, fill=ink)
        for row, (name, state) in enumerate(ICON_STATES.items()):
            top = header + row * row_height
            draw.text((left + gap, top + 6), name, font=font, fill=ink)
            x = left + label_width
            for size in SIZES:
                image = icon_image(state, size)
                sheet.paste(image, (x, top), image)
                x += size + gap
            for size in SIZES:
                image = icon_image(state, size)
                big = image.resize((size * MAGNIFY, size * MAGNIFY), Image.Resampling.NEAREST)
                sheet.paste(big, (x, top), big)
                m = measured[name, size, panel]
                words = f"T{m.text:.1f} E{m.edge:.1f}" if m.text is not None else f"E{m.edge:.1f}"
                draw.text((x, top + size * MAGNIFY + 3), words, font=small, fill=ink)
                x += size * MAGNIFY + gap
    return sheet


def contrast_table(
    after: dict[tuple[str, int, str], BadgeContrast],
    before: dict[tuple[str, int, str], BadgeContrast] | None,
    commit: str,
) -> str:
    dark, light = (hex_colour(c) for c in PANELS.values())
    lines = [
        "# Tray icon contrast",
        "",
        "Measured on the drawn pixels by `scripts/icon_contact_sheet.py` (which also draws",
        "`icon-contact-sheet.png`), the way `tests/test_tray_icon.py` checks it:",
        "",
        "- **text**: the median WCAG contrast between each pixel the text drew and the badge",
        "  pixel it covered (a blurred glyph counts as the grey it became); WCAG AA asks",
        f"  {TEXT_MINIMUM}:1. With opaque badges it is the same on either panel.",
        "- **edge dark / edge light**: how the badge's outline stands out from the panel: the",
        "  median contrast of its outermost pixels (the ring), or of those just inside (the",
        f"  fill), whichever is higher; WCAG AA asks {NON_TEXT_MINIMUM}:1 of the parts of a",
        "  graphic needed to understand it.",
        "",
        f"The panels: dark `{dark}`, KDE Breeze Dark's, among the lightest dark panels in common",
        "use (GNOME's is black, Windows' `#202020`), so the hardest for a badge that relies on",
        f"its fill; light `{light}`, a shade darker than the usual light taskbars",
        "(`#eeeeee`-`#f3f3f3`), leaving room for tints and translucency.",
        "",
        "Each badge pairs a light and a dark colour at least 5:1 apart (the fill, and the ink of",
        "its text, ring and marks), so on any panel one of the two stands out. The levels differ",
        "by shape as well: amber has a notch hanging from the top, red a bar above and below the",
        "amount, grey problems (no key, key refused, stale) a row of crosses above and below, the",
        "first check a dashed outline; three dots below the amount mean a refresh is running.",
        "",
        "On real panels (`tests/test_icon_on_panels.py`): on an XEmbed tray (trayer, GTK's",
        "status icon) the icon is drawn at the size shown and measured crisp at 16, 22, 24 and",
        "32 px. Waybar, a StatusNotifierItem host, shrinks the largest pixmap an item offers",
        "(64 px) to its icon size instead of taking the one drawn for that size: there the",
        "contrast holds at 22 and 24 px, but text at 16 px blurs to about 2.6:1.",
        "",
    ]
    if before is None:
        lines += [f"(The design before, at `{commit}`, could not be read from git here.)", ""]
        header = "| state | size | text | edge dark | edge light |"
        lines += [header, "| --- | --- | --- | --- | --- |"]
    else:
        lines += [
            f"Before: the design at `{commit}` (white text outlined in dark on the contract's",
            "shades, drawn at the size; the pystray backends got it at 64 px and shrank it,",
            "which blurs it further). After: the current design.",
            "",
            "| state | size | text before | text after | edge dark before | edge dark after"
            " | edge light before | edge light after |",
            "| --- | --- | --- | --- | --- | --- | --- | --- |",
        ]
    for name in ICON_STATES:
        for size in SIZES:
            now = [after[name, size, p] for p in PANELS]
            text_now = min(m.text for m in now if m.text is not None)
            if before is None:
                cells = [f"{text_now:.1f}", f"{now[0].edge:.1f}", f"{now[1].edge:.1f}"]
            else:
                was = [before[name, size, p] for p in PANELS]
                texts = [m.text for m in was if m.text is not None]
                text_was = f"{min(texts):.1f}" if texts else "-"
                cells = [
                    text_was,
                    f"{text_now:.1f}",
                    f"{was[0].edge:.1f}",
                    f"{now[0].edge:.1f}",
                    f"{was[1].edge:.1f}",
                    f"{now[1].edge:.1f}",
                ]
            lines.append(f"| {name} | {size} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs", help="folder to write to")
    parser.add_argument("--before", default=BEFORE, help="commit with the design to compare")
    parser.add_argument("--no-before", action="store_true", help="measure the current design only")
    args = parser.parse_args(argv)
    after = measure(drawn_now)
    before_design = None if args.no_before else old_design(args.before)
    if before_design is None and not args.no_before:
        print(f"Could not load {args.before}'s icon from git: measuring the current design only.")
    before = measure(before_design) if before_design is not None else None
    args.out.mkdir(parents=True, exist_ok=True)
    contact_sheet(after).save(args.out / "icon-contact-sheet.png", optimize=True)
    (args.out / "icon-contrast.md").write_text(contrast_table(after, before, args.before))
    print(f"Wrote {args.out / 'icon-contact-sheet.png'} and {args.out / 'icon-contrast.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
