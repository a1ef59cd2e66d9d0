"""Fetching images for the simulator: --map, --offline, --fail, http(s) via requests, a small TFTP
client, and local files. Images are probed (first bytes and size), not downloaded whole, unless the
caller needs the content (scripts) or --download is given.
"""

from __future__ import annotations

import fnmatch
import os
import socket
import struct
from dataclasses import dataclass, field

from ipxescript import __version__
from ipxescript.sim import errors

HEAD_BYTES = 4096
MAX_SCRIPT_BYTES = 8 * 1024 * 1024
MAX_DOWNLOAD_BYTES = 4 * 1024 * 1024 * 1024
NETWORK_TIMEOUT = 5.0


@dataclass
class FetchResult:
    status: int  # 0 = ok, else the iPXE error the firmware would report
    head: bytes | None = None  # first bytes (the whole file when content was wanted)
    size: int | None = None
    complete: bool = False  # head holds the whole file
    verified: bool = True
    source: str = ""
    missing_local: bool = False  # a local file that does not exist (--offline assumes it present)
    # where an HTTP redirect led: the image's URI from then on (downloader.c: downloader_vredirect sets
    # it), so ${cwuri} and relative names in the script are resolved against it
    moved_to: str | None = None


@dataclass
class Transfer:
    """How far the fetch under way is (bytes so far, the size when known): an interactive run shows it
    once a second as monojob_wait does."""

    done: int = 0
    total: int | None = None


@dataclass
class Fetcher:
    maps: list[tuple[str, str]] = field(default_factory=list)
    offline: bool = False
    fail_globs: list[str] = field(default_factory=list)
    download: bool = False
    log: list[dict[str, object]] = field(default_factory=list)
    cache: dict[tuple[str, bool], FetchResult] = field(default_factory=dict)
    given: dict[str, bytes] = field(default_factory=dict)  # contents known in advance (a script on stdin)
    transfer: Transfer = field(default_factory=Transfer)  # the network fetch under way

    def forced_failure(self, uri: str) -> bool:
        return any(fnmatch.fnmatchcase(uri, glob) for glob in self.fail_globs)

    def fetch(self, uri: str, want_content: bool, must_exist: bool = False) -> FetchResult:
        """must_exist: the script the user named (even --offline reports it missing)."""
        scheme = uri.split(":", 1)[0].lower()
        if ":" in uri:
            uri = scheme + uri[len(scheme) :]  # a scheme is case-insensitive (TFTP://...)
        if self.forced_failure(uri):
            result = FetchResult(_not_found(scheme), source="--fail")
        else:
            key = (uri, want_content or self.download)
            cached = self.cache.get(key)
            if cached is None:
                cached = self._fetch(uri, scheme, key[1])
                self.cache[key] = cached
            result = cached
            if self.offline and not must_exist and result.missing_local:
                # offline: a relative image next to a local script is assumed present, unverified
                result = FetchResult(0, None, None, False, verified=False, source="offline (assumed present)")
        self.log.append(
            {
                "uri": uri,
                "status": result.status,
                "size": result.size,
                "verified": result.verified,
                "source": result.source,
            }
        )
        return result

    def _fetch(self, uri: str, scheme: str, want_content: bool) -> FetchResult:
        if uri in self.given:
            data = self.given[uri]
            return FetchResult(0, data[:MAX_SCRIPT_BYTES], len(data), complete=True, source="stdin")
        for prefix, target in self.maps:
            if uri.startswith(prefix):
                rest = uri[len(prefix) :].split("?", 1)[0]
                if "://" in target:
                    found = self._fetch_remote(target + rest, target.split(":", 1)[0].lower(), want_content)
                    if found.moved_to and found.moved_to.startswith(target):  # still under the map
                        found.moved_to = prefix + found.moved_to[len(target) :]
                    return found
                relative = _decoded(rest).lstrip("/")
                if ".." in relative.split("/"):
                    # servers refuse paths that climb out of their root (QEMU's TFTP, tftpd-hpa, nginx)
                    return FetchResult(errors.TFTP_ACCESS if scheme == "tftp" else errors.HTTP_FORBIDDEN)
                return read_local(os.path.join(target, relative), want_content, scheme)
        if self.offline and scheme != "file":
            return FetchResult(0, None, None, False, verified=False, source="offline (assumed present)")
        if scheme == "file":
            path = uri[len("file:") :].split("?", 1)[0]
            if path.startswith("//"):
                path = path[2:]
                path = path[path.find("/") :] if "/" in path else "/"
            return read_local(_decoded(path), want_content, scheme)
        return self._fetch_remote(uri, scheme, want_content)

    def _fetch_remote(self, uri: str, scheme: str, want_content: bool) -> FetchResult:
        if scheme in ("http", "https"):
            return fetch_http(uri, want_content, self.transfer)
        if scheme == "tftp":
            return fetch_tftp(uri, want_content, self.transfer)
        if scheme == "file":
            return read_local(uri.split(":", 1)[1].removeprefix("//"), want_content, scheme)
        # schemes the firmware supports but the simulator cannot reach (iscsi, nfs, ...): assume present
        return FetchResult(0, None, None, False, verified=False, source=f"{scheme}: not simulated")


