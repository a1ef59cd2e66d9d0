"""Linter configuration: ``[tool.ipxelint]`` in ``pyproject.toml`` or a ``.ipxelint.toml`` file.

Keys (``-`` and ``_`` are interchangeable)::

    select = ["IPX"]              # code prefixes to report (default: all)
    ignore = ["IPX203"]           # code prefixes to drop
    profile = "pcbios"            # build profile from the catalog (efi, pcbios, debian-12-efi, ...)
    fail-on = "warning"           # error | warning | info | never
    template = "jinja"            # auto (default) | jinja | go | erb | none: mask template regions
    entry = ["menu.ipxe"]         # the boot tree's entry scripts (default: those no other script chains)
    map = ["http://boot.example.org/=."]  # URL prefix = folder, as ipxesim --map (relative to this file)
    [build]                       # the project's own iPXE build: build switches on top of the profile
    enable = ["IMAGE_TRUST_CMD", "NSLOOKUP_CMD", "DOWNLOAD_PROTO_HTTPS"]
    disable = ["SANBOOT_PROTO_AOE"]
    [severity]                    # per-code severity overrides
    IPX404 = "warning"
    [per-path-ignores]            # glob (relative to the config file's folder) -> code prefixes
    "legacy/*.ipxe" = ["IPX2"]

In ``.ipxelint.toml`` the keys may stand at the top level or under ``[tool.ipxelint]``. The search
starts at the linted path and walks up; the first folder holding either file wins (``.ipxelint.toml``
before ``pyproject.toml``, whose table must exist to count).
"""

from __future__ import annotations

import fnmatch
import os
import re
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from ipxescript.analysis.diagnostics import Severity
from ipxescript.lint.template import KINDS
from ipxescript.tomlfile import TomlFileError, load_toml

FAIL_ON = ("error", "warning", "info", "never")
TEMPLATES = KINDS


class ConfigError(Exception):
    """A configuration file that cannot be used; the message names the file and the key."""


@dataclass(frozen=True)
class LintConfig:
    select: tuple[str, ...] = ("IPX",)
    ignore: tuple[str, ...] = ()
    severity: dict[str, Severity] = field(default_factory=dict)
    profile: str | None = None
    per_path_ignores: dict[str, tuple[str, ...]] = field(default_factory=dict)
    fail_on: str = "warning"
    template: str | None = None  # None: auto-detect
    root: Path | None = None  # folder of the config file: per-path globs are relative to it
    source: Path | None = None  # the config file itself
    entries: tuple[Path, ...] = ()  # boot-tree entry scripts
    maps: tuple[str, ...] = ()  # PREFIX=TARGET, TARGET absolute (relative ones are taken from root)
    build_enable: tuple[str, ...] = ()  # build switches the project's build turns on
    build_disable: tuple[str, ...] = ()

    @property
    def checks_build(self) -> bool:
        """Build-switch rules apply only when the build is known: a profile or a [build] table."""
        return self.profile is not None or bool(self.build_enable or self.build_disable)

    def with_overrides(self, **changes: Any) -> LintConfig:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def enabled(self, code: str, path: str | None = None) -> bool:
        key = (code, path) if self.per_path_ignores else code  # only per-path ignores depend on the path
        found = self._enabled.get(key)
        if found is None:  # asked for every rule of every file: answered once per code and path
            found = self._enabled[key] = self._decide(code, path)
        return found

    @cached_property
    def _enabled(self) -> dict[tuple[str, str | None] | str, bool]:
        return {}

    def _decide(self, code: str, path: str | None) -> bool:
        if not _matches(code, self.select) or _matches(code, self.ignore):
            return False
        return not (path and _matches(code, self.path_ignores(path)))

    def path_ignores(self, path: str) -> tuple[str, ...]:
        if not self.per_path_ignores:
            return ()
        candidates = {Path(path).as_posix(), Path(path).name}
        if self.root is not None:
            try:
                candidates.add(Path(path).resolve().relative_to(self.root.resolve()).as_posix())
            except ValueError:
                pass
        out: list[str] = []
        for pattern, codes in self.per_path_ignores.items():
            if any(fnmatch.fnmatch(c, pattern) for c in candidates):
                out.extend(codes)
        return tuple(out)

    def severity_for(self, code: str, default: Severity) -> Severity:
        return self.severity.get(code, default)


def _matches(code: str, prefixes: tuple[str, ...]) -> bool:
    return any(p.upper() == "ALL" or code.startswith(p.upper()) for p in prefixes)


