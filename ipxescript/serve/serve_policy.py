"""The boot policy of `ipxescript serve`: what DHCP offers, what TFTP and HTTP send, and why.

DHCP and TFTP call `boot_offer` and `tftp_file` (the BootPolicy protocol in policy.py); the HTTP app calls
`boot_script` for /boot.ipxe and `checked_script` for any other script. Every decision is written to the
boot log with its reason.
"""

from __future__ import annotations

import logging
import os
import stat
from dataclasses import dataclass, replace
from typing import NamedTuple

from ipxescript.serve.assignments import Assignments
from ipxescript.serve.boot_files import DEBIAN_FIRST_STAGES, BootFilesPolicy
from ipxescript.serve.bootlog import BootLog, stage_of
from ipxescript.serve.config import ServeConfig
from ipxescript.serve.identity import IdentityCheck
from ipxescript.serve.policy import BootOffer, Client, VirtualFile
from ipxescript.serve.render import (
    RenderError,
    error_script,
    escape_value,
    identity_script,
    render,
    retry_script,
)
from ipxescript.serve.rootfs import PathRefused, Root
from ipxescript.serve.scriptcheck import MAX_SCRIPT, ScriptChecker
from ipxescript.serve.state import StateUnavailable
from ipxescript.serve.targets import Decision, choose_target

log = logging.getLogger("ipxescript.serve")


