"""A boot storm: N simulated machines, each doing what a UEFI PXE machine does, many at once.

    python -m tests.state.bootstorm --machines 300 --concurrency 60 [--fanout-once FILE] > results.json

Run inside a network namespace whose `eth0` is on the servers' segment and holds every address of the
DHCP range (the machines' leased addresses are this interface's, so replies reach us); or with
`--interface eth1,eth2,...`, one interface per segment (rack), each holding its segment's pool: machine i
boots on interface i mod N. Each machine:

1. DHCP: DISCOVER (PXEClient, arch 7, broadcast flag), the first OFFER, REQUEST to that server, ACK;
   DISCOVERs are retransmitted every second, as firmware does;
2. TFTP: the boot file named in the ACK, from the ACK's siaddr, with blksize 1468 (as iPXE/EDK2 ask);
3. HTTP: boot.ipxe with the identity iPXE reports (mac, buildarch, platform); for the MACs listed in
   `--fanout-once` the same request goes to every server at once (a machine seen by several instances:
   its once assignment must be taken by exactly one);
4. HTTP: the kernel and initrd the script names, read to the end.

A failure anywhere starts the machine's boot again (up to `--attempts` times), as firmware would. The
result is JSON: per machine its MAC, address, server, attempts, the targets its scripts named, and the
seconds from its first DISCOVER to the end of the kernel.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import socket
import struct
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import cast

from ipxescript.serve import eventloop
from ipxescript.serve.dhcp import codec as c

ARCH_EFI64 = 7
VENDOR = "PXEClient:Arch:00007:UNDI:003016"


@dataclass
class Machine:
    mac: str
    ip: str = ""
    server: str = ""
    attempts: int = 0
    targets: list[str] = field(default_factory=list)  # the `echo TARGET` marker of every script served
    kernel_bytes: int = 0
    initrd_bytes: int = 0
    tftp_bytes: int = 0
    seconds: float = 0.0  # first DISCOVER -> kernel complete
    # seconds of each step of the attempt that booted: dhcp, tftp, script (both boot.ipxe), kernel
    steps: dict[str, float] = field(default_factory=dict)
    ok: bool = False
    error: str = ""


class Dhcp:
    """One socket on port 68 for every machine; replies are told apart by xid."""

    def __init__(self, interface: str, server_port: int) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, 1)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_BINDTODEVICE, interface.encode())
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
        self.sock.bind(("0.0.0.0", 68))
        self.sock.setblocking(False)
        self.server_port = server_port
        self.waiting: dict[int, asyncio.Queue[c.DhcpPacket]] = {}
        asyncio.get_running_loop().add_reader(self.sock.fileno(), self._readable)

    def _readable(self) -> None:
        while True:
            try:
                data = self.sock.recv(4096)
            except BlockingIOError:
                return
            try:
                packet = c.decode(data)
            except c.DhcpDecodeError:
                continue
            queue = self.waiting.get(packet.xid)
            if queue is not None and packet.op == c.BOOTREPLY:
                queue.put_nowait(packet)

    def send(self, packet: c.DhcpPacket) -> None:
        self.sock.sendto(c.encode(packet), ("255.255.255.255", self.server_port))

    async def exchange(self, mac: str, tries: int = 8) -> tuple[c.DhcpPacket, float]:
        """DISCOVER ... ACK for `mac`: the ACK and when the first DISCOVER left."""
        xid = random.getrandbits(32)
        queue: asyncio.Queue[c.DhcpPacket] = asyncio.Queue()
        self.waiting[xid] = queue
        started = time.monotonic()
        try:
            base = {
                c.OPT_VENDOR_CLASS: VENDOR.encode(),
                c.OPT_CLIENT_ARCH: c.arch_option(ARCH_EFI64),
                c.OPT_MAX_SIZE: struct.pack("!H", 1472),
            }
            chaddr = bytes.fromhex(mac.replace(":", ""))
            for _ in range(tries):
                options = {c.OPT_MESSAGE_TYPE: bytes((c.DISCOVER,)), **base}
                self.send(c.DhcpPacket(xid=xid, flags=c.BROADCAST_FLAG, chaddr=chaddr, options=options))
                offer = await _next(queue, c.OFFER, 1.0)
                if offer is None:
                    continue
                server = offer.server_id or offer.siaddr
                options = {
                    c.OPT_MESSAGE_TYPE: bytes((c.REQUEST,)),
                    c.OPT_REQUESTED_IP: c.ip_bytes(offer.yiaddr),
                    c.OPT_SERVER_ID: c.ip_bytes(server),
                    **base,
                }
                self.send(c.DhcpPacket(xid=xid, flags=c.BROADCAST_FLAG, chaddr=chaddr, options=options))
                ack = await _next(queue, (c.ACK, c.NAK), 2.0, server)
                if ack is not None and ack.message_type == c.ACK:
                    return ack, started
            raise RuntimeError("no DHCP lease")
        finally:
            del self.waiting[xid]


async def _next(
    queue: asyncio.Queue[c.DhcpPacket],
    kinds: int | tuple[int, ...],
    timeout: float,
    server: str | None = None,
) -> c.DhcpPacket | None:
    wanted = kinds if isinstance(kinds, tuple) else (kinds,)
    deadline = time.monotonic() + timeout
    while (left := deadline - time.monotonic()) > 0:
        try:
            packet = await asyncio.wait_for(queue.get(), left)
        except TimeoutError:
            return None
        if packet.message_type in wanted and (server is None or packet.server_id == server):
            return packet
    return None


class _TftpRead(asyncio.DatagramProtocol):
    """One read as a boot ROM does it: each DATA ACKed as it arrives, to the port it came from; after a
    second of silence the last packet (the request or the last ACK) is sent again, five times at most.

    Callbacks only, no task or queue per packet: the generator plays hundreds of machines on the same
    cores as the servers, so what it spends per block is taken from them."""

    def __init__(self, name: str, blksize: int, request: bytes, server: tuple[str, int]) -> None:
        self.name, self.blksize = name, blksize
        self.loop = asyncio.get_running_loop()
        self.done: asyncio.Future[int] = self.loop.create_future()
        self.last, self.to = request, server
        self.peer: tuple[str, int] | None = None
        self.expected, self.size, self.silent = 1, 0, 0
        self.heard = self.loop.time()
        self.timer = self.loop.call_later(1.0, self._tick)
        self.transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.DatagramTransport, transport)
        self.transport.sendto(self.last, self.to)

    def _send(self, packet: bytes, to: tuple[str, int]) -> None:
        self.last, self.to = packet, to
        assert self.transport is not None
        self.transport.sendto(packet, to)

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:  # type: ignore[override]
        if self.done.done() or len(data) < 4 or data[0] != 0:
            return
        self.heard, self.silent = self.loop.time(), 0
        opcode = data[1]
        if opcode == 6:  # OACK
            self.peer = addr
            self._send(b"\x00\x04\x00\x00", addr)
        elif opcode == 5:
            self._end(RuntimeError(f"TFTP {self.name}: error {data[4:-1].decode(errors='replace')}"))
        elif opcode == 3:
            self.peer = self.peer or addr
            self._send(b"\x00\x04" + data[2:4], self.peer)
            if (data[2] << 8 | data[3]) == self.expected & 0xFFFF:
                self.size += len(data) - 4
                self.expected += 1
                if len(data) - 4 < self.blksize:
                    self._end(None)

    def _tick(self) -> None:
        if self.done.done():
            return
        if self.loop.time() - self.heard >= 1.0:
            self.silent += 1
            if self.silent > 5:
                return self._end(RuntimeError(f"TFTP {self.name}: timeout at block {self.expected}"))
            self._send(self.last, self.to)  # retransmit, as firmware does
            self.heard = self.loop.time()
        self.timer = self.loop.call_at(self.heard + 1.0, self._tick)

    def _end(self, error: Exception | None) -> None:
        self.timer.cancel()
        if error is None:
            self.done.set_result(self.size)
        else:
            self.done.set_exception(error)

    def error_received(self, exc: Exception) -> None:
        pass  # ICMP for a packet of ours: the retransmission tries again


async def tftp_get(local_ip: str, server: str, port: int, name: str, blksize: int = 1468) -> int:
    """Read `name` by TFTP (RFC 1350 + blksize); its size in bytes."""
    request = b"\x00\x01" + name.encode() + b"\x00octet\x00blksize\x00" + str(blksize).encode() + b"\x00"
    loop = asyncio.get_running_loop()
    transport, reader = await loop.create_datagram_endpoint(
        lambda: _TftpRead(name, blksize, request, (server, port)), local_addr=(local_ip, 0)
    )
    try:
        return await reader.done
    finally:
        reader.timer.cancel()
        transport.close()


_URL = re.compile(r"^(kernel|initrd|chain)\s+(?:--\S+\s+)*(http://\S+)", re.M)
_ECHO = re.compile(r"^echo TARGET (\S+)", re.M)


class _HttpConnection(asyncio.BufferedProtocol):
    """One keep-alive HTTP/1.1 connection, as iPXE keeps one per server: a GET, the response headers,
    then the body counted into one reused buffer (only its first 4 KiB kept). Like the TFTP reader, it
    spends as little of the shared cores as it can: no object per received chunk."""

    def __init__(self) -> None:
        self.buffer = memoryview(bytearray(256 * 1024))
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.header = bytearray()
        self.left = -1  # body bytes still to come; -1 while reading the headers
        self.size, self.head, self.status = 0, bytearray(), 0

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)

    def get(self, path: str, host: str) -> asyncio.Future[tuple[int, bytes]]:
        assert self.transport is not None and self.waiter is None
        self.waiter = asyncio.get_running_loop().create_future()
        self.header.clear()
        self.head.clear()
        self.left, self.size = -1, 0
        self.transport.write(
            f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: iPXE/1.21.1\r\nConnection: keep-alive\r\n\r\n".encode()
        )
        return self.waiter

    def get_buffer(self, sizehint: int) -> memoryview:
        return self.buffer

    def buffer_updated(self, nbytes: int) -> None:
        data = self.buffer[:nbytes]
        if self.left < 0:
            self.header += data
            end = self.header.find(b"\r\n\r\n")
            if end < 0:
                return
            lines = bytes(self.header[:end]).decode("latin-1").split("\r\n")
            fields = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
            try:
                self.status = int(lines[0].split()[1])
                self.left = int(fields["content-length"])
            except (IndexError, ValueError, KeyError):
                return self._end(RuntimeError(f"HTTP: not a response with a Content-Length: {lines[:4]}"))
            data = memoryview(bytes(self.header[end + 4 :]))
        if len(self.head) < 4096:
            self.head += data[: 4096 - len(self.head)]
        self.size += len(data)
        self.left -= len(data)
        if self.left <= 0:
            self._end(None)

    def _end(self, error: Exception | None) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is None or waiter.done():
            return
        if error is None:
            waiter.set_result((self.size, bytes(self.head)))
        else:
            waiter.set_exception(error)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._end(ConnectionResetError("HTTP: the server closed the connection"))


class HttpClient:
    """A machine's HTTP: one keep-alive connection per server, from the machine's own address."""

    def __init__(self, local_ip: str) -> None:
        self.local_ip = local_ip
        self.connections: dict[tuple[str, int], _HttpConnection] = {}

    async def get(self, url: str) -> tuple[int, bytes]:
        """The body's size and first 4 KiB; RuntimeError for a status other than 200."""
        rest = url.removeprefix("http://")
        hostport, _, path = rest.partition("/")
        host, _, port = hostport.partition(":")
        key = (host, int(port or 80))
        connection = self.connections.get(key)
        if connection is None or connection.transport is None:
            loop = asyncio.get_running_loop()
            _, connection = await loop.create_connection(
                _HttpConnection, host, key[1], local_addr=(self.local_ip, 0)
            )
            self.connections[key] = connection
        try:
            size, head = await asyncio.wait_for(connection.get("/" + path, hostport), 30)
        except BaseException:
            self.connections.pop(key, None)
            if connection.transport is not None:
                connection.transport.close()
            raise
        if connection.status != 200:
            raise RuntimeError(f"HTTP {url}: {connection.status}")
        return size, head

    def close(self) -> None:
        for connection in self.connections.values():
            if connection.transport is not None:
                connection.transport.close()


