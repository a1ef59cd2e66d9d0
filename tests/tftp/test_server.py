"""The server in-process, driven packet by packet: negotiation, windows, retransmission, errors, policy."""

from __future__ import annotations

import asyncio
import logging
import os
import random
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from tftp_client import RawClient, malformed_packets

from ipxescript.serve.policy import BootOffer, Client, VirtualFile
from ipxescript.serve.tftp import TftpServer, TftpSettings, start_tftp
from ipxescript.serve.tftp.cache import PacketCache
from ipxescript.serve.tftp.packets import Ack, Data, Error, OptionAck, WriteRequest

pytestmark = pytest.mark.timeout(60)

CONTENT = os.urandom(5000)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot" / "ipxe.efi").write_bytes(CONTENT)
    (tmp_path / "exact").write_bytes(b"x" * 1024)  # a multiple of 512: ends with an empty block
    (tmp_path / "menu.ipxe").write_bytes(b"#!ipxe\nshell\n")
    return tmp_path


@pytest.fixture(params=["thread", "event loop"])
def both_ways(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the test with the transfer in a thread of its own (few transfers at once) and on the event
    loop (many at once)."""
    if request.param == "event loop":
        monkeypatch.setattr("ipxescript.serve.tftp.server.THREADED_UP_TO", 0)


@pytest.fixture
async def server(root: Path) -> AsyncIterator[TftpServer]:
    srv = await start_tftp(root, "127.0.0.1", 0, settings=TftpSettings(timeout=0.3, retries=3))
    yield srv
    srv.close()


@pytest.fixture
async def client(server: TftpServer) -> AsyncIterator[RawClient]:
    with RawClient(server.address) as c:
        yield c


async def idle(server: TftpServer, within: float = 2.0) -> None:
    deadline = time.monotonic() + within
    while server.transfers and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    assert not server.transfers


@pytest.mark.usefixtures("both_ways")
@pytest.mark.parametrize(
    "options",
    [{}, {"blksize": "1428"}, {"blksize": "1428", "windowsize": "16", "tsize": "0"}, {"windowsize": "3"}],
)
async def test_fetch_with_and_without_options(client: RawClient, options: dict[str, str]) -> None:
    assert await client.fetch("boot/ipxe.efi", options) == CONTENT


@pytest.mark.usefixtures("both_ways")
async def test_file_of_whole_blocks_ends_with_an_empty_block(client: RawClient) -> None:
    await client.request("exact")
    for block, size in ((1, 512), (2, 512), (3, 0)):
        packet, tid = await client.recv()
        assert packet == Data(block, b"x" * size)
        client.send(Ack(block), tid)


async def test_transfer_runs_on_its_own_port(server: TftpServer, client: RawClient) -> None:
    await client.request("boot/ipxe.efi")
    _, tid = await client.recv()
    assert tid[1] != server.address[1]


async def test_missing_file_fails_at_once(client: RawClient) -> None:
    start = time.monotonic()
    await client.request("x86_64-efi/command.lst")
    packet, _ = await client.recv()
    assert packet == Error(1, "File not found")
    assert time.monotonic() - start < 0.5


@pytest.mark.parametrize("name", ["../secret", "boot/../../secret", "..\\..\\secret", "/../etc/passwd"])
async def test_traversal_is_refused(client: RawClient, name: str) -> None:
    await client.request(name)
    packet, _ = await client.recv()
    assert isinstance(packet, Error) and packet.code == 2


async def test_a_refused_name_of_60_kb_is_logged_short(
    client: RawClient, caplog: pytest.LogCaptureFixture
) -> None:
    """A stranger's request names up to 64 KB: each refusal is logged, so the name is cut (a log line per
    packet must not be as long as the packet)."""
    caplog.set_level(logging.INFO, logger="ipxescript.tftp")
    for name in ("a" * 60000, "../" * 20000, "." + "x" * 60000, "x" * 60000 + ".db", "c:" + "x" * 60000):
        await client.request(name)
        packet, _ = await client.recv()
        assert isinstance(packet, Error) and len(packet.message) < 200, packet.message[:300]
    client.send(WriteRequest("w" * 60000, "octet"))
    assert isinstance((await client.recv())[0], Error)
    lines = [record.getMessage() for record in caplog.records]
    assert len(lines) == 6 and all(len(line) < 400 for line in lines), [line[:300] for line in lines]
    assert "(60000 characters)" in lines[0]


async def test_symlink_out_of_the_root_is_refused(root: Path, client: RawClient) -> None:
    (root / "passwd").symlink_to("/etc/passwd")
    await client.request("passwd")
    packet, _ = await client.recv()
    assert isinstance(packet, Error) and packet.code == 2


async def test_write_requests_are_refused(client: RawClient, root: Path) -> None:
    client.send(WriteRequest("upload.bin", "octet"))
    packet, _ = await client.recv()
    assert packet == Error(2, "Access violation: this server is read-only")
    assert not (root / "upload.bin").exists()


async def test_unknown_mode_is_refused(client: RawClient) -> None:
    await client.request("menu.ipxe", mode="mail")
    packet, _ = await client.recv()
    assert isinstance(packet, Error) and packet.code == 4


async def test_netascii_on_the_wire(client: RawClient) -> None:
    assert await client.fetch("menu.ipxe", mode="netascii") == b"#!ipxe\r\nshell\r\n"
    assert await client.fetch("menu.ipxe", {"tsize": "0"}, mode="NetASCII") == b"#!ipxe\r\nshell\r\n"


@pytest.mark.usefixtures("both_ways")
async def test_size_query_aborted_after_oack_ends_cleanly(
    server: TftpServer, client: RawClient, caplog: pytest.LogCaptureFixture
) -> None:
    """EDK2 (OVMF here) asks with tsize, blksize 1468 and windowsize 4, ends the transfer with ERROR 8 after
    the OACK, then asks for the file again from the next port."""
    caplog.set_level(logging.INFO, logger="ipxescript.tftp")
    await client.request("boot/ipxe.efi", {"tsize": "0", "blksize": "1468", "windowsize": "4"})
    packet, tid = await client.recv()
    assert packet == OptionAck({"tsize": str(len(CONTENT)), "blksize": "1468", "windowsize": "4"})
    client.send(Error(8, "User aborted the transfer"), tid)
    await idle(server)
    assert "size query answered, client ended it (error 8 'User aborted the transfer')" in caplog.text
    assert "WARNING" not in caplog.text
    assert await client.silent(0.5)  # no retransmitted OACK after the abort
    assert (
        await client.fetch("boot/ipxe.efi", {"tsize": "0", "blksize": "1468", "windowsize": "4"}) == CONTENT
    )
    await idle(server)  # the transfer logs its summary when it ends, after the last ACK
    assert f"sent; {len(CONTENT)} bytes" in caplog.text


async def test_abort_after_data_is_a_failure(
    server: TftpServer, client: RawClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ipxescript.tftp")
    await client.request("boot/ipxe.efi", {"tsize": "0"})
    _, tid = await client.recv()
    client.send(Ack(0), tid)
    await client.recv()
    client.send(Error(0, "disk full"), tid)
    await idle(server)
    assert "client aborted with error 0 'disk full'; 0 bytes" in caplog.text


async def test_tsize_query_left_unanswered_ends_quietly(
    server: TftpServer, client: RawClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ipxescript.tftp")
    await client.request("boot/ipxe.efi", {"tsize": "0"})
    assert (await client.recv())[0] == OptionAck({"tsize": str(len(CONTENT))})
    assert (await client.recv())[0] == OptionAck({"tsize": str(len(CONTENT))})  # one retransmission
    assert await client.silent(1.5)
    await idle(server)
    assert "size query answered, client did not go on" in caplog.text
    assert "WARNING" not in caplog.text


@pytest.mark.usefixtures("both_ways")
async def test_duplicate_acks_do_not_multiply_packets(client: RawClient) -> None:
    await client.request("boot/ipxe.efi")
    packet, tid = await client.recv()
    assert packet == Data(1, CONTENT[:512])
    client.send(Ack(1), tid)
    client.send(Ack(1), tid)
    client.send(Ack(1), tid)
    packet, _ = await client.recv()
    assert packet == Data(2, CONTENT[512:1024])
    # a sorcerer's apprentice server would answer every duplicate with DATA 2
    packet, _ = await client.recv(1.0)
    assert packet == Data(2, CONTENT[512:1024])  # only the timeout's retransmission, 0.3 s later


@pytest.mark.usefixtures("both_ways")
async def test_a_streamed_file_goes_block_by_block_at_windowsize_1(
    server: TftpServer, client: RawClient, root: Path
) -> None:
    """Files too large for the packet cache go through the ring of buffers; each ACK of the block in
    flight brings exactly the next block (a duplicate ACK brings nothing), to the empty last block."""
    server.cache = PacketCache(max_file=0)  # every file streamed
    (root / "whole").write_bytes(b"y" * 1536)
    for name, content in (("boot/ipxe.efi", CONTENT), ("whole", b"y" * 1536)):
        await client.request(name)
        got, block = b"", 1
        while True:
            packet, tid = await client.recv()
            assert isinstance(packet, Data) and packet.block == block, (name, packet)
            got += packet.payload
            client.send(Ack(block), tid)
            if block == 2:
                client.send(Ack(block), tid)  # a second DATA 3 would show as the answer to ACK 3
            if len(packet.payload) < 512:
                break
            block += 1
        assert got == content
        await idle(server)


@pytest.mark.usefixtures("both_ways")
@pytest.mark.parametrize("windowsize", [1, 16])
async def test_a_streamed_file_longer_than_its_ring_arrives_whole_through_losses(
    server: TftpServer, client: RawClient, root: Path, windowsize: int
) -> None:
    """A streamed file of many rings (RING_BLOCKS packets, read in one system call per ring): DATA lost
    on the way (the client takes no notice of it, so its window is never complete) is sent again on
    timeout from the unacknowledged blocks' slots, also right at the ring's seams; a file of whole blocks
    still ends with an empty one."""
    server.cache = PacketCache(max_file=0)  # every file streamed
    files = {"long": os.urandom(200 * 512 + 100), "whole": os.urandom(150 * 512)}
    for name, content in files.items():
        (root / name).write_bytes(content)
        lost = {5, 64, 128}  # blocks whose first DATA the client does not see (64, 128: the ring's seams)
        await client.request(name, {"windowsize": str(windowsize)})
        packet, tid = await client.recv()
        assert isinstance(packet, OptionAck)
        client.send(Ack(0), tid)
        got, expected, acked = bytearray(), 1, 0
        while True:
            packet, _ = await client.recv()
            assert isinstance(packet, Data), packet
            if packet.block != expected or expected in lost:
                lost.discard(packet.block)  # lost, or after a gap: the timeout sends the window again
                continue
            got += packet.payload
            last = len(packet.payload) < 512
            if last or packet.block == acked + windowsize:
                client.send(Ack(packet.block), tid)
                acked = packet.block
            if last:
                break
            expected += 1
        assert bytes(got) == content, name
        assert not lost
        await idle(server)


@pytest.mark.usefixtures("both_ways")
async def test_retransmission_backs_off_then_gives_up(
    server: TftpServer, client: RawClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ipxescript.tftp")
    await client.request("boot/ipxe.efi")
    start = time.monotonic()
    arrivals = []
    for _ in range(4):  # the first send and 3 retries
        packet, _ = await client.recv(5.0)
        assert packet == Data(1, CONTENT[:512])
        arrivals.append(time.monotonic() - start)
    assert await client.silent(3.0)
    gaps = [b - a for a, b in zip(arrivals, arrivals[1:], strict=False)]
    assert gaps == pytest.approx([0.3, 0.6, 1.2], abs=0.25)  # the timeout doubles each time
    assert gaps[0] < gaps[1] < gaps[2]
    assert not server.transfers
    assert "timed out waiting for the ACK of block 1" in caplog.text


@pytest.mark.usefixtures("both_ways")
async def test_partial_window_ack_resends_from_the_gap(client: RawClient) -> None:
    await client.request("boot/ipxe.efi", {"windowsize": "4"})
    packet, tid = await client.recv()
    assert packet == OptionAck({"windowsize": "4"})
    client.send(Ack(0), tid)
    blocks = [(await client.recv())[0] for _ in range(4)]
    assert [b.block for b in blocks if isinstance(b, Data)] == [1, 2, 3, 4]
    client.send(Ack(2), tid)  # blocks 3 and 4 were "lost"
    blocks = [(await client.recv())[0] for _ in range(4)]
    assert [b.block for b in blocks if isinstance(b, Data)] == [3, 4, 5, 6]


async def test_block_numbers_roll_over_past_65535(root: Path, client: RawClient) -> None:
    data = random.Random(6).randbytes(8 * 70_000 + 3)  # 70,001 blocks of 8 bytes
    (root / "big").write_bytes(data)
    assert await client.fetch("big", {"blksize": "8", "windowsize": "64"}) == data


async def test_stale_ack_after_rollover_is_ignored(root: Path) -> None:
    (root / "big").write_bytes(b"y" * (8 * 65_700))
    server = await start_tftp(root, "127.0.0.1", 0, settings=TftpSettings(timeout=3.0))
    try:
        with RawClient(server.address) as client:
            await client.request("big", {"blksize": "8", "windowsize": "64"})
            _, tid = await client.recv()
            client.send(Ack(0), tid)
            block = 0
            while block < 65_600:  # up to the end of the window after the one ending at 65,536 (sent as 0)
                packet, _ = await client.recv()
                assert isinstance(packet, Data)
                if packet.block != (block + 1) & 0xFFFF:
                    continue  # a retransmitted window, if this machine is slow
                block += 1
                if block % 64 == 0 and block < 65_600:
                    client.send(Ack(packet.block), tid)
            # an ACK from before the rollover: taken as current, it would restart the window at 65,501
            client.send(Ack(65_500), tid)
            packet, _ = await client.recv(8.0)
            assert packet == Data(65_537 & 0xFFFF, b"y" * 8)  # the timeout's retransmission of the window
    finally:
        server.close()


async def test_many_transfers_at_once(server: TftpServer) -> None:
    clients = [RawClient(server.address) for _ in range(30)]
    try:
        results = await asyncio.gather(
            *(
                c.fetch("boot/ipxe.efi", {"blksize": "512", "windowsize": str(1 + i % 4)})
                for i, c in enumerate(clients)
            )
        )
    finally:
        for c in clients:
            c.close()
    assert all(r == CONTENT for r in results)


@pytest.mark.usefixtures("both_ways")
async def test_repeated_request_does_not_start_a_second_transfer(
    server: TftpServer, client: RawClient
) -> None:
    await client.request("boot/ipxe.efi")
    await client.request("boot/ipxe.efi")
    packet, tid = await client.recv()
    assert packet == Data(1, CONTENT[:512])
    assert await client.silent(0.2)
    assert len(server.transfers) == 1


class LabPolicy:
    def __init__(self) -> None:
        self.asked: list[tuple[str, Client]] = []

    def boot_offer(self, client: Client) -> BootOffer | None:
        return None

    def tftp_file(self, path: str, client: Client) -> VirtualFile | None:
        self.asked.append((path, client))
        if path == "boom":
            raise RuntimeError("policy bug")
        if path == "pxelinux.cfg/default":
            return VirtualFile(f"DEFAULT for {client.ip}\n".encode(), "generated per client")
        return None


async def test_policy_answers_virtual_files(root: Path) -> None:
    policy = LabPolicy()
    server = await start_tftp(root, "127.0.0.1", 0, policy)
    try:
        with RawClient(server.address) as client:
            assert await client.fetch("/pxelinux.cfg/default", {"tsize": "0"}) == b"DEFAULT for 127.0.0.1\n"
            assert await client.fetch("menu.ipxe") == b"#!ipxe\nshell\n"  # None: the file under ROOT
            await client.request("boom")
            packet, _ = await client.recv()
            assert packet == Error(0, "Internal server error")
            await client.request("../x")  # refused before the policy is asked
            packet, _ = await client.recv()
            assert isinstance(packet, Error) and packet.code == 2
            assert await client.fetch("menu.ipxe") == b"#!ipxe\nshell\n"
    finally:
        server.close()
    assert [path for path, _ in policy.asked] == ["pxelinux.cfg/default", "menu.ipxe", "boom", "menu.ipxe"]
    assert policy.asked[0][1].ip == "127.0.0.1"


async def test_client_info_names_the_client_for_the_policy(root: Path) -> None:
    policy = LabPolicy()
    known = Client(mac="52:54:00:12:34:56", arch=7, ip="127.0.0.1")
    server = await start_tftp(root, "127.0.0.1", 0, policy, client_info=lambda ip: known)
    try:
        with RawClient(server.address) as client:
            await client.fetch("menu.ipxe")
    finally:
        server.close()
    assert policy.asked[0][1] is known


async def test_fuzz_then_a_correct_client_still_gets_its_file(
    server: TftpServer, client: RawClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="ipxescript.tftp")
    with RawClient(server.address) as fuzzer:
        fuzzer_port = fuzzer.sock.getsockname()[1]
        for data in malformed_packets(10_000):
            fuzzer.send(data)
            await asyncio.sleep(0)  # one loop turn: the server reads the packet before the next
        await asyncio.sleep(0.1)
    handled = [r for r in caplog.records if f"127.0.0.1:{fuzzer_port}" in r.getMessage()]
    assert len(handled) == 10_000  # each one looked at, none crashed the server
    assert not server.transfers
    assert await client.fetch("boot/ipxe.efi", {"blksize": "1428", "windowsize": "8"}) == CONTENT


@pytest.mark.usefixtures("both_ways")
async def test_read_error_is_reported_to_the_client(
    server: TftpServer, client: RawClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def failing_read(self: object, buffer: memoryview) -> int:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr("ipxescript.serve.tftp.files.FileSource.readinto", failing_read)
    caplog.set_level(logging.INFO, logger="ipxescript.tftp")
    await client.request("boot/ipxe.efi")
    packet, _ = await client.recv()
    assert packet == Error(0, "Read error on the server")
    await idle(server)
    assert "reading the file failed (Input/output error)" in caplog.text


@pytest.mark.usefixtures("both_ways")
async def test_client_that_goes_away_ends_its_transfer(
    server: TftpServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="ipxescript.tftp")
    client = RawClient(server.address)
    await client.request("boot/ipxe.efi")
    await client.recv()
    client.close()  # the retransmission meets ICMP port unreachable
    await idle(server, within=3.0)
    assert "client unreachable" in caplog.text


@pytest.mark.usefixtures("both_ways")
async def test_a_slow_client_is_stopped_at_the_transfer_time_limit(
    root: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A client that ACKs each block just inside the timeout never triggers a retransmission; the time
    limit ends its transfer anyway, with an ERROR it can show."""
    caplog.set_level(logging.INFO, logger="ipxescript.tftp")
    server = await start_tftp(root, "127.0.0.1", 0, settings=TftpSettings(timeout=0.5, max_duration=1.0))
    try:
        with RawClient(server.address) as client:
            await client.request("boot/ipxe.efi")  # 10 blocks of 512 bytes
            start = time.monotonic()
            packet, tid = await client.recv()
            while isinstance(packet, Data):
                assert time.monotonic() - start < 1.5
                await asyncio.sleep(0.4)  # under the timeout: the server never sends twice
                client.send(Ack(packet.block), tid)
                packet, _ = await client.recv()
            assert packet == Error(0, "Transfer took too long")
            assert 1.0 <= time.monotonic() - start < 1.5
            await idle(server)
    finally:
        server.close()
    assert "stopped after 1 s, the longest a transfer may take" in caplog.text


