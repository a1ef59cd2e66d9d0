"""Fixtures for end-to-end boots: the tiny Linux (built once per session) and a lab per test."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_lab import Lab, reap_stale_labs
from e2e_servers import start_router_advertiser
from e2e_tinylinux import TinyLinux, build_tiny_linux

REQUIRED_TOOLS = ("ip", "ss", "qemu-system-x86_64", "dnsmasq")


def _missing_requirements() -> str | None:
    if os.geteuid() != 0:
        return "end-to-end boots need root (network namespaces, tap devices)"
    missing = [tool for tool in REQUIRED_TOOLS if shutil.which(tool) is None]
    if missing:
        return f"end-to-end boots need {', '.join(missing)} (see docs/e2e.md)"
    return None


@pytest.fixture(scope="session", autouse=True)
def e2e_requirements() -> None:
    """In CI these tests must run: a missing requirement fails there, and only skips on a workstation."""
    problem = _missing_requirements()
    if problem is None:
        reap_stale_labs()
        return
    if os.environ.get("CI"):
        pytest.fail(problem)
    pytest.skip(problem)


@pytest.fixture(scope="session")
def tiny_linux(tmp_path_factory: pytest.TempPathFactory) -> TinyLinux:
    return build_tiny_linux(tmp_path_factory.mktemp("e2e-cache"))


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    """A fresh namespace with a bridge, a tap for QEMU and router advertisements (ends iPXE's IPv6 wait)."""
    with Lab(tmp_path / "lab") as created:
        start_router_advertiser(created)
        yield created
