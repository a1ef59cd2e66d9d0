"""JSON Schemas of the configuration files (``.ipxelint.toml``/``[tool.ipxelint]`` and ``ipxescript.toml``).

The schemas are the one list of each file's keys and their meaning: editors validate and complete with
them (docs/cli.md), and the loaders take the known keys from them for their error messages.
"""

from __future__ import annotations

import functools
import json
from importlib import resources
from typing import Any

from ipxescript.analysis.suggest import close_names

LINT = "ipxelint.schema.json"
SERVE = "ipxescript.schema.json"


@functools.cache
def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files(__name__).joinpath(name).read_text(encoding="utf-8"))
    return data


def keys(name: str) -> list[str]:
    return sorted(load(name)["properties"])


def unknown_keys(name: str, unknown: list[str]) -> str:
    """'unknown key(s) ...' with a suggestion and where the file's keys are described."""
    known = keys(name)
    parts = []
    for key in sorted(unknown):
        near = close_names(key, known, n=1)
        parts.append(f"'{key}'" + (f" (did you mean '{near[0]}'?)" if near else ""))
    noun = "key" if len(parts) == 1 else "keys"
    return f"unknown {noun} {', '.join(parts)}; the keys are described in the JSON Schema ipxescript/schemas/{name}"
