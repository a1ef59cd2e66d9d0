"""The lean path of the HTTP server: the two requests of a boot storm answered straight from the bytes.

Most HTTP requests of a boot are `GET /boot.ipxe?mac=...` and GET of a small script or config. Through
aiohttp each costs a request object, a handler task, header multidicts and a response object, which
kept the server near a fifth of nginx's rate. `LeanPath.answer` answers exactly those requests from the
request's header block, when they are plain:

- GET or HEAD, HTTP/1.0 or 1.1, an origin-form ASCII target, a Host, no body, every header line a
  token, a colon and a value without control characters, no field given twice;
- no Range, conditional, Expect or Upgrade header;
- /boot.ipxe (the policy decides and renders, as for aiohttp: `BootHttp.boot_now`), or a file already
  in the small-file cache (`http_static.CACHE`, filled by aiohttp's path after every ROOT check) whose
  (device, inode, mtime, size) is unchanged.

Anything else, or anything this parser is not sure of, is answered by the aiohttp application, with the
connection's bytes as they came (`http_guard.GuardedProtocol` hands the connection over). Answering a
strict subset is what keeps it safe: refusals (hidden files, the server's own files, traversal), ranges,
large files, errors and the API all keep their one implementation.
"""

from __future__ import annotations

import os
import re
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl

from ipxescript.serve import metrics
from ipxescript.serve.bootlog import stage_of
from ipxescript.serve.http_static import CACHE
from ipxescript.serve.rootfs import PathRefused, decode_request_path
from ipxescript.serve.serve_policy import Served

if TYPE_CHECKING:
    from ipxescript.serve.http_app import BootHttp

# Control characters anywhere, and CR or LF other than as a CRLF pair: such a request goes to aiohttp.
_UNUSUAL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\r(?!\n)|(?<!\r)\n")
_TOKEN = re.compile(rb"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
# A Host the boot URL may carry into a script (http_app.boot_now): a name or address and a port, nothing
# an iPXE script line could read as a separator, an operator or an expansion.
HOST = re.compile(rb"[A-Za-z0-9.:\[\]_-]{1,255}")
# Headers whose meaning aiohttp's path implements (bodies, ranges, revalidation, protocol switches).
HANDED_OVER = frozenset(
    {
        b"content-length", b"transfer-encoding", b"expect", b"upgrade", b"range", b"if-range",
        b"if-none-match", b"if-modified-since", b"if-match", b"if-unmodified-since",
    }
)  # fmt: skip
SCRIPT_HEAD = b"Content-Type: text/plain; charset=utf-8\r\nCache-Control: no-store\r\n"
STATUS = {
    200: b"HTTP/1.1 200 OK\r\n",
    400: b"HTTP/1.1 400 Bad Request\r\n",
    403: b"HTTP/1.1 403 Forbidden\r\n",
}


@dataclass(frozen=True)
class Refusal:
    """A boot request answered with an error script instead (a bad or refused identity)."""

    status: int
    text: str


_date = [0, b""]  # (second, "Date: ...\r\n"): formatted once a second


def date_line() -> bytes:
    now = int(time.time())
    if now != _date[0]:
        _date[0], _date[1] = now, f"Date: {formatdate(now, usegmt=True)}\r\n".encode()
    return _date[1]  # type: ignore[return-value]


class Request:
    """What the lean path needs of a plain request."""

    __slots__ = ("method", "path", "query", "http10", "fields")

    def __init__(self, method: bytes, path: bytes, query: bytes, http10: bool, fields: dict[bytes, bytes]):
        self.method, self.path, self.query, self.http10, self.fields = method, path, query, http10, fields

    def keep_alive(self) -> bool:
        connection = self.fields.get(b"connection")
        if connection is None:
            return not self.http10
        tokens = {t.strip().lower() for t in connection.split(b",")}
        return b"close" not in tokens and (not self.http10 or b"keep-alive" in tokens)


def parse(head: bytes) -> Request | None:
    """The request of a header block (without its final CRLF CRLF) if it is plain, else None."""
    if _UNUSUAL.search(head):
        return None
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3:
        return None
    method, target, version = parts
    if method not in (b"GET", b"HEAD") or version not in (b"HTTP/1.1", b"HTTP/1.0"):
        return None
    if not target.startswith(b"/") or not target.isascii() or b"#" in target:
        return None
    fields: dict[bytes, bytes] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(b":")
        if not sep or not _TOKEN.fullmatch(name):
            return None
        key = name.lower()
        if key in fields or key in HANDED_OVER:
            return None
        fields[key] = value.strip(b" \t")
    host = fields.get(b"host")
    if host is None or not HOST.fullmatch(host):
        return None
    path, _, query = target.partition(b"?")
    return Request(method, path, query, version == b"HTTP/1.0", fields)


class LeanPath:
    """Answers plain hot requests for one HTTP process; see the module docstring."""

    def __init__(self, app: BootHttp) -> None:
        self.app = app
        self.policy = app.policy

    def answer(self, head: bytes, peer: str, local: str | None) -> tuple[bytes, bool] | None:
        """(the whole response, keep the connection) for a plain hot request; None to hand it over."""
        request = parse(head)
        if request is None:
            return None
        try:
            rel = self.policy.root.relative(decode_request_path(request.path.decode("ascii")))
        except PathRefused:
            return None  # refused, logged and counted by aiohttp's path
        if rel == "boot.ipxe":
            return self._boot(request, peer, local)
        if not rel or rel.startswith("api/") or rel in ("api", "healthz", "readyz", "metrics"):
            return None
        return self._file(request, rel, peer)

    def _file(self, request: Request, rel: str, peer: str) -> tuple[bytes, bool] | None:
        CACHE.settings(self.policy.generation)
        key = os.path.join(self.policy.root.path, rel)
        hit = CACHE.fresh(key, key)
        if hit is None:
            return None
        get = request.method == b"GET"
        if get and not _dry(request):
            self.app.note(peer, "GET", stage_of(rel), rel, "file from ROOT")
        return self._response(request, 200, hit.head, hit.body if get else b"")

    def _boot(self, request: Request, peer: str, local: str | None) -> tuple[bytes, bool] | None:
        query = dict(parse_qsl(request.query.decode("ascii"), keep_blank_values=True))
        client = self.app.checked_client(query, peer, local)
        if isinstance(client, Refusal):
            status, text = client.status, client.text
        else:
            served = self.app.boot_now(
                client,
                dry_run=_dry(request),
                method=request.method.decode(),
                host=request.fields[b"host"].decode("ascii"),
            )
            if not isinstance(served, Served):
                return None  # its target needs a lint verdict first: aiohttp's path lints off the loop
            status, text = 200, served.text
        body = text.encode()
        head = SCRIPT_HEAD + b"Content-Length: %d\r\n" % len(body)
        return self._response(request, status, head, body if request.method == b"GET" else b"")

    def _response(self, request: Request, status: int, head: bytes, body: bytes) -> tuple[bytes, bool]:
        keep = request.keep_alive()
        if not keep:
            connection = b"Connection: close\r\n"
        else:
            connection = b"Connection: keep-alive\r\n" if request.http10 else b""
        metrics.inc("http_requests_total", code=str(status))
        return b"".join((STATUS[status], head, date_line(), connection, b"\r\n", body)), keep


def _dry(request: Request) -> bool:
    return request.fields.get(b"user-agent", b"").startswith(b"ipxesim/")
