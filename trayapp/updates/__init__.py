"""The update notice: once a day the tray asks PyPI which release of the app is the latest, and
says so in its menu (and once in a notification) when it is newer than the one running.

`release` reads PyPI's answer and compares versions (pure), `memory` is what the tray remembers
between checks (pure), `source` asks PyPI (in the fetch worker: the tray process never loads
requests). Nothing but a plain GET of a public URL is sent: no key, no account, no settings.

May import: the base modules, `deepgram/` (its TLS trust store, deadline and URL rules, never
its client: no key comes near the check), and this wing.
"""
