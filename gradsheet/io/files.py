"""Files gradsheet writes and reads: one atomic writer, and a reader that opens only regular files.

Every file gradsheet writes (models, checkpoints, ``history.json``, ``result.json``,
``results.json``, reports, plots, predictions, ONNX files) goes through ``write_atomically``
(or ``atomic_file`` for writers that want a file object, such as matplotlib's ``savefig``):

1. the bytes go to a temporary file in the target's own directory, named
   ``.<name>.gs-<pid>-<random>.tmp`` (``TEMP_PATTERN``), created with mode 0o666 so the
   process's umask applies as for any file the user creates (0644 under the usual 022);
2. the temporary file is flushed and ``fsync``-ed;
3. it is renamed over the target in one step (``os.replace``);
4. the directory is ``fsync``-ed, so the rename itself survives a crash.

A reader therefore finds the old file or the complete new one, never a half-written one,
whenever the process is killed. A killed writer can leave its temporary file behind; the
first write of a later process into that directory removes the temporaries whose writing
process no longer runs (``remove_stale_temporaries``; the pid in the name tells), so
leftovers never pile up. Temporaries of running processes are left alone.

Reading: ``open_regular`` checks with ``os.stat`` that a path is a regular file before
opening it (and again, with ``fstat``, after opening it without blocking), so a FIFO, a
device or a directory given as a model file is refused at once, naming the path and what
it is, instead of blocking forever or reading an endless stream.
"""
from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import stat
import threading
from collections.abc import Iterator
from typing import IO, TYPE_CHECKING, Any, Optional, Union

if TYPE_CHECKING:
    from .._typing import PathLike

TEMP_PATTERN = re.compile(r"^\.(?P<name>.+)\.gs-(?P<pid>\d+)-(?P<token>[0-9a-f]{8})\.tmp$")

_cleaned: set[str] = set()  # directories this process has cleaned already
_cleaned_lock = threading.Lock()
if hasattr(os, "register_at_fork"):  # a forked child is a later run: it cleans again
    os.register_at_fork(after_in_child=_cleaned.clear)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True  # someone else's live process
    return True


def remove_stale_temporaries(directory: PathLike) -> list[str]:
    """Remove the temporary files that a killed gradsheet writer left in ``directory``.

    A temporary file (``TEMP_PATTERN``: ``.<name>.gs-<pid>-<random>.tmp``) is stale when the
    process that created it no longer runs. Returns the paths removed; a missing or
    unreadable directory removes nothing.
    """
    removed: list[str] = []
    try:
        entries = list(os.scandir(directory))
    except OSError:
        return removed
    for entry in entries:
        match = TEMP_PATTERN.match(entry.name)
        if match is None or _alive(int(match.group("pid"))):
            continue
        try:
            if entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)
                removed.append(entry.path)
        except OSError:
            pass
    return removed


def _clean_once(directory: str) -> None:
    key = os.path.abspath(directory)
    with _cleaned_lock:
        if key in _cleaned:
            return
        _cleaned.add(key)
    remove_stale_temporaries(key)


def _fsync_directory(directory: str) -> None:
    if not hasattr(os, "O_DIRECTORY"):  # Windows cannot open a directory
        return
    try:
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _create_temporary(path: str) -> tuple[int, str, str]:
    directory = os.path.dirname(os.path.abspath(path))
    _clean_once(directory)
    name = os.path.basename(path)
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = os.path.join(directory, f".{name}.gs-{os.getpid()}-{secrets.token_hex(4)}.tmp")
        try:
            return os.open(tmp, flags, 0o666), tmp, directory  # the umask applies
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", path)


@contextlib.contextmanager
def atomic_file(path: PathLike, mode: str = "wb") -> Iterator[IO[Any]]:
    """A file object whose contents replace ``path`` atomically when the block ends.

    ``mode`` is ``"wb"`` or ``"w"`` (text, UTF-8). If the block raises, the temporary file
    is removed and ``path`` is left as it was. Example:
    ``with atomic_file("plot.png") as f: figure.savefig(f, format="png")``.
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"atomic_file: mode must be 'wb' or 'w', got {mode!r}")
    target = os.fspath(path)
    fd, tmp, directory = _create_temporary(target)
    try:
        with os.fdopen(fd, mode, encoding=None if mode == "wb" else "utf-8") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_directory(directory)


def write_atomically(path: PathLike, data: Union[bytes, str]) -> None:
    """Write ``data`` (bytes, or str as UTF-8) to ``path`` atomically (see the module's doc)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    with atomic_file(path, "wb") as f:
        f.write(raw)


_KINDS = ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
          (stat.S_ISSOCK, "a socket"))


def _kind(mode: int) -> str:
    for test, kind in _KINDS:
        if test(mode):
            return kind
    return "not a regular file"


def _prefix(who: Optional[str]) -> str:
    return f"{who}: " if who else ""


def check_regular(path: PathLike, who: Optional[str] = None, what: str = "file"
                  ) -> os.stat_result:
    """Raise unless ``path`` names an existing, readable regular file (symbolic links followed).

    FileNotFoundError, IsADirectoryError (a directory), ValueError (a FIFO, device or socket)
    and PermissionError, each naming ``who`` (when given), the path and what it is.
    """
    path = os.fspath(path)
    try:
        info = os.stat(path)
    except FileNotFoundError:
        raise FileNotFoundError(f"{_prefix(who)}{what} {path} does not exist") from None
    except PermissionError:
        raise PermissionError(f"{_prefix(who)}{path}: permission denied") from None
    except OSError as err:
        raise OSError(f"{_prefix(who)}{path}: {err.strerror or err}") from None
    _refuse_kind(info.st_mode, path, who, what)
    if not os.access(path, os.R_OK):
        raise PermissionError(f"{_prefix(who)}{path}: permission denied (cannot read it)")
    return info


def _refuse_kind(mode: int, path: str, who: Optional[str], what: str) -> None:
    if stat.S_ISREG(mode):
        return
    kind = _kind(mode)
    cls = IsADirectoryError if stat.S_ISDIR(mode) else ValueError
    raise cls(f"{_prefix(who)}{path} is {kind}, not a {what} (a regular file)")


def open_regular(path: PathLike, who: Optional[str] = None, what: str = "file"
                 ) -> IO[bytes]:
    """``path`` opened for binary reading, after checking it is a regular file.

    ``os.stat`` first (a FIFO is never opened), then an open that cannot block
    (``O_NONBLOCK``) and an ``fstat`` of what was opened, so a file swapped for a FIFO in
    between is refused too. Errors as ``check_regular``.
    """
    path = os.fspath(path)
    check_regular(path, who, what)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except PermissionError:
        raise PermissionError(f"{_prefix(who)}{path}: permission denied") from None
    except FileNotFoundError:
        raise FileNotFoundError(f"{_prefix(who)}{what} {path} does not exist") from None
    try:
        _refuse_kind(os.fstat(fd).st_mode, path, who, what)
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")
