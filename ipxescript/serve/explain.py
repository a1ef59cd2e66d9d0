"""What a client would get, step by step, without serving or consuming: `ipxescript serve --explain MAC ARCH`
and the console's `/api/explain`."""

from __future__ import annotations

from dataclasses import dataclass, replace

from ipxescript.serve.assignments import normalise_mac
from ipxescript.serve.config import ConfigError, ServeConfig
from ipxescript.serve.policy import BootOffer, Client
from ipxescript.serve.serve_policy import Served, ServePolicy
from ipxescript.serve.targets import Decision, choose_target

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


@dataclass(frozen=True)
class Explanation:
    """What a client would get at each step of its boot and the rule that decides it; nothing consumed.

    The same facts feed `--explain` (text) and the console's /api/explain (JSON)."""

    mac: str
    arch: int
    arch_name: str
    ip: str | None
    offer: BootOffer | None  # DHCP, PXE firmware that is not iPXE
    ipxe_offer: BootOffer | None  # DHCP, the same machine once iPXE runs
    decision: Decision
    selector: dict[str, str] | None  # the selectors of the group that matched
    client: Client  # as HTTP would see it (the identity iPXE reports)
    served: Served | None = None  # the script as it would be sent (None until `rendered`)

    def rendered(self, policy: ServePolicy) -> Explanation:
        """This explanation with the script the target renders to (may lint it if it changed: the
        console lints off its event loop first)."""
        return replace(self, served=policy.render_target(self.client, self.decision))

    def as_json(self, config: ServeConfig) -> dict[str, object]:
        decision = self.decision
        assert self.served is not None, "rendered() first"
        return {
            "client": self.mac,
            "arch": self.arch_name,
            "arch_code": self.arch,
            "ip": self.ip,
            "dhcp": config.dhcp,
            "offer": _offer_json(self.offer),
            "ipxe_offer": _offer_json(self.ipxe_offer),
            "target": decision.target,
            "rule": decision.source,  # once, static, group, default
            "reason": decision.reason,
            "group": decision.group,
            "selector": self.selector,
            "served": self.served.reason,
            "script": self.served.text,
        }


def _offer_json(offer: BootOffer | None) -> dict[str, object] | None:
    return None if offer is None else {"boot_file": offer.boot_file, "reason": offer.reason}


def explain_client(policy: ServePolicy, mac_text: str, arch_text: str, ip: str | None = None) -> Explanation:
    """What MAC (with arch ARCH, at address IP if known) would get now, by the policy's own decision code:
    a once assignment is peeked at, never taken; nothing is logged. ConfigError on a bad MAC or arch."""
    return explain_decision(policy, mac_text, arch_text, ip).rendered(policy)


def explain_decision(
    policy: ServePolicy, mac_text: str, arch_text: str, ip: str | None = None
) -> Explanation:
    """`explain_client` up to the decision: the script is not rendered yet."""
    mac = normalise_mac(mac_text)
    if mac is None:
        raise ConfigError(f"--explain: {mac_text!r} is not a MAC address")
    arch = parse_arch(arch_text)
    firmware = Client(mac=mac, arch=arch, vendor_class=f"PXEClient:Arch:{arch:05d}:UNDI:003000")
    ipxe = Client(mac=mac, arch=arch, user_class="iPXE", is_ipxe=True)
    buildarch, platform = IPXE_IDENTITY.get(firmware.arch_name.replace("-http", ""), ("", ""))
    http_client = Client(mac=mac, ip=ip, labels={"buildarch": buildarch, "platform": platform})
    config = policy.config
    decision = choose_target(http_client, config.groups, policy.store, config.default_target, consume=False)
    group = next((g for g in config.groups if g.name == decision.group), None)
    return Explanation(
        mac=mac,
        arch=arch,
        arch_name=firmware.arch_name,
        ip=ip,
        offer=policy.boot_files.boot_offer(firmware),
        ipxe_offer=policy.boot_files.boot_offer(ipxe),
        decision=decision,
        selector=dict(group.selector) if group is not None and decision.source == "group" else None,
        client=http_client,
    )


def explain(policy: ServePolicy, mac_text: str, arch_text: str) -> str:
    """`--explain`'s text."""
    found = explain_client(policy, mac_text, arch_text)
    assert found.served is not None
    mac, name, arch, offer, decision = found.mac, found.arch_name, found.arch, found.offer, found.decision
    config = policy.config
    lines = [f"client {mac}, arch {name} (DHCP option 93 = {arch})", ""]
    if config.dhcp == "off":
        lines.append("1. DHCP: off here (another DHCP server must send the boot file); it would offer:")
    else:
        lines.append(f"1. DHCP ({config.dhcp} mode on {config.interface}), PXE firmware that is not iPXE:")
    lines.append(
        f"   boot file {offer.boot_file}  ({offer.reason})"
        if offer
        else "   nothing: no boot file for this arch"
    )
    lines.append("2. DHCP, the same machine once iPXE runs (user-class iPXE):")
    lines.append(f"   boot file {found.ipxe_offer.boot_file}" if found.ipxe_offer else "   nothing")
    lines.append(
        f"3. HTTP {config.boot_url}: the identity probe, then boot.ipxe?mac={mac.replace(':', '-')}&..."
    )
    lines.append(f"   target {decision.target}: {decision.reason}")
    if decision.source == "once":
        lines.append("   (a once assignment: serving would consume it; --explain does not)")
    lines.append(f"   sent: {found.served.reason}")
    lines.append("")
    lines.append(f"--- script sent to {mac} ---")
    lines.append(found.served.text.rstrip("\n"))
    return "\n".join(lines) + "\n"
