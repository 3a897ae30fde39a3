"""Write a file so readers see the old content or the new, never half of it."""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import time
from pathlib import Path


def write_atomically(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it over `path`.

    The replaced file keeps its permissions; a new file gets 0600 when `private`, else the
    usual umask-based mode (a Prometheus textfile must stay readable by node_exporter).
    """
    directory = path.parent
    directory.mkdir(parents=True, exist_ok=True)
    mode = _target_mode(path, private)
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        _replace(temp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_directory(directory)


# On Windows a file that another program holds open without FILE_SHARE_DELETE (a scraper reading
# the textfile, an editor, an antivirus scan) cannot be replaced until it lets go, which is usually
# a moment later: retry for about a second before giving up.
REPLACE_ATTEMPTS = 10
REPLACE_PAUSE_SECONDS = 0.1


def _replace(source: str, target: Path) -> None:
    for attempt in range(REPLACE_ATTEMPTS):
        try:
            os.replace(source, target)
            return
        except PermissionError:
            if sys.platform != "win32" or attempt == REPLACE_ATTEMPTS - 1:
                raise
            time.sleep(REPLACE_PAUSE_SECONDS)


def _target_mode(path: Path, private: bool) -> int:
    try:
        return path.stat().st_mode & 0o777
    except OSError:
        pass
    if private:
        return 0o600
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable where the OS allows opening a directory (not Windows)."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
