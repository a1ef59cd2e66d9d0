"""The HTTP side of `ipxescript serve` (aiohttp): boot.ipxe per client, static files, the console, JSON API.

One catch-all route dispatches on the decoded, normalised path, so `//boot.ipxe` is `boot.ipxe` (no
redirects) and every path goes through the same ROOT confinement.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import logging
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace

from aiohttp import web

from ipxescript.serve import console, metrics
from ipxescript.serve.apiauth import api_token, authorized
from ipxescript.serve.assignments import ClientKeyError, normalise_mac
from ipxescript.serve.bootlog import stage_of
from ipxescript.serve.http_fast import HOST, LeanPath, Refusal
from ipxescript.serve.http_guard import Guard
from ipxescript.serve.http_limits import HttpLimits
from ipxescript.serve.http_static import CACHE, LARGE, cached_response, file_response
from ipxescript.serve.openapi import openapi_document
from ipxescript.serve.policy import Client
from ipxescript.serve.render import error_script
from ipxescript.serve.rootfs import OpenFile, PathRefused, decode_request_path
from ipxescript.serve.serve_policy import Located, Served, ServePolicy
from ipxescript.serve.state import StateUnavailable

log = logging.getLogger("ipxescript.serve.http")

MissingVerdict = tuple[str, str, os.stat_result]  # (rel, real path, stat) of a script to lint first

SCRIPT_TYPE = "text/plain; charset=utf-8"
IDENTITY_KEYS = ("mac", "uuid", "ip", "hostname")
POLICY_KEY: web.AppKey[ServePolicy] = web.AppKey("policy", ServePolicy)


OPERATOR_PATHS = ("healthz", "readyz", "metrics")


def _text(body: str, status: int = 200, headers: dict[str, str] | None = None, **more: str) -> web.Response:
    return web.Response(
        status=status,
        text=body,
        content_type="text/plain",
        charset="utf-8",
        headers={**(headers or {}), **more},
    )


def client_from_query(query: Mapping[str, str], remote: str | None) -> Client:
    """The client as /boot.ipxe sees it: the identity query (from the probe script) and the peer address."""
    query = {k: v for k, v in query.items() if v != ""}
    raw_mac = query.get("mac")
    mac = normalise_mac(raw_mac) if raw_mac else None
    if raw_mac and mac is None:
        raise ClientKeyError(f"mac={raw_mac!r} is not a MAC address")
    ip = query.get("ip") or remote
    if ip != remote:  # the peer's address comes from the socket, already in its canonical form
        try:
            ip = str(ipaddress.IPv4Address(ip)) if ip else None
        except ValueError:
            ip = remote
    labels = {k: v for k, v in query.items() if k not in IDENTITY_KEYS}
    return Client(mac=mac or "", uuid=query.get("uuid"), ip=ip, hostname=query.get("hostname"), labels=labels)


def is_dry_run(user_agent: str) -> bool:
    """ipxesim says who it is (User-Agent `ipxesim/VERSION (dry run)`): it is answered what a machine
    would get, but takes no once-assignment and leaves no boot in the log."""
    return user_agent.startswith("ipxesim/")


def _dry(request: web.Request) -> bool:
    return is_dry_run(request.headers.get("User-Agent", ""))


def _local(request: web.Request) -> str | None:
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return sockname[0] if sockname else None


def _is_loopback(request: web.Request) -> bool:
    """Whether the request comes from this host (a loopback address, or the server's own address)."""
    try:
        if ipaddress.ip_address(request.remote or "").is_loopback:
            return True
    except ValueError:
        return False
    sockname = request.transport.get_extra_info("sockname") if request.transport else None
    return sockname is not None and sockname[0] == request.remote


# Lint runs of scripts that changed since their last verdict (one at a time: the CPU is shared anyway).
LINT_POOL = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lint")


class BootHttp:
    def __init__(self, policy: ServePolicy, guard: Guard | None = None, token: str | None = None) -> None:
        self.policy = policy
        self.config = policy.config
        self.guard = guard
        self.limits = guard.limits if guard is not None else HttpLimits()
        policy.api_token = token or policy.api_token or api_token(policy.config)
        self.console = console.ConsoleApi(policy, self._lint_off_loop)

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        try:
            response = await self._route(request)
        except RecursionError:  # e.g. JSON nested thousands deep: a bad request, not a server error
            response = web.json_response({"error": "the request is nested too deeply"}, status=400)
        except Exception:
            metrics.inc("errors_total", component="http")
            raise
        metrics.inc("http_requests_total", code=str(response.status))
        if self.guard is not None:
            self.guard.request_done(request.transport)
        return response

    async def _route(self, request: web.Request) -> web.StreamResponse:
        try:
            rel = self.policy.root.relative(decode_request_path(request.raw_path))
        except PathRefused as exc:
            return self._refused(request, str(exc))
        if rel.startswith("api/") or rel == "api":
            return await self.api(request, rel[4:])
        if request.method not in ("GET", "HEAD"):
            return _text("405 Method Not Allowed\n", 405, Allow="GET, HEAD")
        if rel == "":
            return console.page()
        if rel.startswith(console.ASSET_DIR + "/"):
            found = console.asset(rel)
            if found is not None:
                return found
        if rel == "boot.ipxe":
            return await self.boot_ipxe(request)
        if rel in OPERATOR_PATHS:
            return self.operator(rel)
        return await self.static(request, rel)

    def operator(self, rel: str) -> web.Response:
        """/healthz (the process answers), /readyz (every port is open), /metrics (Prometheus)."""
        if rel == "healthz":
            return _text("ok\n", headers={"Cache-Control": "no-store"})
        if rel == "readyz":
            ready = self.policy.ready
            return _text("ready\n" if ready else "starting\n", 200 if ready else 503)
        return web.Response(
            text=metrics.render(),
            content_type="text/plain",
            charset="utf-8",
            headers={"Cache-Control": "no-store"},
        )

    async def _lint_off_loop(self, rel: str, real: str, st: os.stat_result) -> None:
        """Make the lint verdict of a changed script in a thread: a large script takes a while to lint,
        and the event loop serves every other client meanwhile."""
        await asyncio.get_running_loop().run_in_executor(LINT_POOL, self.policy.checker.report, rel, real, st)

    def _refused(self, request: web.Request, reason: str) -> web.Response:
        ip = request.remote
        self.policy.bootlog.record(
            mac=None, ip=ip, stage="refused", what=request.raw_path[:200], reason=reason, protocol="http"
        )
        log.warning("HTTP %s %s from %s refused: %s", request.method, request.raw_path[:200], ip, reason)
        return _text("403 Forbidden\n", 403)

    def checked_client(
        self, query: Mapping[str, str], remote: str | None, local: str | None
    ) -> Client | Refusal:
        """The client of a request with its identity checked (identity.py), or why it is refused."""
        try:
            claimed = client_from_query(query, remote)
        except ClientKeyError as exc:
            return Refusal(400, f"400 Bad Request: {exc}\n")
        verdict = self.policy.identity.check(claimed.mac, query.get("ip") or None, remote, local)
        if verdict.refused is not None:
            metrics.inc("http_refused_total", reason="identity")
            self.policy.bootlog.record(
                mac=None,
                ip=remote,
                stage="refused",
                what="boot.ipxe",
                reason=verdict.refused,
                protocol="http",
            )
            log.warning("HTTP boot.ipxe from %s refused: %s", remote, verdict.refused)
            return Refusal(403, error_script("this machine's identity was refused:", [verdict.refused]))
        if verdict.mac == claimed.mac and verdict.ip == claimed.ip:
            return claimed
        return replace(claimed, mac=verdict.mac, ip=verdict.ip)

    def _client(self, request: web.Request) -> Client | web.Response:
        client = self.checked_client(request.query, request.remote, _local(request))
        if isinstance(client, Refusal):
            return _text(client.text, client.status, {"Cache-Control": "no-store"})
        return client

    def boot_now(
        self, client: Client, *, dry_run: bool, method: str, host: str, lint_first: bool = True
    ) -> Served | MissingVerdict:
        """The boot script for this client, logged; or, when its target has no lint verdict yet, the
        script to lint first (off the event loop) before asking again: nothing is consumed until then.

        A once assignment is looked for without taking it first: the common boot, with none waiting,
        then costs one read and never a write."""
        consume = method == "GET" and not dry_run
        policy = self.policy
        # the Host is the client's word: a plain host[:port] only, else our own URL
        plain = host.isascii() and HOST.fullmatch(host.encode()) is not None
        boot_url = f"http://{host}/boot.ipxe" if plain else policy.config.boot_url
        if client.mac:
            decision = policy.decide_or_retry(client, consume=False, boot_url=boot_url)
            if isinstance(decision, Served):
                served = decision
            else:
                located: Located | PathRefused | None
                try:
                    located = policy.locate(decision.target)
                except PathRefused as exc:
                    located = exc
                if lint_first and isinstance(located, Located):
                    missing = policy.verdict_missing(located)
                    if missing is not None:
                        return missing
                if consume and decision.source == "once":
                    decision, located = policy.decide_or_retry(client, consume=True, boot_url=boot_url), None
                served = (
                    decision
                    if isinstance(decision, Served)
                    else policy.render_target(client, decision, located)
                )
        else:
            served = policy.boot_script(client, consume=consume, boot_url=boot_url)
        self.log_boot(client, served, consume=consume, dry_run=dry_run)
        return served

    def log_boot(self, client: Client, served: Served, *, consume: bool, dry_run: bool) -> None:
        """A boot.ipxe answered: a step in the boot log (not for HEAD or a dry run) and a log line."""
        if consume:
            event = self.policy.bootlog.record(
                mac=client.mac or None,
                ip=client.ip,
                stage="script",
                what="boot.ipxe"
                + (f" -> {served.decision.target}" if served.decision else " (identity probe)"),
                reason=served.reason,
                protocol="http",
            )
            if event is not None:  # one line per step of a boot, as for files (see `note`)
                log.info("HTTP boot.ipxe for %s (%s): %s", client.mac or "?", client.ip, served.reason)
        elif dry_run:
            log.info("HTTP boot.ipxe dry run for %s (%s): %s", client.mac or "?", client.ip, served.reason)

    async def boot_ipxe(self, request: web.Request) -> web.Response:
        client = self._client(request)
        if isinstance(client, web.Response):
            return client
        for attempt in range(3):  # the target may change while it is linted; at the last try, lint here
            served = self.boot_now(
                client,
                dry_run=_dry(request),
                method=request.method,
                host=request.host,
                lint_first=attempt < 2,
            )
            if isinstance(served, Served):
                break
            await self._lint_off_loop(*served)
        assert isinstance(served, Served)
        return web.Response(
            text=served.text,
            content_type="text/plain",
            charset="utf-8",
            headers={"Cache-Control": "no-store"},
        )

    async def static(self, request: web.Request, rel: str) -> web.StreamResponse:
        path = os.path.join(self.policy.root.path, rel)
        CACHE.settings(self.policy.generation)
        LARGE.settings(self.policy.generation)
        fast = cached_response(request, path, path)
        if fast is not None:
            self._note(request, stage_of(rel), rel, "file from ROOT")
            return fast
        try:
            opened = self.policy.root.open(rel)
        except PathRefused as exc:
            return self._refused(request, str(exc))
        key: str | None = path  # only files under ROOT that passed every check go to the fast path
        if opened is None:
            key = None
            packaged = self.policy.first_stage_path(rel)
            if packaged is None:
                self._note(request, "file", rel, "not found")  # as TFTP does: a step that failed
                return _text("404 Not Found\n", 404)
            fd = os.open(packaged, os.O_RDONLY | os.O_CLOEXEC)
            opened = OpenFile(fd, packaged, os.fstat(fd))
        try:
            if self.config.lint != "off" and not self.policy.checker.known(rel, opened.st):
                await self._lint_off_loop(rel, opened.real, opened.st)
            broken = self.policy.checked_script(rel, opened.real, opened.st)
            if broken is not None:
                self._note(request, "error", rel, broken.reason)
                return _text(broken.text, 200, {"Cache-Control": "no-store"})
            client = self._client(request)
            if isinstance(client, web.Response):
                return client
            rendered = self.policy.chained_script(client, rel, opened.real)
            if rendered is not None:
                self._note(request, "script", rel, rendered.reason)
                return _text(rendered.text, 200, {"Cache-Control": "no-store"})
            if request.method == "GET" and "Range" not in request.headers:
                self._note(request, stage_of(rel), rel, "file from ROOT")
            return await file_response(
                request, opened.fd, opened.real, opened.st, key, self.limits.send_stall_timeout
            )
        finally:
            os.close(opened.fd)

    def _note(self, request: web.Request, stage: str, rel: str, reason: str) -> None:
        if not _dry(request):
            self.note(request.remote, request.method, stage, rel, reason)

    def note(self, ip: str | None, method: str, stage: str, rel: str, reason: str) -> None:
        """A file sent: a step of this client's boot in the boot log (buffered)."""
        event = self.policy.bootlog.record(
            mac=None, ip=ip, stage=stage, what=rel, reason=reason, protocol="http"
        )
        if event is not None:  # one log line per step of a boot, not per repeated request
            log.info("HTTP %s %s for %s (%s): %s", method, rel, event.client, event.stage, reason)

    # -- JSON API ---------------------------------------------------------------------------------------
    def _api_refusal(self, request: web.Request, reading: bool, rest: str) -> web.Response | None:
        """Why this API request may not go on (a response), or None: Origin, token, access mode."""
        origin = request.headers.get("Origin")
        if origin is not None and origin != f"{request.scheme}://{request.host}":
            return _json_error(403, f"requests from the page at {origin[:100]!r} are not allowed")
        if reading and (rest == "openapi.json" or self.config.api_reads == "open"):
            return None
        if not authorized(request.headers.get("Authorization"), self.policy.api_token):
            return _json_error(
                401,
                "this needs the API token: send 'Authorization: Bearer TOKEN' (the token is in "
                f"{'the --api-token-file' if self.config.api_token_file else 'STATE_DIR/api-token'})",
                **{"WWW-Authenticate": 'Bearer realm="ipxescript"'},
            )
        if not reading and self.config.api == "loopback" and not _is_loopback(request):
            return _json_error(
                403, "changes over the API are allowed from loopback only (api = 'open' allows others)"
            )
        return None

    async def api(self, request: web.Request, rest: str) -> web.StreamResponse:
        response = await self._api(request, rest)
        if not response.prepared:  # an event stream has sent its headers already
            response.headers["X-Content-Type-Options"] = "nosniff"
        return response

    async def _api(self, request: web.Request, rest: str) -> web.StreamResponse:
        if self.config.api == "off":
            return _text("404 Not Found\n", 404)
        reading = request.method in ("GET", "HEAD")
        refused = self._api_refusal(request, reading, rest)
        if refused is not None:
            metrics.inc("http_refused_total", reason=f"api_{refused.status}")
            return refused
        store = self.policy.store
        try:
            if rest == "openapi.json" and reading:
                return web.json_response(openapi_document())
            if rest == "assignments":
                if reading:
                    return web.json_response([a.as_json() for a in store.all()])
                if request.method == "POST":
                    return await self._api_assign(request)
            elif rest.startswith("assignments/"):
                client = rest.split("/", 1)[1]
                if request.method == "DELETE":
                    removed = store.unassign(client)
                    status = 200 if removed else 404
                    return web.json_response({"removed": [a.as_json() for a in removed]}, status=status)
                if reading:
                    found = [a.as_json() for a in store.all() if a.client == _key(client)]
                    return web.json_response(found, status=200 if found else 404)
            elif rest == "clients" and reading:
                limit = _limit(request)
                return web.json_response(
                    [console.event_json(e) for e in self.policy.bootlog.clients()[:limit]]
                )
            elif rest == "log" and reading:
                events = self.policy.bootlog.recent(_limit(request))
                return web.json_response([console.event_json(e) for e in events])
            elif rest == "events" and reading:
                return await self.console.events(request, _limit(request, console.BACKLOG))
            elif rest == "explain" and reading:
                return await self.console.explain(request)
            elif rest == "server" and reading:
                return self.console.server()
            else:
                return _json_error(404, f"no such API path /api/{rest}")
        except ClientKeyError as exc:
            return _json_error(400, str(exc))
        except StateUnavailable as exc:
            return _json_error(503, str(exc))
        return _json_error(405, f"method {request.method} not allowed here")

    async def _api_assign(self, request: web.Request) -> web.Response:
        if request.content_type != "application/json":
            return _json_error(415, "the body must be JSON, sent as Content-Type: application/json")
        try:
            raw = await asyncio.wait_for(request.read(), self.limits.body_timeout)
            body = json.loads(raw)
        except TimeoutError:
            return _json_error(408, "the body did not arrive in time")
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError):
            return _json_error(400, "the body must be JSON (nested at most a few levels)")
        except web.HTTPRequestEntityTooLarge:
            return _json_error(413, "the body is too large")
        expected = 'expected {"client": MAC or IP, "target": script, "once": true or false}'
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("client"), str)
            or not isinstance(body.get("target"), str)
            or not isinstance(body.get("once", False), bool)
            or set(body) - {"client", "target", "once"}
        ):
            return _json_error(400, expected)
        try:
            found = self.policy.root.resolve(body["target"])
        except PathRefused as exc:
            return _json_error(400, f"target {body['target']!r}: {exc}")
        if found is None:
            return _json_error(400, f"target {body['target']!r} is not a file under ROOT")
        item = self.policy.store.assign(
            body["client"], self.policy.root.relative(body["target"]), once=body.get("once", False)
        )
        log.info("API: %s assignment %s -> %s", item.kind, item.client, item.target)
        return web.json_response(item.as_json(), status=201)


MAX_LIST = 1000  # API lists answer at most this many items (?limit=N, default 200)


def _limit(request: web.Request, default: int = 200) -> int:
    raw = request.query.get("limit", str(default))
    return min(int(raw), MAX_LIST) if raw.isascii() and raw.isdigit() and len(raw) < 7 else default


def _json_error(status: int, message: str, **headers: str) -> web.Response:
    return web.json_response({"error": message}, status=status, headers=headers or None)


def _key(client: str) -> str:
    from ipxescript.serve.assignments import client_key

    return client_key(client)


def make_app(policy: ServePolicy, guard: Guard | None = None, token: str | None = None) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[POLICY_KEY] = policy
    handler = BootHttp(policy, guard, token)
    if guard is not None:
        guard.lean = LeanPath(handler)
    app.router.add_route("*", "/{tail:.*}", handler.dispatch)
    app.on_shutdown.append(handler.console.close)
    return app
