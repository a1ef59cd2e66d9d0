"""Network commands (ifmgmt_cmd.c, route_cmd.c, ping_cmd.c, nslookup_cmd.c, ntp_cmd.c, pxe_cmd.c,
autoboot_cmd.c)."""

from __future__ import annotations

from collections.abc import Callable

from ipxescript.sim import errors
from ipxescript.sim.commands.registry import command, not_simulated
from ipxescript.sim.commands.settings import parse_setting, store
from ipxescript.sim.errors import IpxeError
from ipxescript.sim.machine import Simulator
from ipxescript.sim.options import Parsed, parse_integer


def netdevs(sim: Simulator, names: list[str]) -> None:
    """parse_netdev of each name, failing at the first that is no interface."""
    for name in names:
        if not is_netdev(sim, name):
            raise IpxeError(sim.err(errors.NO_NETWORK_DEVICE), f'"{name}": no such network device')


NETDEV_NAMES = ("net0", "netX")


def is_netdev(sim: Simulator, name: str) -> bool:
    return name in NETDEV_NAMES or name in sim.vlans


def ifcommon(
    sim: Simulator, names: list[str], payload: Callable[[str], int], stop_on_first_success: bool = False
) -> int:
    """ifcommon_exec: the payload on each named interface (a name that is none is reported and skipped;
    the status is the last one), or on every interface (the NIC, then the VLANs made) when none is named."""
    status = 0
    for name in names or ["net0", *sim.vlans]:
        if not is_netdev(sim, name):  # parse_netdev
            status = sim.err(errors.NO_NETWORK_DEVICE)
            sim.out(f'"{name}": no such network device\n')
            continue
        status = payload(name if name in sim.vlans else "net0")
        if status == 0 and stop_on_first_success:
            return 0
    return status


def network_fails(sim: Simulator, what: str) -> bool:
    return sim.fetcher.forced_failure(what)


@command("dhcp", "ifconf")
def ifconf(sim: Simulator, p: Parsed, argv0: str) -> int:
    configurator = p.options.get("configurator")
    if configurator is not None and configurator not in ("dhcp", "ipv6"):
        raise IpxeError(sim.err(errors.NO_SUCH_CONFIGURATOR), f'"{configurator}": no such configurator')

    def configure(dev: str) -> int:
        label = f"[{configurator}] " if configurator else ""
        # "..." then one progress dot a second: DHCP on QEMU's network takes about three
        sim.out(f"Configuring {label}({dev} {sim.machine.mac})......")
        if network_fails(sim, argv0) or network_fails(sim, f"{argv0}:{dev}"):
            status = sim.err(errors.DHCP_FAILED)
            sim.out(f" {sim.strerror(status)}\n")
            sim.out(f"Could not configure {dev}: {sim.strerror(status)}\n")
            return status
        sim.out(" ok\n")
        sim.net_open = True
        sim.dhcp_configure()
        return 0

    return ifcommon(sim, p.args, configure, stop_on_first_success=True)


@command("ifopen", "ifclose", "iflinkwait")
def ifopen(sim: Simulator, p: Parsed, argv0: str) -> int:
    def open_or_close(dev: str) -> int:
        if network_fails(sim, argv0):
            status = sim.err(errors.NETWORK_UNREACHABLE)
            sim.out(f"Could not open {dev}: {sim.strerror(status)}\n")
            return status
        sim.net_open = argv0 != "ifclose"
        if argv0 == "iflinkwait":
            sim.out(f"Waiting for link-up on {dev}... ok\n")  # even when it is up (observed)
        return 0

    return ifcommon(sim, p.args, open_or_close, stop_on_first_success=argv0 == "iflinkwait")


@command("ifstat")
def ifstat(sim: Simulator, p: Parsed, argv0: str) -> int:
    m = sim.machine
    location = f"0000:00:{m.busloc >> 3:02x}.{m.busloc & 7:x}"

    def show(dev: str) -> int:
        state = "open" if sim.net_open else "closed"
        # upstream names the link layer too (usr/ifmgmt.c); the counters count the boot's own traffic
        shown = f"({state})" if sim.profile.legacy else f"(Ethernet) [{state}]"
        sim.out(f"{dev}: {m.mac} using {m.chip} on {location} {shown}\n  [Link:up, TX:0 TXE:0 RX:0 RXE:0]\n")
        return 0

    return ifcommon(sim, p.args, show)


