"""Real TFTP clients (atftp, tftp-hpa, curl) against the server started as `python -m ipxescript.serve.tftp`."""

from __future__ import annotations

import hashlib
import os
import random
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tftp_client import malformed_packets

pytestmark = [
    pytest.mark.timeout(300),
    pytest.mark.skipif(
        any(shutil.which(c) is None for c in ("atftp", "tftp", "curl")) and not os.environ.get("CI"),
        reason="needs atftp, tftp-hpa and curl (apt); never skipped in CI",
    ),
]

SMALL = random.Random(1).randbytes(300_000)
WHOLE_BLOCKS = random.Random(2).randbytes(512 * 40)  # ends with an empty DATA packet
TEXT = b"#!ipxe\necho netascii\r\nline with a bare \r in it\n"
BIG_SIZE = 100 << 20
EXPECTED = {"boot/small.bin": SMALL, "/whole.bin": WHOLE_BLOCKS, "whole.bin": WHOLE_BLOCKS}


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    base = tmp_path_factory.mktemp("tftp-clients")
    root = base / "root"
    (root / "boot").mkdir(parents=True)
    (root / "boot" / "small.bin").write_bytes(SMALL)
    (root / "whole.bin").write_bytes(WHOLE_BLOCKS)
    (root / "menu.ipxe").write_bytes(TEXT)
    (base / "secret.txt").write_text("not for tftp\n")
    (root / "escape").symlink_to(base / "secret.txt")
    with (root / "big.bin").open("wb") as handle:  # random, so a block out of place changes the hash
        rng = random.Random(100)
        for _ in range(BIG_SIZE >> 20):
            handle.write(rng.randbytes(1 << 20))
    yield root
    (root / "big.bin").unlink()


@pytest.fixture(scope="module")
def port(root: Path) -> Iterator[int]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "ipxescript.serve.tftp",
            str(root),
            "--address",
            "127.0.0.1",
            "--port",
            "0",
            "-q",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.startswith("listening on 127.0.0.1:"), line
        yield int(line.rsplit(":", 1)[1])
        assert proc.poll() is None, "the server died during the tests"
    finally:
        proc.terminate()
        proc.wait(10)


def atftp(port: int, remote: str, local: Path, *options: str) -> subprocess.CompletedProcess[str]:
    args = ["atftp"]
    for option in options:
        args += ["--option", option]
    args += ["-g", "-r", remote, "-l", str(local), "127.0.0.1", str(port)]
    return subprocess.run(args, capture_output=True, text=True, timeout=240)


def tftp_hpa(port: int, remote: str, local: Path, mode: str = "binary") -> subprocess.CompletedProcess[str]:
    args = ["tftp", "127.0.0.1", str(port), "-m", mode, "-c", "get", remote, str(local)]
    return subprocess.run(args, capture_output=True, text=True, timeout=240)


def curl(port: int, remote: str, local: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    args = ["curl", "-sS", "--path-as-is", "--max-time", "200", *flags, "-o", str(local)]
    return subprocess.run(
        args + [f"tftp://127.0.0.1:{port}/{remote}"], capture_output=True, text=True, timeout=240
    )


@pytest.mark.parametrize(
    "options",
    [
        (),
        ("blksize 1428",),
        ("blksize 1428", "windowsize 16"),
        ("tsize enable", "windowsize 4"),
        ("blksize 8",),
    ],
)
@pytest.mark.parametrize("remote", ["boot/small.bin", "/whole.bin"])
def test_atftp(port: int, tmp_path: Path, options: tuple[str, ...], remote: str) -> None:
    result = atftp(port, remote, tmp_path / "out", *options)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out").read_bytes() == EXPECTED[remote]


@pytest.mark.parametrize("remote", ["boot/small.bin", "whole.bin"])
def test_tftp_hpa(port: int, tmp_path: Path, remote: str) -> None:
    result = tftp_hpa(port, remote, tmp_path / "out")
    assert result.returncode == 0 and not result.stdout + result.stderr, result.stdout + result.stderr
    assert (tmp_path / "out").read_bytes() == EXPECTED[remote]


@pytest.mark.parametrize("flags", [(), ("--tftp-blksize", "1428"), ("--tftp-no-options",)])
def test_curl(port: int, tmp_path: Path, flags: tuple[str, ...]) -> None:
    result = curl(port, "boot/small.bin", tmp_path / "out", *flags)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out").read_bytes() == SMALL


def test_netascii(port: int, tmp_path: Path) -> None:
    # tftp-hpa converts netascii back to local text: the original bytes come back
    result = tftp_hpa(port, "menu.ipxe", tmp_path / "hpa", mode="netascii")
    assert result.returncode == 0 and not result.stderr, result.stderr
    assert (tmp_path / "hpa").read_bytes() == TEXT
    # curl keeps the wire form: CR LF line ends and CR NUL for a bare CR
    result = curl(port, "menu.ipxe;mode=netascii", tmp_path / "curl")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "curl").read_bytes() == TEXT.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")


