"""Settings of `ipxescript serve`: `ipxescript.toml` in ROOT (or --config), overridden by flags.

Every problem is a ConfigError whose message names the file and the key, so the CLI can print it and
exit 2 instead of showing a traceback.
"""

from __future__ import annotations

import fcntl
import ipaddress
import os
import re
import socket
import struct
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from ipxescript.serve.assignments import normalise_mac
from ipxescript.serve.boot_files import ARCH_KEYS
from ipxescript.tomlfile import TomlFileError, load_toml

CONFIG_NAME = "ipxescript.toml"
ARCHES = ("bios", "efi32", "efi64", "arm32", "arm64")
DHCP_MODES = ("off", "proxy", "full")
LINT_MODES = ("refuse", "serve", "off")  # what to do with scripts that have lint errors
API_MODES = ("loopback", "open", "off")  # from where assignments may be changed over HTTP (with the token)
API_READS = ("token", "open")  # whether reading clients, the log and assignments needs the token
# check: contradicted claims refused; strict: unverifiable ones too; trust: no check (simulated labs where
# many clients share one MAC)
IDENTITY_MODES = ("check", "strict", "trust")
# Loopback defaults (no --interface) and standard ports (with --interface).
LOOPBACK_PORTS = {"http": 8080, "tftp": 6969}
STANDARD_PORTS = {"http": 80, "tftp": 69, "dhcp": 67, "proxy": 4011}


class ConfigError(Exception):
    """A setting is wrong; the message says where and why."""


@dataclass(frozen=True)
class Group:
    """A matchbox-style group: when every selector matches a client, it boots `target`."""

    name: str
    target: str
    selector: dict[str, str]
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass
class ServeConfig:
    root: Path
    address: str = "127.0.0.1"  # the address clients are told
    bind_address: str = "127.0.0.1"  # where HTTP listens
    interface: str | None = None
    dhcp: str = "off"
    dhcp_range: tuple[str, str] | None = None
    http_port: int = LOOPBACK_PORTS["http"]
    tftp_port: int = LOOPBACK_PORTS["tftp"]
    dhcp_port: int = STANDARD_PORTS["dhcp"]
    proxy_port: int = STANDARD_PORTS["proxy"]
    boot_files: dict[str, str] = field(default_factory=dict)  # arch -> path (overrides only)
    default_target: str = "boot.ipxe"
    groups: list[Group] = field(default_factory=list)
    metadata: dict[str, str] = field(default_factory=dict)  # values for every client
    lint: str = "refuse"
    http_workers: int = 1  # HTTP processes sharing the port (the main one included)
    tftp_max_seconds: float = 3600.0  # the longest one TFTP transfer may take
    dhcp_settings: dict[str, Any] = field(default_factory=dict)  # netmask, router, dns, ... for full mode
    api: str = "loopback"
    api_token_file: Path | None = None  # None: STATE_DIR/api-token, made at first start
    api_reads: str = "token"
    identity: str = "check"
    http_limits: dict[str, float] = field(default_factory=dict)  # [http]: overrides of HttpLimits' defaults
    state_dir: Path = field(default_factory=lambda: default_state_dir())
    state: str | None = None  # postgresql://... shared by several instances; None = SQLite in state_dir
    config_file: Path | None = None
    bundled: bool = False  # serving the example tree shipped with the package

    @property
    def http_url(self) -> str:
        port = "" if self.http_port == 80 else f":{self.http_port}"
        return f"http://{self.address}{port}"

    @property
    def boot_url(self) -> str:
        return f"{self.http_url}/boot.ipxe"


def default_state_dir() -> Path:
    """Where assignments and the boot log live unless configured: $IPXESCRIPT_STATE_DIR or XDG state."""
    explicit = os.environ.get("IPXESCRIPT_STATE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_STATE_HOME") or os.path.join(os.path.expanduser("~"), ".local", "state")
    return Path(base) / "ipxescript"


def bundled_root() -> Path:
    """The example boot tree that ships inside the package (served when no ROOT is given)."""
    return Path(str(resources.files("ipxescript") / "data" / "boot"))


