"""What the bars do with `balance --format waybar|xbar` output, as small strict readers.

Each reader follows the rules of the program it stands for, and fails where that program would
drop or misread the output; the tests feed the command's real output through them.

Waybar, custom module with `"return-type": "json"` (Alexays/Waybar, src/modules/custom.cpp):
- `update()` hides the module when the command's exit code is not 0 or its output is empty;
- `parseOutputJson()` reads the output line by line, each a JSON object, the last one winning;
  `text`, `alt` and `tooltip` are read with jsoncpp's `asString()` (strings; a number or
  an object there is not text), `class` is a string or an array of strings, `percentage` a
  number;
- `update()` shows `text` with `set_markup` and `tooltip` with `set_tooltip_markup`: both must
  be valid Pango markup, or GTK shows nothing. Checked with Pango's own parser.

xbar plugin API (matryer/xbar README, "Plugin API"; SwiftBar and Argos read the same grammar):
- lines before the first `---` are the title, cycled through in the menu bar; the rest is the
  dropdown, where `---` is a separator and a line starting with `--` is a submenu item;
- a `|` starts the line's parameters: Argos (p-e-w/argos, utilities.js `parseLine`) splits at the
  first `|` and reads the rest as shell words (GLib.shell_parse_argv), each `key=value`;
- `refresh=true` makes an item refresh the plugin.
"""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass, field


class ConsumerRefused(AssertionError):
    """The bar would not show this output as meant."""


# --- Waybar ---------------------------------------------------------------------------------------


@dataclass
class WaybarModule:
    """What Waybar's custom module takes from one run."""

    text: str
    tooltip: str
    classes: list[str]
    alt: str
    percentage: float | None
    shown_text: str
    """`text` as the bar draws it (the markup parsed)."""
    shown_tooltip: str


def waybar_reads(output: str, exit_code: int) -> WaybarModule | None:
    """The module as Waybar shows it, or None where Waybar hides it (non-zero exit, no output)."""
    if exit_code != 0 or output == "":
        return None
    lines = output.split("\n")
    if lines[-1] == "":
        lines.pop()
    if len(lines) != 1:
        raise ConsumerRefused(f"one JSON object per run expected, got {len(lines)} lines")
    try:
        parsed = json.loads(lines[0])
    except json.JSONDecodeError as exc:
        raise ConsumerRefused(f"not JSON: {exc}") from exc
    if not isinstance(parsed, dict):
        raise ConsumerRefused("the line is not a JSON object")
    for key in ("text", "alt", "tooltip"):
        if key in parsed and not isinstance(parsed[key], str):
            raise ConsumerRefused(f"{key} is {type(parsed[key]).__name__}, not a string")
    raw_class = parsed.get("class", [])
    classes = [raw_class] if isinstance(raw_class, str) else raw_class
    if not isinstance(classes, list) or not all(isinstance(c, str) for c in classes):
        raise ConsumerRefused("class is neither a string nor a list of strings")
    percentage = parsed.get("percentage")
    if percentage is not None and (
        isinstance(percentage, bool) or not isinstance(percentage, (int, float))
    ):
        raise ConsumerRefused("percentage is not a number")
    text, tooltip = parsed.get("text", ""), parsed.get("tooltip", "")
    return WaybarModule(
        text=text,
        tooltip=tooltip,
        classes=classes,
        alt=parsed.get("alt", ""),
        percentage=percentage,
        shown_text=pango_text(text),
        shown_tooltip=pango_text(tooltip),
    )


def pango_text(markup: str) -> str:
    """The text Pango draws for `markup`; ConsumerRefused where GTK would refuse it."""
    import warnings

    import gi

    with warnings.catch_warnings():
        # PyGObject's importer predates exec_module: a warning about gi, not about this output.
        warnings.simplefilter("ignore", ImportWarning)
        gi.require_version("Pango", "1.0")
        from gi.repository import GLib, Pango

    try:
        _, _, text, _ = Pango.parse_markup(markup, -1, "\0")
    except GLib.Error as exc:
        raise ConsumerRefused(f"not valid Pango markup: {exc.message}") from exc
    return str(text)


# --- xbar, SwiftBar, Argos ------------------------------------------------------------------------


@dataclass
class XbarItem:
    text: str
    params: dict[str, str] = field(default_factory=dict)
    depth: int = 0
    """Submenu depth: two leading dashes a level."""


@dataclass
class XbarPlugin:
    title: list[XbarItem]
    """The menu bar's lines (cycled when more than one)."""
    dropdown: list[XbarItem | None]
    """The dropdown's items; None for a separator."""


def xbar_reads(output: str) -> XbarPlugin:
    lines = output.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    title: list[XbarItem] = []
    dropdown: list[XbarItem | None] = []
    in_dropdown = False
    for line in lines:
        if line.strip() == "---":
            if in_dropdown:
                dropdown.append(None)
            in_dropdown = True
            continue
        item = xbar_item(line)
        if not in_dropdown:
            if item.depth:
                raise ConsumerRefused(f"a submenu item in the title: {line!r}")
            title.append(item)
        else:
            dropdown.append(item)
    return XbarPlugin(title, dropdown)


def xbar_item(line: str) -> XbarItem:
    """One line, read as Argos reads it (the strictest of the three)."""
    text, bar, rest = line.partition("|")
    params: dict[str, str] = {}
    if bar:
        try:
            words = shlex.split(rest)
        except ValueError as exc:
            raise ConsumerRefused(f"parameters are not shell words: {line!r}") from exc
        for word in words:
            key, equals, value = word.partition("=")
            if not equals or not key.strip() or not value.strip():
                raise ConsumerRefused(f"parameter {word!r} is not key=value in {line!r}")
            params[key.strip()] = value.strip()
    dashes = len(text) - len(text.lstrip("-"))
    return XbarItem(text=text[dashes:].strip(), params=params, depth=dashes // 2)
