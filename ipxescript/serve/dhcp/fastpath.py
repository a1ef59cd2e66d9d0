"""The fast path: DISCOVER and REQUEST from ordinary clients in full mode, decided from the raw bytes.

A lab powering on sends hundreds of these a second, all alike. This path reads only the fields the decision
needs (no `DhcpPacket`), asks the same lease and policy code the full path asks, and writes the reply
into prebuilt header and option blocks. Anything unusual (a relay, ciaddr set, repeated or overloaded
options, a reply that would not fit) goes to the full path, which stays the reference:
tests/dhcp/test_dhcp_fastpath.py holds both to byte-identical replies and log lines.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from ipxescript.serve.policy import BootOffer, Client

from . import codec as c
from . import replies
from .clients import client_from_options, describe, vendor_class_answer

if TYPE_CHECKING:
    from .server import DhcpServer, _Endpoint

log = logging.getLogger("ipxescript.dhcp")

ZERO4 = bytes(4)
REQUEST_HEAD = b"\x01\x01\x06"  # BOOTREQUEST, Ethernet, 6-byte address
REPLY_HEAD = b"\x02\x01\x06\x00"  # BOOTREPLY, Ethernet, 6-byte address, hops 0
SECS = b"\0\0"
CHADDR_PAD = bytes(10)  # chaddr is 16 bytes; an Ethernet address uses 6
SNAME = bytes(64)
NO_FILE = bytes(128)
# Requests carrying these take the full path: overloaded options, relay information.
FULL_PATH_OPTIONS = frozenset({c.OPT_OVERLOAD, c.OPT_RELAY_AGENT})


def _options(block: dict[int, bytes]) -> bytes:
    return b"".join(c._option_bytes(code, value) for code, value in block.items() if 0 < code < 255)


def read_options(data: bytes) -> dict[int, bytes] | None:
    """The options of a plain request the fast path can answer, or None for the full path."""
    if len(data) < 240 or data[:3] != REQUEST_HEAD or data[236:240] != c.MAGIC_COOKIE:
        return None
    if data[12:16] != ZERO4 or data[24:28] != ZERO4 or not any(data[28:34]):  # ciaddr, giaddr, chaddr
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
        self._boot_blocks: dict[tuple[str | None, BootOffer | None], tuple[bytes, bytes, bytes]] = {}

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
            log.warning("DISCOVER from %s (full): no offer: %s", describe(self._client(mac, options)), why)
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
        who = describe(self._client(mac, options))
        if outcome == "silent":
            log.info("REQUEST from %s (full): silent: %s", who, why)
            return
        log.info("REQUEST from %s (full): NAK: %s", who, why)
        reply = self._header(data, ZERO4, ZERO4, NO_FILE) + self.nak_head
        reply += c._option_bytes(c.OPT_MESSAGE, why.encode()[:255]) + b"\xff"
        self._send(data, options, endpoint, reply, "0.0.0.0", c.NAK)

    def _client(self, mac: str, options: dict[int, bytes], ip: str | None = None) -> Client:
        return client_from_options(mac, "0.0.0.0", "0.0.0.0", options, ip)

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
        client = self._client(mac, options, address)
        boot = self.server._ask_policy(client)
        siaddr, file, block = self._boot_block(client.vendor_class, boot)
        reply = self._header(data, c.ip_bytes(address), siaddr, file) + self.lease_blocks[kind] + block
        uuid = options.get(c.OPT_CLIENT_UUID)
        if boot is not None and uuid is not None:
            reply += c._option_bytes(c.OPT_CLIENT_UUID, uuid)  # PXE servers echo it
        reply += b"\xff"
        boot_text = f"boot file {boot.boot_file} ({boot.reason})" if boot else "no boot file"
        log.info(
            "%s from %s (full): %s %s (%s), %s",
            name,
            describe(client),
            c.MESSAGE_NAMES[kind],
            address,
            why,
            boot_text,
        )
        self._send(data, options, endpoint, reply, address, kind)

    def _header(self, data: bytes, yiaddr: bytes, siaddr: bytes, file: bytes) -> bytes:
        # op..hops, xid, secs, flags, ciaddr, yiaddr, siaddr, giaddr, chaddr, sname, file, cookie
        return b"".join(
            (
                REPLY_HEAD,
                data[4:8],
                SECS,
                data[10:12],
                ZERO4,
                yiaddr,
                siaddr,
                ZERO4,
                data[28:34],
                CHADDR_PAD,
                SNAME,
                file,
                c.MAGIC_COOKIE,
            )
        )

    def _boot_block(self, vendor: str | None, boot: BootOffer | None) -> tuple[bytes, bytes, bytes]:
        """siaddr, the file field and the boot options of a reply (what replies.lease_reply adds), kept per
        distinct answer: a lab asks the same few questions over and over."""
        answer = vendor_class_answer(vendor)
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
        result = (siaddr, file, _options(block))
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
                log.error("cannot encode %s for %s: %s", c.MESSAGE_NAMES.get(kind), data[28:34].hex(":"), exc)
                return
        elif len(reply) < c.MIN_BOOTP_SIZE:
            reply += bytes(c.MIN_BOOTP_SIZE - len(reply))
        flags = int.from_bytes(data[10:12], "big")
        destination = self.server.destination(
            "0.0.0.0", "0.0.0.0", flags, yiaddr, kind == c.NAK, True, data[28:34]
        )
        self.server.send_bytes(endpoint, reply, destination, kind)