class _Steps:
    """Records the seconds since the previous mark under each step's name."""

    def __init__(self, steps: dict[str, float], started: float) -> None:
        steps.clear()
        self.steps, self.at = steps, started

    def __call__(self, name: str) -> None:
        now = time.monotonic()
        self.steps[name] = now - self.at
        self.at = now


async def boot(machine: Machine, dhcp: Dhcp, args: argparse.Namespace, fanout: bool) -> None:
    first_start: float | None = None
    while machine.attempts < args.attempts and not machine.ok:
        machine.attempts += 1
        try:
            ack, started = await dhcp.exchange(machine.mac)
            mark = _Steps(machine.steps, started)
            mark("dhcp")
            first_start = first_start if first_start is not None else started
            machine.ip, machine.server = ack.yiaddr, ack.siaddr
            boot_file = ack.text_option(c.OPT_BOOTFILE) or ack.file.rstrip(b"\0").decode()
            machine.tftp_bytes = await tftp_get(machine.ip, ack.siaddr, args.tftp_port, boot_file)
            mark("tftp")
            http = HttpClient(machine.ip)
            try:
                port = f":{args.http_port}" if args.http_port != 80 else ""
                query = f"boot.ipxe?mac={machine.mac.replace(':', '-')}&buildarch=x86_64&platform=efi"
                await http.get(f"http://{ack.siaddr}{port}/boot.ipxe")  # the identity probe
                servers = args.servers.split(",") if fanout else [ack.siaddr]
                scripts = await asyncio.gather(
                    *(http.get(f"http://{server}{port}/{query}") for server in servers),
                    return_exceptions=True,
                )
                texts = [got[1].decode(errors="replace") if isinstance(got, tuple) else "" for got in scripts]
                machine.targets += [m.group(1) for text in texts for m in _ECHO.finditer(text)]
                chosen = scripts[servers.index(ack.siaddr) if ack.siaddr in servers else 0]
                if isinstance(chosen, BaseException):
                    raise chosen
                mine = chosen[1].decode(errors="replace")
                mark("script")
                urls = {kind: url for kind, url in _URL.findall(mine)}
                if "kernel" not in urls:
                    raise RuntimeError(f"no kernel in the script: {mine[:200]!r}")
                machine.kernel_bytes, _ = await http.get(urls["kernel"])
                mark("kernel")
                machine.seconds = time.monotonic() - first_start
                if "initrd" in urls:
                    machine.initrd_bytes, _ = await http.get(urls["initrd"])
            finally:
                http.close()
            machine.ok = True
        except (RuntimeError, OSError, ValueError, TimeoutError) as exc:
            machine.error = f"{type(exc).__name__}: {exc}"
            await asyncio.sleep(0.5 + random.random())


