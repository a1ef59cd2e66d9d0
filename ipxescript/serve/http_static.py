"""Static file responses: HEAD, single and multi-part Range, sendfile for the body.

Small files are read and sent in one write (cheaper than a sendfile round trip for a 1 KiB script);
anything larger goes through the kernel's sendfile, so a 1 GiB image never passes through Python.
"""

from __future__ import annotations

import logging
import mimetypes
import os
import secrets
from collections import OrderedDict
from email.utils import formatdate, parsedate_to_datetime
from typing import NamedTuple

from aiohttp import web

from ipxescript.serve import metrics
from ipxescript.serve.http_guard import reset
from ipxescript.serve.sendfile import SendStalled, send_file

log = logging.getLogger("ipxescript.serve.http")

SMALL_FILE = 64 * 1024
MAX_RANGES = 16  # more parts than this: ignore Range and send the whole file (allowed by RFC 9110)
CHUNK = 256 * 1024

_TYPES = {
    ".ipxe": "text/plain; charset=utf-8",
    ".cfg": "text/plain; charset=utf-8",
    ".efi": "application/efi",
    ".kpxe": "application/octet-stream",
    ".pxe": "application/octet-stream",
    ".0": "application/octet-stream",
    ".c32": "application/octet-stream",
    ".iso": "application/x-iso9660-image",
    ".img": "application/octet-stream",
}


def content_type(path: str) -> str:
    ext = os.path.splitext(path)[1].lower()
    if ext in _TYPES:
        return _TYPES[ext]
    guessed, _ = mimetypes.guess_type(path, strict=False)
    if guessed and guessed.startswith("text/"):
        return guessed + "; charset=utf-8"
    return guessed or "application/octet-stream"


class RangeNotSatisfiable(Exception):
    pass


def _number(text: str) -> bool:
    """ASCII digits of a sane length (int() of a 5000-digit or non-ASCII number would raise)."""
    return text.isascii() and text.isdigit() and len(text) <= 19


def parse_ranges(header: str | None, size: int) -> list[tuple[int, int]] | None:
    """Byte ranges (start, end inclusive) of a Range header, None to send the whole file.

    Malformed headers are ignored (RFC 9110 14.2); a valid set with no satisfiable range raises
    RangeNotSatisfiable. Overlapping and adjacent ranges are merged (RFC 9110 14.3 allows it), so the
    response is never larger than the file plus the part headers, whatever the request repeats.
    """
    if not header:
        return None
    unit, sep, spec = header.partition("=")
    if not sep or unit.strip().lower() != "bytes":
        return None
    parts = [p.strip() for p in spec.split(",") if p.strip()]
    if not parts or len(parts) > MAX_RANGES:
        return None
    ranges: list[tuple[int, int]] = []
    for part in parts:
        first, dash, last = part.partition("-")
        if not dash:
            return None
        first, last = first.strip(), last.strip()
        if not (_number(first) or first == "") or not (_number(last) or last == "") or first == last == "":
            return None
        if first == "":  # suffix range: the last N bytes
            length = int(last)
            if length == 0 or size == 0:
                continue
            ranges.append((max(0, size - length), size - 1))
            continue
        start = int(first)
        if last and int(last) < start:
            return None
        if start >= size:  # `bytes=SIZE-` included: nothing of the file is in this range
            continue
        end = int(last) if last else size - 1
        ranges.append((start, min(end, size - 1)))
    if not ranges:
        raise RangeNotSatisfiable()
    return coalesce(ranges)


