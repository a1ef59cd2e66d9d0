"""Boot policy over HTTP: identity probe, targets by selectors (most specific wins), rendering, assignments."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from ipxescript.serve.config import Group
from ipxescript.serve.policy import Client
from ipxescript.serve.targets import best_group, selector_matches

from .conftest import LiveServer

MAC = "52:54:00:12:34:56"
HYP = "52-54-00-12-34-56"


def boot(server: LiveServer, **query: str) -> str:
    reply = requests.get(f"{server.url}/boot.ipxe", params=query, timeout=10)
    assert reply.status_code == 200
    assert reply.headers["Cache-Control"] == "no-store"
    return reply.text


def test_first_request_asks_the_client_for_its_identity(server: LiveServer) -> None:
    text = boot(server)
    assert text.startswith("#!ipxe\n")
    chain = [line for line in text.splitlines() if line.startswith("chain ")]
    assert len(chain) == 1
    url = chain[0].split(" ", 1)[1]
    assert url.startswith(f"http://127.0.0.1:{server.port}/boot.ipxe?")
    for part in ("mac=${mac:hexhyp}", "uuid=${uuid}", "buildarch=${buildarch}", "platform=${platform}"):
        assert part in url


def test_identified_client_gets_the_default_target_rendered(server: LiveServer) -> None:
    assert boot(server, mac=HYP) == f"#!ipxe\necho default for {MAC}\n"


def test_bad_mac_is_a_400(server: LiveServer) -> None:
    reply = requests.get(f"{server.url}/boot.ipxe", params={"mac": "zz"}, timeout=10)
    assert reply.status_code == 400 and "not a MAC address" in reply.text


def write_config(root: Path, text: str) -> None:
    (root / "ipxescript.toml").write_text(text)


GROUPS = """
default = "boot.ipxe"
[metadata]
site = "lab"
[[group]]
name = "efi"
target = "b.ipxe"
selector = { platform = "efi" }
[[group]]
name = "this-mac-on-efi"
target = "a.ipxe"
selector = { mac = "52:54:00:12:34:56", platform = "efi" }
metadata = { role = "installer" }
[[group]]
name = "rack"
target = "rack.ipxe"
selector = { rack = "r7" }
[[group]]
name = "subnet"
target = "b.ipxe"
selector = { ip = "10.9.0.0/16" }
"""


def test_most_specific_group_wins(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    write_config(boot_root, GROUPS)
    (boot_root / "rack.ipxe").write_text("#!ipxe\necho rack {{ rack }} site {{ site }}\n")
    (boot_root / "a.ipxe").write_text("#!ipxe\necho {{ role }} {{ mac }} {{ site }}\n")
    server = make_server(boot_root)
    assert boot(server, mac=HYP, platform="efi") == f"#!ipxe\necho installer {MAC} lab\n"
    assert boot(server, mac="52-54-00-00-00-01", platform="efi") == "#!ipxe\necho target B\n"
    assert (
        boot(server, mac="52-54-00-00-00-01", platform="pcbios")
        == "#!ipxe\necho default for 52:54:00:00:00:01\n"
    )
    # any query label is a selector, and its value is available to the template
    assert boot(server, mac=HYP, rack="r7") == "#!ipxe\necho rack r7 site lab\n"
    # ip: from the query (what iPXE reports) and matched by CIDR
    assert boot(server, mac=HYP, ip="10.9.3.4") == "#!ipxe\necho target B\n"


def test_selector_kinds() -> None:
    client = Client(
        mac=MAC, uuid="ABC-1", ip="10.0.0.5", hostname="Node1", labels={"serial": "S1", "buildarch": "x86_64"}
    )
    assert selector_matches("mac", "52-54-00-12-34-56", client)
    assert selector_matches("uuid", "abc-1", client)
    assert selector_matches("ip", "10.0.0.5", client) and selector_matches("ip", "10.0.0.0/24", client)
    assert not selector_matches("ip", "10.0.1.0/24", client)
    assert selector_matches("hostname", "node1", client)
    assert selector_matches("serial", "S1", client) and not selector_matches("serial", "s1", client)
    assert selector_matches("buildarch", "X86_64", client)
    assert not selector_matches("platform", "efi", client)  # missing value never matches


def test_ties_go_to_the_first_group() -> None:
    client = Client(mac=MAC, labels={"platform": "efi", "buildarch": "x86_64"})
    groups = [Group("one", "1.ipxe", {"platform": "efi"}), Group("two", "2.ipxe", {"buildarch": "x86_64"})]
    chosen = best_group(groups, client)
    assert chosen is not None and chosen.name == "one"


def test_missing_placeholder_gives_an_error_script(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    (boot_root / "boot.ipxe").write_text("#!ipxe\nkernel {{ kernel_url }}\nboot\n")
    server = make_server(boot_root)
    text = boot(server, mac=HYP)
    assert "kernel_url" in text
    assert text.rstrip().endswith("shell")
    assert "\nkernel " not in text


def test_missing_target_gives_an_error_script(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    write_config(boot_root, 'default = "nothere.ipxe"\n')
    server = make_server(boot_root)
    text = boot(server, mac=HYP)
    assert "nothere.ipxe" in text and "not found" in text and text.rstrip().endswith("shell")


def test_client_values_cannot_inject_lines(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    (boot_root / "boot.ipxe").write_text("#!ipxe\necho host {{ hostname }}\n")
    server = make_server(boot_root)
    text = boot(server, mac=HYP, hostname="evil\nshell\r\nreboot")
    assert text == "#!ipxe\necho host evil%0Ashell%0D%0Areboot\n"  # escaped: one word, no new line


def test_assignments_come_before_groups_and_once_is_consumed(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    write_config(boot_root, GROUPS)
    server = make_server(boot_root)
    store = server.policy.store
    store.assign(HYP, "b.ipxe")  # static
    store.assign(MAC, "a.ipxe", once=True)
    assert boot(server, mac=HYP, platform="efi").startswith("#!ipxe\necho target A")  # once first
    assert boot(server, mac=HYP, platform="efi") == "#!ipxe\necho target B\n"  # then static
    assert boot(server, mac=HYP, platform="efi") == "#!ipxe\necho target B\n"  # static stays
    assert [a.kind for a in store.all()] == ["static"]


def test_assignment_by_ip_uses_the_peer_address(server: LiveServer) -> None:
    server.policy.store.assign("127.0.0.1", "b.ipxe", once=True)
    assert boot(server, mac=HYP) == "#!ipxe\necho target B\n"
    assert boot(server, mac=HYP) == f"#!ipxe\necho default for {MAC}\n"


def test_head_does_not_consume_a_once_assignment(server: LiveServer) -> None:
    server.policy.store.assign(MAC, "b.ipxe", once=True)
    assert requests.head(f"{server.url}/boot.ipxe", params={"mac": HYP}, timeout=10).status_code == 200
    assert boot(server, mac=HYP) == "#!ipxe\necho target B\n"


def test_boot_log_records_the_decision(server: LiveServer) -> None:
    server.policy.store.assign(MAC, "b.ipxe", once=True)
    boot(server, mac=HYP)
    requests.get(f"{server.url}/sub/vmlinuz", timeout=10)
    events = [e for e in server.policy.bootlog.recent() if e.client == MAC]
    assert [e.stage for e in events] == ["script", "kernel"]
    assert "once assignment" in events[0].reason and "b.ipxe" in events[0].what
    server.policy.bootlog.flush()
    lines = server.policy.bootlog.path.read_text().splitlines()  # type: ignore[union-attr]
    assert any('"stage": "kernel"' in line and MAC in line for line in lines)
    assert requests.get(f"{server.url}/api/clients", timeout=10).status_code == 401  # needs the token
    clients = requests.get(f"{server.url}/api/clients", timeout=10, headers=server.auth).json()
    assert [(c["client"], c["stage"], c["outcome"]) for c in clients] == [(MAC, "kernel", "served")]


@pytest.mark.parametrize("arch", [0, 7])
def test_dhcp_offer_for_firmware_and_for_ipxe(server: LiveServer, arch: int) -> None:
    firmware = Client(mac=MAC, arch=arch, vendor_class=f"PXEClient:Arch:{arch:05d}:UNDI:003000")
    offer = server.policy.boot_offer(firmware)
    assert offer is not None
    assert offer.boot_file == ("undionly.kpxe" if arch == 0 else "ipxe.efi")
    ipxe = server.policy.boot_offer(Client(mac=MAC, arch=arch, user_class="iPXE", is_ipxe=True))
    assert ipxe is not None and ipxe.boot_file == server.policy.config.boot_url
    assert [e.stage for e in server.policy.bootlog.recent()] == ["dhcp", "dhcp"]


def test_boot_file_flag_points_an_arch_at_another_loader(boot_root: Path, make_server) -> None:  # type: ignore[no-untyped-def]
    (boot_root / "pxelinux.0").write_bytes(b"\x00" * 64)
    server = make_server(boot_root, boot_files=("bios=pxelinux.0", "efi64=bootx64.efi"))
    bios = server.policy.boot_offer(Client(mac=MAC, arch=0, vendor_class="PXEClient:Arch:00000:UNDI:002001"))
    efi = server.policy.boot_offer(Client(mac=MAC, arch=7, vendor_class="PXEClient:Arch:00007:UNDI:003000"))
    assert bios is not None and bios.boot_file == "pxelinux.0"
    assert efi is not None and efi.boot_file == "bootx64.efi"


def test_tftp_gets_debian_first_stage_and_http_too(server: LiveServer) -> None:
    if not Path("/usr/lib/ipxe/undionly.kpxe").is_file():
        pytest.fail("Debian's ipxe package is required (apt-get install ipxe)")
    virtual = server.policy.tftp_file("undionly.kpxe", Client(mac=MAC, ip="127.0.0.1"))
    assert virtual is not None and virtual.data == Path("/usr/lib/ipxe/undionly.kpxe").read_bytes()
    reply = requests.get(f"{server.url}/ipxe.efi", timeout=10)
    assert reply.status_code == 200 and reply.content == Path("/usr/lib/ipxe/ipxe.efi").read_bytes()


def test_tftp_boot_ipxe_is_the_identity_probe(server: LiveServer) -> None:
    virtual = server.policy.tftp_file("/boot.ipxe", Client(mac=MAC, ip="127.0.0.1"))
    assert virtual is not None and b"chain http://127.0.0.1:" in virtual.data


def test_identity_probe_keeps_labels_already_in_the_url(server: LiveServer) -> None:
    text = boot(server, role="worker", odd="a b&c=${x}")
    chain = next(line for line in text.splitlines() if line.startswith("chain "))
    assert chain.count(" ") == 1  # one URL argument: nothing split it
    assert "&role=worker" in chain
    assert "&odd=a%20b%26c%3D%24%7Bx%7D" in chain  # encoded: iPXE expands no ${x} from a client's URL
