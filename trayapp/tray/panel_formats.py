"""The balance for a status bar's custom module: Waybar's JSON line and the xbar plugin block. Pure.

`deepgram-tray balance --format waybar|xbar` prints these; a bar runs the command every minute or
so and shows its output. They say what the tray icon says, in the same words: the short amount
and the level come from `icon` and `state`, the forecast lines from `render`.

Both formats are written to the rules of the programs that read them:

- Waybar's custom module with `"return-type": "json"` (Alexays/Waybar, src/modules/custom.cpp,
  `parseOutputJson` and `update`): one JSON object per line, the last line read wins; `text`,
  `alt` and `tooltip` are strings, `class` a string or a list of strings. `text` goes through
  `set_markup` and `tooltip` through `set_tooltip_markup`, so both are Pango markup: `&`, `<`
  and `>` from Deepgram (project names) are escaped here, as Waybar's own `"escape": true` would.
- The xbar plugin API (matryer/xbar README, "Plugin API"), which SwiftBar (swiftbar/SwiftBar
  README, "Plugin API") and Argos (p-e-w/argos README) follow: lines before a `---` line are the
  title, cycled in the menu bar (so there is exactly one); `|` starts the line's parameters as
  `key=value` pairs; a line starting with `--` is a submenu item. Text from Deepgram can carry
  none of these: see `xbar_safe`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import NamedTuple

from trayapp.deepgram.models import BalanceSnapshot, ProjectBalances
from trayapp.formats import display_totals
from trayapp.outlook.forecast import Forecast
from trayapp.tray.icon import COLOURS, icon_text
from trayapp.tray.render import clock_time, forecast_menu_texts
from trayapp.tray.state import Level, Thresholds, TrayState

OK, WARN, CRITICAL, ERROR, STALE = "ok", "warn", "critical", "error", "stale"
PANEL_CLASSES = (OK, WARN, CRITICAL, ERROR, STALE)
"""Every `class` (and `alt`) the formats print: a bar's CSS or icon map can rely on these."""

_CLASS_OF_LEVEL = {
    Level.OK: OK,
    Level.WARN: WARN,
    Level.CRITICAL: CRITICAL,
    # A key or permission refusal in some project: the tray greys its icon for it.
    Level.PROBLEM: ERROR,
    Level.WAITING: ERROR,  # never with a snapshot; listed so every level has a class
}


