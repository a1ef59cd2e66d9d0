"""Counters and gauges of the running server, exposed at /metrics in Prometheus' text format.

One registry per process, written by the protocols and the policy (a dict update per event, cheap on the
hot path) and rendered only when /metrics is asked for. Names follow Prometheus' conventions: `_total`
for counters, base units (bytes, seconds).
"""

from __future__ import annotations

import threading

HELP = {
    "boots_total": (
        "counter",
        "Boot steps served, by stage (dhcp, binary, script, kernel, ...) and outcome.",
    ),
    "dhcp_packets_total": ("counter", "DHCP replies sent, by message type."),
    "tftp_requests_total": ("counter", "TFTP read requests, by outcome (started, refused)."),
    "tftp_transfers_total": ("counter", "TFTP transfers ended, by outcome (sent, failed)."),
    "tftp_bytes_total": ("counter", "Bytes TFTP clients acknowledged."),
    "tftp_transfers_active": ("gauge", "TFTP transfers in progress."),
    "http_requests_total": ("counter", "HTTP requests answered, by status code."),
    "http_connections": ("gauge", "Open HTTP connections."),
    "http_refused_total": ("counter", "HTTP requests or connections refused, by reason."),
    "errors_total": ("counter", "Errors, by component."),
    "config_reloads_total": ("counter", "Config reloads on SIGHUP, by outcome."),
}
PREFIX = "ipxescript_"

_values: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
_lock = threading.Lock()  # TFTP transfers end in their own threads


def inc(name: str, amount: float = 1, **labels: str) -> None:
    key = (name, tuple(sorted(labels.items())))
    with _lock:
        _values[key] = _values.get(key, 0) + amount


def inc_key(key: tuple[str, tuple[tuple[str, str], ...]], amount: float = 1) -> None:
    """`inc` for a hot counter whose key (name, sorted labels) the caller made once."""
    with _lock:
        _values[key] = _values.get(key, 0) + amount


def set_gauge(name: str, value: float, **labels: str) -> None:
    _values[(name, tuple(sorted(labels.items())))] = value


def value(name: str, **labels: str) -> float:
    return _values.get((name, tuple(sorted(labels.items()))), 0)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def render() -> str:
    """The Prometheus text exposition (version 0.0.4) of every metric."""
    with _lock:
        items = sorted(_values.items())
    lines: list[str] = []
    for name, (kind, text) in HELP.items():
        lines.append(f"# HELP {PREFIX}{name} {text}")
        lines.append(f"# TYPE {PREFIX}{name} {kind}")
        for (metric, labels), number in items:
            if metric != name:
                continue
            shown = ",".join(f'{k}="{_escape(v)}"' for k, v in labels)
            shown = "{" + shown + "}" if shown else ""
            shown_number = str(int(number)) if float(number).is_integer() else repr(float(number))
            lines.append(f"{PREFIX}{name}{shown} {shown_number}")
    return "\n".join(lines) + "\n"
