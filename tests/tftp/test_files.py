"""Confinement to ROOT, error codes for missing and forbidden files, streaming and netascii."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ipxescript.serve.tftp.files import (
    BytesSource,
    FileAccessError,
    FileRoot,
    FileSource,
    NetasciiSource,
    Source,
    normalise,
)
from ipxescript.serve.tftp.options import Limits, negotiate


def read_all(source: Source, block: int = 512) -> bytes:
    out = bytearray()
    buffer = bytearray(block)
    while True:
        n = source.readinto(memoryview(buffer))
        out += buffer[:n]
        if n < block:
            source.close()
            return bytes(out)


@pytest.fixture
def root(tmp_path: Path) -> Path:
    (tmp_path / "root" / "boot").mkdir(parents=True)
    (tmp_path / "root" / "boot" / "ipxe.efi").write_bytes(b"EFI" * 1000)
    (tmp_path / "secret").write_text("outside\n")
    return tmp_path / "root"


@pytest.mark.parametrize(
    "requested, relative",
    [
        ("boot/ipxe.efi", "boot/ipxe.efi"),
        ("/boot/ipxe.efi", "boot/ipxe.efi"),  # a leading / is the root
        ("\\boot\\ipxe.efi", "boot/ipxe.efi"),  # backslashes are separators
        ("boot//./ipxe.efi", "boot/ipxe.efi"),
    ],
)
def test_names_map_inside_the_root(root: Path, requested: str, relative: str) -> None:
    assert normalise(requested) == relative
    assert read_all(FileRoot(root).open(normalise(requested))) == b"EFI" * 1000


@pytest.mark.parametrize(
    "requested", ["..", "../secret", "boot/../../secret", "..\\secret", "/../../etc/passwd"]
)
def test_dot_dot_is_refused(requested: str) -> None:
    with pytest.raises(FileAccessError) as caught:
        normalise(requested)
    assert caught.value.code == 2


def test_absolute_paths_stay_inside_the_root(root: Path) -> None:
    with pytest.raises(FileAccessError) as caught:
        FileRoot(root).open(normalise("/etc/passwd"))
    assert (caught.value.code, caught.value.message) == (1, "File not found")


def test_symlinks_leaving_the_root_are_refused(root: Path) -> None:
    (root / "escape").symlink_to(root.parent / "secret")
    (root / "dir-escape").symlink_to(root.parent)
    (root / "inside").symlink_to(root / "boot" / "ipxe.efi")
    files = FileRoot(root)
    for name in ("escape", "dir-escape/secret"):
        with pytest.raises(FileAccessError) as caught:
            files.open(name)
        assert caught.value.code == 2, name
    assert read_all(files.open("inside")) == b"EFI" * 1000


def test_missing_files_directories_and_unreadable_files(root: Path) -> None:
    files = FileRoot(root)
    for name in ("nope.efi", "boot", "", "boot/ipxe.efi/x"):
        with pytest.raises(FileAccessError) as caught:
            files.open(name)
        assert caught.value.code == 1, name
        assert caught.value.message.startswith("File not found")
    (root / "locked").write_bytes(b"x")
    (root / "locked").chmod(0)
    if os.geteuid() != 0:  # root reads anything
        with pytest.raises(FileAccessError) as caught:
            files.open("locked")
        assert caught.value.code == 2


def test_root_must_be_a_directory(tmp_path: Path) -> None:
    with pytest.raises(NotADirectoryError):
        FileRoot(tmp_path / "absent")


def test_large_files_stream_in_chunks(tmp_path: Path) -> None:
    data = os.urandom(3 * 256 * 1024 + 123)
    (tmp_path / "big").write_bytes(data)
    source = FileRoot(tmp_path).open("big")
    assert source.size == len(data)
    assert read_all(source, 1428) == data
    assert len(source.chunk) == FileSource.CHUNK < len(data)  # type: ignore[attr-defined]


@given(st.binary(max_size=3000))
def test_netascii_conversion_and_size(data: bytes) -> None:
    source = NetasciiSource(BytesSource(data))
    converted = read_all(source, 100)
    assert converted == data.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n")
    assert source.size == len(converted)
    assert converted.replace(b"\r\n", b"\n").replace(b"\r\0", b"\r") == data


def test_netascii_of_a_file(tmp_path: Path) -> None:
    (tmp_path / "menu.ipxe").write_bytes(b"#!ipxe\nchain x\r\n" * 5000)
    source = FileRoot(tmp_path).open("menu.ipxe", netascii=True)
    converted = read_all(source)
    assert converted == (b"#!ipxe\r\nchain x\r\0\r\n" * 5000)
    assert source.size is None  # no tsize: knowing it would mean reading the whole file before sending


@pytest.mark.parametrize(
    "requested, blksize, windowsize, timeout, oack",
    [
        ({}, 512, 1, None, None),
        ({"blksize": "1428", "tsize": "0"}, 1428, 1, None, {"blksize": "1428", "tsize": "1000"}),
        ({"blksize": "100000"}, 65464, 1, None, {"blksize": "65464"}),
        ({"blksize": "4"}, 512, 1, None, None),
        ({"blksize": "x", "windowsize": "0"}, 512, 1, None, None),
        ({"windowsize": "16", "timeout": "3"}, 512, 16, 3.0, {"windowsize": "16", "timeout": "3"}),
        ({"windowsize": "1000", "timeout": "0"}, 512, 64, None, {"windowsize": "64"}),
        ({"timeout": "255"}, 512, 1, None, None),  # longer than the server waits: not accepted
        ({"timeout": "8"}, 512, 1, 8.0, {"timeout": "8"}),
        ({"multicast": "", "tsize": "0"}, 512, 1, None, {"tsize": "1000"}),
    ],
)
def test_option_negotiation(
    requested: dict[str, str],
    blksize: int,
    windowsize: int,
    timeout: float | None,
    oack: dict[str, str] | None,
) -> None:
    agreed = negotiate(requested, 1000, Limits())
    assert (agreed.blksize, agreed.windowsize, agreed.timeout, agreed.oack) == (
        blksize,
        windowsize,
        timeout,
        oack,
    )


def test_tsize_is_left_out_when_the_size_is_unknown() -> None:
    assert negotiate({"tsize": "0"}, None).oack is None