@pytest.mark.parametrize(
    "client, options",
    [("atftp", ()), ("tftp-hpa", ()), ("curl", ("--tftp-blksize", "1428"))],
)
def test_100_mib_file_rolls_block_numbers_over(
    root: Path, port: int, tmp_path: Path, client: str, options: tuple[str, ...]
) -> None:
    """512-byte blocks: 204,800 of them, past 65,535 three times; curl at 1428 bytes passes it once."""
    out = tmp_path / "big"
    if client == "atftp":
        result = atftp(port, "big.bin", out, *options)
    elif client == "tftp-hpa":
        result = tftp_hpa(port, "big.bin", out)
    else:
        result = curl(port, "big.bin", out, *options)
    assert result.returncode == 0 and "rror" not in result.stdout + result.stderr, (
        result.stdout + result.stderr
    )
    assert sha256(out) == sha256(root / "big.bin")


TRAVERSALS = ["../secret.txt", "../../../../etc/passwd", "boot/../../secret.txt", "..\\secret.txt", "escape"]


@pytest.mark.parametrize("remote", TRAVERSALS + ["/etc/passwd"])
def test_traversal_refused_for_every_client(port: int, tmp_path: Path, remote: str) -> None:
    secrets = (b"not for tftp", b"root:")
    out = tmp_path / "atftp"
    result = atftp(port, remote, out)
    assert result.returncode != 0
    assert not out.exists() or not any(s in out.read_bytes() for s in secrets)
    expected = "File not found" if remote == "/etc/passwd" else "Access violation"
    assert expected in result.stderr

    out = tmp_path / "hpa"
    result = tftp_hpa(port, remote, out)
    assert expected in result.stdout  # tftp-hpa prints the server's error on stdout
    assert not out.exists() or out.read_bytes() == b""

    out = tmp_path / "curl"
    result = curl(port, remote, out)
    assert result.returncode != 0
    assert not out.exists() or not any(s in out.read_bytes() for s in secrets)


def test_missing_file(port: int, tmp_path: Path) -> None:
    result = tftp_hpa(port, "x86_64-efi/command.lst", tmp_path / "out")
    assert "Error code 1: File not found" in result.stdout


def test_write_requests_refused(root: Path, port: int, tmp_path: Path) -> None:
    (tmp_path / "upload.bin").write_bytes(b"data")
    result = subprocess.run(
        [
            "tftp",
            "127.0.0.1",
            str(port),
            "-m",
            "binary",
            "-c",
            "put",
            str(tmp_path / "upload.bin"),
            "upload.bin",
        ],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert "Error code 2: Access violation: this server is read-only" in result.stdout
    result = subprocess.run(
        ["atftp", "-p", "-l", str(tmp_path / "upload.bin"), "-r", "upload.bin", "127.0.0.1", str(port)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0 and "read-only" in result.stderr
    assert not (root / "upload.bin").exists()


def test_runner_reports_bad_root_and_address_without_traceback(tmp_path: Path) -> None:
    runner = [sys.executable, "-m", "ipxescript.serve.tftp"]
    result = subprocess.run(
        runner + [str(tmp_path / "absent"), "--port", "0"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"error: TFTP root '{tmp_path / 'absent'}' is not a directory"
    result = subprocess.run(
        runner + [str(tmp_path), "--address", "192.0.2.1", "--port", "0"], capture_output=True, text=True
    )
    assert result.returncode == 1
    assert result.stderr.strip() == "error: cannot serve TFTP on 192.0.2.1:0: Cannot assign requested address"


def test_fuzz_then_atftp_still_gets_its_file(port: int, tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for i, data in enumerate(malformed_packets(10_000)):
            sock.sendto(data, ("127.0.0.1", port))
            if i % 10 == 9:
                time.sleep(
                    0.001
                )  # about 10,000 a second, so the server sees them rather than the kernel dropping
    result = atftp(port, "boot/small.bin", tmp_path / "out", "blksize 1428", "windowsize 8")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "out").read_bytes() == SMALL
