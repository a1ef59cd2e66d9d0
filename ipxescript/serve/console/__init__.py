"""The web console at `/`: a page with no data in it, its script and style, and the JSON it reads.

The page is a fixed file; everything it shows comes from the token-protected JSON API (`/api/...`), is
fetched by `console.js` with the token the operator typed, and is inserted as text, never as HTML. Its
strict Content-Security-Policy allows scripts, styles and requests from this server only (no inline
script), and no framing. Live boots arrive as server-sent events on `/api/events` (read with fetch, as an
EventSource cannot send the token); the page polls `/api/log` while that stream is down.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import time
from collections.abc import Awaitable, Callable
from importlib import resources

from aiohttp import web

from ipxescript.serve.apiauth import authorized
from ipxescript.serve.assignments import normalise_mac
from ipxescript.serve.bootlog import Event, outcome_of
from ipxescript.serve.config import ConfigError
from ipxescript.serve.explain import explain_decision
from ipxescript.serve.serve_policy import ServePolicy

ASSET_DIR = "_console"  # /_console/console.js and /_console/console.css
ASSETS = {"console.js": "text/javascript", "console.css": "text/css"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
SAFE_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
MAX_STREAMS = 16  # event streams open at once (each holds a connection)
STREAM_SECONDS = 600.0  # a stream ends after this; the page opens the next one
KEEPALIVE = 15.0  # a comment line when nothing happened for this long
TICK = 0.25  # how often a stream looks for new events
BACKLOG = 100  # events a new stream starts with
LintOffLoop = Callable[[str, str, os.stat_result], Awaitable[None]]


def _read(name: str) -> bytes:
    return resources.files(__package__).joinpath(name).read_bytes()


def page() -> web.Response:
    """The console's page: the same bytes for everyone, with or without the token."""
    return web.Response(
        body=_read("index.html"),
        content_type="text/html",
        charset="utf-8",
        headers={**SAFE_HEADERS, "Content-Security-Policy": CSP},
    )


def asset(rel: str) -> web.Response | None:
    """/_console/NAME, or None when `rel` is not one of the console's files."""
    name = rel.removeprefix(ASSET_DIR + "/")
    if name == rel or name not in ASSETS:
        return None
    return web.Response(body=_read(name), content_type=ASSETS[name], charset="utf-8", headers=SAFE_HEADERS)


def event_json(event: Event) -> dict[str, object]:
    return {**event.as_json(), "outcome": outcome_of(event.stage)}


def _sse(event: Event, mark: int) -> bytes:
    return f"id: {mark}\nevent: boot\ndata: {json.dumps(event_json(event))}\n\n".encode()


class ConsoleApi:
    """The API paths the console needs beyond assignments and the log: server, explain, events."""

    def __init__(self, policy: ServePolicy, lint_off_loop: LintOffLoop) -> None:
        self.policy = policy
        self.lint_off_loop = lint_off_loop  # the HTTP side's: a changed script is linted in a thread
        self.streams = 0
        self.closing = asyncio.Event()

    async def close(self, _app: web.Application | None = None) -> None:
        """The server stops: open event streams end (else shutdown would wait for them)."""
        self.closing.set()

    def server(self) -> web.Response:
        """What the page shows about the server itself: where it serves from, groups, lint errors."""
        config = self.policy.config
        errors = [
            str(finding) for report in self.policy.checker.all_reports().values() for finding in report.errors
        ]
        return web.json_response(
            {
                "root": str(config.root),
                "boot_url": config.boot_url,
                "dhcp": config.dhcp,
                "default_target": config.default_target,
                "groups": [
                    {"name": g.name, "target": g.target, "selector": g.selector} for g in config.groups
                ],
                "lint_errors": sorted(errors),
                "lint": config.lint,
            }
        )

    async def explain(self, request: web.Request) -> web.Response:
        """What a client would get now and which rule decides it (?client=MAC&arch=ARCH&ip=IP); the
        policy's own decision, peeking at a once assignment without taking it."""
        query = request.query
        mac = normalise_mac(query.get("client", "")) or query.get("client", "")
        ip = query.get("ip") or None
        if ip is not None:
            try:
                ip = str(ipaddress.IPv4Address(ip))
            except ValueError:
                return _error(400, f"ip={ip[:60]!r} is not an IPv4 address")
        else:
            ip = self.policy.bootlog.last_ip(mac)
        try:
            found = explain_decision(self.policy, mac, query.get("arch", "efi64"), ip)
        except ConfigError as exc:
            return _error(400, str(exc).removeprefix("--explain: "))
        missing = self.policy.verdict_missing(found.decision.target)
        if missing is not None:
            await self.lint_off_loop(*missing)
        return web.json_response(found.rendered(self.policy).as_json(self.policy.config))

    async def events(self, request: web.Request, backlog: int) -> web.StreamResponse:
        """Boot-log events as server-sent events: the latest `backlog` (newer than ?after=TIME), then
        each new one as it is logged, until the client goes, the token changes or STREAM_SECONDS pass."""
        if self.streams >= MAX_STREAMS:
            return _error(503, f"{MAX_STREAMS} event streams are open already; poll /api/log instead")
        try:
            after = float(request.query.get("after", "0"))
        except ValueError:
            after = 0.0
        bootlog = self.policy.bootlog
        mark, first = bootlog.since(bootlog.mark() - backlog)
        response = web.StreamResponse(
            headers={**SAFE_HEADERS, "Content-Type": "text/event-stream; charset=utf-8"}
        )
        self.streams += 1
        try:
            await response.prepare(request)
            await response.write(b"retry: 3000\n\n")
            for index, event in enumerate(first):
                if event.time > after:
                    await response.write(_sse(event, mark - len(first) + index + 1))
            started = last_write = time.monotonic()
            header = request.headers.get("Authorization")
            while not self.closing.is_set() and time.monotonic() - started < STREAM_SECONDS:
                try:
                    await asyncio.wait_for(self.closing.wait(), TICK)
                except TimeoutError:
                    pass
                mark, new = bootlog.since(mark)
                if new:
                    for index, event in enumerate(new):
                        await response.write(_sse(event, mark - len(new) + index + 1))
                    last_write = time.monotonic()
                elif time.monotonic() - last_write > KEEPALIVE:
                    if self.policy.config.api_reads != "open" and not authorized(
                        header, self.policy.api_token
                    ):
                        break  # the token was changed (SIGHUP): this stream's holder must ask again
                    await response.write(b": keepalive\n\n")
                    last_write = time.monotonic()
        except ConnectionError:
            pass  # the page went away
        finally:
            self.streams -= 1
        return response


def _error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)
