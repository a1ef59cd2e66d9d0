"""Which target a client boots: once assignment, static assignment, the most specific group, the default.

Groups work as matchbox's do: a group matches when every one of its selectors matches the client, and
among matching groups the one with the most selectors wins (ties: the first in the config file).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field

from ipxescript.serve.assignments import Assignments, normalise_mac
from ipxescript.serve.config import Group
from ipxescript.serve.policy import Client


@dataclass(frozen=True)
class Decision:
    target: str
    source: str  # "once", "static", "group", "default"
    reason: str
    metadata: dict[str, str] = field(default_factory=dict)
    group: str | None = None


def client_value(client: Client, key: str) -> str | None:
    """The client's value for a selector key (labels hold query parameters such as serial, buildarch)."""
    direct = {"mac": client.mac or None, "uuid": client.uuid, "ip": client.ip, "hostname": client.hostname}
    if key in direct:
        return direct[key]
    if key == "arch" and client.arch is not None:
        return client.arch_name
    return client.labels.get(key)


def selector_matches(key: str, wanted: str, client: Client) -> bool:
    have = client_value(client, key)
    if have is None or have == "":
        return False
    if key == "mac":
        return normalise_mac(wanted) == normalise_mac(have)
    if key == "ip" and "/" in wanted:
        try:
            return ipaddress.IPv4Address(have) in ipaddress.IPv4Network(wanted, strict=False)
        except ValueError:
            return False
    if key in ("uuid", "hostname", "buildarch", "platform", "arch"):
        return wanted.lower() == have.lower()
    return wanted == have


def best_group(groups: list[Group], client: Client) -> Group | None:
    best: Group | None = None
    for group in groups:
        if all(selector_matches(k, v, client) for k, v in group.selector.items()):
            if best is None or len(group.selector) > len(best.selector):
                best = group
    return best


def choose_target(
    client: Client, groups: list[Group], store: Assignments, default: str, *, consume: bool
) -> Decision:
    """The decision for this client; with consume=True a once assignment is taken (atomically)."""
    keys = [k for k in (client.mac, client.ip) if k]
    assignment = store.lookup(keys, consume=True) if consume else store.peek(keys)
    if assignment:
        verb = "consumed" if consume and assignment.kind == "once" else "found"
        return Decision(
            assignment.target,
            assignment.kind,
            f"{assignment.kind} assignment for {assignment.client} {verb}",
        )
    group = best_group(groups, client)
    if group:
        shown = ", ".join(f"{k}={v}" for k, v in group.selector.items()) or "no selectors"
        return Decision(
            group.target, "group", f"group {group.name!r} matched ({shown})", group.metadata, group.name
        )
    return Decision(default, "default", "no assignment and no group matched: default target")