def interface_ipv4(name: str) -> str:
    """The first IPv4 address of a network interface (SIOCGIFADDR), or ConfigError."""
    try:
        socket.if_nametoindex(name)
    except OSError as exc:
        raise ConfigError(f"--interface {name}: no such network interface") from exc
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        try:
            packed = fcntl.ioctl(sock.fileno(), 0x8915, struct.pack("256s", name.encode()[:15]))
        except OSError as exc:
            raise ConfigError(
                f"--interface {name}: the interface has no IPv4 address (give one, or pass --address)"
            ) from exc
    return socket.inet_ntoa(packed[20:24])


def read_config_file(path: Path) -> dict[str, Any]:
    try:
        return load_toml(path)
    except FileNotFoundError as exc:
        raise ConfigError(f"{path}: config file not found") from exc
    except TomlFileError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read config file: {exc.strerror}") from exc


def _ipv4(value: str, what: str) -> str:
    try:
        return str(ipaddress.IPv4Address(value))
    except ValueError as exc:
        raise ConfigError(f"{what}: {value!r} is not an IPv4 address") from exc


def parse_range(value: str, what: str = "--dhcp-range") -> tuple[str, str]:
    start, sep, end = value.partition("-")
    if not sep:
        raise ConfigError(f"{what}: expected START-END, e.g. 10.0.0.100-10.0.0.200, got {value!r}")
    first, last = _ipv4(start.strip(), what), _ipv4(end.strip(), what)
    if ipaddress.IPv4Address(first) > ipaddress.IPv4Address(last):
        raise ConfigError(f"{what}: start {first} is after end {last}")
    return first, last


def parse_boot_file(value: str) -> tuple[str, str]:
    """`--boot-file ARCH=FILE`, FILE a path under ROOT (or a name of Debian's iPXE binaries)."""
    arch, sep, path = value.partition("=")
    arch = arch.strip().lower()
    if not sep or not path.strip():
        raise ConfigError(f"--boot-file: expected ARCH=FILE (e.g. bios=pxelinux.0), got {value!r}")
    if arch not in ARCH_KEYS:
        raise ConfigError(f"--boot-file {value}: unknown arch {arch!r} (one of {', '.join(ARCHES)})")
    return arch, path.strip().lstrip("/")