async def test_a_rewritten_file_is_served_as_it_is_now(root: Path, client: RawClient) -> None:
    """Small files are sent from prebuilt packets shared by transfers; a file replaced or rewritten in place
    is a new entry, never the old content."""
    path = root / "boot" / "ipxe.efi"
    assert await client.fetch("boot/ipxe.efi", {"blksize": "1468"}) == CONTENT
    assert await client.fetch("boot/ipxe.efi", {"blksize": "1468"}) == CONTENT  # from the cache
    newer = os.urandom(7000)
    path.write_bytes(newer)  # same inode, new size and mtime
    assert await client.fetch("boot/ipxe.efi", {"blksize": "1468"}) == newer
    same_size = os.urandom(7000)
    (root / "boot" / "new").write_bytes(same_size)
    os.replace(root / "boot" / "new", path)  # replaced: another inode
    assert await client.fetch("boot/ipxe.efi", {"blksize": "1468"}) == same_size
    assert await client.fetch("boot/ipxe.efi", {"blksize": "512"}) == same_size


def test_the_time_limit_is_read_from_the_config_file(tmp_path: Path) -> None:
    from ipxescript.serve.config import ConfigError, load_config
    from ipxescript.serve.protocols import tftp_settings

    (tmp_path / "ipxescript.toml").write_text("tftp_max_seconds = 90\n")
    assert tftp_settings(load_config(str(tmp_path))).max_duration == 90.0
    (tmp_path / "ipxescript.toml").write_text("tftp_max_seconds = 0\n")
    with pytest.raises(ConfigError, match=r"tftp_max_seconds: 0 is not a number of seconds above 0"):
        load_config(str(tmp_path))
    (tmp_path / "ipxescript.toml").unlink()
    assert tftp_settings(load_config(str(tmp_path))).max_duration == 3600.0
