"""The catalog: every iPXE command, option, setting, type and build profile, read from ``catalog.json``.

This is the one place these facts live; nothing else in ipxescript lists commands or settings in code.
"""

from __future__ import annotations

import dataclasses
import functools
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class OptionSpec:
    short: str  # "-t"
    long: str  # "--timeout"
    takes_argument: bool
    argument_kind: str  # flag, string, integer, timeout_ms, key, setting, uuid, ...
    notes: str = ""

    @property
    def name(self) -> str:
        """The long name without dashes, as iPXE prints it in messages ("timeout")."""
        return self.long[2:]

    @property
    def letter(self) -> str:
        return self.short[1:]


@dataclass(frozen=True)
class CommandSpec:
    name: str
    summary: str
    usage: str | None  # positional part of the usage line; None = iPXE prints nothing there
    min_args: int
    max_args: int | None  # None = unlimited
    positional_names: tuple[str, ...]
    options: tuple[OptionSpec, ...]  # the command's own options
    help_option: bool  # accepts -h/--help (every command that parses options)
    build_macro: str | None
    enabled_by_default: bool
    build_notes: str
    exit_status: str
    notes: tuple[str, ...]
    family: str | None
    source_file: str

    def positional_kind(self, position: int) -> str | None:
        """The value kind of the Nth positional (0-based): "integer" when iPXE parses it as one.

        Taken from the catalog's positional names, which say "(integer" for the ones parsed with
        parse_integer; a last name ending in "..." repeats."""
        names = self.positional_names
        if not names:
            return None
        name = names[position] if position < len(names) else names[-1]
        if position >= len(names) and not name.endswith("..."):
            return None
        return "integer" if "(integer" in name else None

    def option(self, text: str) -> OptionSpec | None:
        """The option named by ``--long`` or ``-x`` (no value part)."""
        for opt in self.all_options:
            if text in (opt.long, opt.short):
                return opt
        return None

    @property
    def all_options(self) -> tuple[OptionSpec, ...]:
        return self.options + ((HELP_OPTION,) if self.help_option else ())

    def usage_line(self, argv0: str | None = None) -> str:
        """``name [-x|--long <long>]... <usage>`` as print_usage builds it (src/core/parseopt.c)."""
        parts = [argv0 or self.name]
        for opt in self.options:
            if opt.takes_argument:
                parts.append(f"[{opt.short}|{opt.long} <{opt.name}>]")
            else:
                parts.append(f"[{opt.short}|{opt.long}]")
        if self.usage is not None:  # print_usage tests for NULL only: an empty usage leaves a space
            parts.append(self.usage)
        return " ".join(parts)


HELP_OPTION = OptionSpec("-h", "--help", False, "flag", "prints usage and fails with ECANCELED")


@dataclass(frozen=True)
class SettingSpec:
    name: str
    type: str
    scope: str
    description: str
    dhcp_option: Any  # int, dotted string, or None
    block: str | None
    source: str


