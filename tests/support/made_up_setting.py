"""A made-up setting, `retries`, added the way a developer adds a real one: one entry in the
settings table (trayapp.config.FIELDS). The seam tests show that this entry alone brings it to the
config file, `config set`, `config show` and the settings window.

A real setting also gets its typed attribute in Settings, for the code that reads it (a test holds
the two together). A test cannot add a typed attribute, so here Settings is remade from the table,
with every field's name and default in order: the same record, without the types.
"""

from __future__ import annotations

from collections import namedtuple
from typing import Any

from trayapp import config
from trayapp.setting_fields import (
    NumberEntry,
    SettingField,
    as_is,
    setting,
    whole_number,
    whole_number_text,
)

RETRIES = setting(
    "retries",
    12,
    read=whole_number(0, 99, expects="a whole number from 0 to 99, e.g. 12"),
    parse=whole_number_text("a whole number, e.g. 12"),
    write=as_is,
    form=NumberEntry(8, "Retry up to", "times when Deepgram is busy"),
)

PLANT = "from tests.support.made_up_setting import install\ninstall()\n"
"""Start-up code (see conftest.plant_at_startup) that gives a whole app process the setting."""


def extended_table() -> tuple[tuple[SettingField, ...], type[Any]]:
    """The settings table with RETRIES added, and the Settings record that goes with it."""
    fields = (*config.FIELDS, RETRIES)
    names = [field.name for field in fields]
    defaults = [field.default for field in fields]
    record = namedtuple("Settings", names, defaults=defaults)  # type: ignore[misc]
    return fields, record


def install() -> None:
    """Add the setting for the rest of this process (a subprocess's start-up code calls this)."""
    config.FIELDS, config.Settings = extended_table()  # type: ignore[misc]
