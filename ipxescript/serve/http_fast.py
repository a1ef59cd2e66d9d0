"""The lean path of the HTTP server: the two requests of a boot storm answered straight from the bytes.

Most HTTP requests of a boot are `GET /boot.ipxe?mac=...` and GET of a small script or config. Through
aiohttp each costs a request object, a handler task, header multidicts and a response object, which
kept the server near a fifth of nginx's rate. `LeanPath.answer` answers exactly those requests from the
request's header block, when they are plain:

- GET or HEAD, HTTP/1.0 or 1.1, an origin-form ASCII target, a Host, no body, every header line a
  token, a colon and a value without control characters, no field given twice;
- no Range, conditional, Expect or Upgrade header;
- at most MAX_HEADER_FIELDS header lines of at most MAX_FIELD_BYTES each (aiohttp's own bounds);
- /boot.ipxe (the policy decides and renders, as for aiohttp: `BootHttp.boot_now`), or a file already
  in the small-file cache (`http_static.CACHE`, filled by aiohttp's path after every ROOT check) whose
  (device, inode, mtime, size) is unchanged, or a large file (a kernel, an initrd) that aiohttp's path
  sent whole after every ROOT check (`http_static.LARGE`), opened again and sent with sendfile while the
  opened file is that very file.

What makes it fast is remembering, never guessing (each is dropped when the settings change, on SIGHUP):

- a header block seen before (a client sends the same bytes for every request) is not parsed again:
  `Plan` is what the block asks for, routed, with the keep-alive answer worked out;
- a per-client boot.ipxe is rendered once and sent again while everything it was made from is
  unchanged (`BootAnswer`): the client's identity verdict (checked on every request), the assignments
  (`AssignmentStore.version`, one `PRAGMA data_version`) and the target file (one stat). A once
  assignment waiting, a refusal or a retry is never remembered; the boot log gets its step each time.

Anything else, or anything this parser is not sure of, is answered by the aiohttp application, with the
connection's bytes as they came (`http_guard.GuardedProtocol` hands the connection over). Answering a
strict subset is what keeps it safe: refusals (hidden files, the server's own files, traversal), ranges
(iPXE sends a Range only for block-device reads, sanboot: src/net/tcp/httpblock.c; a `kernel` or
`initrd` download opens with none, src/net/tcp/httpcore.c http_open_uri), errors and the API all keep
their one implementation.
"""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import time
from dataclasses import dataclass
from email.utils import formatdate
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import parse_qsl

from ipxescript.serve import metrics
from ipxescript.serve.bootlog import stage_of
from ipxescript.serve.http_limits import MAX_FIELD_BYTES, MAX_HEADER_FIELDS
from ipxescript.serve.http_static import CACHE, LARGE, CachedFile, stamp_of
from ipxescript.serve.identity import Verdict
from ipxescript.serve.policy import Client
from ipxescript.serve.rootfs import PathRefused, decode_request_path
from ipxescript.serve.serve_policy import Served

if TYPE_CHECKING:
    from ipxescript.serve.http_app import BootHttp

REMEMBERED = 4096  # header blocks (Plan) and boot answers remembered; over it, forget them all
SHORT_HEAD = 2048  # only header blocks this short are remembered (memory: at most REMEMBERED of them)
BOOT_BYTES = 16 * 1024 * 1024  # boot answers remembered, in bytes of script

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


class FileBody(NamedTuple):
    """The body of a large file, to be sent with sendfile after the head: an open descriptor (whose
    owner closes it) and how many bytes from its start."""

    fd: int
    size: int


Answer = tuple[bytes, bool, FileBody | None]  # (the response or its head, keep the connection, body)


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
    if len(lines) - 1 > MAX_HEADER_FIELDS:
        return None
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
        if not sep or len(line) > MAX_FIELD_BYTES or not _TOKEN.fullmatch(name):
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


class Plan:
    """What a plain header block asks for, worked out once: the file (or boot.ipxe) and how to answer."""

    __slots__ = ("request", "rel", "key", "stage", "get", "dry", "keep", "connection")

    def __init__(self, request: Request, rel: str, key: str) -> None:
        self.request, self.rel, self.key = request, rel, key
        self.stage = stage_of(rel)
        self.get = request.method == b"GET"
        self.dry = request.fields.get(b"user-agent", b"").startswith(b"ipxesim/")
        self.keep = request.keep_alive()
        if not self.keep:
            self.connection = b"Connection: close\r\n"
        else:
            self.connection = b"Connection: keep-alive\r\n" if request.http10 else b""


NOT_PLAIN = object()  # a remembered header block that the lean path does not answer
UNSEEN = object()  # not looked at yet in this turn of the event loop