def load_config(start_path: str | Path | None = None) -> LintConfig:
    """The configuration that applies to ``start_path`` (a file or folder), or the defaults."""
    found = find_config_file(Path(start_path) if start_path is not None else Path.cwd())
    if found is None:
        return LintConfig()
    return read_config_file(found)


def find_config_file(start: Path) -> Path | None:
    """The config file of a file or folder: in the nearest folder upwards that holds one."""
    start = start.resolve()
    return ConfigFiles()(str(start if start.is_dir() else start.parent))


def config_file_in(folder: Path) -> Path | None:
    """The config file in this very folder: ``.ipxelint.toml``, else a ``pyproject.toml`` that has the
    table."""
    own = folder / ".ipxelint.toml"
    if own.is_file():
        return own
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file() and _pyproject_table(pyproject) is not None:
        return pyproject
    return None


class ConfigFiles:
    """The config file of resolved folders (in the nearest folder upwards that holds one), each folder
    looked at once: the files of a project share their folders' parents."""

    def __init__(self) -> None:
        self._found: dict[str, Path | None] = {}

    def __call__(self, folder: str) -> Path | None:
        """The config file for a resolved folder (``os.path.realpath``)."""
        if folder in self._found:
            return self._found[folder]
        found = config_file_in(Path(folder))
        if found is None:
            parent = os.path.dirname(folder)
            found = self(parent) if parent != folder else None
        self._found[folder] = found
        return found


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        return load_toml(path)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror or exc}") from exc
    except TomlFileError as exc:
        raise ConfigError(f"{path}: {exc}") from exc


def _pyproject_table(path: Path) -> dict[str, Any] | None:
    table = _load_toml(path).get("tool", {}).get("ipxelint")
    return table if isinstance(table, dict) else None


def read_config_file(path: Path) -> LintConfig:
    if path.name == "pyproject.toml":
        table = _pyproject_table(path) or {}
    else:
        data = _load_toml(path)
        table = data.get("tool", {}).get("ipxelint", data)
        if isinstance(table, dict) and "tool" in table:
            table = {k: v for k, v in table.items() if k != "tool"}
    return config_from_table(table, path)


