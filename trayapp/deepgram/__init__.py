"""Deepgram's Management API: the HTTP client, the response parsing, the data it yields, the rules
for API URLs and the key check.

May import: the base modules (trayapp, errors, redaction, atomic) and this wing. Nothing here knows
about the tray, the windows, the config file or the desktop.
"""