def _hex(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


COLOUR_OF_CLASS = {
    OK: _hex(COLOURS[Level.OK]),
    WARN: _hex(COLOURS[Level.WARN]),
    CRITICAL: _hex(COLOURS[Level.CRITICAL]),
    ERROR: _hex(COLOURS[Level.PROBLEM]),
    STALE: _hex(COLOURS[Level.PROBLEM]),
}
"""The icon's colour families, as the hex xbar's `color=` takes."""


class PanelView(NamedTuple):
    """What any bar shows, before it is written in one bar's grammar."""

    text: str
    """The few characters in the bar: the icon's amount, or a problem in a few words."""
    panel_class: str
    """One of PANEL_CLASSES."""
    title: str
    """The exact total (to the cent), or the few words of a failure."""
    details: tuple[str, ...]
    """The tooltip's or the dropdown's lines, plain text (each format makes them safe)."""


# --- what is shown, whichever bar -----------------------------------------------------------------


def panel_view(
    snapshot: BalanceSnapshot,
    thresholds: Thresholds,
    forecast: Forecast | None = None,
    *,
    stale_since: datetime | None = None,
    problem: str | None = None,
) -> PanelView:
    """A read's view. `stale_since`: the snapshot is a saved read that could not be refreshed
    (class `stale`), and `problem` the sentence saying why, when known.

    Class `error` when any project failed: the total then leaves out an unknown amount, so
    neither "ok" nor "warn"/"critical" can be vouched for, and the command exits non-zero for
    it too; the bar keeps the amount that was read and the tooltip names what failed.
    """
    state = TrayState(thresholds=thresholds, snapshot=snapshot, forecast=forecast)
    if stale_since is not None:
        panel_class = STALE
    elif snapshot.errors:
        panel_class = ERROR
    else:
        panel_class = _CLASS_OF_LEVEL[state.level]
    title = display_totals(snapshot.totals)
    details = [_project_line(project) for project in snapshot.projects]
    if not snapshot.projects:
        details.append("This API key sees no projects")
    if stale_since is None:
        details += forecast_menu_texts(state)
        details.append(f"Updated {clock_time(snapshot.fetched_at)}")
    else:
        details.append(f"Stale: saved read from {clock_time(stale_since)}, not refreshed")
        if problem:
            details.append(problem)
    return PanelView(_short_text(state, snapshot), panel_class, title, tuple(details))


def failure_view(reason: str, words: str) -> PanelView:
    """Nothing could be read: `words` (an error's few words, e.g. "offline") in the bar, and
    `reason`, the one sentence saying what to do, in the tooltip or dropdown."""
    return PanelView(words, ERROR, words, (reason,))


def _short_text(state: TrayState, snapshot: BalanceSnapshot) -> str:
    if snapshot.projects and all(p.error is not None for p in snapshot.projects):
        # Nothing was read: "$0" would be a false amount, the problem is the news.
        first = snapshot.projects[0].error
        assert first is not None
        return first.words
    shown = icon_text(state)
    # "-" is the icon's sign for units it has no room for; a bar has room for the totals.
    return display_totals(snapshot.totals) if shown == "-" else shown


def _project_line(project: ProjectBalances) -> str:
    if project.error is not None:
        return f"{project.project.name}: unavailable, {project.error.words}"
    return f"{project.project.name}: {display_totals(project.totals)}"


# --- Waybar ---------------------------------------------------------------------------------------


def render_waybar(
    snapshot: BalanceSnapshot,
    thresholds: Thresholds,
    forecast: Forecast | None = None,
    *,
    stale_since: datetime | None = None,
    problem: str | None = None,
) -> str:
    view = panel_view(snapshot, thresholds, forecast, stale_since=stale_since, problem=problem)
    return waybar_line(view)


def render_waybar_failure(reason: str, words: str) -> str:
    return waybar_line(failure_view(reason, words))


def waybar_line(view: PanelView) -> str:
    """One JSON object on one line (json.dumps escapes any line break inside a value)."""
    # A failure's words are already the text: the tooltip is then the sentence alone.
    heading = () if view.title == view.text else (f"Deepgram {view.title}",)
    tooltip_lines = (*heading, *view.details)
    document = {
        "text": pango_escape(view.text),
        "tooltip": "\n".join(pango_escape(line) for line in tooltip_lines),
        "class": view.panel_class,
        "alt": view.panel_class,
    }
    return json.dumps(document, ensure_ascii=False) + "\n"


def pango_escape(text: str) -> str:
    """Text as Pango markup shows it literally. Quotes are special only inside a tag, which
    escaped text never opens: left as they are, the JSON stays readable to other bars' scripts."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


# --- xbar, SwiftBar, Argos ------------------------------------------------------------------------

PLAIN = "emojize=false symbolize=false ansi=false useMarkup=false unescape=false"
"""Parameters that keep a line's text as it is: xbar and SwiftBar turn `:rocket:` into an emoji
(SwiftBar also `:name:` into an SF Symbol, and honours `emojize=false` only with
`symbolize=false`) and xbar reads ANSI escapes; Argos reads Pango markup and backslash escapes
(its `useMarkup`, `unescape`). Each program ignores the keys it does not know."""


def render_xbar(
    snapshot: BalanceSnapshot,
    thresholds: Thresholds,
    forecast: Forecast | None = None,
    *,
    stale_since: datetime | None = None,
    problem: str | None = None,
) -> str:
    view = panel_view(snapshot, thresholds, forecast, stale_since=stale_since, problem=problem)
    return xbar_block(view)


def render_xbar_failure(reason: str, words: str) -> str:
    return xbar_block(failure_view(reason, words))


def xbar_block(view: PanelView) -> str:
    colour = COLOUR_OF_CLASS[view.panel_class]
    lines = [_xbar_line(view.title, f"color={colour}")]
    lines.append("---")
    lines += [_xbar_line(detail) for detail in view.details]
    lines.append("---")
    lines.append("Refresh | refresh=true")
    return "".join(line + "\n" for line in lines)


def _xbar_line(text: str, *parameters: str) -> str:
    return f"{xbar_safe(text)} | {' '.join((*parameters, PLAIN))}"


UNICODE_HYPHEN = "\u2010"


def xbar_safe(text: str) -> str:
    """`text` as one xbar line's title that no reader takes for grammar: line breaks and other
    control characters become spaces, `|` (the parameters' start) a broken bar `¦`, and a
    leading `-` (a submenu or separator mark) the Unicode hyphen U+2010, which looks the same."""
    cleaned = "".join(" " if _is_control(c) else c for c in text).replace("|", "¦").strip()
    stripped = cleaned.lstrip("-")
    return UNICODE_HYPHEN * (len(cleaned) - len(stripped)) + stripped


def _is_control(character: str) -> bool:
    code = ord(character)
    return code < 0x20 or 0x7F <= code <= 0x9F or character in "\u2028\u2029"