def _decoded(path: str) -> str:
    from ipxescript.sim.types import to_text, uri_decode_text

    return to_text(uri_decode_text(path))


def _not_found(scheme: str) -> int:
    if scheme == "tftp":
        return errors.TFTP_NOT_FOUND
    if scheme == "file":
        return errors.FILE_NOT_FOUND
    return errors.HTTP_NOT_FOUND


def read_local(path: str, want_content: bool, scheme: str = "file") -> FetchResult:
    try:
        size = os.path.getsize(path)
        if os.path.isdir(path):
            return FetchResult(_not_found(scheme), source=path)
        with open(path, "rb") as handle:
            limit = MAX_SCRIPT_BYTES if want_content else HEAD_BYTES
            head = handle.read(limit)
    except FileNotFoundError:
        return FetchResult(_not_found(scheme), source=path, missing_local=True)
    except OSError:
        return FetchResult(errors.TFTP_ACCESS if scheme == "tftp" else errors.HTTP_FORBIDDEN, source=path)
    return FetchResult(0, head, size, complete=len(head) >= size, source=path)


def http_status_error(code: int) -> int:
    if code == 404:
        return errors.HTTP_NOT_FOUND
    if code == 403:
        return errors.HTTP_FORBIDDEN
    if code == 401:
        return errors.HTTP_UNAUTHORIZED
    if 300 <= code < 400:
        return errors.HTTP_BAD_REDIRECT
    if code >= 500:
        return errors.HTTP_SERVER_ERROR
    return errors.HTTP_CLIENT_ERROR


# ipxesim says who it is, so a boot server (`ipxescript serve`) answers a dry run without acting on it
USER_AGENT = f"ipxesim/{__version__} (dry run)"


def fetch_http(uri: str, want_content: bool, transfer: Transfer | None = None) -> FetchResult:
    import requests
    import urllib3

    host = uri.split("://", 1)[-1].split("/", 1)[0].rsplit("@", 1)[-1]
    host = host[1:].split("]", 1)[0] if host.startswith("[") else host.split(":", 1)[0]
    try:
        socket.getaddrinfo(host, None)
    except (OSError, UnicodeError):
        return FetchResult(errors.DNS_NO_RECORD, source=uri)
    try:
        headers = {"User-Agent": USER_AGENT}
        with requests.get(
            uri, stream=True, timeout=NETWORK_TIMEOUT, allow_redirects=True, headers=headers
        ) as response:
            if response.status_code >= 300:
                return FetchResult(http_status_error(response.status_code), source=uri)
            length = response.headers.get("Content-Length")
            size = int(length) if length and length.isdigit() else None
            transfer = transfer or Transfer()
            transfer.total = size
            chunks: list[bytes] = []
            got = 0
            limit = MAX_DOWNLOAD_BYTES if want_content else HEAD_BYTES
            keep = MAX_SCRIPT_BYTES
            # what arrived, as it arrives (iter_content waits for whole chunks: no progress on a slow body)
            read1 = getattr(response.raw, "read1", None)
            arriving = (
                iter(lambda: read1(65536, decode_content=True), b"")
                if read1
                else response.iter_content(65536)
            )
            for chunk in arriving:
                if got < keep:
                    chunks.append(chunk[: keep - got])
                got += len(chunk)
                transfer.done = got
                if got >= limit:
                    break
            head = b"".join(chunks)
            complete = size is None and got < limit or (size is not None and got >= size)
            if complete:
                size = got
            moved_to = response.url if response.history else None
            return FetchResult(0, head, size, complete=complete, source=uri, moved_to=moved_to)
    except requests.exceptions.ConnectTimeout:
        return FetchResult(errors.CONNECT_TIMED_OUT, source=uri)
    except requests.exceptions.Timeout:
        return FetchResult(errors.CONNECTION_TIMED_OUT, source=uri)
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError) as error:
        return FetchResult(_connection_error(error), source=uri)


