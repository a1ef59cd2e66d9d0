"""File access for the TFTP server, confined to one root directory.

A requested name is mapped inside ROOT by the same rule as HTTP's (`serve/rootfs.py`): backslashes are
separators, a leading `/` is the root itself, `.` and empty components vanish, and `..`, hidden names
(`.git/config`, `.env`) and the server's own config and state files are refused outright. The result is resolved (symlinks
followed) and refused unless it stays inside ROOT; the opened descriptor is checked again, so a symlink
swapped in between the check and the open cannot lead outside either.

Sources hand out the content sequentially with `readinto`, without reading whole files into memory.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from typing import Protocol

from ..rootfs import PathRefused, split_path
from .packets import ERR_ACCESS, ERR_NOT_FOUND


class FileAccessError(Exception):
    """A request that cannot be served; `code` and `message` go into the TFTP ERROR packet."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


class Source(Protocol):
    """Content of one transfer, read front to back."""

    size: int | None  # bytes the client will receive (for tsize), None when unknown

    def readinto(self, buffer: memoryview) -> int:
        """Fill `buffer` as far as the content allows; fewer bytes only at the end."""
        ...

    def readinto_each(self, buffers: list[memoryview]) -> int:
        """Fill the buffers one after the other (`readinto` of each, in one go): the bytes read; fewer
        than they hold only at the end."""
        ...

    def close(self) -> None: ...


def fill_each(source: Source, buffers: list[memoryview]) -> int:
    """`readinto_each` by one `readinto` per buffer, for sources without a faster way."""
    total = 0
    for buffer in buffers:
        got = source.readinto(buffer)
        total += got
        if got < len(buffer):
            break
    return total


def normalise(requested: str) -> str:
    """The request as a path relative to ROOT ("" for the root itself); FileAccessError for `..`,
    hidden and private names (the rule HTTP uses)."""
    try:
        return "/".join(split_path(requested))
    except PathRefused as exc:
        raise FileAccessError(ERR_ACCESS, f"Access violation: {exc}") from None


class FileRoot:
    """The directory the server may read from."""

    def __init__(self, root: str | os.PathLike[str], is_private: Callable[[str], bool] | None = None):
        self.root = os.path.realpath(root)
        if not os.path.isdir(self.root):
            raise NotADirectoryError(f"TFTP root {str(root)!r} is not a directory")
        self.is_private = is_private  # real paths never served (the server's config and state)

    def _inside(self, path: str) -> bool:
        inside = path == self.root or path.startswith(self.root.rstrip("/") + "/")
        return inside and not (self.is_private is not None and self.is_private(path))

    def open(self, relative: str, netascii: bool = False) -> Source:
        """Open a path returned by `normalise`. Raises FileAccessError, never OSError."""
        if not relative:
            raise FileAccessError(ERR_NOT_FOUND, "File not found")
        candidate = os.path.realpath(os.path.join(self.root, relative))
        if not self._inside(candidate):
            raise FileAccessError(ERR_ACCESS, "Access violation: path leaves the TFTP root")
        try:
            fd = os.open(candidate, os.O_RDONLY | os.O_NOCTTY | os.O_NONBLOCK | os.O_CLOEXEC)
        except FileNotFoundError:
            raise FileAccessError(ERR_NOT_FOUND, "File not found") from None
        except PermissionError:
            raise FileAccessError(ERR_ACCESS, "Access violation: permission denied") from None
        except OSError as exc:
            raise FileAccessError(ERR_NOT_FOUND, f"File not found ({exc.strerror})") from None
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                raise FileAccessError(ERR_NOT_FOUND, "File not found (not a regular file)")
            try:  # where the opened file really is: the kernel's own path of the descriptor, resolved
                real = os.readlink(f"/proc/self/fd/{fd}")
            except OSError:  # no /proc: where it is cannot be told
                real = ""
            if not self._inside(real):
                raise FileAccessError(ERR_ACCESS, "Access violation: path leaves the TFTP root")
            source = FileSource(
                fd, info.st_size, (info.st_dev, info.st_ino, info.st_mtime_ns, info.st_ctime_ns)
            )
        except BaseException:
            os.close(fd)
            raise
        return NetasciiSource(source) if netascii else source


