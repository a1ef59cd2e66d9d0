"""iPXE's option parsing at run time: a thin adapter over the core's getopt (analysis/options.py) and
value parsers (analysis/values.py), which are the one implementation of those rules.

``parse_argv`` binds an expanded argv to the command as this build has it
(``get_catalog().command(name, profile)``: options the build lacks dropped, usage overridden) and
returns typed options and positionals, or raises ``UsageError`` with the message iPXE prints,
whether the usage follows, and the status as the simulator numbers it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from ipxescript.analysis import options as core_options
from ipxescript.analysis import values as core_values
from ipxescript.catalog import CommandSpec, get_catalog
from ipxescript.catalog import Profile as CatalogProfile
from ipxescript.sim import errors
from ipxescript.sim.profile import Profile

# the core's error kinds -> the status iPXE returns (src/core/getopt.c, src/core/parseopt.c)
STATUS_OF_KIND = {
    "unknown-option": errors.UNKNOWN_OPTION,
    "missing-argument": errors.MISSING_ARGUMENT,
    "takes-no-argument": errors.MISSING_ARGUMENT,
    "help": errors.HELP_REQUESTED,
    "invalid-value": errors.INVALID_INTEGER,
    "arity": errors.WRONG_ARGUMENT_COUNT,
}


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


@functools.cache
def catalog_profile(name: str) -> CatalogProfile:
    return get_catalog().profile(name)


@functools.cache
def command_spec(name: str, profile_name: str) -> CommandSpec:
    spec = get_catalog().command(name, catalog_profile(profile_name))
    if spec is None:
        raise KeyError(name)
    return spec


def usage_text(argv0: str, profile: Profile) -> str:
    """print_usage: ``Usage:\\n\\n  NAME [-x|--long <long>]... USAGE\\n\\nSee URL/cmd/NAME for ...``."""
    line = command_spec(argv0, profile.name).usage_line(argv0)
    return f"Usage:\n\n  {line}\n\nSee {profile.url_base}/cmd/{argv0} for further information\n"


def parse_argv(argv: list[str], profile: Profile) -> Parsed:
    """getopt_long over argv[1:], then the positional count check (the core's rules)."""
    spec = command_spec(argv[0], profile.name)
    binding = core_options.parse_argv(spec, list(argv), catalog_profile(profile.name))
    if binding.error is not None:
        problem = binding.error
        raise UsageError(STATUS_OF_KIND[problem.kind], problem.message or None, problem.usage)
    parsed = Parsed(args=argv[binding.positional_start :])
    for use in binding.options:  # the last use of an option wins, as in iPXE
        parsed.options[use.option.name] = use.value
    return parsed


def parse_integer(text: str, profile: Profile) -> int:
    """parse_integer for positionals (sleep, exit, inc, cpuid...)."""
    try:
        return core_values.parse_integer(text, catalog_profile(profile.name))
    except core_values.ValueProblem as problem:
        raise UsageError(errors.INVALID_INTEGER, problem.message, False) from problem
