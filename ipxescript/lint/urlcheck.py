"""``--check-urls``: request each http(s) URL a script loads and report failures and redirects.

A ``HEAD`` first; when the server refuses it (or answers with an error), a ``GET`` for the first byte
only (``Range: bytes=0-0``, streamed and closed at once). ``${...}`` references are filled from
``--set NAME=VALUE`` first, then from settings the script sets exactly once to a literal value; URLs
that still hold an unknown reference are skipped. Each distinct URL is requested once, several at a
time.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import requests

from ipxescript.analysis.diagnostics import Diagnostic, Severity
from ipxescript.lint.context import LintContext
from ipxescript.lint.urls import url_uses
from ipxescript.syntax.tree import Literal, Part, Reference, Script

USER_AGENT = "ipxelint-check-urls"


@dataclass(frozen=True)
class Outcome:
    url: str
    error: str | None = None  # why it is unreachable
    redirects: tuple[str, ...] = ()  # every location followed, final last


def script_values(ctx: LintContext) -> dict[str, str]:
    """Settings the script sets exactly once, to literal text."""
    seen: dict[str, list[str | None]] = {}
    for _line, bound in ctx.commands_named("set"):
        if not bound.positionals or not bound.positionals[0].is_literal:
            continue
        name = bound.positionals[0].text.split("/")[-1].split(":")[0]
        words = bound.positionals[1:]
        value = " ".join(w.text for w in words) if all(w.is_literal for w in words) else None
        seen.setdefault(name, []).append(value)
    return {k: v[0] for k, v in seen.items() if len(v) == 1 and v[0]}


def resolve(parts: list[Part], values: dict[str, str], depth: int = 0) -> str | None:
    out = []
    for part in parts:
        if isinstance(part, Literal):
            out.append(part.value)
            continue
        assert isinstance(part, Reference)
        inner = resolve(part.parts, values, depth + 1)
        if inner is None or depth > 8:
            return None
        name = inner.split("/")[-1].split(":")[0]
        if name not in values:
            return None
        out.append(values[name])
    return "".join(out)


def probe(url: str, timeout: float) -> Outcome:
    headers = {"User-Agent": USER_AGENT}
    try:
        response = requests.head(url, timeout=timeout, allow_redirects=True, headers=headers)
        if response.status_code >= 400:
            with requests.get(
                url,
                timeout=timeout,
                allow_redirects=True,
                stream=True,
                headers={**headers, "Range": "bytes=0-0"},
            ) as ranged:
                response = ranged
    except requests.Timeout:
        return Outcome(url, f"no answer within {timeout:g} s")
    except requests.RequestException as exc:
        reason = type(exc).__name__
        if isinstance(exc, requests.ConnectionError):
            reason = "connection failed"
        return Outcome(url, f"{reason}: {_short(exc)}")
    redirects = tuple(r.headers.get("Location", "") for r in response.history)
    if redirects:
        redirects = redirects[:-1] + (response.url,)
    if response.status_code >= 400:
        return Outcome(url, f"HTTP {response.status_code} {response.reason or ''}".strip(), redirects)
    return Outcome(url, None, redirects)


def _short(exc: Exception) -> str:
    text = str(exc)
    return text if len(text) <= 160 else text[:157] + "..."


def check_script_urls(
    script: Script, values: dict[str, str], timeout: float = 5.0, concurrency: int = 8
) -> Iterator[Diagnostic]:
    ctx = LintContext(script)
    known = {**script_values(ctx), **values}
    uses = []
    for use in url_uses(ctx):
        url = resolve(use.word.parts, known)
        if url is None or not url.lower().startswith(("http://", "https://")):
            continue
        uses.append((use, url.split("##", 1)[0]))
    unique = sorted({url for _use, url in uses})
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        outcomes = dict(zip(unique, pool.map(lambda u: probe(u, timeout), unique), strict=True))
    for use, url in uses:
        outcome = outcomes[url]
        word = use.word
        if outcome.error is not None:
            yield Diagnostic(
                "IPX604", Severity.ERROR, f"{url} is not reachable: {outcome.error}", word.start, word.end
            )
        if outcome.redirects:
            chain = " -> ".join(outcome.redirects)
            yield Diagnostic("IPX605", Severity.INFO, f"{url} redirects: -> {chain}", word.start, word.end)


def check_report_urls(
    script: Script, values: dict[str, str], timeout: float, concurrency: int
) -> list[Diagnostic]:
    return list(check_script_urls(script, values, timeout, concurrency))