def coalesce(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The ranges sorted, with overlapping and adjacent ones merged."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def _not_modified(request: web.Request, etag: str, mtime: float) -> bool:
    match = request.headers.get("If-None-Match")
    if match is not None:
        return any(tag.strip() in (etag, "*", "W/" + etag) for tag in match.split(","))
    since = request.headers.get("If-Modified-Since")
    if since:
        try:
            return int(mtime) <= parsedate_to_datetime(since).timestamp()
        except (TypeError, ValueError):
            return False
    return False


def _if_range_ok(request: web.Request, etag: str, mtime: float) -> bool:
    value = request.headers.get("If-Range")
    if value is None:
        return True
    if value.startswith('"') or value.startswith("W/"):
        return value == etag
    try:
        return int(mtime) <= parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return False


class CachedFile(NamedTuple):
    stamp: tuple[int, int, int, int]
    body: bytes
    headers: dict[str, str]
    head: bytes  # the same headers as HTTP/1.1 lines, Content-Length included (for the lean path)


class SmallFileCache:
    """Recently sent small files (scripts, configs) keyed by path and validated by stat on every request.

    A changed file has a new (inode, mtime, size) and is read again, so the cache never serves stale data;
    it only saves the open/read/close and header formatting of the hottest requests.
    """

    def __init__(self, budget: int = 16 * 1024 * 1024) -> None:
        self.budget = budget
        self.used = 0
        self.generation = 0
        self.entries: OrderedDict[str, CachedFile] = OrderedDict()

    def get(self, path: str, stamp: tuple[int, int, int, int]) -> CachedFile | None:
        entry = self.entries.get(path)
        if entry is None or entry.stamp != stamp:
            return None
        self.entries.move_to_end(path)
        return entry

    def fresh(self, key: str, path: str) -> CachedFile | None:
        """The entry for `key` while the file at `path` is still the one it was read from: one stat(2),
        none for a file not in the cache."""
        if key not in self.entries:
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None
        return self.get(key, stamp_of(st))

    def put(self, path: str, stamp: tuple[int, int, int, int], body: bytes, headers: dict[str, str]) -> None:
        old = self.entries.pop(path, None)
        if old is not None:
            self.used -= len(old.body)
        self.entries[path] = CachedFile(stamp, body, headers, head_lines(headers, len(body)))
        self.used += len(body)
        while self.used > self.budget and self.entries:
            _, dropped = self.entries.popitem(last=False)
            self.used -= len(dropped.body)

    def clear(self) -> None:
        self.entries.clear()
        self.used = 0

    def settings(self, generation: int) -> None:
        """Forget every file when the server's settings changed (ServePolicy.generation, SIGHUP): a file
        sent under the old ones (private paths, lint mode) is checked again before it is sent again."""
        if generation != self.generation:
            self.clear()
            self.generation = generation


CACHE = SmallFileCache()


def head_lines(headers: dict[str, str], length: int) -> bytes:
    """The headers as HTTP/1.1 lines, Content-Length last."""
    lines = [f"{name}: {value}\r\n" for name, value in headers.items()]
    return "".join([*lines, f"Content-Length: {length}\r\n"]).encode("latin-1")


class LargeFile(NamedTuple):
    stamp: tuple[int, int, int, int]
    head: bytes  # header lines of a whole-file 200 answer, Content-Length included


class LargeFiles:
    """Files too large for the cache (kernels, initrds, images) that aiohttp's path sent whole after
    every ROOT check: the lean path (http_fast) sends them again with sendfile, without the checks'
    realpath walk, as long as the file it opens is that very file.

    Safe because `open` compares the opened descriptor's (device, inode, mtime, size) with the one that
    passed the checks: whatever happens to the name meanwhile (a rename, a symlink swapped in), the bytes
    sent are those of the checked, unchanged file, or the request goes the whole way again.
    """

    def __init__(self, limit: int = 4096) -> None:
        self.limit = limit
        self.generation = 0
        self.entries: dict[str, LargeFile] = {}

    def put(self, path: str, stamp: tuple[int, int, int, int], head: bytes) -> None:
        if len(self.entries) >= self.limit:
            self.entries.clear()
        self.entries[path] = LargeFile(stamp, head)

    def open(self, path: str) -> tuple[int, LargeFile] | None:
        """(an open descriptor of the file, its entry) while it is the file that was checked, else None."""
        entry = self.entries.get(path)
        if entry is None:
            return None
        try:
            fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK)
        except OSError:
            return None
        try:
            if stamp_of(os.fstat(fd)) == entry.stamp:
                return fd, entry
        except OSError:
            pass
        os.close(fd)
        return None

    def settings(self, generation: int) -> None:
        """As SmallFileCache.settings: forget every file when the server's settings changed."""
        if generation != self.generation:
            self.entries.clear()
            self.generation = generation


LARGE = LargeFiles()


def stamp_of(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)


def _headers(st: os.stat_result, real_path: str) -> dict[str, str]:
    return {
        "Accept-Ranges": "bytes",
        "ETag": f'"{st.st_mtime_ns:x}-{st.st_size:x}"',
        "Last-Modified": formatdate(st.st_mtime, usegmt=True),
        "Content-Type": content_type(real_path),
    }


def cached_response(request: web.Request, key: str, path: str) -> web.Response | None:
    """The fast path for a hot small file: one stat(2) instead of open/check/read/close.

    Safe because the entry was stored after the full ROOT check, and a stat through the same name that
    finds the same (device, inode, mtime, size) is the very same, unchanged file.
    """
    headers = request.headers
    if (
        request.method != "GET"
        or "Range" in headers
        or "If-None-Match" in headers
        or "If-Modified-Since" in headers
    ):
        return None
    hit = CACHE.fresh(key, path)
    return web.Response(body=hit.body, headers=hit.headers) if hit is not None else None