def read_script(real: str) -> str:
    """A target's text, read without blocking on FIFOs and never more than MAX_SCRIPT bytes; ValueError
    when the file is not a script that size."""
    fd = os.open(real, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise ValueError("is not a regular file")
        if st.st_size > MAX_SCRIPT:
            raise ValueError(f"is {st.st_size} bytes, over the {MAX_SCRIPT} bytes of a script")
        # the size it has (a buffer of MAX_SCRIPT bytes would cost more than the read)
        return os.pread(fd, st.st_size, 0).decode("utf-8", errors="replace")
    finally:
        os.close(fd)


Stamp = tuple[int, int, int, int]
MAX_LOCATED = 1024  # targets whose checked location (and text) is remembered


class Located(NamedTuple):
    """A target checked under ROOT: its canonical name, real path and stat."""

    rel: str
    real: str
    st: os.stat_result


@dataclass(frozen=True)
class Served:
    text: str
    reason: str
    decision: Decision | None = None


class ServePolicy:
    def __init__(
        self, config: ServeConfig, store: Assignments, bootlog: BootLog, *, announce: bool = True
    ) -> None:
        self.config = config
        self.store = store
        self.bootlog = bootlog
        self.ready = False  # set once every port is open and the scripts are linted (/readyz)
        self.api_token = ""  # set by the runner (apiauth.api_token)
        self.identity = IdentityCheck()
        self.root = Root(config.root)
        self.checker = ScriptChecker(str(self.root.path), announce=announce, skip=self._private)
        # target -> (stamp, real path, text or None), see `locate`
        self._located: dict[str, tuple[Stamp, str, str | None]] = {}
        self.generation = 0  # counts reconfigure() calls
        self.reconfigure()

    def _private(self, real: str) -> bool:
        return self.root.is_private(real)

    def reconfigure(self) -> None:
        """Take in a changed config (at start and on SIGHUP): what depends on it is made again."""
        config = self.config
        self.root = Root(config.root, private=(config.config_file, config.state_dir, config.api_token_file))
        self._located = {}
        # what the protocols remember of files checked under the old settings (private paths, lint mode)
        # is stale once this changes
        self.generation += 1
        self.identity.strict = config.identity == "strict"
        self.identity.trust = config.identity == "trust"
        # first stages per arch and the iPXE/non-iPXE split come from the shared default policy
        self.boot_files = BootFilesPolicy(
            http_address=config.address,
            http_port=config.http_port,
            files=config.boot_files,
            root=self.root.path,
        )

    # -- DHCP -------------------------------------------------------------------------------------------
    def boot_offer(self, client: Client) -> BootOffer | None:
        self.identity.saw_dhcp(client.mac, client.ip)
        offer = self.boot_files.boot_offer(client)
        self.bootlog.record(
            mac=client.mac,
            ip=client.ip,
            stage="dhcp",
            what=offer.boot_file if offer else "(no answer)",
            reason=offer.reason if offer else f"no boot file for arch {client.arch_name}",
            protocol="dhcp",
        )
        return offer

    # -- TFTP -------------------------------------------------------------------------------------------
    def tftp_file(self, path: str, client: Client) -> VirtualFile | None:
        mac, ip = client.mac or None, client.ip
        try:
            rel = self.root.relative(path)  # the rule HTTP uses: no hidden names, no private files
        except PathRefused as exc:
            self.bootlog.record(mac=mac, ip=ip, stage="refused", what=path, reason=str(exc), protocol="tftp")
            return None
        if rel == "boot.ipxe":
            text = identity_script(self.config.boot_url)
            reason = "boot.ipxe over TFTP: chain to HTTP with the client's identity"
            self.bootlog.record(mac=mac, ip=ip, stage="script", what=rel, reason=reason, protocol="tftp")
            return VirtualFile(text.encode(), reason)
        real = self._resolve_quietly(rel)
        if real is None:
            packaged = self.boot_files.tftp_file(rel, client)
            stage, reason = ("binary", packaged.reason) if packaged else ("file", "not found")
            self.bootlog.record(mac=mac, ip=ip, stage=stage, what=rel, reason=reason, protocol="tftp")
            return packaged
        replaced = self.checked_script(rel, real)
        if replaced is not None:
            self.bootlog.record(
                mac=mac, ip=ip, stage="error", what=rel, reason=replaced.reason, protocol="tftp"
            )
            return VirtualFile(replaced.text.encode(), replaced.reason)
        rendered = self.chained_script(client, rel, real)
        if rendered is not None:
            self.bootlog.record(
                mac=mac, ip=ip, stage="script", what=rel, reason=rendered.reason, protocol="tftp"
            )
            return VirtualFile(rendered.text.encode(), rendered.reason)
        self.bootlog.record(
            mac=mac, ip=ip, stage=stage_of(rel), what=rel, reason="file from ROOT", protocol="tftp"
        )
        return None

    def _resolve_quietly(self, rel: str) -> str | None:
        """The file a TFTP path names if it is under ROOT and may be served, else None."""
        if not rel:
            return None
        real = os.path.realpath(os.path.join(self.root.path, rel))
        if not self.root.contains(real) or self.root.is_private(real):
            return None
        return real if os.path.isfile(real) else None

    # -- scripts ----------------------------------------------------------------------------------------
    def checked_script(self, rel: str, real: str, st: os.stat_result | None = None) -> Served | None:
        """An error script replacing `rel` if it has lint errors and lint = "refuse" (or is too large to be
        linted, unless lint = "off"); None to serve it."""
        if self.config.lint == "off":
            return None
        report = self.checker.report(rel, real, st)
        if report is None or not report.errors:
            return None
        if self.config.lint == "serve" and not report.too_large:
            return None
        lines = [str(f) for f in report.errors]
        reason = f"{rel} has {len(lines)} lint error(s), not served: {lines[0]}"
        return Served(error_script(f"{rel} has errors and was not served:", lines), reason)

    def client_values(self, client: Client, decision: Decision) -> dict[str, str]:
        # everything the client says is escaped (render.escape_value): one inert word, whatever it holds
        values = {k.replace("-", "_"): escape_value(v) for k, v in client.labels.items()}
        mac = client.mac or ""
        values.update(
            mac=mac,
            mac_hexhyp=mac.replace(":", "-"),
            mac_hexraw=mac.replace(":", ""),
            uuid=escape_value(client.uuid or ""),
            ip=escape_value(client.ip or ""),
            hostname=escape_value(client.hostname or ""),
            server=self.config.http_url,
            http_url=self.config.http_url,
            boot_url=self.config.boot_url,
            address=self.config.address,
            http_port=str(self.config.http_port),
            target=decision.target,
            group=decision.group or "",
        )
        values.update(self.config.metadata)
        values.update(decision.metadata)
        return values

    def boot_script(self, client: Client, *, consume: bool = True, boot_url: str | None = None) -> Served:
        """The script for /boot.ipxe: the identity probe first, then the client's target, rendered."""
        if not client.mac:
            text = identity_script(boot_url or self.config.boot_url, client.labels)
            return Served(text, "no identity yet: ask the client to report mac/uuid/buildarch/platform")
        decision = self.decide_or_retry(client, consume=consume, boot_url=boot_url)
        return decision if isinstance(decision, Served) else self.render_target(client, decision)

    def decide_or_retry(
        self, client: Client, *, consume: bool, boot_url: str | None = None
    ) -> Decision | Served:
        """Which target the client boots (a once assignment is taken when consume), or a script that
        asks it to retry while the state cannot be read."""
        try:
            return choose_target(
                client, self.config.groups, self.store, self.config.default_target, consume=consume
            )
        except StateUnavailable as exc:  # a once assignment may be waiting: never boot past it
            log.error("boot.ipxe for %s: asked to retry: %s", client.mac, exc)
            return Served(retry_script(boot_url or self.config.boot_url, client), f"retry later: {exc}")

    def locate(self, target: str) -> Located | None:
        """The target's file if it is a regular file under ROOT that may be served, else None; raises
        PathRefused. Each boot asks this, so it is remembered by the file's (device, inode, mtime, size)
        as a stat through its name sees it: the same unchanged file passed every check before (a swapped
        symlink or a replaced file has another stamp and is checked again)."""
        rel = self.root.relative(target)
        if not rel:
            return None
        try:
            st = os.stat(os.path.join(self.root.path, rel))
        except OSError:
            return None
        stamp = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        known = self._located.get(rel)
        if known is not None and known[0] == stamp:
            return Located(rel, known[1], st)
        real = self.root.resolve(rel)
        if real is None:
            return None
        if len(self._located) >= MAX_LOCATED:
            self._located.clear()
        self._located[rel] = (stamp, real, None)
        return Located(rel, real, st)

    def target_text(self, found: Located) -> str:
        """The text of a located target, read once per version of the file; ValueError if it is no
        script (see read_script)."""
        st = found.st
        stamp = (st.st_dev, st.st_ino, st.st_mtime_ns, st.st_size)
        known = self._located.get(found.rel)
        if known is not None and known[0] == stamp and known[2] is not None:
            return known[2]
        text = read_script(found.real)
        if known is not None and known[0] == stamp:
            self._located[found.rel] = (stamp, found.real, text)
        return text

    def verdict_missing(self, target: str | Located | None) -> tuple[str, str, os.stat_result] | None:
        """(rel, real path, stat) of a target script whose lint verdict must be made before it is sent;
        None when the verdict is at hand (or nothing is linted). Lets the HTTP side lint off its loop."""
        if self.config.lint == "off":
            return None
        try:
            found = self.locate(target) if isinstance(target, str) else target
        except PathRefused:
            return None
        if found is None:
            return None
        return None if self.checker.known(found.rel, found.st) else (found.rel, found.real, found.st)

    def chained_script(self, client: Client, rel: str, real: str) -> Served | None:
        """A script under ROOT other than boot.ipxe's target (a `chain`ed one), rendered for the client
        the same way; None when it has no placeholders (then it is served as the file it is).

        A chained request carries no identity query: the client's MAC is the one learned for its IP."""
        if self.checker.report(rel, real) is None:
            return None  # not a script
        try:
            text = read_script(real)
        except (ValueError, OSError):
            return None  # too large to be rendered (refused before, unless lint = "off")
        if "{{" not in text:
            return None
        if not client.mac:
            learned = self.bootlog.client_of(None, client.ip)
            client = replace(client, mac=learned if ":" in learned else "")
        decision = choose_target(
            client, self.config.groups, self.store, self.config.default_target, consume=False
        )
        return self._render(text, client, decision, rel)

    def _render(self, text: str, client: Client, decision: Decision, rel: str) -> Served:
        try:
            rendered = render(text, self.client_values(client, decision), name=rel)
        except RenderError as exc:
            return Served(error_script(f"{rel} cannot be rendered:", [str(exc)]), str(exc), decision)
        return Served(rendered, f"{decision.reason} -> {rel}", decision)

    def render_target(
        self, client: Client, decision: Decision, located: Located | PathRefused | None = None
    ) -> Served:
        """The decision's target rendered for the client (`located`: what `locate` said of it, if asked
        just before)."""
        target = decision.target
        try:
            if located is None:
                located = self.locate(target)
            elif isinstance(located, PathRefused):
                raise located
        except PathRefused as exc:
            found, refused = None, str(exc)
        else:
            found, refused = located, "not found under ROOT"
        if found is None:
            reason = f"{decision.reason}; target {target!r} {refused}"
            return Served(error_script(f"target {target} is missing:", [reason]), reason, decision)
        rel = found.rel
        broken = self.checked_script(rel, found.real, found.st)
        if broken is not None:
            return Served(broken.text, f"{decision.reason}; {broken.reason}", decision)
        try:
            raw = self.target_text(found)
        except ValueError as exc:  # an image or ISO assigned as a target: never read whole
            reason = f"{decision.reason}; target {rel} {exc}"
            return Served(error_script(f"target {rel} is not a script:", [reason]), reason, decision)
        return self._render(raw, client, decision, rel)

    def start_check(self) -> None:
        """Lint every script under ROOT now (at start) and report errors with file:line."""
        self.checker.scan()
        for missing in self.missing_files():
            log.warning("%s", missing)
        reports = self.checker.all_reports()
        broken = [rel for rel, r in reports.items() if r.errors]
        log.info(
            "lint: %d script(s) under %s checked, %d with errors%s",
            len(reports),
            self.root.path,
            len(broken),
            f" (not served: {', '.join(sorted(broken))})" if broken and self.config.lint == "refuse" else "",
        )

    def missing_files(self) -> list[str]:
        """What the settings name that is not a file under ROOT: a machine sent there gets an error script
        (a first stage: nothing), so it is said at start, not found at the first boot. Each names the
        key and where it was set."""
        where = str(self.config.config_file) if self.config.config_file else "settings"
        error_script = "the machines sent there get an error script"
        default = f"{where}: default" if self.config.default_target != "boot.ipxe" else "default target"
        named = [(default, self.config.default_target, error_script)]
        named += [(f"{where}: group {g.name!r} target", g.target, error_script) for g in self.config.groups]
        named += [
            (f"boot file {arch} (--boot-file or boot_files)", name, f"{arch} PXE clients get nothing to boot")
            for arch, name in self.config.boot_files.items()
        ]
        missing = []
        for what, target, then in named:
            if "://" in target or (target in DEBIAN_FIRST_STAGES and self.first_stage_path(target)):
                continue
            try:
                found = self.locate(target)
            except PathRefused as exc:
                missing.append(f"{what} {target!r}: {exc}; {then}")
                continue
            if found is None:
                missing.append(f"{what} {target!r} is not a file under ROOT {self.root.path}; {then}")
        return missing

    def first_stage_path(self, rel: str) -> str | None:
        """Debian's iPXE binary `rel` when ROOT has no file of that name (for UEFI HTTP boot clients)."""
        if rel not in DEBIAN_FIRST_STAGES:
            return None
        path = os.path.join(self.boot_files.ipxe_dir, rel)
        return path if os.path.isfile(path) else None
