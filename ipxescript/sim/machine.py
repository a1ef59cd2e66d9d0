"""The simulated firmware: the machine's state around the line engine.

``Simulator.run(target)`` loads a script the way the oracle's driver chains it and runs it to an
outcome. It holds what the commands act on (settings, images, menus, console, screens, inputs); the
line engine and its execution state are in ``engine.py``; the commands are in ``commands/`` and reach
this object through the ``dispatch`` function it is given (so this module imports no command).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from ipxescript.sim import errors, images, types, uri
from ipxescript.sim.console import Console, Screen
from ipxescript.sim.engine import DEFAULT_MAX_STEPS, Engine
from ipxescript.sim.expand import ExpansionLoop, expand
from ipxescript.sim.fetch import Fetcher, FetchResult, Transfer
from ipxescript.sim.images import Image, Registry
from ipxescript.sim.menus import Menu
from ipxescript.sim.profile import Machine, Profile, catalog_data, command_specs
from ipxescript.sim.settings import Predefined, SettingsStore, Stored
from ipxescript.sim.state import Inputs
from ipxescript.sim.status import BACK, RunEnded, ScriptEnd

TICKS_PER_SEC = 1024
NETWORK_SCHEMES = frozenset(
    {"http", "https", "tftp", "tftm", "mtftp", "ftp", "nfs", "iscsi", "aoe", "tcp", "udp"}
)
# nested (not --replace) script executions before the run ends as `loop`; the firmware would
# overflow its stack, Python's recursion limit would be reached near 100
MAX_NESTING = 48


@dataclass
class Result:
    outcome: str
    status: int
    error: str
    console: str
    screens: list[list[str]]
    views: list[dict[str, Any]]
    boot: dict[str, Any] | None
    images: list[dict[str, Any]]
    fetches: list[dict[str, Any]]
    settings: dict[str, dict[str, str]]
    where: str | None = None
    message: str = ""
    trace: list[dict[str, Any]] | None = None
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "outcome": self.outcome,
            "status": self.status,
            "error": self.error,
            "where": self.where,
            "message": self.message,
            "console": self.console,
            "screens": self.screens,
            "views": self.views,
            "boot": self.boot,
            "images": self.images,
            "fetches": self.fetches,
            "settings": self.settings,
            "notes": self.notes,
        }
        if self.trace is not None:
            data["trace"] = self.trace
        return data


def build_settings(profile: Profile) -> SettingsStore:
    predefined = []
    # the build's own types, where its `show` disagreed with the reference (tools/build_catalog.py)
    overrides = catalog_data()["profiles"][profile.name].get("setting_type_overrides", {})
    for s in catalog_data()["settings"]:
        if s["name"] in profile.absent_settings:
            continue
        tag = s.get("tag")
        generic = "generic" in str(s.get("scope", ""))
        kind = overrides.get(s["name"], s["type"])
        predefined.append(Predefined(s["name"], kind, tag if isinstance(tag, int) else None, generic))
    return SettingsStore(
        predefined,
        set(profile.setting_types),
        rules=types.Rules(
            uuid_parse=not profile.legacy,
            escape_plus=not profile.legacy,
            ipv6=profile.ipv6,
            long_bits=32 if profile.buildarch == "i386" else 64,
        ),
    )


class Simulator:
    def __init__(
        self,
        profile: Profile,
        *,
        machine: Machine | None = None,
        fetcher: Fetcher | None = None,
        inputs: Inputs | None = None,
        max_steps: int = DEFAULT_MAX_STEPS,
        trace: bool = False,
        interactive: Any = None,
        dispatch: Callable[[Simulator, list[str]], int],
    ) -> None:
        self.profile = profile
        self.machine = machine or Machine()
        self.fetcher = fetcher or Fetcher()
        self.inputs = inputs or Inputs()
        self.interactive = interactive  # an object with wait_key(ticks) and draw(screen) when on a TTY
        self.specs = command_specs()
        self.console = Console(
            legacy_bytes=profile.bytes_shown_alone,
            echo=interactive is not None,
            efi_text=profile.platform == "efi",
        )
        self.registry = Registry()
        self.menus: list[Menu] = []
        self.screens: list[list[str]] = []
        self.views: list[dict[str, Any]] = []
        self.notes: list[str] = []
        self.net_open = True  # the firmware booted over net0
        self.vlans: list[str] = []  # VLAN devices made by vcreate (net0-TAG)
        self.group_done = True
        self.nest_decisions: list[int] = []  # explore: decisions made before each nested script started
        self.seen_states: dict[Any, int] = {}  # explore: branch-point state -> decisions made before it
        self.joined_path: int | None = None
        self.max_decisions = 60
        self.san_hooked: list[str] = []
        self.param_lists: set[str | None] = set()  # `params` lists by name (None: the default one)
        self.ticks = 0
        start = self.machine.start_unixtime
        self.start_time: int = int(time.time()) if start is None else start
        self.engine = Engine(
            lambda argv: dispatch(self, argv),
            self.expand_word,
            profile.platform,
            max_steps=max_steps,
            tracing=trace,
        )
        self.settings = build_settings(profile)
        self._install_machine_settings()

    # -- settings of the machine ---------------------------------------------------------------------

    def _install_machine_settings(self) -> None:
        m = self.machine
        s = self.settings
        absent = self.profile.absent_settings
        builtin = s.root.add_child("builtin")
        fetchers = {
            "errno": lambda: ("uint32", self.engine.errno.to_bytes(4, "big")),
            "buildarch": lambda: ("string", types.to_bytes(self.profile.buildarch)),
            "platform": lambda: ("string", types.to_bytes(self.profile.platform)),
            "version": lambda: ("string", types.to_bytes(self.profile.version)),
            "unixtime": lambda: (
                "uint32",
                ((self.start_time + self.ticks // TICKS_PER_SEC) & 0xFFFFFFFF).to_bytes(4, "big"),
            ),
            "cwuri": lambda: (
                None if self.engine.cwuri is None else ("string", types.to_bytes(self.engine.cwuri))
            ),
            "dmesg": lambda: ("string", types.to_bytes(self.console.raw())),  # the console ring buffer
            "cwduri": lambda: (
                None
                if self.engine.cwuri is None
                else ("string", types.to_bytes(uri.directory(self.engine.cwuri)))
            ),
        }
        builtin.builtins = {k: v for k, v in fetchers.items() if k not in absent}
        net0 = s.root.add_child("net0")
        mac = bytes.fromhex(m.mac.replace(":", ""))
        s.set_raw("net0", "mac", "hex", mac)
        s.set_raw("net0", "hwaddr", "hex", mac)
        s.set_raw("net0", "bustype", "string", b"PCI")
        s.set_raw("net0", "busloc", "uint32", m.busloc.to_bytes(4, "big"))
        s.set_raw(
            "net0",
            "busid",
            "hex",
            bytes([1]) + m.pci_vendor.to_bytes(2, "big") + m.pci_device.to_bytes(2, "big"),
        )
        s.set_raw("net0", "chip", "string", types.to_bytes(m.chip))
        s.set_raw("net0", "ifname", "string", b"net0")
        if "linktype" not in absent:
            s.set_raw("net0", "linktype", "string", b"Ethernet")
        if self.profile.ipv6:
            # the router's prefix has its own block under net0.ndp (observed: net0.ndp.0/ip6)
            s.set_raw("net0.ndp.0", "ip6", "ipv6", types.parse("ipv6", m.ip6))
            s.set_raw("net0.ndp.0", "len6", "int8", bytes([64]))
            s.set_raw("net0.ndp.0", "gateway6", "ipv6", types.parse("ipv6", m.gateway6))
            s.set_raw("net0.link", "ip6", "ipv6", types.parse("ipv6", m.link_ip6))
            s.set_raw("net0.link", "len6", "int8", bytes([64]))
        s.netx = net0
        self.dhcp_configure()
        for name, type_name, data in self._smbios_values().values():
            s.set_raw("smbios", name, type_name, data)
        smbios = s.find_block("smbios", create=False)
        assert smbios is not None
        smbios.dynamic = self._smbios_fetch
        if self.profile.platform == "efi" and "cpuvendor" not in absent:
            s.set_raw("cpuid", "cpuvendor", "string", types.to_bytes(m.cpuvendor))
            s.set_raw("cpuid", "cpumodel", "string", types.to_bytes(m.cpumodel))
        pci = s.root.add_child("pci")
        pci.dynamic = self._pci_fetch

    def _smbios_values(self) -> dict[int, tuple[str, str, bytes]]:
        """SMBIOS fields by tag (type << 16 | offset << 8 | length; length 0 is a string)."""
        m = self.machine
        return {
            0x10400: ("manufacturer", "string", types.to_bytes(m.manufacturer)),
            0x10500: ("product", "string", types.to_bytes(m.product)),
            0x10810: ("uuid", "uuid", m.uuid),
        }

    def _smbios_fetch(self, key: str) -> Stored | None:
        """``smbios/<type>.<offset>.<length>``: named as the predefined setting with that tag
        (observed: show smbios/1.4.0 prints smbios/manufacturer:string = QEMU)."""
        if not key.startswith("#"):
            return None
        found = self._smbios_values().get(int(key[1:]))
        return None if found is None else Stored(*found)

    def _pci_fetch(self, key: str) -> Stored | None:
        """``${pci/<busdevfn>.<offset>.<length>}``: configuration space, little-endian, as a number."""
        if not key.startswith("#"):
            return None
        tag = int(key[1:])
        busdevfn, offset, length = tag >> 16, (tag >> 8) & 0xFF, tag & 0xFF
        space = bytearray(b"\xff" * 256)
        for function, vendor, device in self.machine.pci:
            if function == busdevfn:  # past the IDs not modelled: 0 (the revision, observed, is 0)
                space[:] = vendor.to_bytes(2, "little") + device.to_bytes(2, "little") + bytes(252)
        return Stored(key, "hexraw", bytes(reversed(space[offset : offset + length])))

    def dhcp_configure(self, filename: str | None = None) -> None:
        m = self.machine
        block = self.settings.find_block("net0", create=True)
        assert block is not None
        block.add_child("dhcp")
        for name, type_name, value in (
            ("ip", "ipv4", m.ip),
            ("netmask", "ipv4", m.netmask),
            ("gateway", "ipv4", m.gateway),
            ("dns", "ipv4", m.dns),
            ("dhcp-server", "ipv4", m.dhcp_server),
            ("next-server", "ipv4", m.next_server),
        ):
            self.settings.set_raw("net0.dhcp", name, type_name, types.parse(type_name, value))
        if filename:
            self.settings.set_raw("net0.dhcp", "filename", "string", types.to_bytes(filename))
        # options of QEMU's DHCPACK with no predefined setting: the lease time (86400 s), the type (ACK)
        self.settings.set_raw("net0.dhcp", "51", "string", (86400).to_bytes(4, "big"))
        self.settings.set_raw("net0.dhcp", "53", "string", bytes([5]))
        # dhcpopts.c finds the END marker when asked for tag 255: an empty value (fuzz_dhcp_end_tag)
        self.settings.set_raw("net0.dhcp", "255", "string", b"")

    # -- console helpers -----------------------------------------------------------------------------

    def out(self, text: str) -> None:
        self.console.write(text)

    def strerror(self, status: int) -> str:
        return errors.strerror(
            status, self.profile.platform, self.profile.url_base, self.profile.error_texts()
        )

    def err(self, status: int) -> int:
        """A status as this platform numbers it."""
        return errors.for_platform(status, self.profile.platform)

    def advance(self, ticks: int) -> None:
        self.ticks += ticks

    def snapshot(self, screen: Screen) -> None:
        """A full-screen UI at rest. ``screens`` keeps its text as a recorder without colours sees it
        (a new entry only when the text changes); ``views`` also keeps each move of the highlight."""
        rows = [r.rstrip() for r in screen.lines()]
        selected = screen.selected_row()
        session = getattr(self, "_session", 0)
        same_session = getattr(self, "_last_session", -1) == session
        self._last_session = session
        if self.interactive is not None:
            self.interactive.draw(screen)
        view = {"rows": rows, "selected_row": selected}
        if not (same_session and self.views and self.views[-1] == view):
            self.views.append(view)
        if any(rows) and not (same_session and self.screens and self.screens[-1] == rows):
            self.screens.append(rows)  # a blank screen (a menu of colour codes only) shows nothing

    def begin_screen(self) -> None:
        """A full-screen UI starts: a partial console line is ended there (as the oracle sees it)."""
        self._session = getattr(self, "_session", 0) + 1
        self.console.write(self.profile.screen_start_text)
        if not self.console.at_line_start():
            self.console.write("\n")

    # -- keys ----------------------------------------------------------------------------------------

    def wait_key(self, ticks: int, what: str) -> int | None:
        """getkey(): the next key, None on timeout (ticks > 0), or the run ends as stuck."""
        if self.inputs.keys:
            queued = self.inputs.keys.popleft()
            self.group_done = queued.ends_group
            return queued.code
        if self.interactive is not None:
            key: int | None = self.interactive.wait_key(ticks)
            if key is None:
                self.advance(ticks)
            return key
        if ticks:
            self.advance(ticks)
            return None
        raise RunEnded("stuck", 0, {"waiting": what})

    def key_group_done(self) -> bool:
        """The last key ended its --keys word (a screen is observed only between words)."""
        return self.group_done

    # -- running -------------------------------------------------------------------------------------

    def run(self, target: str) -> Result:
        """Run SCRIPT (a path or URL) as a chained script, to an outcome."""
        status = 0
        outcome = "exit"
        detail: dict[str, Any] = {}
        message = ""
        try:
            image, status = self.load_top(target)
            if image is not None:
                status, how = self.exec_top(image)
                if status and how != ScriptEnd.EXIT:
                    outcome = "error"
                    message = f"Could not boot: {self.strerror(status)}"
            else:
                outcome = "error"
        except RunEnded as ended:
            outcome, status, detail = ended.outcome, ended.status, ended.detail
        self.note_unused_inputs()
        return self.result(outcome, status, detail, message)

    def note_unused_inputs(self) -> None:
        """Keys and --choose ids the run never asked for: a scripted path that no longer matches the
        script (a menu gone, one prompt fewer) would otherwise pass unnoticed."""
        if self.inputs.keys:
            words: list[str] = []
            typed: list[str] = []  # the characters of a text:... word
            for key in self.inputs.keys:
                typed.append(key.label)
                if key.ends_group:
                    words.append(typed[0] if len(typed) == 1 else "text:" + "".join(typed))
                    typed = []
            shown = " ".join(words[:8]) + (" ..." if len(words) > 8 else "")
            self.notes.append(
                f"--keys: {len(self.inputs.keys)} key(s) not used, the run ended first: {shown}"
            )
        if self.inputs.choose_ids:
            ids = " ".join(self.inputs.choose_ids)
            self.notes.append(f"--choose {ids}: not used, no menu asked for it before the run ended")

    def load_top(self, target: str) -> tuple[Image | None, int]:
        if "://" in target or target.startswith("file:"):
            text = target
        else:
            path = os.path.abspath(target)
            if os.path.isdir(path):
                self.notes.append(f"{target}: is a directory, not a script")
                return None, self.err(errors.FILE_NOT_FOUND)
            text = "file://" + path
        parsed = uri.parse(text, legacy=False)
        name = uri.image_name(parsed)
        if name:
            self.settings.set_raw("net0.dhcp", "filename", "string", types.to_bytes(name))
        status, image = self.download(text, None, quiet=True, base=parsed)
        if image is None:
            self.notes.append(f"{target}: {self.strerror(status)}")
            return None, status
        if image.type != "script" and image.verified:
            self.notes.append(f"{target}: not an iPXE script (it must start with #!ipxe)")
        return image, 0

    def exec_top(self, image: Image) -> tuple[int, str]:
        self.engine.last_how = ScriptEnd.END
        status = self.image_exec(image)
        if status == 0:
            return 0, ScriptEnd.EXIT
        return status, self.engine.last_how

    def result(self, outcome: str, status: int, detail: dict[str, Any], message: str) -> Result:
        status &= 0xFFFFFFFF
        where = detail.get("where") or (self.engine.failure_site(status) if outcome == "error" else None)
        if outcome == "stuck":
            message = f"waiting for a key with none left ({detail.get('waiting', 'input')})"
            where = self.engine.where()
        elif outcome in ("loop", BACK, "joined"):
            message = detail.get("message", "the step limit was reached")
            where = self.engine.where()
            self.joined_path = detail.get("path")
        else:
            message = detail.get("message", message)  # e.g. --choose naming an item the menu lacks
        return Result(
            outcome=outcome,
            status=status,
            error=self.strerror(status).rsplit(" (", 1)[0] if status else "",
            console=self.console.text(),
            screens=self.screens,
            views=self.views,
            boot=detail.get("boot"),
            images=[i.describe() for i in self.registry.images],
            fetches=self.fetcher.log,
            settings=self.settings.dump(),
            where=where,
            message=message,
            trace=self.engine.trace if self.engine.tracing else None,
            notes=self.notes,
        )

    # -- images --------------------------------------------------------------------------------------

    def _open_error(self, resolved: uri.Uri, scheme: str) -> int:
        """What the scheme's opener refuses before any transfer starts (observed on every build)."""
        if scheme == "tftp" and not (resolved.host and resolved.path):
            return errors.TFTP_BAD_URI
        if scheme in ("http", "https") and not resolved.host:
            return errors.HTTP_BAD_URI
        if scheme == "file" and self.profile.legacy:
            if self.fetcher.fetch(uri.full(resolved), want_content=True).status == errors.FILE_NOT_FOUND:
                return errors.EFI_FILE_NOT_OPENED
        return 0

    def download(
        self,
        text: str,
        name: str | None,
        quiet: bool = False,
        base: uri.Uri | None = None,
        progress: bool = True,
        timeout: int = 0,
    ) -> tuple[int, Image | None]:
        """imgdownload_string: parse, resolve against cwuri, fetch, register. Prints as iPXE does."""
        legacy = self.profile.legacy
        written = base or uri.parse(text, legacy=legacy)
        cw = uri.parse(self.engine.cwuri, legacy=False) if self.engine.cwuri else None
        resolved = uri.resolve(cw, written)
        scheme = resolved.scheme or ""
        if not legacy or quiet:
            scheme = scheme.lower()  # upstream's schemes are case-insensitive, the 2019 ones are not
        if scheme not in self.profile.schemes and not (quiet and scheme == "file"):
            status = self.err(errors.SCHEME_UNSUPPORTED)
            if not quiet:
                self.out(f"Could not start download: {self.strerror(status)}\n")
            return status, None
        opening = 0 if quiet else self._open_error(resolved, scheme)
        if opening:
            status = self.err(opening)
            self.out(f"Could not start download: {self.strerror(status)}\n")
            return status, None
        shown = uri.format(written, legacy=legacy, with_query=False)
        progress = progress and not quiet  # --quiet (upstream) hides the "<uri>... ok" line
        if progress:
            self.out(f"{shown}...")
        if scheme in NETWORK_SCHEMES and not self.net_open and not quiet:
            # no open interface: the transfer never makes progress (observed after ifclose)
            if not timeout:
                raise RunEnded("stuck", 0, {"waiting": f"download of {shown} with the network closed"})
            self.advance(timeout)
            status = self.err(errors.DOWNLOAD_TIMED_OUT)
            if progress:  # a progress dot for each second without progress, then the error
                self.out("." * (timeout // TICKS_PER_SEC) + f" {self.strerror(status)}\n")
            return status, None
        if scheme == "data":
            data = _data_uri(resolved)
            head: bytes | None = data
            size: int | None = len(data)
            result_status, complete, verified = 0, True, True
            source = ""
            moved_to = None
        else:
            fetched = self._fetch(uri.full(resolved), quiet, progress)
            if fetched is None:  # Ctrl-C on a terminal while it ran
                status = self.err(errors.DOWNLOAD_CANCELLED)
                self.out(f" {self.strerror(status)}\n")
                return status, None
            if self.inputs.exploring and self.inputs.explore_failures and fetched.status == 0 and not quiet:
                if self.decide("fetch", ["ok", "fail"]) == 1:
                    # a copy: the fetcher's cached result serves the other paths, where it succeeds
                    failed = errors.TFTP_NOT_FOUND if scheme == "tftp" else errors.HTTP_NOT_FOUND
                    fetched = replace(fetched, status=failed)
            if fetched.status == errors.TFTP_NOT_FOUND and not legacy:
                fetched = replace(fetched, status=errors.TFTP_NOT_FOUND_UPSTREAM)
            if fetched.status == errors.FILE_NOT_FOUND and not quiet:
                fetched = replace(fetched, status=errors.EFI_FILE_NOT_FOUND)
            result_status = self.err(fetched.status) if fetched.status else 0
            head, size, complete, verified = fetched.head, fetched.size, fetched.complete, fetched.verified
            source = fetched.source
            moved_to = fetched.moved_to
            if result_status:
                if progress:
                    self.out(f" {self.strerror(result_status)}\n")
                return result_status, None
        if progress:
            self.out(" ok\n")
        image_name = name if name is not None else uri.image_name(resolved, legacy=legacy)
        image = Image(
            uri=moved_to or uri.full(resolved),
            name=image_name or "",
            data=head if complete else None,
            size=size,
            type=images.detect_type(head, self.profile.platform, size) if verified else None,
            verified=verified,
            source=source,
            written=text,
        )
        self.registry.register(image, unnamed=image_name is None)
        return 0, image

    def _fetch(self, full: str, quiet: bool, progress: bool) -> FetchResult | None:
        """The fetch; on a terminal with its progress shown once a second, None if Ctrl-C cancelled it."""
        if self.interactive is None or not progress:
            return self.fetcher.fetch(full, want_content=True, must_exist=quiet)
        self.fetcher.transfer = transfer = Transfer()
        return self.interactive.fetching(
            lambda: self.fetcher.fetch(full, want_content=True, must_exist=quiet), transfer, self.out
        )

    def acquire(
        self, text: str, name: str | None, progress: bool = True, timeout: int = 0
    ) -> tuple[int, Image | None]:
        """imgacquire: an image with that exact name, else a download."""
        found = self.registry.find(text)
        if found is not None:
            return 0, found
        return self.download(text, name, progress=progress, timeout=timeout)

    def image_exec(self, image: Image) -> int:
        """image_exec: run a script nested, or end the run by booting anything else.

        A ``--replace`` image runs when the script returns, as a tail call: a loop here, not a
        nested call, so a script that replaces itself runs until ``--max-steps``."""
        seen: set[Any] = set()
        while True:
            status, replacement = self._exec_once(image)
            if replacement is None:
                return status
            image = replacement
            # the same script starting again in the same state, with no input taken since, can only
            # repeat itself (a choice made in between is explore's to judge: decide() sees it come back)
            inputs = (len(self.inputs.keys), len(self.inputs.choose_ids), len(self.inputs.decisions))
            again = (image.uri, self.state_key(), inputs)
            if again in seen:
                raise RunEnded(
                    "loop",
                    0,
                    {"message": f"{image.name} replaces itself in the same state (an endless loop)"},
                )
            seen.add(again)

    def _exec_once(self, image: Image) -> tuple[int, Image | None]:
        if image.verified and image.type is None:
            if image.autofree:  # image_exec unregisters it on failure too (observed: chain --autofree)
                self.registry.unregister(image)
            return self.err(errors.IMAGE_NOT_EXECUTABLE), None
        saved_cwuri = self.engine.cwuri
        self.engine.cwuri = image.uri
        if image.type != "script":
            raise RunEnded("boot", 0, {"boot": self.boot_plan(image)})
        if image.data is None:  # a script larger than the simulator reads (MAX_SCRIPT_BYTES)
            self.engine.cwuri = saved_cwuri
            self.notes.append(f"{image.name}: script too large to simulate")
            return self.err(errors.OUT_OF_MEMORY), None
        if len(self.engine.frames) >= MAX_NESTING:
            # iPXE has no limit: each nested chain takes stack until the firmware crashes; half the
            # nesting with a user's choice in it is a user going round (a menu that chains itself)
            deep = f"scripts nested more than {MAX_NESTING} deep"
            raise self.round_ended(
                self.nest_decisions[MAX_NESTING // 2],
                f"{deep} (a script chains itself?)",
                f"{deep}, each after the user chose {{inputs}} (a menu that chains itself); "
                "the user can choose otherwise",
            )
        self.registry.unregister(image)
        self.nest_decisions.append(len(self.inputs.decisions))
        try:
            status = self.engine.run_script(image)
        finally:
            self.nest_decisions.pop()
            if image.replacement is None and image not in self.registry.images:
                self.registry.images.append(image)
        if image.autofree:
            self.registry.unregister(image)
        replacement, image.replacement = image.replacement, None
        self.engine.cwuri = saved_cwuri
        return status, replacement

    def boot_plan(self, image: Image) -> dict[str, Any]:
        others = [i for i in self.registry.images if i is not image]
        return {
            "kernel": image.uri,
            "name": image.name,
            "type": image.type,
            "cmdline": image.cmdline or "",
            "verified": image.verified,
            "initrds": [{"name": i.name, "uri": i.uri, "cmdline": i.cmdline} for i in others],
        }

    def expand_word(self, word: str) -> str:
        try:
            return expand(word, self.settings.expand_value)
        except ExpansionLoop as exc:
            raise RunEnded("loop", 0, {"message": str(exc)}) from exc

    def decide(self, kind: str, options: list[str]) -> int:
        """An explore branch point: loops show up as the same state coming back on one path."""
        key = (kind, tuple(options), self.state_key())
        if key in self.seen_states:
            raise self.round_ended(
                self.seen_states[key],
                f"the same state came back at this {kind} with no input (an endless loop)",
                f"the {kind} comes back as it was shown (after {{inputs}}); the user chooses again",
            )
        self.seen_states[key] = len(self.inputs.decisions)
        depth = len(self.inputs.decisions)
        memo = self.inputs.memo
        if memo is not None and self.inputs.forced is not None and depth >= len(self.inputs.forced):
            if key in memo:
                raise RunEnded("joined", 0, {"message": f"continues as path {memo[key]}", "path": memo[key]})
            memo[key] = self.inputs.path_number
        if depth >= self.max_decisions:
            many = f"more than {self.max_decisions} choices on one path"
            raise self.round_ended(
                0, many, many + " (the user chose {inputs}); the user can choose otherwise"
            )
        return self.inputs.decide(kind, self.engine.where() or "", options)

    def round_ended(self, since: int, loop: str, back: str) -> RunEnded:
        """A path that goes round since decision number SINCE: `back` (message BACK, {inputs} the
        user's choices) when the user chose something in the round and can choose otherwise next time;
        `loop` (message LOOP) when nobody chose anything: the firmware goes round for ever."""
        chosen: list[str] = []
        for decision in self.inputs.decisions[since:]:
            text = f"{decision.kind}={decision.options[decision.chosen]}"
            if decision.by_user and text not in chosen:
                chosen.append(text)
        if not chosen:
            return RunEnded("loop", 0, {"message": loop})
        shown = " ".join(chosen[:4]) + (" ..." if len(chosen) > 4 else "")
        return RunEnded(BACK, 0, {"message": back.format(inputs=shown)})

    def state_key(self) -> tuple[Any, ...]:
        """Everything that decides what the run does next (explore's loop detection)."""
        return (
            tuple((f.image.name, f.index) for f in self.engine.frames),
            self.settings.raw_state(),
            tuple((m.name, m.title, len(m.items)) for m in self.menus),
            tuple((i.name, i.cmdline, i.selected) for i in self.registry.images),
            self.engine.errno,
        )


def _data_uri(parsed: uri.Uri) -> bytes:
    import base64

    opaque = parsed.opaque or ""
    decoded = types.uri_decode_text(opaque)
    header, _, body = decoded.partition(b",")
    if header.endswith(b";base64"):
        try:
            return base64.b64decode(body)
        except ValueError:
            return b""
    return body
