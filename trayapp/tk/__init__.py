"""The Tk windows (settings, balance history) and how the tray launches them in their own process.

May import: the base modules, `deepgram/`, `outlook/`, `desktop/`, and the shared top-level
modules (config, credentials, formats). Never the tray (a window is its own process) or the CLI.
"""