class FileSource:
    """A regular file read through its descriptor in large chunks, copied block by block to the caller.

    One read system call per CHUNK instead of one per TFTP block: at windowsize 1 the per-block cost is
    what limits the transfer rate.
    """

    CHUNK = 256 * 1024

    def __init__(self, fd: int, size: int, version: tuple[int, ...] = ()):
        self.fd = fd
        self.size: int | None = size
        self.version = (*version, size) if version else ()  # the file as it is now (the packet cache's key)
        # made at the first chunked read: a transfer sent from the packet cache, or streamed by
        # `readinto_each`, never needs it (256 KiB of fresh pages to fault in and clear per transfer)
        self.chunk = bytearray()
        self.view = memoryview(self.chunk)
        self.start = self.end = 0  # unread part of the chunk
        self.eof = False

    def readinto_each(self, buffers: list[memoryview]) -> int:
        """One `readv` straight into the buffers (a streamed transfer's free packet slots), no copy."""
        if self.start < self.end or self.eof:  # bytes already taken into the chunk go first
            return fill_each(self, buffers)
        total = want = 0
        for buffer in buffers:
            want += len(buffer)
        while True:  # a regular file reads short only at its end; a signal may cut a read short too
            got = os.readv(self.fd, buffers)
            total += got
            if got == 0 or total == want:
                break
            buffers = _after(buffers, got)
        if total < want:
            self.eof = True
        return total

    def _refill(self) -> None:
        if not self.chunk:
            self.view.release()
            self.chunk = bytearray(self.CHUNK)
            self.view = memoryview(self.chunk)
        self.start, self.end = 0, os.readv(self.fd, [self.view])
        if self.end == 0:
            self.eof = True

    def readinto(self, buffer: memoryview) -> int:
        want, got = len(buffer), 0
        while got < want:
            if self.start == self.end:
                if self.eof:
                    break
                self._refill()
                continue
            n = min(want - got, self.end - self.start)
            buffer[got : got + n] = self.view[self.start : self.start + n]
            self.start += n
            got += n
        return got

    def close(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
            self.view.release()


def _after(buffers: list[memoryview], done: int) -> list[memoryview]:
    """What is left of `buffers` once their first `done` bytes are filled."""
    for index, buffer in enumerate(buffers):
        if done < len(buffer):
            return [buffer[done:], *buffers[index + 1 :]]
        done -= len(buffer)
    return []


class BytesSource:
    """Content generated in memory (the policy's virtual files)."""

    def __init__(self, data: bytes):
        self.data = memoryview(data)
        self.size: int | None = len(data)
        self.offset = 0

    def readinto_each(self, buffers: list[memoryview]) -> int:
        return fill_each(self, buffers)

    def readinto(self, buffer: memoryview) -> int:
        chunk = self.data[self.offset : self.offset + len(buffer)]
        buffer[: len(chunk)] = chunk
        self.offset += len(chunk)
        return len(chunk)

    def close(self) -> None:
        self.data.release()


class NetasciiSource:
    """RFC 764 netascii of another source: LF becomes CR LF and a bare CR becomes CR NUL."""

    CHUNK = 64 * 1024

    def __init__(self, inner: FileSource | BytesSource):
        self.inner = inner
        self.pending = bytearray()
        self.done = False
        self.chunk = bytearray(self.CHUNK)
        self.size = self._converted_size()

    def _converted_size(self) -> int | None:
        """The size after conversion for generated content; None (no tsize) for files, which would have
        to be read whole before the first packet to know it."""
        if isinstance(self.inner, BytesSource):
            data = self.inner.data
            return len(data) + bytes(data).count(b"\n") + bytes(data).count(b"\r")
        return None

    def readinto_each(self, buffers: list[memoryview]) -> int:
        return fill_each(self, buffers)

    def readinto(self, buffer: memoryview) -> int:
        want = len(buffer)
        chunk = self.chunk
        while len(self.pending) < want and not self.done:
            got = self.inner.readinto(memoryview(chunk))
            if got == 0:
                self.done = True
                break
            # CR first, so the CRs that LF conversion adds are not converted again
            self.pending += bytes(chunk[:got]).replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")
        n = min(want, len(self.pending))
        buffer[:n] = self.pending[:n]
        del self.pending[:n]
        return n

    def close(self) -> None:
        self.inner.close()