@dataclass(frozen=True)
class TypeSpec:
    name: str
    format: str
    parse: str
    numeric: bool


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    platform: str
    buildarch: str
    version: str
    commands: frozenset[str]
    command_order: tuple[str, ...]
    schemes: frozenset[str]
    setting_types: frozenset[str]
    absent_settings: frozenset[str]
    empty_integer_is_zero: bool
    error_url: str
    key_offset: int
    missing_options: dict[str, frozenset[str]] = field(default_factory=dict)  # command -> long options
    usage_overrides: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Catalog:
    commands: dict[str, CommandSpec]
    settings: dict[str, list[SettingSpec]]  # a name can exist in several scopes
    types: dict[str, TypeSpec]
    profiles: dict[str, Profile]
    builtin_settings: tuple[str, ...]
    default_profile: str
    raw: dict[str, Any] = field(repr=False)
    scheme_build_macros: dict[str, str] = field(default_factory=dict)  # URI scheme -> build switch

    @functools.cached_property
    def setting_names(self) -> frozenset[str]:
        """Every setting name iPXE knows: the documented settings and the built-ins."""
        return frozenset(self.settings) | frozenset(self.builtin_settings)

    @functools.cached_property
    def command_names(self) -> frozenset[str]:
        """Every command name: one set for did-you-mean look-ups (not a new one per question)."""
        return frozenset(self.commands)

    def profile(self, name: str | None = None) -> Profile:
        """A build profile by name (KeyError with the valid names when unknown)."""
        key = name or self.default_profile
        if key not in self.profiles:
            raise KeyError(f"unknown profile {key!r}; known: {', '.join(sorted(self.profiles))}")
        return self.profiles[key]

    def command(self, name: str, profile: Profile | None = None) -> CommandSpec | None:
        """A command as a build profile has it: options that build lacks removed, its usage text."""
        spec = self.commands.get(name)
        if spec is None or profile is None:
            return spec
        missing = profile.missing_options.get(name, frozenset())
        usage = profile.usage_overrides.get(name, spec.usage)
        if not missing and usage == spec.usage:
            return spec
        options = tuple(o for o in spec.options if o.long not in missing)
        return dataclasses.replace(spec, options=options, usage=usage)

    def setting(self, name: str) -> SettingSpec | None:
        specs = self.settings.get(name)
        return specs[0] if specs else None


def _command(c: dict[str, Any]) -> CommandSpec:
    pos = c["positional"]
    build = c["build_config"]
    options = tuple(
        OptionSpec(o["short"], o["long"], o["takes_argument"], o["argument_kind"], o.get("notes", ""))
        for o in c["options"]
    )
    return CommandSpec(
        name=c["name"],
        summary=c["summary"],
        usage=pos.get("usage"),
        min_args=pos["min"],
        max_args=pos["max"],
        positional_names=tuple(pos.get("names") or ()),
        options=options,
        help_option=bool(c.get("implicit_options")),
        build_macro=build.get("macro"),
        enabled_by_default=bool(build.get("enabled_by_default")),
        build_notes=build.get("notes", ""),
        exit_status=c.get("exit_status", ""),
        notes=tuple(c.get("notes") or ()),
        family=c.get("family"),
        source_file=c.get("source_file", ""),
    )


@functools.cache
def get_catalog() -> Catalog:
    raw = json.loads(Path(__file__).with_name("catalog.json").read_text(encoding="utf-8"))
    settings: dict[str, list[SettingSpec]] = {}
    for s in raw["settings"]:
        spec = SettingSpec(
            s["name"], s["type"], s.get("scope", ""), s.get("description", ""), s.get("dhcp_option"),
            s.get("block"), s.get("source", ""),
        )  # fmt: skip
        settings.setdefault(s["name"], []).append(spec)
    profiles = {
        name: Profile(
            name=name,
            description=p["description"],
            platform=p["platform"],
            buildarch=p["buildarch"],
            version=p["version"],
            commands=frozenset(p["commands"]),
            command_order=tuple(p["commands"]),
            schemes=frozenset(p["schemes"]),
            setting_types=frozenset(p["setting_types"]),
            absent_settings=frozenset(p.get("absent_settings", ())),
            empty_integer_is_zero=p["empty_integer_is_zero"],
            error_url=p["error_url"],
            key_offset=p["key_offset"],
            missing_options={k: frozenset(v) for k, v in p.get("missing_options", {}).items()},
            usage_overrides=dict(p.get("usage_overrides", {})),
        )
        for name, p in raw["profiles"].items()
    }
    return Catalog(
        commands={c["name"]: _command(c) for c in raw["commands"]},
        settings=settings,
        types={
            t["name"]: TypeSpec(t["name"], t["format"], t["parse"], bool(t.get("numeric")))
            for t in raw["types"]
        },
        profiles=profiles,
        builtin_settings=tuple(raw["builtin_settings"]),
        default_profile=raw["default_profile"],
        raw=raw,
        scheme_build_macros=dict(raw.get("scheme_build_macros", {})),
    )
