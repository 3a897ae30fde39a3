"""Local files read and written safely: a write never leaves half a file, and neither a read nor
a write ever blocks on, fills memory from, or replaces something that is not a regular file (a
named pipe, a device, a folder, a socket) found at the path.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path


class NotARegularFileError(OSError):
    """Something other than a regular file is at the path: it is left as it is."""

    def __init__(self, path: Path, what: str) -> None:
        super().__init__(None, f"it is {what}, not a regular file", str(path))
        self.what = what
        """What is there, in a few words ("a named pipe (FIFO)")."""


class FileTooLargeError(OSError):
    """A file larger than the reader allows: it is not read."""

    def __init__(self, path: Path, limit: int) -> None:
        super().__init__(None, f"it is larger than {limit} bytes", str(path))


def kind_of_file(mode: int) -> str | None:
    """What a stat mode describes, in a few words; None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a file"  # pragma: no cover - doors and whiteouts, on systems that have them


def require_regular_file(path: Path, status: os.stat_result) -> None:
    """NotARegularFileError unless `status` (of `path`) is a regular file's."""
    what = kind_of_file(status.st_mode)
    if what is not None:
        raise NotARegularFileError(path, what)


# Opened without waiting for a writer (a named pipe would block an ordinary open until one came)
# and without becoming a terminal's controlling process. Windows has neither flag, nor FIFOs.
_READ_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_BINARY", 0)
)
_READ_CHUNK = 64 * 1024


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of the regular file at `path` (a symlink to one is fine), at most `limit`.

    FileNotFoundError when nothing is there, NotARegularFileError when something else is (left
    unopened when the first look sees it), FileTooLargeError past `limit`, else the OSError.
    """
    require_regular_file(path, os.stat(path))
    fd = os.open(path, _READ_FLAGS)
    try:
        # Checked again on what was opened: the path may have been swapped since the first look.
        require_regular_file(path, os.fstat(fd))
        data = _read_at_most(fd, limit + 1)
    finally:
        os.close(fd)
    if len(data) > limit:
        raise FileTooLargeError(path, limit)
    return data


def _read_at_most(fd: int, size: int) -> bytes:
    chunks: list[bytes] = []
    remaining = size
    while remaining > 0:
        chunk = os.read(fd, min(remaining, _READ_CHUNK))
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def write_atomically(path: Path, data: bytes, *, private: bool = False) -> None:
    """Write to a temporary file beside `path`, flush it to disk, then rename it over `path`.

    `path` must be a new path or a regular file; a symlink to one is written through, so the
    link stays (a dotfiles manager's link to the config file, say). Anything else there is
    NotARegularFileError and is never replaced.

    The replaced file keeps its permissions; a new file gets 0600 when `private`, else the
    usual umask-based mode (a Prometheus textfile must stay readable by node_exporter).
    """
    target = writable_target(path)
    directory = target.parent
    directory.mkdir(parents=True, exist_ok=True)
    mode = _target_mode(target, private)
    fd, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temp_name, mode)
        # Looked at again just before the rename, which would replace whatever is there.
        _require_regular_or_absent(target, os.lstat)
        _replace(temp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_directory(directory)


def writable_target(path: Path) -> Path:
    """The path to replace when writing `path`: its symlink's target when it is a symlink.

    NotARegularFileError when a folder, named pipe, device or socket is there (or at the end
    of the symlink): renaming over it would put a file where the user had that.
    """
    target = Path(os.path.realpath(path)) if os.path.islink(path) else path
    _require_regular_or_absent(target, os.stat)
    return target


def _require_regular_or_absent(path: Path, look: Callable[[Path], os.stat_result]) -> None:
    try:
        status = look(path)
    except FileNotFoundError:
        return
    require_regular_file(path, status)


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