@command("iwstat", "iwlist")
def wireless(sim: Simulator, p: Parsed, argv0: str) -> int:
    return ifcommon(sim, p.args, lambda dev: 0)  # the NIC is no wireless device: nothing to show


@command("vcreate")
def vcreate(sim: Simulator, p: Parsed, argv0: str) -> int:
    """vlan.c vlan_create: a device TRUNK-TAG on the trunk, open when the trunk is (observed on
    upstream ipxe.efi: ifstat shows it with the trunk's MAC); a tag from 4095 or a priority above 7
    is EINVAL."""
    netdevs(sim, p.args)
    tag, priority = p.options.get("tag", 0), p.options.get("priority", 0)
    if not 0 <= tag < 0xFFF or not 0 <= priority <= 7:
        status = sim.err(errors.VLAN_INVALID)
        sim.out(f"Could not create VLAN device: {sim.strerror(status)}\n")
        return status
    name = f"{p.args[0]}-{tag}"
    if name not in sim.vlans:
        sim.vlans.append(name)
        sim.settings.set_raw(name, "mac", "hex", bytes.fromhex(sim.machine.mac.replace(":", "")))
    return 0


@command("vdestroy")
def vdestroy(sim: Simulator, p: Parsed, argv0: str) -> int:
    netdevs(sim, p.args)
    name = p.args[0]
    if name not in sim.vlans:
        status = sim.err(errors.VLAN_NOT_VLAN)
        sim.out(f"Could not destroy VLAN device: {sim.strerror(status)}\n")
        return status
    sim.vlans.remove(name)
    block = sim.settings.find_block(name, create=False)
    if block is not None and block.parent is not None:
        block.parent.children.remove(block)
    return 0


@command("route")
def route(sim: Simulator, p: Parsed, argv0: str) -> int:
    m = sim.machine
    sim.out(f"net0: {m.ip}/{m.netmask} gw {m.gateway}\n")
    if sim.profile.ipv6:
        sim.out(f"net0: {m.ip6}/64 gw {m.gateway6}\nnet0: {m.link_ip6}/64\n")
    return 0


@command("pxebs")
def pxebs(sim: Simulator, p: Parsed, argv0: str) -> int:
    netdevs(sim, p.args[:1])
    parse_integer(p.args[1], sim.profile)  # the interface is checked first, then the server type
    return network_probe(sim, p, argv0)


@command("ping", "ntp", "nslookup")
def network_probe(sim: Simulator, p: Parsed, argv0: str) -> int:
    if network_fails(sim, argv0) or sim.fetcher.offline:
        status = sim.err(errors.CONNECTION_TIMED_OUT)
        sim.out(f"Could not {argv0}: {sim.strerror(status)}\n")
        return status
    if argv0 == "nslookup":
        import socket

        try:
            address = socket.gethostbyname(p.args[1])
        except OSError:
            status = sim.err(errors.HTTP_NOT_FOUND)
            sim.out(f"Could not resolve {p.args[1]}: {sim.strerror(status)}\n")
            return status
        return store(sim, parse_setting(sim, p.args[0], create=True), address)
    return not_simulated(sim, p, argv0)


@command("autoboot")
def autoboot(sim: Simulator, p: Parsed, argv0: str) -> int:
    """ifcommon_exec with netboot as the payload: a name that is no interface is reported first."""
    return ifcommon(sim, p.args, lambda dev: netboot(sim))


def netboot(sim: Simulator) -> int:
    filename = sim.settings.get("filename")
    if not filename:
        status = sim.err(errors.HTTP_NOT_FOUND)
        sim.out("No more network devices\n")
        return status
    status, image = sim.download(filename, None)
    if status or image is None:
        return status
    return sim.image_exec(image)
