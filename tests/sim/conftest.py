"""Helpers for the simulator tests: write scripts into a temporary directory and run them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ipxescript.sim import RunOptions, simulate
from ipxescript.sim.machine import Result


class Runner:
    def __init__(self, root: Path) -> None:
        self.root = root

    def file(self, name: str, content: str | bytes) -> Path:
        path = self.root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, str):
            path.write_text(content)
        else:
            path.write_bytes(content)
        return path

    def __call__(self, text: str | bytes, name: str = "main.ipxe", **options: Any) -> Result:
        if isinstance(text, str) and not text.startswith("#!") and not options.pop("raw", False):
            text = "#!ipxe\n" + text
        path = self.file(name, text)
        return simulate(str(path), RunOptions(**options))


@pytest.fixture
def run(tmp_path: Path) -> Runner:
    return Runner(tmp_path)
