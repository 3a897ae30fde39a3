"""Reading and writing local files at their edges, in this process: each kind of thing that is not
a regular file named as what it is, the words an OS error carries, a read that takes no more than
one byte past its limit and leaves no descriptor open, and a write that finds a named pipe put at
its path while it wrote.
"""

from __future__ import annotations

import os
import socket
import stat
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from trayapp.atomic import (
    FileTooLargeError,
    NotARegularFileError,
    kind_of_file,
    read_regular_file,
    writable_target,
    write_atomically,
)
from trayapp.errors import os_reason

posix_only = pytest.mark.skipif(
    sys.platform == "win32", reason="named pipes, sockets and symlinks as POSIX has them"
)


@pytest.mark.parametrize(
    ("mode", "what"),
    [
        (stat.S_IFREG | 0o644, None),
        (stat.S_IFDIR | 0o755, "a folder"),
        (stat.S_IFIFO | 0o600, "a named pipe (FIFO)"),
        (stat.S_IFCHR | 0o666, "a device"),
        (stat.S_IFBLK | 0o660, "a device"),
        (stat.S_IFSOCK | 0o755, "a socket"),
        (stat.S_IFLNK | 0o777, "not a file"),  # what lstat says of a link
    ],
)
def test_each_kind_of_file_is_named(mode: int, what: str | None) -> None:
    assert kind_of_file(mode) == what


@posix_only
def test_a_refusal_says_what_is_there_in_an_os_error_s_words(tmp_path: Path) -> None:
    folder = tmp_path / "reports"
    folder.mkdir()
    with pytest.raises(NotARegularFileError) as info:
        write_atomically(folder, b"x")
    # Callers that catch any OSError show its reason: the history window's "Could not save".
    assert os_reason(info.value) == "it is a folder, not a regular file"
    assert info.value.filename == str(folder) and info.value.what == "a folder"
    big = tmp_path / "big"
    big.write_bytes(b"x" * 10)
    with pytest.raises(FileTooLargeError) as too_large:
        read_regular_file(big, 9)
    assert os_reason(too_large.value) == "it is larger than 9 bytes"
    assert too_large.value.filename == str(big)


@pytest.fixture
def unix_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)  # bound by a short relative name: socket paths are limited
    with socket.socket(socket.AF_UNIX) as server:
        server.bind("s")
        yield tmp_path / "s"


@posix_only
def test_a_socket_is_named_as_one_and_kept(unix_socket: Path) -> None:
    # Opening a socket fails with "No such device or address": only the first look names it.
    with pytest.raises(NotARegularFileError) as info:
        read_regular_file(unix_socket, 1024)
    assert info.value.what == "a socket"
    with pytest.raises(NotARegularFileError, match="it is a socket"):
        write_atomically(unix_socket, b"x")
    assert stat.S_ISSOCK(os.lstat(unix_socket).st_mode)


@pytest.fixture
def bytes_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The length of every os.read's answer, as the reads happen."""
    real_read = os.read
    lengths: list[int] = []

    def counted(fd: int, size: int) -> bytes:
        chunk = real_read(fd, size)
        lengths.append(len(chunk))
        return chunk

    monkeypatch.setattr(os, "read", counted)
    return lengths


def test_a_read_takes_at_most_one_byte_past_the_limit(
    tmp_path: Path, bytes_read: list[int]
) -> None:
    big = tmp_path / "big"
    big.write_bytes(b"x" * (3 * 1024 * 1024))
    with pytest.raises(FileTooLargeError):
        read_regular_file(big, 1024 * 1024)
    assert sum(bytes_read) == 1024 * 1024 + 1


def test_a_file_of_several_reads_comes_back_whole(tmp_path: Path, bytes_read: list[int]) -> None:
    data = bytes(range(256)) * 1000 + b"end"  # not a whole number of reads
    path = tmp_path / "file"
    path.write_bytes(data)
    assert read_regular_file(path, len(data)) == data
    assert read_regular_file(path, len(data) + 5) == data
    assert len(bytes_read) > 2, "more than one read each"


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="lists open descriptors")
def test_reading_leaves_no_descriptor_open(tmp_path: Path) -> None:
    small, big = tmp_path / "small", tmp_path / "big"
    small.write_bytes(b"x")
    big.write_bytes(b"x" * 100)
    before = len(os.listdir("/proc/self/fd"))
    for _ in range(20):
        read_regular_file(small, 10)
        with pytest.raises(FileTooLargeError):
            read_regular_file(big, 10)
    assert len(os.listdir("/proc/self/fd")) == before


@posix_only
def test_a_named_pipe_put_there_during_the_write_is_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "out.prom"
    target.write_text("old\n")
    real_chmod = os.chmod

    def chmod_then_swap(path: Any, mode: int) -> None:
        real_chmod(path, mode)
        target.unlink()
        os.mkfifo(target)  # another program, between the first look and the rename

    monkeypatch.setattr(os, "chmod", chmod_then_swap)
    with pytest.raises(NotARegularFileError) as info:
        write_atomically(target, b"new\n")
    assert info.value.what == "a named pipe (FIFO)"
    assert stat.S_ISFIFO(os.lstat(target).st_mode)
    assert os.listdir(tmp_path) == ["out.prom"]  # the temporary file is gone


@pytest.fixture
def temporaries(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The folders temporary files were made in."""
    real_mkstemp = tempfile.mkstemp
    made: list[str] = []

    def recorded(*args: Any, **kwargs: Any) -> tuple[int, str]:
        made.append(str(kwargs.get("dir")))
        return real_mkstemp(*args, **kwargs)

    monkeypatch.setattr(tempfile, "mkstemp", recorded)
    return made


@posix_only
def test_the_target_is_a_link_s_file_or_the_path_itself(tmp_path: Path) -> None:
    real = tmp_path / "dotfiles" / "config.toml"
    real.parent.mkdir()
    real.write_text("x")
    link = tmp_path / "config.toml"
    link.symlink_to(real)
    assert writable_target(link) == real
    assert writable_target(real) == real
    assert writable_target(tmp_path / "new.toml") == tmp_path / "new.toml"


@posix_only
def test_what_cannot_be_replaced_is_refused_before_any_temporary_file(
    tmp_path: Path, temporaries: list[str]
) -> None:
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    null = tmp_path / "null"
    null.symlink_to(os.devnull)
    folder = tmp_path / "folder"
    folder.mkdir()
    for path, what in [(pipe, "a named pipe (FIFO)"), (null, "a device"), (folder, "a folder")]:
        with pytest.raises(NotARegularFileError) as info:
            writable_target(path)
        assert info.value.what == what
        with pytest.raises(NotARegularFileError):
            write_atomically(path, b"x")
    assert temporaries == []  # nothing made beside them, not even in /dev
    write_atomically(tmp_path / "fine", b"x")
    assert temporaries == [str(tmp_path)]
