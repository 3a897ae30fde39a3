"""The tray icon: its state, what it draws and says, when it polls, the notifications, and the
worker process that reads Deepgram for it. `backends/` holds what talks to a desktop's tray.

May import: the base modules, `deepgram/`, `outlook/`, `desktop/`, and the shared top-level
modules (config, credentials, formats). Never the Tk windows (they run in their own process) or
the CLI.
"""
