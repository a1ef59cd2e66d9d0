"""`ipxescript serve --explain MAC ARCH`: what a client would get, step by step, without serving or consuming."""

from __future__ import annotations

from ipxescript.serve.assignments import normalise_mac
from ipxescript.serve.config import ConfigError
from ipxescript.serve.policy import Client
from ipxescript.serve.serve_policy import ServePolicy
from ipxescript.serve.targets import choose_target

ARCH_CODES = {
    "bios": 0, "efi32": 6, "efi64": 7, "arm32": 10, "arm64": 11,
    "efi32-http": 15, "efi64-http": 16, "arm64-http": 19,
}  # fmt: skip
# what iPXE reports as ${buildarch} / ${platform} on each arch (for selectors on those labels)
IPXE_IDENTITY = {
    "bios": ("i386", "pcbios"),
    "efi32": ("i386", "efi"),
    "efi64": ("x86_64", "efi"),
    "arm32": ("arm32", "efi"),
    "arm64": ("arm64", "efi"),
}


def parse_arch(value: str) -> int:
    name = value.strip().lower()
    if name in ARCH_CODES:
        return ARCH_CODES[name]
    if name.isdigit():
        return int(name)
    raise ConfigError(
        f"--explain: unknown arch {value!r} (one of {', '.join(ARCH_CODES)} or an option-93 number)"
    )


def explain(policy: ServePolicy, mac_text: str, arch_text: str) -> str:
    mac = normalise_mac(mac_text)
    if mac is None:
        raise ConfigError(f"--explain: {mac_text!r} is not a MAC address")
    arch = parse_arch(arch_text)
    firmware = Client(mac=mac, arch=arch, vendor_class=f"PXEClient:Arch:{arch:05d}:UNDI:003000")
    name = firmware.arch_name
    config = policy.config
    lines = [f"client {mac}, arch {name} (DHCP option 93 = {arch})", ""]

    offer = policy.boot_files.boot_offer(firmware)
    if config.dhcp == "off":
        lines.append("1. DHCP: off here (another DHCP server must send the boot file); it would offer:")
    else:
        lines.append(f"1. DHCP ({config.dhcp} mode on {config.interface}), PXE firmware that is not iPXE:")
    lines.append(
        f"   boot file {offer.boot_file}  ({offer.reason})"
        if offer
        else "   nothing: no boot file for this arch"
    )

    ipxe = Client(mac=mac, arch=arch, user_class="iPXE", is_ipxe=True)
    ipxe_offer = policy.boot_files.boot_offer(ipxe)
    lines.append("2. DHCP, the same machine once iPXE runs (user-class iPXE):")
    lines.append(f"   boot file {ipxe_offer.boot_file}" if ipxe_offer else "   nothing")

    buildarch, platform = IPXE_IDENTITY.get(name.replace("-http", ""), ("", ""))
    http_client = Client(mac=mac, labels={"buildarch": buildarch, "platform": platform})
    decision = choose_target(http_client, config.groups, policy.store, config.default_target, consume=False)
    lines.append(
        f"3. HTTP {config.boot_url}: the identity probe, then boot.ipxe?mac={mac.replace(':', '-')}&..."
    )
    lines.append(f"   target {decision.target}: {decision.reason}")
    if decision.source == "once":
        lines.append("   (a once assignment: serving would consume it; --explain does not)")
    served = policy.render_target(http_client, decision)
    lines.append(f"   sent: {served.reason}")
    lines.append("")
    lines.append(f"--- script sent to {mac} ---")
    lines.append(served.text.rstrip("\n"))
    return "\n".join(lines) + "\n"