def _port(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535:
        raise ConfigError(f"{what}: {value!r} is not a port number (0-65535)")
    return value


def _string(value: Any, what: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{what}: expected a string, got {value!r}")
    return value


def _choice(value: Any, choices: tuple[str, ...], what: str) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ConfigError(f"{what}: {value!r} is not one of {', '.join(choices)}")
    return str(value)


def _str_table(value: Any, what: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise ConfigError(f"{what}: expected a table of key = value")
    out: dict[str, str] = {}
    for key, item in value.items():
        if isinstance(item, dict | list):
            raise ConfigError(f"{what}.{key}: expected a single value, not a table or list")
        out[str(key)] = (
            item if isinstance(item, str) else str(item).lower() if isinstance(item, bool) else str(item)
        )
    return out


def _groups(raw: Any, where: str) -> list[Group]:
    if not isinstance(raw, list):
        raise ConfigError(f"{where}: 'group' must be an array of tables ([[group]])")
    groups = []
    for index, item in enumerate(raw, 1):
        what = f"{where}: group #{index}"
        if not isinstance(item, dict):
            raise ConfigError(f"{what}: expected a table")
        unknown = set(item) - {"name", "target", "selector", "metadata"}
        if unknown:
            raise ConfigError(f"{what}: unknown key(s) {', '.join(sorted(unknown))}")
        target = item.get("target")
        if not isinstance(target, str) or not target:
            raise ConfigError(f"{what}: 'target' (a script under ROOT) is required")
        name = str(item.get("name") or f"group{index}")
        selector = _str_table(item.get("selector", {}), f"{what} selector")
        _check_selector(selector, f"{what} ({name!r}) selector")
        groups.append(Group(name, target, selector, _str_table(item.get("metadata", {}), f"{what} metadata")))
    return groups


def _check_selector(selector: dict[str, str], what: str) -> None:
    """A `mac` or `ip` that no client can have would make the group silently match nothing."""
    if "mac" in selector and normalise_mac(selector["mac"]) is None:
        raise ConfigError(f"{what}: mac {selector['mac']!r} is not a MAC address (e.g. 52:54:00:12:34:56)")
    if "ip" in selector:
        try:
            ipaddress.IPv4Network(selector["ip"], strict=False)
        except ValueError:
            raise ConfigError(
                f"{what}: ip {selector['ip']!r} is not an IPv4 address or network (e.g. 10.0.7.0/24)"
            ) from None


def _known_keys(table: dict[str, Any], known: tuple[str, ...], what: str) -> None:
    unknown = set(table) - set(known)
    if unknown:
        raise ConfigError(f"{what}: unknown key(s) {', '.join(sorted(unknown))} (known: {', '.join(known)})")


DHCP_SETTING_KEYS = ("netmask", "router", "dns", "domain", "lease_time", "reservations")


def _dhcp_settings(raw: Any, what: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{what}: expected a table")
    _known_keys(raw, DHCP_SETTING_KEYS, what)
    settings = dict(raw)
    for key in ("netmask", "router", "domain"):
        if key in settings:
            settings[key] = _string(settings[key], f"{what}: {key}")
    if "dns" in settings:
        dns = settings["dns"]
        if isinstance(dns, str):
            dns = [dns]
        if not isinstance(dns, list) or not all(isinstance(d, str) for d in dns):
            raise ConfigError(f"{what}: dns must be an address or a list of addresses, got {dns!r}")
        settings["dns"] = tuple(dns)
    lease = settings.get("lease_time", 0)
    if isinstance(lease, bool) or not isinstance(lease, int) or lease < 0:
        raise ConfigError(f"{what}: lease_time must be a number of seconds")
    if "reservations" in settings:
        settings["reservations"] = _str_table(settings["reservations"], f"{what}.reservations")
    return settings


def _api_settings(config: ServeConfig, raw: Any, where: str, token_flag: str | None) -> None:
    """`api = "loopback"` (the access mode alone) or an `[api]` table with access, token_file, reads."""
    table = raw if isinstance(raw, dict) else {"access": raw}
    _known_keys(table, API_KEYS, f"{where}: [api]")
    config.api = _choice(table.get("access", "loopback"), API_MODES, f"{where}: api")
    config.api_reads = _choice(table.get("reads", "token"), API_READS, f"{where}: [api] reads")
    if token_flag:
        config.api_token_file = Path(token_flag)
    elif "token_file" in table:
        name = _string(table["token_file"], f"{where}: [api] token_file")
        config.api_token_file = (config.config_file.parent if config.config_file else Path.cwd()) / name


def _http_limits(raw: Any, where: str) -> dict[str, float]:
    """`[http]`: limits of the HTTP server (http_limits.HttpLimits names them), each a positive number."""
    from ipxescript.serve.http_limits import LIMIT_KEYS, HttpLimits

    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: 'http' must be a table ([http])")
    _known_keys(raw, LIMIT_KEYS, f"{where}: [http]")
    limits: dict[str, float] = {}
    for key, value in raw.items():
        whole = isinstance(getattr(HttpLimits, key), int)
        if isinstance(value, bool) or not isinstance(value, int if whole else (int, float)) or value <= 0:
            kind = "a positive whole number" if whole else "a positive number of seconds"
            raise ConfigError(f"{where}: [http] {key}: {value!r} is not {kind}")
        limits[key] = value
    return limits


KNOWN_KEYS = {
    "address", "interface", "dhcp", "dhcp_range", "http_port", "tftp_port", "dhcp_port", "proxy_port",
    "boot_files", "default", "group", "metadata", "lint", "api", "state_dir", "dhcp_settings", "http_workers",
    "identity", "state", "http", "tftp_max_seconds",
}  # fmt: skip
API_KEYS = ("access", "token_file", "reads")


def load_config(root: str | None, **options: Any) -> ServeConfig:
    """Build the effective settings: defaults < config file < flags. An error in the file names its
    line (`ipxescript.toml:7: lint: 'refus' is not one of ...`)."""
    try:
        return _load_config(root, **options)
    except ConfigError as exc:
        raise ConfigError(with_line(str(exc))) from None


_GROUP = re.compile(r"group #(\d+)")
_TABLE = re.compile(r"\[(\w+)\]")
_KEY = re.compile(r"(\w+)")
_UNKNOWN = re.compile(r"unknown keys? '(\w+)'")


def with_line(message: str) -> str:
    """`FILE: KEY...` -> `FILE:LINE: KEY...` when FILE is a config file and KEY (a top-level key, a
    `[table]`, `group #N`) is written in it; anything else as it is."""
    name, sep, rest = message.partition(": ")
    if not sep or not name.endswith(".toml") or not os.path.isfile(name):
        return message
    try:
        lines = Path(name).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return message
    group = _GROUP.match(rest)
    if group:
        headers = [n for n, line in enumerate(lines, 1) if re.match(r"\s*\[\[\s*group\s*\]\]", line)]
        index = int(group.group(1)) - 1
        line = headers[index] if 0 <= index < len(headers) else None
    else:
        key = _UNKNOWN.match(rest) or _TABLE.match(rest) or _KEY.match(rest)
        word = key.group(1) if key else ""
        known = word in KNOWN_KEYS | {"root"} or key is not None and key.re is _UNKNOWN
        line = _key_line(lines, word) if known else None
    return f"{name}:{line}: {rest}" if line else message


def _key_line(lines: list[str], key: str) -> int | None:
    """The line of `key = ...` before the first table, else of its table `[key]` / `[key.x]`."""
    for number, line in enumerate(lines, 1):
        text = line.strip()
        if text.startswith("["):
            break
        if re.match(rf"{key}\s*=", text) or re.match(rf'"{key}"\s*=', text):
            return number
    for number, line in enumerate(lines, 1):
        if re.match(rf"\s*\[\s*{key}\s*[\].]", line):
            return number
    return None


def _load_config(
    root: str | None,
    *,
    config_file: str | None = None,
    interface: str | None = None,
    address: str | None = None,
    dhcp: str | None = None,
    dhcp_range: str | None = None,
    http_port: int | None = None,
    tftp_port: int | None = None,
    boot_files: tuple[str, ...] = (),
    state_dir: str | None = None,
    http_workers: int | None = None,
    api_token_file: str | None = None,
    state: str | None = None,
    identity: str | None = None,
) -> ServeConfig:
    """Build the effective settings: defaults < config file < flags."""
    bundled = root is None and config_file is None
    root_path = bundled_root() if bundled else Path(root) if root else None

    file_path: Path | None = None
    if config_file:
        file_path = Path(config_file)
    elif root_path is not None and (root_path / CONFIG_NAME).is_file():
        file_path = root_path / CONFIG_NAME
    data: dict[str, Any] = read_config_file(file_path) if file_path else {}
    where = str(file_path) if file_path else "settings"

    unknown = set(data) - KNOWN_KEYS - {"root"}
    if unknown:
        from ipxescript.schemas import SERVE, unknown_keys

        raise ConfigError(f"{where}: {unknown_keys(SERVE, sorted(unknown))}")
    if root_path is None:
        raw_root = data.get("root")
        if not isinstance(raw_root, str) or not raw_root:
            raise ConfigError(f"{where}: no ROOT given and no 'root' key in the config file")
        root_path = (file_path.parent if file_path else Path.cwd()) / raw_root
    if not root_path.is_dir():
        if root is None and not bundled:  # from the file's `root` key: say which file and line
            raise ConfigError(f"{where}: root: {root_path}: no such directory")
        raise ConfigError(f"ROOT {root_path}: no such directory")

    for key in ("address", "interface", "state_dir"):
        if key in data:
            _string(data[key], f"{where}: {key}")
    config = ServeConfig(root=root_path.resolve(), config_file=file_path, bundled=bundled)
    config.interface = interface or data.get("interface")
    config.dhcp = _choice(dhcp or data.get("dhcp", "off"), DHCP_MODES, f"{where}: dhcp")
    config.lint = _choice(data.get("lint", "refuse"), LINT_MODES, f"{where}: lint")
    _api_settings(config, data.get("api", "loopback"), where, api_token_file)
    config.identity = _choice(identity or data.get("identity", "check"), IDENTITY_MODES, f"{where}: identity")
    config.http_limits = _http_limits(data.get("http", {}), where)
    if "default" in data:
        if not isinstance(data["default"], str) or not data["default"]:
            raise ConfigError(f"{where}: 'default' must name a script under ROOT")
        config.default_target = data["default"]
    config.groups = _groups(data.get("group", []), where)
    config.metadata = _str_table(data.get("metadata", {}), f"{where}: metadata")

    ports = STANDARD_PORTS if config.interface else LOOPBACK_PORTS
    config.http_port = _port(
        http_port if http_port is not None else data.get("http_port", ports["http"]), f"{where}: http_port"
    )
    config.tftp_port = _port(
        tftp_port if tftp_port is not None else data.get("tftp_port", ports["tftp"]), f"{where}: tftp_port"
    )
    config.dhcp_port = _port(data.get("dhcp_port", STANDARD_PORTS["dhcp"]), f"{where}: dhcp_port")
    config.proxy_port = _port(data.get("proxy_port", STANDARD_PORTS["proxy"]), f"{where}: proxy_port")

    raw_range = dhcp_range or data.get("dhcp_range")
    if raw_range is not None:
        if not isinstance(raw_range, str):
            raise ConfigError(f"{where}: dhcp_range must be a string START-END")
        config.dhcp_range = parse_range(raw_range, "--dhcp-range" if dhcp_range else f"{where}: dhcp_range")
    if config.dhcp == "full" and config.dhcp_range is None:
        raise ConfigError("--dhcp full needs an address pool: pass --dhcp-range START-END")
    if config.dhcp != "off" and not config.interface:
        raise ConfigError(f"--dhcp {config.dhcp} needs --interface NAME (DHCP never runs without one)")

    config.dhcp_settings = _dhcp_settings(data.get("dhcp_settings", {}), f"{where}: dhcp_settings")

    files = _str_table(data.get("boot_files", {}), f"{where}: boot_files")
    for arch in files:
        if arch not in ARCH_KEYS:
            raise ConfigError(f"{where}: boot_files: unknown arch {arch!r} (one of {', '.join(ARCHES)})")
    for value in boot_files:
        arch, path = parse_boot_file(value)
        files[arch] = path
    config.boot_files = files

    interface_address = interface_ipv4(config.interface) if config.interface else None
    told = address or data.get("address") or interface_address or "127.0.0.1"
    config.address = _ipv4(str(told), "--address" if address else f"{where}: address")
    config.bind_address = interface_address or config.address

    workers = http_workers if http_workers is not None else data.get("http_workers", 1)
    if isinstance(workers, bool) or not isinstance(workers, int) or not 1 <= workers <= 64:
        raise ConfigError(f"{where}: http_workers: {workers!r} is not a number of processes (1-64)")
    config.http_workers = workers

    limit = data.get("tftp_max_seconds", config.tftp_max_seconds)
    if isinstance(limit, bool) or not isinstance(limit, int | float) or not limit > 0:
        raise ConfigError(f"{where}: tftp_max_seconds: {limit!r} is not a number of seconds above 0")
    config.tftp_max_seconds = float(limit)

    raw_state = state_dir or data.get("state_dir")
    if raw_state:
        base = file_path.parent if (file_path and not state_dir) else Path.cwd()
        config.state_dir = base / str(raw_state)
    config.state = state_url(
        state if state is not None else data.get("state"), "--state" if state else f"{where}: state"
    )
    return config


def state_url(value: Any, what: str) -> str | None:
    """`state`: a postgresql:// URL (the SQLite default is spelt by leaving it out)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or not value.startswith(("postgresql://", "postgres://")):
        raise ConfigError(
            f"{what}: {value!r} is not a postgresql://USER@HOST/DB URL (leave it out for SQLite in state_dir)"
        )
    return value