async def file_response(
    request: web.Request,
    fd: int,
    real_path: str,
    st: os.stat_result,
    cache_key: str | None = None,
    stall: float | None = None,
) -> web.StreamResponse:
    """Answer GET/HEAD for an open regular file (confined to ROOT by the caller, who also closes fd).

    With a cache_key, a file sent whole is remembered for the lean path (a small one with its bytes, for
    `cached_response` too; a large one as LARGE, sent again by sendfile).
    A body sent by sendfile is given up when the client reads nothing for `stall` seconds.
    """
    size = st.st_size
    headers = _headers(st, real_path)
    etag = headers["ETag"]
    ctype = headers.pop("Content-Type")
    if _not_modified(request, etag, st.st_mtime):
        return web.Response(status=304, headers=headers)

    ranges = None
    if _if_range_ok(request, etag, st.st_mtime):
        try:
            ranges = parse_ranges(request.headers.get("Range"), size)
        except RangeNotSatisfiable:
            headers["Content-Range"] = f"bytes */{size}"
            return web.Response(status=416, headers=headers)

    head = request.method == "HEAD"
    if ranges is not None and len(ranges) > 1:
        return await _multipart(request, fd, size, ctype, ranges, headers, head)

    start, end = ranges[0] if ranges else (0, size - 1)
    count = end - start + 1 if size else 0
    status = 206 if ranges else 200
    if ranges:
        headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    headers["Content-Type"] = ctype

    if count <= SMALL_FILE:
        body = os.pread(fd, count, start)
        if cache_key is not None and status == 200 and len(body) == size:
            # a HEAD fills it too: a client's keep-alive connection stays on the lean path only while
            # its requests are plain hits, and a probe (HEAD) is often the first to ask
            CACHE.put(cache_key, stamp_of(st), body, dict(headers))
        if not head:
            return web.Response(status=status, body=body, headers=headers)
    elif cache_key is not None and status == 200:
        LARGE.put(cache_key, stamp_of(st), head_lines(headers, size))
    response = web.StreamResponse(status=status, headers=headers)
    response.content_length = count
    await response.prepare(request)
    if head:
        await response.write_eof()
        return response
    transport = request.transport
    if transport is None or transport.is_closing():
        raise ConnectionResetError("client went away")
    sock = transport.get_extra_info("socket")
    try:
        if transport.get_write_buffer_size() == 0 and sock is not None:
            # the headers are on the wire: the body can go straight from the file to the socket
            await send_file(sock.fileno(), fd, start, count, stall)
        else:  # through the transport, whose stalls the guard times out (http_guard)
            await _write_range(response, fd, start, start + count - 1)
    except SendStalled as exc:
        metrics.inc("http_refused_total", reason="send_stall")
        log.debug("%s %s: %s, dropped", request.method, request.path, exc)
        reset(transport)
        return response
    except ConnectionError as exc:
        return _client_gone(request, response, exc)
    await response.write_eof()
    return response


def _client_gone(request: web.Request, response: web.StreamResponse, exc: Exception) -> web.StreamResponse:
    """The client closed the connection mid-body (a cancelled download, a probe): not a server error."""
    log.debug("%s %s: the client went away during the body: %s", request.method, request.path, exc)
    if request.transport is not None:
        request.transport.close()  # aiohttp then finishes the response quietly
    return response


async def _multipart(
    request: web.Request,
    fd: int,
    size: int,
    ctype: str,
    ranges: list[tuple[int, int]],
    headers: dict[str, str],
    head: bool,
) -> web.StreamResponse:
    """multipart/byteranges (RFC 9110 14.6): each part read in chunks, never the whole file at once."""
    boundary = "ipxescript-" + secrets.token_hex(8)
    part_heads = [
        f"--{boundary}\r\nContent-Type: {ctype}\r\nContent-Range: bytes {s}-{e}/{size}\r\n\r\n".encode()
        for s, e in ranges
    ]
    tail = f"--{boundary}--\r\n".encode()
    length = sum(len(h) + (e - s + 1) + 2 for h, (s, e) in zip(part_heads, ranges, strict=True)) + len(tail)
    headers["Content-Type"] = f"multipart/byteranges; boundary={boundary}"
    response = web.StreamResponse(status=206, headers=headers)
    response.content_length = length
    await response.prepare(request)
    try:
        await _write_parts(response, fd, ranges, part_heads, tail, head)
    except ConnectionError as exc:
        return _client_gone(request, response, exc)
    await response.write_eof()
    return response


async def _write_parts(
    response: web.StreamResponse,
    fd: int,
    ranges: list[tuple[int, int]],
    part_heads: list[bytes],
    tail: bytes,
    head: bool,
) -> None:
    if not head:
        for part_head, (start, end) in zip(part_heads, ranges, strict=True):
            await response.write(part_head)
            await _write_range(response, fd, start, end)
            await response.write(b"\r\n")
        await response.write(tail)


async def _write_range(response: web.StreamResponse, fd: int, start: int, end: int) -> None:
    """Bytes start..end (inclusive) of the file, read and written in chunks."""
    offset = start
    while offset <= end:
        chunk = os.pread(fd, min(CHUNK, end - offset + 1), offset)
        if not chunk:
            raise ConnectionResetError("file shrank while serving it")
        await response.write(chunk)
        offset += len(chunk)
