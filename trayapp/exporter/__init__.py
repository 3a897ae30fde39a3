"""`deepgram-tray serve`: the balances for Prometheus, read headless on the tray's schedule.

The tray's poller does the reading (interval, backoff, Retry-After, hourly project list and
forecast inputs); this wing turns what it last read into metric families and serves them.

May import: the base modules, the shared services, `deepgram/`, `outlook/`, `desktop/`, the
tray's logic in `tray/` (never pystray: nothing here imports a backend), and this wing.
"""
