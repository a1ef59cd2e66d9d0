"""iPXE's option parsing at run time (src/core/getopt.c, src/core/parseopt.c: reparse_options).

Parses an expanded argv against a command's catalog spec and returns typed options and positionals,
or raises ``UsageError`` carrying the exact message iPXE prints, whether the usage follows, and the
status. Value parsers (integer, timeout, key) follow parse_integer/parse_timeout/parse_key, with the
2019 empty-integer rule and key offset taken from the profile.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ipxescript.sim import errors
from ipxescript.sim.profile import Profile
from ipxescript.sim.types import strtoul


def _catalog_profile(profile: Profile) -> object:
    from ipxescript.catalog import get_catalog

    return get_catalog().profile(profile.name)


class UsageError(Exception):
    def __init__(self, status: int, message: str | None, usage: bool) -> None:
        super().__init__(message or "")
        self.status = status
        self.message = message
        self.usage = usage


@dataclass
class Parsed:
    options: dict[str, Any] = field(default_factory=dict)  # long name without dashes -> value
    args: list[str] = field(default_factory=list)


def command_options(spec: dict[str, Any], profile: Profile) -> list[dict[str, Any]]:
    """The command's options as this build has them (the catalog lists what older builds lack)."""
    missing = _catalog_profile(profile).missing_options.get(spec["name"], frozenset())  # type: ignore[attr-defined]
    return [o for o in spec.get("options", []) if o["long"] not in missing]


def usage_text(argv0: str, spec: dict[str, Any], profile: Profile) -> str:
    """print_usage: ``Usage:\\n\\n  NAME [-x|--long <long>]... USAGE\\n\\nSee URL/cmd/NAME for ...``."""
    line = f"  {argv0}"
    for option in command_options(spec, profile):
        long = option["long"][2:]
        metavar = f" <{long}>" if option["takes_argument"] else ""
        line += f" [{option['short']}|{option['long']}{metavar}]"
    usage = spec.get("positional", {}).get("usage")
    usage = _catalog_profile(profile).usage_overrides.get(spec["name"], usage)  # type: ignore[attr-defined]
    if usage is not None:
        line += f" {usage}"
    return f"Usage:\n\n{line}\n\nSee {profile.url_base}/cmd/{argv0} for further information\n"


def parse_integer(text: str, profile: Profile) -> int:
    if text == "" and profile.empty_integer_is_zero:
        return 0
    value, end = strtoul(text)
    if text == "" or end != len(text):
        raise UsageError(errors.INVALID_INTEGER, f'"{text}": invalid integer value', False)
    return value & 0xFFFFFFFF


def parse_timeout(text: str, profile: Profile) -> int:
    """Milliseconds (0 = no timeout)."""
    return parse_integer(text, profile)


def parse_key(text: str, profile: Profile) -> int:
    if len(text) == 1:
        return ord(text)
    value = parse_integer(text, profile)
    if profile.key_offset and 0x80 <= value < 0x110000:
        value += profile.key_offset
    return value


def _convert(kind: str, text: str, profile: Profile) -> Any:
    if kind in ("integer",):
        return parse_integer(text, profile)
    if kind == "timeout_ms":
        return parse_timeout(text, profile)
    if kind == "key":
        return parse_key(text, profile)
    return text


def parse_argv(argv: list[str], spec: dict[str, Any], profile: Profile) -> Parsed:
    """getopt_long over argv[1:], then the positional count check."""
    options = command_options(spec, profile)
    by_long = {o["long"][2:]: o for o in options}
    by_short = {o["short"][1:]: o for o in options}
    by_long.setdefault(
        "help", {"long": "--help", "short": "-h", "takes_argument": False, "argument_kind": "help"}
    )
    by_short.setdefault("h", by_long["help"])
    parsed = Parsed()
    i = 1

    def apply(option: dict[str, Any], value: str | None) -> None:
        if option["argument_kind"] == "help":
            raise UsageError(errors.HELP_REQUESTED, None, True)
        key = option["long"][2:]
        if option["takes_argument"]:
            assert value is not None
            parsed.options[key] = _convert(option["argument_kind"], value, profile)
        else:
            parsed.options[key] = True

    while i < len(argv):
        word = argv[i]
        if not word.startswith("-"):
            break
        if word == "--":
            i += 1
            break
        if word.startswith("--"):
            body = word[2:]
            name, eq, inline = body.partition("=")
            option = by_long.get(name)
            if option is None:
                raise UsageError(errors.UNKNOWN_OPTION, f'Unrecognised option "{word}"', True)
            i += 1
            if option["takes_argument"]:
                if eq:
                    value = inline
                elif i < len(argv) and not argv[i].startswith("-"):
                    value = argv[i]
                    i += 1
                else:
                    raise UsageError(errors.MISSING_ARGUMENT, f'Option "{name}" requires an argument', True)
                apply(option, value)
            else:
                if eq:
                    raise UsageError(errors.MISSING_ARGUMENT, f'Option "{name}" takes no argument', True)
                apply(option, None)
            continue
        # short options, possibly bundled
        if word == "-":
            raise UsageError(errors.UNKNOWN_OPTION, 'Unrecognised option "-"', True)
        i += 1
        j = 1
        while j < len(word):
            ch = word[j]
            option = by_short.get(ch)
            if option is None:
                raise UsageError(errors.UNKNOWN_OPTION, f'Unrecognised option "-{ch}"', True)
            if option["takes_argument"]:
                rest = word[j + 1 :]
                if rest:
                    value = rest
                elif i < len(argv) and not argv[i].startswith("-"):
                    value = argv[i]
                    i += 1
                else:
                    raise UsageError(errors.MISSING_ARGUMENT, f'Option "{ch}" requires an argument', True)
                apply(option, value)
                break
            apply(option, None)
            j += 1
    parsed.args = argv[i:]
    positional = spec.get("positional", {})
    low = positional.get("min", 0) or 0
    high = positional.get("max")
    if len(parsed.args) < low or (high is not None and len(parsed.args) > high):
        raise UsageError(errors.WRONG_ARGUMENT_COUNT, None, True)
    return parsed
