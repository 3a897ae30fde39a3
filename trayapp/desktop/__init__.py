"""Living on the operating system: paths, logs, icons, the menu entry, start at login, one running
instance, and how to start this app again as a command.

May import: the base modules (trayapp, errors, redaction, atomic) and this wing.
"""
