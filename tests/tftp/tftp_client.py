"""A small TFTP client for the in-process tests: raw packets when a test wants to misbehave, `fetch` otherwise."""

from __future__ import annotations

import asyncio
import random
import socket
import struct

from ipxescript.serve.tftp import packets
from ipxescript.serve.tftp.packets import Ack, Data, Error, OptionAck, ReadRequest

Address = tuple[str, int]


class RawClient:
    def __init__(self, server: Address):
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.setblocking(False)
        self.loop = asyncio.get_running_loop()

    def close(self) -> None:
        self.sock.close()

    def __enter__(self) -> RawClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send(self, packet: packets.Packet | bytes, to: Address | None = None) -> None:
        data = packet if isinstance(packet, bytes) else packets.encode(packet)
        self.sock.sendto(data, to or self.server)

    async def recv(self, timeout: float = 2.0) -> tuple[packets.Packet, Address]:
        data, addr = await asyncio.wait_for(self.loop.sock_recvfrom(self.sock, 70000), timeout)
        return packets.decode(data), addr

    async def silent(self, within: float) -> bool:
        """True when nothing arrives for `within` seconds."""
        try:
            await self.recv(within)
        except TimeoutError:
            return True
        return False

    async def request(self, name: str, options: dict[str, str] | None = None, mode: str = "octet") -> None:
        self.send(ReadRequest(name, mode, options or {}))

    async def fetch(self, name: str, options: dict[str, str] | None = None, mode: str = "octet") -> bytes:
        """A well-behaved download (windowed when asked); raises RuntimeError on an ERROR packet."""
        options = options or {}
        await self.request(name, options, mode)
        first, tid = await self.recv()
        blksize, windowsize = 512, 1
        if isinstance(first, OptionAck):
            blksize = int(first.options.get("blksize", 512))
            windowsize = int(first.options.get("windowsize", 1))
            self.send(Ack(0), tid)
            first, _ = await self.recv()
        out = bytearray()
        expected, in_window = 1, 0
        packet: packets.Packet = first
        while True:
            if isinstance(packet, Error):
                raise RuntimeError(f"error {packet.code}: {packet.message}")
            assert isinstance(packet, Data), packet
            if packet.block == expected & 0xFFFF:
                out += packet.payload
                in_window += 1
                last = len(packet.payload) < blksize
                if last or in_window == windowsize:
                    self.send(Ack(packet.block), tid)
                    in_window = 0
                if last:
                    return bytes(out)
                expected += 1
            packet, addr = await self.recv()
            assert addr == tid


def malformed_packets(count: int) -> list[bytes]:
    rng = random.Random(1350)
    shapes = [
        lambda: rng.randbytes(rng.randrange(0, 300)),
        lambda: struct.pack("!H", rng.randrange(0, 10)) + rng.randbytes(rng.randrange(0, 30)),
        lambda: b"\x00\x01" + rng.randbytes(rng.randrange(0, 60)),
        lambda: b"\x00\x01" + b"../" * rng.randrange(1, 9) + b"etc/passwd\x00octet\x00",
        lambda: (
            b"\x00\x01f\x00octet\x00blksize\x00" + rng.choice([b"0", b"-1", b"99999999999", b"x"]) + b"\x00"
        ),
        lambda: b"\x00\x02upload\x00octet\x00",
        lambda: struct.pack("!HH", rng.choice([3, 4, 5, 6]), rng.randrange(65536)) + rng.randbytes(6),
    ]
    return [rng.choice(shapes)() for _ in range(count)]
