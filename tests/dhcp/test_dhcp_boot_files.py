"""The default boot policy (ipxescript.serve.boot_files) and the stand-alone runner's error messages."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from ipxescript.serve.boot_files import BootFilesError, BootFilesPolicy, parse_file_settings
from ipxescript.serve.dhcp.__main__ import main as runner_main
from ipxescript.serve.policy import Client

POLICY = BootFilesPolicy(http_address="10.0.0.1", http_port=8080)
MAC = "52:54:00:12:34:56"


@pytest.mark.parametrize(
    ("client", "boot_file"),
    [
        (Client(MAC, arch=0, vendor_class="PXEClient:Arch:00000:UNDI:002001"), "undionly.kpxe"),
        (Client(MAC, vendor_class="PXEClient:Arch:00007:UNDI:003000"), "ipxe.efi"),  # arch from option 60
        (Client(MAC, vendor_class="PXEClient"), "undionly.kpxe"),
        (Client(MAC, arch=7), "ipxe.efi"),
        (Client(MAC, arch=9), "ipxe.efi"),
        (Client(MAC, arch=6, vendor_class="PXEClient"), None),
        (Client(MAC, arch=10, vendor_class="PXEClient"), None),
        (Client(MAC, arch=11, vendor_class="PXEClient"), None),
        (Client(MAC, arch=8, vendor_class="PXEClient"), None),  # not a type the boot flow knows
        (Client(MAC, arch=16, vendor_class="HTTPClient"), "http://10.0.0.1:8080/ipxe.efi"),
        (Client(MAC, arch=19, vendor_class="HTTPClient"), None),
        (Client(MAC, arch=7, user_class="iPXE", is_ipxe=True), "http://10.0.0.1:8080/boot.ipxe"),
        (Client(MAC, arch=0, is_ipxe=True), "http://10.0.0.1:8080/boot.ipxe"),
        (Client(MAC, vendor_class="udhcp 1.35.0"), None),  # an OS client: nothing to boot
    ],
)
def test_default_choice(client: Client, boot_file: str | None) -> None:
    offer = POLICY.boot_offer(client)
    assert (offer.boot_file if offer else None) == boot_file
    if offer:
        assert offer.next_server is None and offer.reason


def test_reasons_explain_the_choice() -> None:
    offer = POLICY.boot_offer(Client(MAC, arch=7, user_class="iPXE", is_ipxe=True))
    assert offer and offer.reason == "iPXE client (user-class iPXE): the HTTP boot script"
    offer = POLICY.boot_offer(Client(MAC, arch=7, is_ipxe=True))
    assert offer and "option 175" in offer.reason
    offer = POLICY.boot_offer(Client(MAC, vendor_class="PXEClient:Arch:00007"))
    assert offer and offer.reason == "not iPXE, arch 7 (efi64, option 60): default iPXE first stage ipxe.efi"


def test_configured_files_per_arch() -> None:
    files = parse_file_settings(
        ["bios=pxelinux.0", "efi64=snponly.efi", "arm64=grubaa64.efi", "arm64-http=http://boot/arm.efi"]
    )
    policy = BootFilesPolicy(http_address="10.0.0.1", files=files, next_server="10.0.0.9")
    cases = {0: "pxelinux.0", 7: "snponly.efi", 11: "grubaa64.efi"}
    for arch, expected in cases.items():
        offer = policy.boot_offer(Client(MAC, arch=arch, vendor_class="PXEClient"))
        assert offer and offer.boot_file == expected and offer.next_server == "10.0.0.9"
        assert "configured" in offer.reason
    offer = policy.boot_offer(Client(MAC, arch=19, vendor_class="HTTPClient"))
    assert offer and offer.boot_file == "http://boot/arm.efi"
    offer = policy.boot_offer(Client(MAC, arch=16, vendor_class="HTTPClient"))
    assert offer and offer.boot_file == "http://10.0.0.1/snponly.efi"
    assert policy.script_url == "http://10.0.0.1/boot.ipxe"


@pytest.mark.parametrize(
    ("setting", "message"),
    [("bios", "must look like ARCH=FILE"), ("x86=a", "unknown arch 'x86'"), ("efi64=", "must look like")],
)
def test_bad_file_settings(setting: str, message: str) -> None:
    with pytest.raises(BootFilesError, match=message):
        parse_file_settings([setting])


def test_first_stages_come_from_the_ipxe_directory_unless_root_has_them(tmp_path: Path) -> None:
    ipxe_dir = tmp_path / "ipxe"
    ipxe_dir.mkdir()
    (ipxe_dir / "undionly.kpxe").write_bytes(b"packaged")
    root = tmp_path / "root"
    root.mkdir()
    policy = BootFilesPolicy(http_address="10.0.0.1", root=root, ipxe_dir=ipxe_dir)
    client = Client(MAC)
    served = policy.tftp_file("/undionly.kpxe", client)
    assert served is not None and served.data == b"packaged" and str(ipxe_dir) in served.reason
    assert policy.tftp_file("ipxe.efi", client) is None  # not in the package directory here
    assert policy.tftp_file("boot.ipxe", client) is None  # not a first stage
    (root / "undionly.kpxe").write_bytes(b"mine")
    assert policy.tftp_file("undionly.kpxe", client) is None  # ROOT wins


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--address", "10.0.0.1", "--mode", "full"], "full mode needs an address range"),
        (["--address", "10.0.0.999"], "server address '10.0.0.999' is not an IPv4 address"),
        (["--address", "10.0.0.1", "--mode", "full", "--range", "10.0.0.5"], "must look like START-END"),
        (["--address", "10.0.0.1", "--reserve", "52:54:00:12:34:56"], "must look like MAC=IP"),
        (["--address", "10.0.0.1", "--boot-file", "x86=a"], "unknown arch 'x86'"),
    ],
)
def test_runner_reports_bad_settings_without_a_traceback(args: list[str], message: str) -> None:
    result = CliRunner().invoke(runner_main, args)
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output


def test_runner_reports_an_unusable_lease_database(tmp_path: Path) -> None:
    args = ["--address", "127.0.0.1", "--mode", "full", "--range", "127.0.0.10-127.0.0.20"]
    args += ["--lease-db", str(tmp_path / "missing" / "leases.sqlite"), "--port", "0", "--proxy-port", "0"]
    result = CliRunner().invoke(runner_main, args)
    assert result.exit_code == 1
    assert "cannot open the lease database" in result.output and "Traceback" not in result.output
