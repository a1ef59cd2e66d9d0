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
        if name not in NETDEV_NAMES:
            raise IpxeError(sim.err(errors.NO_NETWORK_DEVICE), f'"{name}": no such network device')


NETDEV_NAMES = ("net0", "netX")


def ifcommon(
    sim: Simulator, names: list[str], payload: Callable[[str], int], stop_on_first_success: bool = False
) -> int:
    """ifcommon_exec: the payload on each named interface (a name that is none is reported and skipped;
    the status is the last one), or on every interface (the one NIC) when none is named."""
    status = 0
    for name in names or ["net0"]:
        if name not in NETDEV_NAMES:  # parse_netdev
            status = sim.err(errors.NO_NETWORK_DEVICE)
            sim.out(f'"{name}": no such network device\n')
            continue
        status = payload("net0")
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
        return 0

    return ifcommon(sim, p.args, open_or_close, stop_on_first_success=argv0 == "iflinkwait")


@command("ifstat")
def ifstat(sim: Simulator, p: Parsed, argv0: str) -> int:
    m = sim.machine
    location = f"0000:00:{m.busloc >> 3:02x}.{m.busloc & 7:x}"

    def show(dev: str) -> int:
        sim.out(f"{dev}: {m.mac} using {m.chip} on {location} (open)\n  [Link:up, TX:0 TXE:0 RX:0 RXE:0]\n")
        return 0

    return ifcommon(sim, p.args, show)


@command("iwstat", "iwlist")
def wireless(sim: Simulator, p: Parsed, argv0: str) -> int:
    return ifcommon(sim, p.args, lambda dev: 0)  # the NIC is no wireless device: nothing to show


@command("vcreate", "vdestroy")
def vlan(sim: Simulator, p: Parsed, argv0: str) -> int:
    netdevs(sim, p.args)  # the trunk (vcreate) or the VLAN device (vdestroy) must exist
    return not_simulated(sim, p, argv0)


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
    filename = sim.settings.get("filename")
    if not filename:
        status = sim.err(errors.HTTP_NOT_FOUND)
        sim.out("No more network devices\n")
        return status
    status, image = sim.download(filename, None)
    if status or image is None:
        return status
    return sim.image_exec(image)