async def storm(args: argparse.Namespace) -> dict[str, object]:
    segments = [Dhcp(interface, args.dhcp_port) for interface in args.interface.split(",")]
    once = set(args.fanout_once.split(",")) if args.fanout_once else set()
    part, parts = (int(x) for x in args.part.split("/"))
    machines = [
        Machine(f"{args.mac_prefix}:{i >> 8:02x}:{i & 255:02x}") for i in range(part, args.machines, parts)
    ]
    limit = asyncio.Semaphore(args.concurrency)

    async def one(machine: Machine, dhcp: Dhcp) -> None:
        async with limit:
            await boot(machine, dhcp, args, machine.mac in once)

    started, before = time.monotonic(), sched_times(os.getpid())
    await asyncio.gather(
        *(one(m, segments[(part + i * parts) % len(segments)]) for i, m in enumerate(machines))
    )
    seconds = time.monotonic() - started
    after = sched_times(os.getpid())
    return {
        "seconds": seconds,
        "machines": [asdict(m) for m in machines],
        # the generator's own time on a core and waiting for one, during the storm: what tells whether it
        # held the run back (a single-threaded generator near 100% busy would be the bottleneck)
        "sched": {key: after[key] - before[key] for key in after},
    }


def sched_times(pid: int) -> dict[str, float]:
    """Seconds the process's main thread (`main`) and its other threads (`threads`) spent running and
    waiting for a core while runnable (`*_wait`), from /proc/PID/task/*/schedstat; zeros where the kernel
    keeps no schedstat."""
    times = {"main": 0.0, "main_wait": 0.0, "threads": 0.0, "threads_wait": 0.0}
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return times
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/schedstat") as handle:
                running, waiting = (int(x) / 1e9 for x in handle.read().split()[:2])
        except (OSError, ValueError):
            continue
        kind = "main" if task == str(pid) else "threads"
        times[kind] += running
        times[f"{kind}_wait"] += waiting
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--machines", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=60)
    parser.add_argument("--interface", default="eth0", help="the segment's interface, or several: a,b,c")
    parser.add_argument("--mac-prefix", default="52:54:00:5e")
    parser.add_argument("--dhcp-port", type=int, default=67)
    parser.add_argument("--tftp-port", type=int, default=69)
    parser.add_argument("--http-port", type=int, default=80)
    parser.add_argument("--servers", default="", help="every server's address (for --fanout-once)")
    parser.add_argument("--fanout-once", default="", help="MACs whose boot.ipxe goes to every server at once")
    parser.add_argument("--attempts", type=int, default=8)
    parser.add_argument(
        "--part",
        default="0/1",
        help="K/N: play only machines K, K+N, K+2N, ... (N generator processes share the machines; each binds"
        " port 68 with SO_REUSEADDR and every one hears the broadcast replies, told apart by xid)",
    )
    args = parser.parse_args(argv)
    result = eventloop.run(storm(args))
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    sys.exit(main())
