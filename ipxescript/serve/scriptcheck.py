"""Lint on serve: every iPXE script under ROOT is checked at start, when it changes, and before it is sent.

Change detection polls (mtime, size) so no file-watching dependency is needed. A request for a script
also re-checks it if it changed since the last poll, so an edited file is never served on a stale
verdict.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import threading
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Any

from ipxescript.analysis.diagnostics import Severity
from ipxescript.serve.rootfs import PRIVATE_NAME

log = logging.getLogger("ipxescript.serve.lint")

MAX_SCRIPT = 1024 * 1024  # a script larger than this is refused unread (iPXE scripts are a few KiB)
TOO_LARGE = "IPX000"  # the code of the finding that refuses an oversized script
POLL_SLICE = 0.001  # seconds of change polling on the event loop before other work gets its turn


@dataclass(frozen=True)
class Finding:
    path: str  # ROOT-relative
    line: int  # 1-based
    column: int  # 1-based
    code: str
    severity: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity} {self.code}: {self.message}"


def lint_config(real_path: str) -> Any:
    """The tree's ipxelint config (``.ipxelint.toml`` or ``[tool.ipxelint]`` found from the script's
    folder up, as ``ipxelint`` finds it); the defaults, with a logged warning, when it is unusable."""
    from ipxescript.lint.config import ConfigError, LintConfig, load_config

    try:
        return load_config(os.path.dirname(real_path) or ".")
    except ConfigError as exc:
        log.warning("lint: %s; linting with the defaults", exc)
        return LintConfig()


def _diagnostics(text: str, path: str, config: Any = None) -> tuple[list[Any], Any]:
    """(diagnostics, parsed script or None) from the linter, or the parser alone while no linter exists.

    A crash inside the checker is logged and treated as "no findings": lint must never stop serving.
    """
    script = None
    try:
        from ipxescript import parse

        script = parse(text, path)
    except Exception as exc:  # the parser is another component: report it, keep serving
        log.warning("lint: the parser failed on %s: %s: %s", path, type(exc).__name__, exc)
    try:
        from ipxescript.lint import lint_source  # type: ignore[attr-defined]
    except ImportError:
        return (list(getattr(script, "diagnostics", [])), script)
    try:
        return (list(lint_source(text, path=path, config=config)), script)
    except Exception as exc:
        log.warning("lint: the linter failed on %s: %s: %s", path, type(exc).__name__, exc)
        return ([], script)


def check_text(text: str, path: str, config: Any = None) -> list[Finding]:
    """Findings for a script; ``config`` is its ipxelint config (``lint_config``), the defaults if None."""
    diagnostics, script = _diagnostics(text, path, config)
    findings = []
    for diag in diagnostics:
        if script is not None and hasattr(script, "position"):
            line, column = script.position(diag.start)
        else:
            line = text.count("\n", 0, diag.start)
            column = diag.start - (text.rfind("\n", 0, diag.start) + 1)
        severity = diag.severity.value if isinstance(diag.severity, Severity) else str(diag.severity)
        findings.append(Finding(path, line + 1, column + 1, diag.code, severity, diag.message))
    return findings


def looks_like_script(real_path: str, name: str) -> bool:
    if name.endswith(".ipxe"):
        return True
    try:  # non-blocking: a FIFO or a device put in ROOT must not hang the server
        fd = os.open(real_path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        return stat.S_ISREG(os.fstat(fd).st_mode) and os.pread(fd, 6, 0).lower() == b"#!ipxe"
    except OSError:
        return False
    finally:
        os.close(fd)


@dataclass(frozen=True)
class Report:
    stamp: tuple[int, int]  # (mtime_ns, size) the verdict is for
    findings: tuple[Finding, ...]

    @property
    def errors(self) -> list[Finding]:
        return [f for f in self.findings if f.severity == "error"]

    @property
    def too_large(self) -> bool:
        return any(f.code == TOO_LARGE for f in self.findings)


class ScriptChecker:
    def __init__(
        self, root: str, *, announce: bool = True, skip: Callable[[str], bool] | None = None
    ) -> None:
        self.root = root
        # real paths never opened (the server's state and config): closing any descriptor of a SQLite
        # file would drop the locks the server's own connection holds on it
        self.skip = skip
        self.announce = announce  # log verdicts (only one process of a server does)
        self._reports: dict[str, Report] = {}
        self._not_scripts: dict[str, tuple[int, int]] = {}
        self._lock = threading.Lock()

    def report(self, rel: str, real_path: str, st: os.stat_result | None = None) -> Report | None:
        """The lint verdict for a file (re-checked if it changed); None if it is not a script."""
        if st is None:
            try:
                st = os.stat(real_path)
            except OSError:
                return None
        if not stat.S_ISREG(st.st_mode):
            return None  # FIFOs, sockets, devices: never opened, never served
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            cached = self._reports.get(rel)
            if cached and cached.stamp == stamp:
                return cached
            if self._not_scripts.get(rel) == stamp:
                return None
        if not looks_like_script(real_path, rel):
            with self._lock:
                self._not_scripts[rel] = stamp
                self._reports.pop(rel, None)
            return None
        if st.st_size > MAX_SCRIPT:
            message = (
                f"the script is {st.st_size} bytes, over the {MAX_SCRIPT} bytes a served script may have"
            )
            findings: tuple[Finding, ...] = (Finding(rel, 1, 1, TOO_LARGE, "error", message),)
        else:
            try:
                fd = os.open(real_path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
                try:
                    raw = os.pread(fd, MAX_SCRIPT + 1, 0)
                finally:
                    os.close(fd)
            except OSError:
                return None
            findings = tuple(check_text(raw.decode("utf-8", errors="replace"), rel, lint_config(real_path)))
        result = Report(stamp, findings)
        with self._lock:
            previous = self._reports.get(rel)
            self._reports[rel] = result
        if self.announce and (previous is None or previous.findings != findings):
            self._announce(rel, result, changed=previous is not None)
        return result

    def _announce(self, rel: str, report: Report, *, changed: bool) -> None:
        errors = report.errors
        if errors:
            for finding in errors:
                log.error("lint: %s", finding)
            log.error("lint: %s has %d error(s); it will not be served as it is", rel, len(errors))
        elif changed:
            log.info("lint: %s is clean now", rel)

    def known(self, rel: str, st: os.stat_result) -> bool:
        """Whether a verdict for this very version of the file is at hand (no lint run needed)."""
        stamp = (st.st_mtime_ns, st.st_size)
        with self._lock:
            cached = self._reports.get(rel)
            return (cached is not None and cached.stamp == stamp) or self._not_scripts.get(rel) == stamp

    def _skipped(self, real: str) -> bool:
        return self.skip is not None and self.skip(real)

    def _files(self) -> Iterator[tuple[str, str]]:
        """(ROOT-relative name, real path) of every file under ROOT a script could be served from."""
        root_real = os.path.realpath(self.root)
        for directory, dirnames, filenames in os.walk(self.root, followlinks=False):
            dirnames[:] = [
                d
                for d in dirnames
                if not d.startswith(".") and not self._skipped(os.path.realpath(os.path.join(directory, d)))
            ]
            for name in filenames:
                if name.startswith(".") or PRIVATE_NAME.match(name):
                    continue
                real = os.path.join(directory, name)
                rel = os.path.relpath(real, self.root).replace(os.sep, "/")
                resolved = os.path.realpath(real)
                if not resolved.startswith(root_real + os.sep) or self._skipped(resolved):
                    continue
                yield rel, resolved

    def _forget_all_but(self, seen: set[str]) -> None:
        with self._lock:
            for rel in set(self._reports) - seen:
                del self._reports[rel]
            for rel in set(self._not_scripts) - seen:
                del self._not_scripts[rel]

    def scan(self) -> None:
        """Check every script under ROOT whose (mtime, size) changed; forget deleted files."""
        seen: set[str] = set()
        for rel, resolved in self._files():
            seen.add(rel)
            self.report(rel, resolved)
        self._forget_all_but(seen)

    async def poll(self, lint: Callable[[str, str, os.stat_result], Awaitable[None]]) -> None:
        """`scan` on the event loop, in slices of at most POLL_SLICE seconds; only a file that changed
        goes to `lint` (a thread). Why not the whole scan in a thread: each of its system calls hands
        Python's lock back and forth with the event loop, and on a busy machine every hand-off can
        stall all connections for milliseconds (the small-file p99 of bench_http)."""
        seen: set[str] = set()
        began = time.monotonic()
        for rel, resolved in self._files():
            seen.add(rel)
            try:
                st = os.stat(resolved)
            except OSError:
                continue
            if stat.S_ISREG(st.st_mode) and not self.known(rel, st):
                await lint(rel, resolved, st)
                began = time.monotonic()
            elif time.monotonic() - began > POLL_SLICE:
                await asyncio.sleep(0)
                began = time.monotonic()
        self._forget_all_but(seen)

    def all_reports(self) -> dict[str, Report]:
        with self._lock:
            return dict(self._reports)
