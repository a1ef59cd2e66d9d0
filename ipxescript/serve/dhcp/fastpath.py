"""The fast path: DISCOVER and REQUEST from ordinary clients in full mode, decided from the raw bytes.

A lab powering on sends hundreds of these a second, all alike. This path reads only the fields the decision
needs (no `DhcpPacket`), asks the same lease and policy code the full path asks, and writes the reply
into prebuilt header and option blocks. Anything unusual (a relay, ciaddr set, repeated or overloaded
options, a reply that would not fit) goes to the full path, which stays the reference:
tests/dhcp/test_dhcp_fastpath.py holds both to byte-identical replies and log lines.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from socket import inet_aton
from typing import TYPE_CHECKING

from ipxescript.serve.policy import BootOffer, Client

from . import codec as c
from . import replies
from .clients import client_from_options, describe, may_boot, vendor_class_answer
from .logfile import LoopFlushedFileHandler

if TYPE_CHECKING:
    from .server import DhcpServer, _Endpoint

log = logging.getLogger("ipxescript.dhcp")

ZERO4 = bytes(4)
ZERO6 = bytes(6)
END = b"\xff"
SMALLEST, LARGEST = c.MIN_BOOTP_SIZE, c.DEFAULT_MAX_SIZE - 28  # a reply that needs no padding nor spilling
REQUEST_HEAD = b"\x01\x01\x06"  # BOOTREQUEST, Ethernet, 6-byte address
REPLY_HEAD = b"\x02\x01\x06\x00"  # BOOTREPLY, Ethernet, 6-byte address, hops 0
SECS = b"\0\0"
CHADDR_PAD = bytes(10)  # chaddr is 16 bytes; an Ethernet address uses 6
SNAME = bytes(64)
NO_FILE = bytes(128)
# Requests carrying these take the full path: overloaded options, relay information.
FULL_PATH_OPTIONS = frozenset({c.OPT_OVERLOAD, c.OPT_RELAY_AGENT})
KIND_OPTIONS = (c.OPT_VENDOR_CLASS, c.OPT_CLIENT_ARCH, c.OPT_USER_CLASS, c.OPT_IPXE)
_new_client = object.__new__


class _Kind:
    """What every client that describes itself alike (options 60, 93, 77, 175) has in common."""

    __slots__ = ("fields", "labels", "text", "may_boot", "vendor_answer", "answer")

    def __init__(
        self,
        fields: dict[str, object],
        labels: dict[str, str],
        text: str,
        may_boot: bool,
        vendor_answer: str | None,
    ) -> None:
        self.fields = fields  # a sample Client's fields
        self.labels = labels
        self.text = text  # the log's description after the MAC
        self.may_boot = may_boot  # is the policy asked (clients.may_boot)
        self.vendor_answer = vendor_answer  # the option 60 of replies (clients.vendor_class_answer)
        # The policy's answer for the kind, with the policy it came from, when that answers by kind alone.
        self.answer: tuple[object, tuple[BootOffer | None, tuple[bytes, bytes, bytes, str]]] | None = None


class DecisionLog:
    """The fast path's log lines: the same text through the same handlers as `log.info` would give, held
    while the server answers a burst and written after its replies are out.

    Between `begin()` and `end()` (one wake-up of the socket, see server._Endpoint) a line is kept as its
    time, level, template and arguments; `end()` formats them all. When the only handler is the runner's
    log file they go into it as one write (`write_lines`, no records); otherwise each record is copied from
    a prebuilt one instead of built by `Logger.info`'s general machinery (caller lookup, argument checks,
    factory call), with the time of the decision. Outside a wake-up a line is written at once. Any other
    line of this logger is written after `flush()`, so the file keeps the order of the decisions."""

    def __init__(self) -> None:
        self._templates: dict[int, tuple[dict[str, object], float]] = {}
        self._held: list[tuple[float, int, Callable[..., str], tuple[object, ...]]] | None = None

    def begin(self) -> None:
        """Hold lines until `end()`; not at DEBUG, whose per-packet lines (sent to, ARP) come in order."""
        self._held = None if log.isEnabledFor(logging.DEBUG) else []

    def end(self) -> None:
        """Write the held lines, in decision order, and stop holding."""
        held, self._held = self._held, None
        if held:
            self._emit(held)

    def flush(self) -> None:
        """Write the held lines now and keep holding (a full-path line comes next: keep the order)."""
        if self._held:
            self.end()
            self._held = []

    def __call__(self, level: int, render: Callable[..., str], *args: object) -> None:
        """Log `render(*args)` at `level` (a template's `format`, or a function of the common lines)."""
        if not log.isEnabledFor(level):
            return
        if self._held is not None:
            self._held.append((time.time(), level, render, args))
        else:
            self._emit([(time.time(), level, render, args)])

    def _emit(self, lines: list[tuple[float, int, Callable[..., str], tuple[object, ...]]]) -> None:
        if not (log.disabled or log.filters):
            handler = self._only_handler()
            if isinstance(handler, LoopFlushedFileHandler) and handler.write_lines(
                log.name,
                (
                    (created, logging.getLevelName(level), render(*args))
                    for created, level, render, args in lines
                    if level >= handler.level
                ),
            ):
                return
        for created, level, render, args in lines:
            self._record(created, level, render(*args))

    def _record(self, now: float, level: int, message: str) -> None:
        if logging.getLogRecordFactory() is not logging.LogRecord:  # someone customises records: let them
            log.log(level, "%s", message)
            return
        cached = self._templates.get(level)
        if cached is None:
            sample = log.makeRecord(log.name, level, "(unknown file)", 0, "", (), None)
            cached = (sample.__dict__, sample.created - sample.relativeCreated / 1000)  # and logging's start
            self._templates[level] = cached
        template, start = cached
        record = logging.LogRecord.__new__(logging.LogRecord)
        fields = dict(template)
        fields["msg"] = message
        fields["created"] = now
        fields["msecs"] = int((now - int(now)) * 1000) + 0.0
        fields["relativeCreated"] = (now - start) * 1000
        record.__dict__ = fields
        log.handle(record)

    @staticmethod
    def _only_handler() -> logging.Handler | None:
        """The handler a record of this logger reaches, when there is exactly one (as callHandlers walks)."""
        found: list[logging.Handler] = []
        logger: logging.Logger | None = log
        while logger is not None:
            found += logger.handlers
            logger = logger.parent if logger.propagate else None
        return found[0] if len(found) == 1 else None


def _granted(request: str, mac: str, kind: str, reply: str, address: str, why: str, boot: str) -> str:
    """The line of an OFFER or ACK (the common line: an f-string costs a third of a template's format)."""
    return f"{request} from {mac}{kind} (full): {reply} {address} ({why}), {boot}"


def _options(block: dict[int, bytes]) -> bytes:
    return b"".join(c._option_bytes(code, value) for code, value in block.items() if 0 < code < 255)


def read_options(data: bytes) -> dict[int, bytes] | None:
    """The options of a plain request the fast path can answer, or None for the full path."""
    if len(data) < 240 or data[:3] != REQUEST_HEAD or data[236:240] != c.MAGIC_COOKIE:
        return None
    if data[12:16] != ZERO4 or data[24:28] != ZERO4 or data[28:34] == ZERO6:  # ciaddr, giaddr, chaddr
        return None
    options: dict[int, bytes] = {}
    i, n = 240, len(data)
    while i < n:
        code = data[i]
        if code == c.PAD:
            i += 1
            continue
        if code == c.END:
            break
        if i + 1 >= n:
            return None
        end = i + 2 + data[i + 1]
        if end > n or code in options or code in FULL_PATH_OPTIONS:
            return None
        options[code] = data[i + 2 : end]
        i = end
    return options


class FastPath:
    """Prebuilt pieces of the replies of one server (its configuration does not change while it runs)."""

    def __init__(self, server: DhcpServer) -> None:
        self.server = server
        config = server.config
        self.lease_blocks = {kind: _options(replies.lease_options(config, kind)) for kind in (c.OFFER, c.ACK)}
        self.nak_head = _options(
            {c.OPT_MESSAGE_TYPE: bytes((c.NAK,)), c.OPT_SERVER_ID: c.ip_bytes(config.server_address)}
        )
        self.server_address = c.ip_bytes(config.server_address)
        self._boot_blocks: dict[tuple[str | None, BootOffer | None], tuple[bytes, bytes, bytes, str]] = {}
        self._kinds: dict[tuple[bytes | None, ...], _Kind] = {}
        self.log = DecisionLog()
        self.broadcast = server.destination(
            "0.0.0.0", "0.0.0.0", c.BROADCAST_FLAG, "0.0.0.0", False, True, b""
        )

    def answer(self, data: bytes, endpoint: _Endpoint) -> bool:
        """Answer `data` and return True, or return False (nothing done) for the full path."""
        options = read_options(data)
        if options is None:
            return False
        kind = options.get(c.OPT_MESSAGE_TYPE)
        if kind == b"\x01":
            self._discover(data, options, endpoint)
        elif kind == b"\x03":
            self._request(data, options, endpoint)
        else:
            return False
        self.server.stats["fast path"] += 1
        return True

    def _discover(self, data: bytes, options: dict[int, bytes], endpoint: _Endpoint) -> None:
        server = self.server
        leases = server.leases
        assert leases is not None
        mac = data[28:34].hex(":")
        address, why = server.offer_address(leases, mac, c.ip_option(options, c.OPT_REQUESTED_IP))
        if address is None:
            kind_text = self._kind(options).text
            self.log(logging.WARNING, "DISCOVER from {}{} (full): no offer: {}".format, mac, kind_text, why)
            return
        self._grant(data, options, endpoint, c.OFFER, "DISCOVER", mac, address, why)

    def _request(self, data: bytes, options: dict[int, bytes], endpoint: _Endpoint) -> None:
        server = self.server
        leases = server.leases
        assert leases is not None
        mac = data[28:34].hex(":")
        outcome, why, address = server.request_decision(
            leases,
            mac,
            c.ip_option(options, c.OPT_SERVER_ID),
            c.ip_option(options, c.OPT_REQUESTED_IP),
            None,
            c.text_option(options, c.OPT_HOSTNAME),
        )
        if outcome == "ack":
            assert address is not None
            self._grant(data, options, endpoint, c.ACK, "REQUEST", mac, address, why)
            return
        kind_text = self._kind(options).text
        if outcome == "silent":
            self.log(logging.INFO, "REQUEST from {}{} (full): silent: {}".format, mac, kind_text, why)
            return
        self.log(logging.INFO, "REQUEST from {}{} (full): NAK: {}".format, mac, kind_text, why)
        reply = self._header(data) + self.nak_head
        reply += c._option_bytes(c.OPT_MESSAGE, why.encode()[:255]) + b"\xff"
        self._send(data, options, endpoint, reply, "0.0.0.0", c.NAK)

    def _kind(self, options: dict[int, bytes]) -> _Kind:
        """What the firmware says about itself (options 60, 93, 77, 175): the same for every machine of a
        model, decoded once per kind."""
        key = (options.get(60), options.get(93), options.get(77), options.get(175))  # KIND_OPTIONS
        kind = self._kinds.get(key)
        if kind is None:
            sample = client_from_options(
                "",
                "0.0.0.0",
                "0.0.0.0",
                {o: v for o, v in zip(KIND_OPTIONS, key, strict=True) if v is not None},
            )
            # describe() starts with the MAC, here empty
            kind = _Kind(
                vars(sample),
                sample.labels,
                describe(sample),
                may_boot(sample),
                vendor_class_answer(sample.vendor_class),
            )
            if len(self._kinds) < 1024:
                self._kinds[key] = kind
        return kind

    @staticmethod
    def _client(mac: str, options: dict[int, bytes], ip: str | None, kind: _Kind) -> Client:
        """The policy's `Client`. The frozen dataclass's __init__ sets each field through
        object.__setattr__ (a third of a decision's policy cost); filling its __dict__ gives the same."""
        client = _new_client(Client)
        values = client.__dict__
        values.update(kind.fields)
        values["mac"] = mac
        values["ip"] = ip
        values["labels"] = dict(kind.labels) if kind.labels else {}  # the policy's own copy
        if c.OPT_CLIENT_UUID in options:
            values["uuid"] = c.client_uuid(options)
        if c.OPT_HOSTNAME in options:
            values["hostname"] = c.text_option(options, c.OPT_HOSTNAME)
        return client

    def _boot(
        self, mac: str, options: dict[int, bytes], ip: str, kind: _Kind
    ) -> tuple[BootOffer | None, tuple[bytes, bytes, bytes, str]]:
        """The policy's answer and its reply pieces (_boot_block). A policy that declares it answers by
        kind alone (`answers_by_kind`, the default BootFilesPolicy) is asked once per kind; any other is
        asked for every request (`ipxescript serve`'s logs each boot)."""
        if kind.answer is not None and kind.answer[0] is self.server.policy:
            return kind.answer[1]
        policy = self.server.policy
        boot = policy.boot_offer(self._client(mac, options, ip, kind)) if kind.may_boot else None
        answer = (boot, self._boot_block(kind.vendor_answer, boot))
        if getattr(policy, "answers_by_kind", False) is True:
            kind.answer = (policy, answer)
        return answer

    def _grant(
        self,
        data: bytes,
        options: dict[int, bytes],
        endpoint: _Endpoint,
        kind: int,
        name: str,
        mac: str,
        address: str,
        why: str,
    ) -> None:
        client_kind = self._kind(options)
        boot, (siaddr, file, block, boot_text) = self._boot(mac, options, address, client_kind)
        uuid = options.get(c.OPT_CLIENT_UUID)
        # PXE servers echo the client's UUID
        tail = END if boot is None or uuid is None else c._option_bytes(c.OPT_CLIENT_UUID, uuid) + END
        reply = b"".join(
            (
                # op..hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file, cookie
                REPLY_HEAD,
                data[4:8],
                SECS,
                data[10:12],
                ZERO4,
                inet_aton(address),  # an address from the lease store: always a dotted quad
                siaddr,
                ZERO4,
                data[28:34],
                CHADDR_PAD,
                SNAME,
                file,
                c.MAGIC_COOKIE,
                self.lease_blocks[kind],
                block,
                tail,
            )
        )
        self.log(
            logging.INFO,
            _granted,
            name,
            mac,
            client_kind.text,
            c.MESSAGE_NAMES[kind],
            address,
            why,
            boot_text,
        )
        # The common case of _send: no size to check against, nothing to pad; the broadcast flag set, which
        # server.destination answers first here (no relay, no ciaddr).
        if data[10] & 0x80 and c.OPT_MAX_SIZE not in options and SMALLEST <= len(reply) <= LARGEST:
            self.server.send_bytes(endpoint, reply, self.broadcast, kind)
            return
        self._send(data, options, endpoint, reply, address, kind)

    @staticmethod
    def _header(data: bytes) -> bytes:
        """The BOOTP header of a reply without an address or boot file (a NAK)."""
        # op..hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file, cookie
        return (
            b"".join(
                (REPLY_HEAD, data[4:8], SECS, data[10:12], bytes(16), data[28:34], CHADDR_PAD, SNAME, NO_FILE)
            )
            + c.MAGIC_COOKIE
        )

    def _boot_block(self, answer: str | None, boot: BootOffer | None) -> tuple[bytes, bytes, bytes, str]:
        """siaddr, the file field and the boot options of a reply (what replies.lease_reply adds) and the
        log's words for it, kept per distinct answer: a lab asks the same few questions over and over.
        `answer`: the option 60 the reply carries (clients.vendor_class_answer)."""
        key = (answer, boot)
        cached = self._boot_blocks.get(key)
        if cached is not None:
            return cached
        block: dict[int, bytes] = {}
        if answer:
            block[c.OPT_VENDOR_CLASS] = answer.encode()
        siaddr, file = ZERO4, NO_FILE
        if boot is not None:
            next_server = boot.next_server or self.server.config.server_address
            siaddr = c.ip_bytes(next_server)
            name = boot.boot_file.encode()
            if len(name) < 128:
                file = name.ljust(128, b"\0")
            if "://" not in boot.boot_file:
                block[c.OPT_TFTP_SERVER] = next_server.encode()
            block[c.OPT_BOOTFILE] = name
            if answer == "PXEClient":
                block[c.OPT_VENDOR_SPECIFIC] = replies.PXE_USE_BOOTFILE
        boot_text = f"boot file {boot.boot_file} ({boot.reason})" if boot else "no boot file"
        result = (siaddr, file, _options(block), boot_text)
        if len(self._boot_blocks) < 1024:  # distinct answers are few; never grow without bound
            self._boot_blocks[key] = result
        return result

    def _send(
        self,
        data: bytes,
        options: dict[int, bytes],
        endpoint: _Endpoint,
        reply: bytes,
        yiaddr: str,
        kind: int,
    ) -> None:
        max_size = c.max_size(options)
        if len(reply) > max_size - 28:
            # Too big for what the client accepts: the full encoder spills options into file/sname.
            try:
                reply = c.encode(c.decode(reply), max_size)
            except ValueError as exc:
                name = c.MESSAGE_NAMES.get(kind)
                self.log(logging.ERROR, "cannot encode {} for {}: {}".format, name, data[28:34].hex(":"), exc)
                return
        elif len(reply) < c.MIN_BOOTP_SIZE:
            reply += bytes(c.MIN_BOOTP_SIZE - len(reply))
        flags = int.from_bytes(data[10:12], "big")
        destination = self.server.destination(
            "0.0.0.0", "0.0.0.0", flags, yiaddr, kind == c.NAK, True, data[28:34]
        )
        self.server.send_bytes(endpoint, reply, destination, kind)