def _connection_error(error: BaseException) -> int:
    """What iPXE reports for a connection that failed: refused or reset is tcp.c's ECONNRESET, a
    body shorter than its Content-Length httpcore.c's EIO_CONTENT_LENGTH; the rest a timeout."""
    import http.client

    seen: set[int] = set()
    todo: list[object] = [error]
    while todo:
        cause = todo.pop()
        if not isinstance(cause, BaseException) or id(cause) in seen:
            continue
        seen.add(id(cause))
        if isinstance(cause, (ConnectionRefusedError, ConnectionResetError)):
            return errors.CONNECTION_RESET
        if isinstance(cause, http.client.IncompleteRead):
            return errors.HTTP_CONTENT_LENGTH
        todo.extend([cause.__cause__, cause.__context__, getattr(cause, "reason", None), *cause.args])
    return errors.CONNECTION_TIMED_OUT


def fetch_tftp(uri: str, want_content: bool, transfer: Transfer | None = None) -> FetchResult:
    """RFC 1350 read with the tsize option (RFC 2349); stops after the first block unless content is
    wanted, by sending an error packet as iPXE does when it aborts."""
    rest = uri.split("://", 1)[1] if "://" in uri else uri
    hostport, _, path = rest.partition("/")
    host, _, port_text = hostport.partition(":")
    port = int(port_text) if port_text.isdigit() else 69
    request = b"\0\x01" + path.encode("utf-8", "surrogateescape") + b"\0octet\0tsize\x000\0blksize\x001432\0"
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sent: list[tuple[bytes, tuple[str, int]]] = []

    def send(packet: bytes, to: tuple[str, int]) -> None:
        sent[:] = [(packet, to)]
        sock.sendto(packet, to)

    def receive() -> tuple[bytes, tuple[str, int]]:
        """The next packet; as tftp.c's retry timer does, the last packet is sent again each time the
        wait (from 1/4 s, doubling) runs out, until NETWORK_TIMEOUT passed with no answer."""
        wait, waited = 0.25, 0.0
        while True:
            sock.settimeout(wait)
            try:
                return sock.recvfrom(65536)
            except TimeoutError:
                waited += wait
                if waited >= NETWORK_TIMEOUT:
                    raise
                sock.sendto(*sent[0])
                wait = min(wait * 2, NETWORK_TIMEOUT - waited)

    data = bytearray()
    size: int | None = None
    blksize = 512
    try:
        send(request, (host, port))
        expected = 1
        while True:
            packet, peer = receive()
            opcode = struct.unpack("!H", packet[:2])[0]
            if opcode == 5:
                code = struct.unpack("!H", packet[2:4])[0]
                status = errors.TFTP_ACCESS if code == 2 else errors.TFTP_NOT_FOUND
                return FetchResult(status, source=uri)
            if opcode == 6:
                fields = packet[2:].split(b"\0")
                options = dict(zip(fields[0::2], fields[1::2], strict=False))
                if b"tsize" in options:
                    size = int(options[b"tsize"] or b"0")
                    if transfer is not None:
                        transfer.total = size
                if b"blksize" in options:
                    blksize = int(options[b"blksize"])
                send(b"\0\x04\0\0", peer)
                continue
            if opcode != 3:
                continue
            block = struct.unpack("!H", packet[2:4])[0]
            if block != expected & 0xFFFF:
                send(b"\0\x04" + struct.pack("!H", block), peer)
                continue
            data.extend(packet[4:])
            if transfer is not None:
                transfer.done = len(data)
            last = len(packet) - 4 < blksize
            if last:
                sock.sendto(b"\0\x04" + struct.pack("!H", block), peer)
                return FetchResult(0, bytes(data[:MAX_SCRIPT_BYTES]), len(data), complete=True, source=uri)
            if not want_content and len(data) >= HEAD_BYTES:
                sock.sendto(b"\0\x05\0\0aborted\0", peer)
                return FetchResult(0, bytes(data), size, complete=False, source=uri)
            send(b"\0\x04" + struct.pack("!H", block), peer)
            expected += 1
    except (TimeoutError, OSError):
        return FetchResult(errors.TFTP_TIMED_OUT, source=uri)
    finally:
        sock.close()
