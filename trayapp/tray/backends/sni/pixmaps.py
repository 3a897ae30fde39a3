"""An icon as StatusNotifierItem pixmaps: ARGB32 in network byte order, one per size. Pure.

Hosts pick the pixmap nearest the size they draw at, so each size is drawn for itself where the
app can (a badge drawn at 22 px is crisper than a 64 px one shrunk), and resized otherwise.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from PIL import Image

Pixmap = tuple[int, int, bytes]
"""(width, height, ARGB32 bytes, big-endian): one element of the SNI `a(iiay)` type."""

SIZES = (16, 22, 24, 32, 48, 64)
"""Panel icon sizes in common use: 16-24 px panels, 32 px on HiDPI or tall panels, 48-64 for
hosts that scale down themselves (KDE's tooltips, GNOME's extension at 2x)."""


def argb32(image: Image.Image) -> bytes:
    """The image's pixels as A, R, G, B bytes: Pillow has no ARGB packer, so reorder the bands."""
    from PIL import Image

    red, green, blue, alpha = image.convert("RGBA").split()
    return Image.merge("RGBA", (alpha, red, green, blue)).tobytes()


def pixmaps(
    image: Image.Image,
    draw: Callable[[int], Image.Image] | None = None,
    sizes: Iterable[int] = SIZES,
) -> list[Pixmap]:
    """`image` at each size: drawn by `draw(size)` when given, else resized from `image`."""
    from PIL import Image

    found: list[Pixmap] = []
    for size in sizes:
        if draw is not None:
            sized = draw(size)
        elif image.size == (size, size):
            sized = image
        else:
            sized = image.convert("RGBA").resize((size, size), Image.Resampling.LANCZOS)
        found.append((sized.width, sized.height, argb32(sized)))
    return found
