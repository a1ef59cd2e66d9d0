"""The HTTP side of `ipxescript serve` (aiohttp): boot.ipxe per client, static files, status page, JSON API.

One catch-all route dispatches on the decoded, normalised path, so `//boot.ipxe` is `boot.ipxe` (no
redirects) and every path goes through the same ROOT confinement.
"""

from __future__ import annotations

import html
import ipaddress
import json
import logging
import os
import time

from aiohttp import web

from ipxescript.serve.assignments import ClientKeyError, normalise_mac
from ipxescript.serve.bootlog import stage_of
from ipxescript.serve.http_static import cached_response, file_response
from ipxescript.serve.policy import Client
from ipxescript.serve.rootfs import OpenFile, PathRefused, decode_request_path
from ipxescript.serve.serve_policy import ServePolicy
from ipxescript.serve.state import StateUnavailable

log = logging.getLogger("ipxescript.serve.http")

SCRIPT_TYPE = "text/plain; charset=utf-8"
IDENTITY_KEYS = ("mac", "uuid", "ip", "hostname")
POLICY_KEY: web.AppKey[ServePolicy] = web.AppKey("policy", ServePolicy)


def _text(body: str, status: int = 200, **headers: str) -> web.Response:
    return web.Response(status=status, text=body, content_type="text/plain", charset="utf-8", headers=headers)


def client_from_query(request: web.Request) -> Client:
    """The client as /boot.ipxe sees it: the identity query (from the probe script) and the peer address."""
    query = {k: v for k, v in request.query.items() if v != ""}
    raw_mac = query.get("mac")
    mac = normalise_mac(raw_mac) if raw_mac else None
    if raw_mac and mac is None:
        raise ClientKeyError(f"mac={raw_mac!r} is not a MAC address")
    ip = query.get("ip") or request.remote
    try:
        ip = str(ipaddress.IPv4Address(ip)) if ip else None
    except ValueError:
        ip = request.remote
    labels = {k: v for k, v in query.items() if k not in IDENTITY_KEYS}
    return Client(mac=mac or "", uuid=query.get("uuid"), ip=ip, hostname=query.get("hostname"), labels=labels)


def is_dry_run(request: web.Request) -> bool:
    """ipxesim says who it is (User-Agent `ipxesim/VERSION (dry run)`): it is answered what a machine
    would get, but takes no once-assignment and leaves no boot in the log."""
    return request.headers.get("User-Agent", "").startswith("ipxesim/")


def _is_loopback(request: web.Request) -> bool:
    try:
        return ipaddress.ip_address(request.remote or "").is_loopback
    except ValueError:
        return False


