"""Run the real firmware on every oracle case in one boot and check it still does what was recorded.

This keeps tests/oracle/expected/ honest: the simulator is judged against those files.
"""

from __future__ import annotations

import os

import pytest

from .cases import load_cases
from .compare import compare, expected_path, load_expected
from .firmware import Transcript, available, run_cases

CASES = load_cases()


@pytest.fixture(scope="module")
def live() -> dict[str, Transcript]:
    missing = available()
    if missing and not os.environ.get("CI"):
        pytest.skip(f"firmware not installed: {', '.join(missing)}")
    return run_cases(CASES)


def test_every_case_has_a_recording() -> None:
    missing = [c.name for c in CASES if not expected_path(c.name).exists()]
    assert not missing, f"record them with `python -m tests.oracle.record {' '.join(missing)}`"


@pytest.mark.timeout(360)  # one boot (~15 s) plus ~1 s per case, on 2 cores without KVM
@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_firmware_matches_recording(live: dict[str, Transcript], name: str) -> None:
    got = live[name]
    assert not got.problems, f"{name}: {'; '.join(got.problems)}"
    problems = compare(load_expected(name), got.console, list(got.screens), got.status)
    assert not problems, f"the firmware no longer does what expected/{name}.json says:\n" + "\n".join(
        problems
    )
