"""A short differential fuzz in CI: a fixed seed, a few dozen generated scripts per firmware build,
compared with ipxesim (the long run is `python -m tests.oracle.fuzz`, see docs/oracle.md)."""

from __future__ import annotations

import os

import pytest

from .builds import BUILDS, PROFILES
from .fuzz import fuzz, generate

SEED, COUNT = 20261207, 30


def test_generation_is_reproducible_and_covers_the_language() -> None:
    first = [c.text() + str(c.children) for c in generate("efi", 120, SEED)]
    assert first == [c.text() + str(c.children) for c in generate("efi", 120, SEED)]
    text = "\n".join(first)
    for construct in ("${", "||", "&&", "goto ", "chain", "choose ", "prompt", "imgfetch", "set ", "exit"):
        assert construct in text, construct


@pytest.mark.timeout(600)
@pytest.mark.parametrize("profile", PROFILES)
def test_short_fuzz_finds_no_disagreement(profile: str) -> None:
    missing = BUILDS[profile].missing()
    if missing and not os.environ.get("CI"):
        pytest.skip(f"firmware not installed: {', '.join(missing)}")
    report = fuzz(profile, COUNT, SEED, do_shrink=False)
    assert report.scripts == COUNT, report.to_json()
    assert not report.firmware_problems, report.to_json()
    assert not report.disagreements, "\n\n".join(
        str(d["script"]) + "\n".join(map(str, d["problems"]))
        for d in report.disagreements  # type: ignore[call-overload]
    )