class BootHttp:
    def __init__(self, policy: ServePolicy) -> None:
        self.policy = policy
        self.config = policy.config

    async def dispatch(self, request: web.Request) -> web.StreamResponse:
        try:
            rel = self.policy.root.relative(decode_request_path(request.raw_path))
        except PathRefused as exc:
            return self._refused(request, str(exc))
        if rel.startswith("api/") or rel == "api":
            return await self.api(request, rel[4:])
        if request.method not in ("GET", "HEAD"):
            return _text("405 Method Not Allowed\n", 405, Allow="GET, HEAD")
        if rel == "":
            return self.status_page()
        if rel == "boot.ipxe":
            return self.boot_ipxe(request)
        return await self.static(request, rel)

    def _refused(self, request: web.Request, reason: str) -> web.Response:
        ip = request.remote
        self.policy.bootlog.record(
            mac=None, ip=ip, stage="refused", what=request.raw_path[:200], reason=reason, protocol="http"
        )
        log.warning("HTTP %s %s from %s refused: %s", request.method, request.raw_path[:200], ip, reason)
        return _text("403 Forbidden\n", 403)

    def boot_ipxe(self, request: web.Request) -> web.Response:
        try:
            client = client_from_query(request)
        except ClientKeyError as exc:
            return _text(f"400 Bad Request: {exc}\n", 400)
        dry_run = is_dry_run(request)
        consume = request.method == "GET" and not dry_run
        boot_url = f"http://{request.host}/boot.ipxe"
        served = self.policy.boot_script(client, consume=consume, boot_url=boot_url)
        if consume:
            self.policy.bootlog.record(
                mac=client.mac or None,
                ip=client.ip,
                stage="script",
                what="boot.ipxe"
                + (f" -> {served.decision.target}" if served.decision else " (identity probe)"),
                reason=served.reason,
                protocol="http",
            )
            log.info("HTTP boot.ipxe for %s (%s): %s", client.mac or "?", client.ip, served.reason)
        elif dry_run:
            log.info("HTTP boot.ipxe dry run for %s (%s): %s", client.mac or "?", client.ip, served.reason)
        return web.Response(
            text=served.text,
            content_type="text/plain",
            charset="utf-8",
            headers={"Cache-Control": "no-store"},
        )

    async def static(self, request: web.Request, rel: str) -> web.StreamResponse:
        path = os.path.join(self.policy.root.path, rel)
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
                return _text("404 Not Found\n", 404)
            fd = os.open(packaged, os.O_RDONLY | os.O_CLOEXEC)
            opened = OpenFile(fd, packaged, os.fstat(fd))
        try:
            broken = self.policy.checked_script(rel, opened.real, opened.st)
            if broken is not None:
                self._note(request, "error", rel, broken.reason)
                return _text(broken.text, 200, **{"Cache-Control": "no-store"})
            try:
                client = client_from_query(request)
            except ClientKeyError as exc:
                return _text(f"400 Bad Request: {exc}\n", 400)
            rendered = self.policy.chained_script(client, rel, opened.real)
            if rendered is not None:
                self._note(request, "script", rel, rendered.reason)
                return _text(rendered.text, 200, **{"Cache-Control": "no-store"})
            if request.method == "GET" and "Range" not in request.headers:
                self._note(request, stage_of(rel), rel, "file from ROOT")
            return await file_response(request, opened.fd, opened.real, opened.st, key)
        finally:
            os.close(opened.fd)

    def _note(self, request: web.Request, stage: str, rel: str, reason: str) -> None:
        if is_dry_run(request):
            return
        event = self.policy.bootlog.record(
            mac=None, ip=request.remote, stage=stage, what=rel, reason=reason, protocol="http"
        )
        if event is not None:  # one log line per step of a boot, not per repeated request
            log.info("HTTP %s %s for %s (%s): %s", request.method, rel, event.client, event.stage, reason)

    # -- status page ------------------------------------------------------------------------------------
    def status_page(self) -> web.Response:
        rows = []
        for event in self.policy.bootlog.clients()[:200]:
            when = time.strftime("%H:%M:%S", time.localtime(event.time))
            cells = (event.client, event.ip or "", event.stage, event.what, event.reason, when)
            rows.append("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in cells) + "</tr>")
        assignments = [
            f"<tr><td>{html.escape(a.client)}</td><td>{a.kind}</td><td>{html.escape(a.target)}</td></tr>"
            for a in self.policy.store.all()
        ]
        broken = [
            f"<li>{html.escape(str(f))}</li>"
            for report in self.policy.checker.all_reports().values()
            for f in report.errors
        ]
        page = f"""<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5">
<title>ipxescript serve</title>
<style>body{{font-family:sans-serif}}table{{border-collapse:collapse}}td,th{{border:1px solid #ccc;padding:2px 6px}}</style>
</head><body>
<h1>ipxescript serve</h1>
<p>Serving <code>{html.escape(str(self.config.root))}</code>; iPXE clients start at
<code>{html.escape(self.config.boot_url)}</code>.</p>
<h2>Recent clients</h2>
<table><tr><th>client</th><th>ip</th><th>stage</th><th>last</th><th>reason</th><th>time</th></tr>
{"".join(rows) or '<tr><td colspan="6">no client yet</td></tr>'}
</table>
<h2>Assignments</h2>
<table><tr><th>client</th><th>kind</th><th>target</th></tr>
{"".join(assignments) or '<tr><td colspan="3">none</td></tr>'}
</table>
<h2>Scripts with lint errors</h2>
<ul>{"".join(broken) or "<li>none</li>"}</ul>
</body></html>
"""
        return web.Response(text=page, content_type="text/html", charset="utf-8")

    # -- JSON API ---------------------------------------------------------------------------------------
    async def api(self, request: web.Request, rest: str) -> web.Response:
        if self.config.api == "off":
            return _text("404 Not Found\n", 404)
        reading = request.method in ("GET", "HEAD")
        if not reading and self.config.api == "loopback" and not _is_loopback(request):
            return web.json_response(
                {"error": "changes over the API are allowed from loopback only"}, status=403
            )
        store = self.policy.store
        try:
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
                return web.json_response([e.as_json() for e in self.policy.bootlog.clients()])
            elif rest == "log" and reading:
                return web.json_response([e.as_json() for e in self.policy.bootlog.recent()])
            else:
                return web.json_response({"error": f"no such API path /api/{rest}"}, status=404)
        except ClientKeyError as exc:
            return web.json_response({"error": str(exc)}, status=400)
        except StateUnavailable as exc:
            return web.json_response({"error": str(exc)}, status=503)
        return web.json_response({"error": f"method {request.method} not allowed here"}, status=405)

    async def _api_assign(self, request: web.Request) -> web.Response:
        try:
            body = await request.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            return web.json_response({"error": "the body must be JSON"}, status=400)
        if (
            not isinstance(body, dict)
            or not isinstance(body.get("client"), str)
            or not isinstance(body.get("target"), str)
        ):
            return web.json_response(
                {"error": 'expected {"client": MAC or IP, "target": script, "once": bool}'}, status=400
            )
        try:
            found = self.policy.root.resolve(body["target"])
        except PathRefused as exc:
            return web.json_response({"error": f"target {body['target']!r}: {exc}"}, status=400)
        if found is None:
            return web.json_response(
                {"error": f"target {body['target']!r} is not a file under ROOT"}, status=400
            )
        item = self.policy.store.assign(
            body["client"], self.policy.root.relative(body["target"]), once=bool(body.get("once"))
        )
        log.info("API: %s assignment %s -> %s", item.kind, item.client, item.target)
        return web.json_response(item.as_json(), status=201)


def _key(client: str) -> str:
    from ipxescript.serve.assignments import client_key

    return client_key(client)


def make_app(policy: ServePolicy) -> web.Application:
    app = web.Application(client_max_size=64 * 1024)
    app[POLICY_KEY] = policy
    handler = BootHttp(policy)
    app.router.add_route("*", "/{tail:.*}", handler.dispatch)
    return app
