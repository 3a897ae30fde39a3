"""Name the colour family of pixels as a person would; shared by the headless and screen tests."""

from __future__ import annotations

from collections import Counter

from PIL import Image


def colour_family(rgb: tuple[int, int, int]) -> str:
    r, g, b = rgb
    if max(r, g, b) - min(r, g, b) < 30:
        return "grey"
    if g > r and g > b:
        return "green"
    if r > 150 and 90 < g < 200 and b < 80:
        return "amber"
    if r > 150 and g < 90 and b < 90:
        return "red"
    return "other"


def family_counts(image: Image.Image, *, min_alpha: int = 200) -> Counter[str]:
    data = image.convert("RGBA").tobytes()
    counts: Counter[str] = Counter()
    for i in range(0, len(data), 4):
        if data[i + 3] >= min_alpha:
            counts[colour_family((data[i], data[i + 1], data[i + 2]))] += 1
    return counts


def dominant_family(image: Image.Image) -> str:
    """The colour family covering most opaque pixels."""
    return family_counts(image).most_common(1)[0][0]
