"""One writer per output directory: ``run`` and ``batch`` hold an exclusive lock on ``--out`` while they write.

The lock is ``OUT/.simsocial.lock``, held with ``flock`` and holding the writer's pid (for the message).
A second command into the same directory is refused at once (exit 2), before it makes any call, instead
of re-spending every call and then colliding on a shard's temporary file.  The kernel releases a flock
when its process dies, however it dies (``kill -9`` included), so a lock file left by a dead process is
simply taken over; the pid in it only names the live writer in the refusal.  The file is removed when the
command ends, so a finished run directory holds only its results.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

LOCK_FILE = ".simsocial.lock"


class OutLockedError(RuntimeError):
    """Another live process is writing the directory; the message names it and its pid."""


@contextlib.contextmanager
def hold_out_lock(out: Path, flag_name: str = "--out") -> Iterator[Path]:
    """Hold the lock on ``out`` (an existing directory) for the ``with`` block, or raise :class:`OutLockedError`."""
    path = Path(out) / LOCK_FILE
    fd = _acquire(path, flag_name)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()  # before unlocking: a waiter that got the old file re-checks it (see _acquire)
        os.close(fd)  # releases the flock


def _acquire(path: Path, flag_name: str) -> int:
    """Open and flock ``path``; retried when the file was replaced between open and flock."""
    while True:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _pid_in(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise OutLockedError(f"{flag_name} {path.parent} is being written by {who} (a simsocial run or batch); "
                                 "wait for it to finish, or choose another directory") from None  # fmt: skip
        try:
            same = os.fstat(fd).st_ino == os.stat(path).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed this file as we locked it: lock the new one


def _pid_in(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode().strip()
    except (OSError, UnicodeDecodeError):
        return None
    return int(text) if text.isdigit() else None


def lock_holder(out: Path) -> int | None:
    """The pid of the live process writing ``out`` (0 if its pid is unknown), or None when nobody is; takes nothing."""
    path = Path(out) / LOCK_FILE
    try:
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return _pid_in(fd) or 0
    finally:
        os.close(fd)  # also drops the shared lock if it was granted
    return None
