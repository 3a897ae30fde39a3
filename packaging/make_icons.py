"""Regenerate every icon in assets/ from the one source, assets/deepgram-balance-tray.svg.

    python packaging/make_icons.py [--out DIR]

Each raster size is rendered from the vector by rsvg-convert (Debian/Ubuntu: librsvg2-bin) rather
than scaled down from a big bitmap, so small sizes stay sharp; Pillow packs the Windows .ico and the
macOS .icns. The results are committed, so building the app never needs rsvg-convert.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
from pathlib import Path

from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
NAME = "deepgram-balance-tray"
SOURCE = ROOT / "assets" / f"{NAME}.svg"

# hicolor theme sizes desktops look up (menus 16-48, launchers and software centres up to 512).
LINUX_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
# Windows picks among these for title bars, the taskbar, Explorer views and the Start menu.
WINDOWS_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
MACOS_SIZE = 1024
MACOS_SMALLER = (16, 32, 64, 128, 256, 512)  # the @1x and @2x entries of an .icns below 1024


def render(size: int) -> Image.Image:
    if shutil.which("rsvg-convert") is None:
        sys.exit("make_icons: rsvg-convert is missing: install librsvg2-bin (Debian/Ubuntu).")
    png = subprocess.run(
        ["rsvg-convert", "--width", str(size), "--height", str(size), str(SOURCE)],
        check=True,
        capture_output=True,
    ).stdout
    image = Image.open(io.BytesIO(png))
    image.load()
    return image.convert("RGBA")


def linux_icon_path(assets: Path, size: int) -> Path:
    return assets / "linux" / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"


def make_all(assets: Path) -> list[Path]:
    written: list[Path] = []
    sizes = {*LINUX_SIZES, *WINDOWS_SIZES, *MACOS_SMALLER, MACOS_SIZE}
    rendered = {size: render(size) for size in sizes}

    for size in LINUX_SIZES:
        path = linux_icon_path(assets, size)
        path.parent.mkdir(parents=True, exist_ok=True)
        rendered[size].save(path, optimize=True)
        written.append(path)
    scalable = assets / "linux" / "hicolor" / "scalable" / "apps" / f"{NAME}.svg"
    scalable.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(SOURCE, scalable)
    written.append(scalable)

    ico = assets / "windows" / f"{NAME}.ico"
    ico.parent.mkdir(parents=True, exist_ok=True)
    largest = rendered[max(WINDOWS_SIZES)]
    largest.save(
        ico,
        format="ICO",
        sizes=[(size, size) for size in WINDOWS_SIZES],
        append_images=[rendered[size] for size in WINDOWS_SIZES if size != max(WINDOWS_SIZES)],
    )
    written.append(ico)

    icns = assets / "macos" / f"{NAME}.icns"
    icns.parent.mkdir(parents=True, exist_ok=True)
    rendered[MACOS_SIZE].save(
        icns, format="ICNS", append_images=[rendered[size] for size in MACOS_SMALLER]
    )
    written.append(icns)
    big = assets / "macos" / f"{NAME}-{MACOS_SIZE}.png"
    rendered[MACOS_SIZE].save(big, optimize=True)
    written.append(big)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--out", type=Path, default=ROOT / "assets", help="where to write (default: assets/)"
    )
    args = parser.parse_args()
    for path in make_all(args.out):
        print(path.relative_to(args.out))


if __name__ == "__main__":
    main()