class BootAnswer:
    """A boot.ipxe rendered for one client (its query, Host, address), and what it was made from."""

    __slots__ = ("client", "claimed_ip", "served", "version", "target", "stamp", "head", "body")

    def __init__(
        self,
        client: Client,
        claimed_ip: str | None,
        served: Served,
        sources: tuple[object, str | None, object],
    ) -> None:
        self.client, self.claimed_ip, self.served = client, claimed_ip, served
        self.version, self.target, self.stamp = sources
        self.body = served.text.encode()
        self.head = SCRIPT_HEAD + b"Content-Length: %d\r\n" % len(self.body)


def file_stamp(path: str | None) -> tuple[int, int, int, int] | None:
    """(device, inode, mtime, size) of the file at `path` (through symlinks), None if there is none."""
    if path is None:
        return None
    try:
        return stamp_of(os.stat(path))
    except OSError:
        return None


class LeanPath:
    """Answers plain hot requests for one HTTP process; see the module docstring."""

    def __init__(self, app: BootHttp) -> None:
        self.app = app
        self.policy = app.policy
        self.plans: dict[bytes, Plan | object] = {}
        self.boots: dict[tuple[bytes, bytes, str, str | None], BootAnswer] = {}
        self.boot_bytes = 0
        self.generation = self.policy.generation
        self.counted = {code: ("http_requests_total", (("code", str(code)),)) for code in STATUS}
        self.answered = dict.fromkeys(STATUS, 0)  # this turn's answers by status, counted at its end
        self.date = b""  # this turn's Date line
        # what was looked at in this turn of the event loop (see `_new_turn`)
        self.turn = False
        self.files: dict[str, CachedFile | None] = {}
        self.stamps: dict[str | None, tuple[int, int, int, int] | None] = {}
        self.version: object = UNSEEN
        self.verdicts: dict[tuple[str, str | None, str, str | None], Verdict] = {}
        # per client address, the step its last request of this turn wrote to the boot log (a file's
        # name or a BootAnswer): the same step again in this turn repeats it, which the boot log would
        # leave out anyway (BootLog.record), so it is not offered again (this saved a tenth of a small
        # file's cost, and is why boot.ipxe, which had it, was the faster of the two)
        self.noted: dict[str, object] = {}

    def _new_turn(self) -> None:
        """The requests that one wake-up of the event loop reads are answered from one look at each file
        and at the assignments: the first of them that needs it stats or asks, the others take that
        answer, and it is forgotten before the loop waits again. Those requests arrived together, so
        each is answered as things were when they arrived; a request sent after a change finished
        reaches a later wake-up, which looks again."""
        self.turn = True
        self.date = date_line()
        asyncio.get_running_loop().call_soon(self._end_turn)

    def _end_turn(self) -> None:
        self.turn = False
        for status, count in self.answered.items():
            if count:
                metrics.inc_key(self.counted[status], count)
                self.answered[status] = 0
        self.files.clear()
        self.stamps.clear()
        self.version = UNSEEN
        self.verdicts.clear()
        self.noted.clear()

    def answer(self, head: bytes, peer: str, local: str | None, large: bool = True) -> Answer | None:
        """(the whole response or, for a large file, its head and the file; keep the connection) for a
        plain hot request; None to hand it over. `large`: whether a large file may be answered now."""
        if self.policy.generation != self.generation:  # reconfigured: what was worked out may not hold
            self.plans.clear()
            self.boots.clear()
            self.boot_bytes = 0
            self.generation = self.policy.generation
            CACHE.settings(self.generation)
            LARGE.settings(self.generation)
            self.files.clear()
        if not self.turn:
            self._new_turn()
        plan = self.plans.get(head)
        if plan is None:
            plan = self._plan(head)
            if len(head) <= SHORT_HEAD:
                if len(self.plans) >= REMEMBERED:
                    self.plans.clear()
                self.plans[head] = plan
        if not isinstance(plan, Plan):
            return None
        if plan.rel == "boot.ipxe":
            return self._boot(plan, peer, local)
        return self._file(plan, peer, large)

    def _plan(self, head: bytes) -> Plan | object:
        request = parse(head)
        if request is None:
            return NOT_PLAIN
        try:
            rel = self.policy.root.relative(decode_request_path(request.path.decode("ascii")))
        except PathRefused:
            return NOT_PLAIN  # refused, logged and counted by aiohttp's path
        if not rel or rel.startswith("api/") or rel in ("api", "healthz", "readyz", "metrics"):
            return NOT_PLAIN
        return Plan(request, rel, os.path.join(self.policy.root.path, rel))

    def _file(self, plan: Plan, peer: str, large_now: bool) -> Answer | None:
        key = plan.key
        if key in self.files:
            hit = self.files[key]
        else:
            hit = self.files[key] = CACHE.fresh(key, key)
        if hit is not None:
            self._note(plan, peer)
            return self._response(plan, 200, hit.head, hit.body if plan.get else b"")
        opened = LARGE.open(key) if large_now else None
        if opened is None:
            return None
        fd, large = opened
        self._note(plan, peer)
        if not plan.get:
            os.close(fd)
            return self._response(plan, 200, large.head, b"")
        return self._response(plan, 200, large.head, b"", FileBody(fd, large.stamp[3]))

    def _note(self, plan: Plan, peer: str) -> None:
        if plan.get and not plan.dry and self.noted.get(peer) != plan.rel:
            self.app.note(peer, "GET", plan.stage, plan.rel, "file from ROOT")
            self.noted[peer] = plan.rel

    def _boot(self, plan: Plan, peer: str, local: str | None) -> Answer | None:
        request = plan.request
        host = request.fields[b"host"]
        key = (request.query, host, peer, local)
        known = self.boots.get(key)
        if known is not None and self._still_true(known, peer, local):
            consume = plan.get and not plan.dry
            if not consume or self.noted.get(peer) is not known:
                self.app.log_boot(known.client, known.served, consume=consume, dry_run=plan.dry)
                if consume:
                    self.noted[peer] = known
            return self._response(plan, 200, known.head, known.body if plan.get else b"")
        self.noted.pop(peer, None)  # what follows may write a step of this client (or a refusal)
        query = dict(parse_qsl(request.query.decode("ascii"), keep_blank_values=True))
        client = self.app.checked_client(query, peer, local)
        if isinstance(client, Refusal):
            body = client.text.encode()
            head = SCRIPT_HEAD + b"Content-Length: %d\r\n" % len(body)
            return self._response(plan, client.status, head, body if plan.get else b"")
        # what the answer is made from, before it is made: if any of it changes meanwhile, it is not kept
        sources = self._sources(client)
        served = self.app.boot_now(
            client, dry_run=plan.dry, method=request.method.decode(), host=host.decode("ascii")
        )
        self.version = UNSEEN  # a GET may have taken a once assignment: look again
        self.stamps.pop(sources[1], None)
        if not isinstance(served, Served):
            return None  # its target needs a lint verdict first: aiohttp's path lints off the loop
        answer = BootAnswer(client, query.get("ip") or None, served, sources)
        if self._rememberable(answer) and self._unchanged(answer):
            if len(self.boots) >= REMEMBERED or self.boot_bytes > BOOT_BYTES:
                self.boots.clear()
                self.boot_bytes = 0
            self.boots[key] = answer
            self.boot_bytes += len(answer.body)
        return self._response(plan, 200, answer.head, answer.body if plan.get else b"")

    def _sources(self, client: Client) -> tuple[object, str | None, object]:
        """(assignments version, target file, its stamp) that this client's boot.ipxe is made from;
        version None when the store cannot tell (then nothing is remembered)."""
        if not client.mac:
            return (), None, None  # the identity probe: made from the query and the Host only
        version = self._version()
        decision = self.policy.decide_or_retry(client, consume=False)
        if isinstance(decision, Served):
            return None, None, None
        try:
            rel = self.policy.root.relative(decision.target)
        except PathRefused:
            return None, None, None
        target = os.path.join(self.policy.root.path, rel) if rel else None
        return version, target, file_stamp(target)

    def _unchanged(self, answer: BootAnswer) -> bool:
        """Whether the assignments and the target are still as they were before the answer was made (the
        same assignments give the same decision, so its target is the same file)."""
        return not answer.client.mac or (
            self._version() == answer.version and file_stamp(answer.target) == answer.stamp
        )

    def _rememberable(self, answer: BootAnswer) -> bool:
        decision = answer.served.decision
        if not answer.client.mac:
            return decision is None and answer.version == ()
        return (
            answer.version is not None
            and decision is not None
            and decision.source != "once"  # taken by a GET: each one is decided afresh
            and answer.target is not None
        )

    def _still_true(self, known: BootAnswer, peer: str, local: str | None) -> bool:
        """Whether the boot.ipxe remembered for this request is what the policy would answer now."""
        client = known.client
        if client.mac:
            asked = (client.mac, known.claimed_ip, peer, local)
            verdict = self.verdicts.get(asked)
            if verdict is None:
                verdict = self.verdicts[asked] = self.policy.identity.check(*asked)
            if verdict.refused is not None or verdict.mac != client.mac or verdict.ip != client.ip:
                return False
            version = self.version
            if version is UNSEEN:
                version = self.version = self._version()
            if version is None or version != known.version:
                return False
            target = known.target
            stamp = (
                self.stamps[target]
                if target in self.stamps
                else self.stamps.setdefault(target, file_stamp(target))
            )
            return stamp == known.stamp
        return True

    def _version(self) -> object:
        """The assignments' version (AssignmentStore.version), None when the store has none or cannot
        be read now (then nothing is remembered, and the policy decides and reports as always)."""
        version = getattr(self.policy.store, "version", None)
        if version is None:
            return None
        try:
            return version()
        except sqlite3.Error:
            return None

    def _response(
        self, plan: Plan, status: int, head: bytes, body: bytes, file: FileBody | None = None
    ) -> Answer:
        self.answered[status] += 1
        return b"".join((STATUS[status], head, self.date, plan.connection, b"\r\n", body)), plan.keep, file