def _strings(value: Any, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: expected a list of strings")


def rule_codes(values: tuple[str, ...]) -> tuple[str, ...]:
    """Codes, code prefixes (IPX2), ALL or rule names (goto-missing-label), comma-separated or not, as
    codes; ``ConfigError`` (the cause alone) for one that names no rule."""
    from ipxescript.analysis.suggest import close_names
    from ipxescript.clikit import printable
    from ipxescript.lint.registry import all_rules, find_rule

    codes = [r.code for r in all_rules()]
    out = []
    for value in (c.strip() for v in values for c in v.split(",")):
        if not value:
            continue
        rule = find_rule(value)
        if rule is not None:
            out.append(rule.code)
        elif value.upper() == "ALL" or any(c.startswith(value.upper()) for c in codes):
            out.append(value.upper())
        else:
            near = close_names(value, [*codes, *(r.name for r in all_rules())])
            hint = f" (did you mean {', '.join(near)}?)" if near else ""
            raise ConfigError(
                f"no rule or code prefix '{printable(value)}'{hint}; 'ipxelint --list-rules' lists them"
            )
    return tuple(out)


def _codes(value: Any, where: str) -> tuple[str, ...]:
    values = _strings(value, where)
    try:
        return rule_codes(values)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def _rule_code(key: str, where: str) -> str:
    """The code of the rule a severity key names (a code or a rule name); a prefix or a typo is an
    error, not an override that silently never applies."""
    from ipxescript.lint.registry import find_rule

    rule = find_rule(key)
    if rule is not None:
        return rule.code
    try:
        rule_codes((key,))  # a misspelt code or name: its message, with a did-you-mean
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    raise ConfigError(f"{where}: a severity is set for one rule, by its code or name, not for '{key}'")


def check_profile(name: str) -> None:
    """``ConfigError`` (the cause alone) for a build profile the catalog does not have."""
    from ipxescript.catalog import get_catalog

    profiles = get_catalog().profiles
    if name not in profiles:
        raise ConfigError(f"unknown build profile '{name}'; choose one of: {', '.join(sorted(profiles))}")


def parse_severity(value: Any, where: str) -> Severity:
    try:
        return Severity(str(value).lower())
    except ValueError:
        raise ConfigError(f"{where}: severity must be error, warning or info, not {value!r}") from None


def config_from_table(table: dict[str, Any], path: Path | None = None) -> LintConfig:
    """Build a config from a TOML table (keys as in the module docstring)."""
    name = str(path) if path else "config"
    values: dict[str, Any] = {}
    for raw_key, value in table.items():
        try:
            key = raw_key.replace("_", "-")
            where = f"{name}: {raw_key}"
            if key == "select":
                values["select"] = _codes(value, where)
            elif key == "ignore":
                values["ignore"] = _codes(value, where)
            elif key in ("severity", "severities"):
                if not isinstance(value, dict):
                    raise ConfigError(f"{where}: expected a table of CODE = severity")
                values["severity"] = {
                    _rule_code(k, f"{where}.{k}"): parse_severity(v, f"{where}.{k}") for k, v in value.items()
                }
            elif key == "profile":
                if not isinstance(value, str):
                    raise ConfigError(f"{where}: expected a profile name")
                try:
                    check_profile(value)
                except ConfigError as exc:
                    raise ConfigError(f"{where}: {exc}") from None
                values["profile"] = value
            elif key == "per-path-ignores":
                if not isinstance(value, dict):
                    raise ConfigError(f"{where}: expected a table of glob = [codes]")
                values["per_path_ignores"] = {k: _codes(v, f"{where}.{k}") for k, v in value.items()}
            elif key == "fail-on":
                if value not in FAIL_ON:
                    raise ConfigError(f"{where}: must be one of {', '.join(FAIL_ON)}")
                values["fail_on"] = value
            elif key == "template":
                if value not in TEMPLATES:
                    raise ConfigError(f"{where}: must be one of {', '.join(TEMPLATES)}")
                values["template"] = value
            elif key in ("entry", "entries"):
                base = path.parent if path else Path.cwd()
                values["entries"] = tuple((base / e).resolve() for e in _strings(value, where))
            elif key == "map":
                values["maps"] = tuple(_map(m, path, where) for m in _strings(value, where))
            elif key == "build":
                if not isinstance(value, dict):
                    raise ConfigError(f"{where}: expected a table with enable = [...] and disable = [...]")
                for sub, switches in value.items():
                    if sub not in ("enable", "disable"):
                        raise ConfigError(
                            f"{where}.{sub}: unknown key; the build table takes enable = [...] and disable = [...]"
                        )
                    names = _strings(switches, f"{where}.{sub}")
                    _check_switches(names, f"{where}.{sub}")
                    values[f"build_{sub}"] = names
            else:
                from ipxescript.schemas import LINT, unknown_keys

                raise ConfigError(f"{name}: {unknown_keys(LINT, [raw_key])}")
        except ConfigError as exc:  # named with the line the key is on
            raise ConfigError(_with_line(str(exc), path, raw_key)) from None
    return LintConfig(root=path.parent if path else None, source=path, **values)


def _with_line(message: str, path: Path | None, key: str) -> str:
    """``FILE: KEY...`` -> ``FILE:LINE: KEY...``, LINE where the key is written in the ipxelint table."""
    name = f"{path}: "
    if path is None or not message.startswith(name):
        return message
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return message
    own = path.name != "pyproject.toml"  # .ipxelint.toml: the top level is the table
    inside = own
    for number, line in enumerate(lines, 1):
        text = line.strip()
        header = re.match(r"\[+([^\]]*)\]", text)
        if header:
            table = re.sub(r"[\s\"']", "", header.group(1))
            if table == f"tool.ipxelint.{key}" or (own and table == key):
                return f"{path}:{number}: {message[len(name) :]}"
            inside = table == "tool.ipxelint"
        elif inside and re.match(rf"[\"']?{re.escape(key)}[\"']?\s*[.=]", text):
            return f"{path}:{number}: {message[len(name) :]}"
    return message


def _map(text: str, path: Path | None, where: str) -> str:
    """PREFIX=TARGET with TARGET made absolute from the config file's folder."""
    prefix, eq, target = text.partition("=")
    if not eq or not prefix or not target:
        raise ConfigError(f"{where}: {text!r} is not PREFIX=TARGET (a URL prefix and a folder)")
    base = path.parent if path else Path.cwd()
    return f"{prefix}={(base / target).resolve()}"


def build_switches() -> set[str]:
    """Every build switch the catalog knows: commands' (NSLOOKUP_CMD) and URI schemes'."""
    from ipxescript.catalog import get_catalog

    catalog = get_catalog()
    found = {spec.build_macro for spec in catalog.commands.values() if spec.build_macro}
    return found | set(catalog.scheme_build_macros.values())


def _check_switches(names: tuple[str, ...], where: str) -> None:
    from ipxescript.analysis.suggest import close_names

    known = build_switches()
    for name in names:
        if name not in known:
            guesses = close_names(name, known)
            hint = f"; did you mean {guesses[0]}?" if guesses else ""
            raise ConfigError(f"{where}: unknown build switch {name!r}{hint}")
