"""Deepgram balance in the system tray: the balance client, settings, key storage and CLI."""

__version__ = "0.1.0"

APP_NAME = "deepgram-balance-tray"
