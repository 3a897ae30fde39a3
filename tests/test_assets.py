"""The app icon: the committed sizes match the SVG source; each package carries what it needs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from tests.conftest import REPO_ROOT

ASSETS = REPO_ROOT / "assets"
NAME = "deepgram-balance-tray"
LINUX_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
WINDOWS_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)


def test_linux_icons_have_the_size_their_folder_says() -> None:
    for size in LINUX_SIZES:
        path = ASSETS / "linux" / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png"
        with Image.open(path) as im:
            assert im.size == (size, size)
            assert im.mode == "RGBA"
            assert im.getpixel((0, 0))[3] == 0, "corners are transparent"


def test_the_windows_icon_holds_every_size_from_16_to_256() -> None:
    with Image.open(ASSETS / "windows" / f"{NAME}.ico") as ico:
        assert sorted(ico.info["sizes"]) == [(s, s) for s in WINDOWS_SIZES]


def test_the_macos_icon_goes_up_to_1024() -> None:
    with Image.open(ASSETS / "macos" / f"{NAME}.icns") as icns:
        assert icns.size == (1024, 1024)
        # 16@2x up to 512@2x (1024 px); Pillow writes no 16 and 32 px @1x, so macOS scales @2x down.
        assert {(16, 16, 2), (128, 128, 1), (512, 512, 2)} <= set(icns.info["sizes"])


def test_regenerating_from_the_source_gives_the_committed_icons(tmp_path: Path) -> None:
    """Catches an edited SVG whose sizes were not regenerated (packaging/make_icons.py)."""
    if shutil.which("rsvg-convert") is None:
        if os.environ.get("DEEPGRAM_TRAY_TEST_REQUIRE_DISPLAY") == "1":
            pytest.fail("needs rsvg-convert (scripts/test installs librsvg2-bin)")
        pytest.skip("needs rsvg-convert (librsvg2-bin)")
    completed = subprocess.run(
        [sys.executable, str(REPO_ROOT / "packaging" / "make_icons.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    written = sorted(Path(line) for line in completed.stdout.split())
    committed = sorted(p.relative_to(ASSETS) for p in ASSETS.rglob("*") if p.is_file())
    assert written == [p for p in committed if p != Path(f"{NAME}.svg")]
    for relative in written:
        if relative.suffix == ".svg":
            assert (tmp_path / relative).read_bytes() == (ASSETS / relative).read_bytes()
            continue
        with Image.open(tmp_path / relative) as fresh, Image.open(ASSETS / relative) as kept:
            assert fresh.size == kept.size, relative
            difference = ImageChops.difference(fresh.convert("RGBA"), kept.convert("RGBA"))
            # Renderer versions may round an edge pixel differently, never more.
            assert max(high for _, high in difference.getextrema()) <= 8, relative


def test_the_wheel_carries_the_menu_icons(tmp_path: Path) -> None:
    # Builds the wheel as pip would (an isolated build with hatchling from the package index).
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), "."],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    (wheel,) = tmp_path.glob("*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    assert f"trayapp/assets/{NAME}.svg" in names
    for size in LINUX_SIZES:
        assert f"trayapp/assets/linux/hicolor/{size}x{size}/apps/{NAME}.png" in names
    assert not any(name.startswith("trayapp/assets/windows") for name in names)
