"""Run each real firmware build on every oracle case (one boot per build) and check it still does what
was recorded in expected/PROFILE/.

This keeps the recordings honest: the simulator is judged against those files, profile by profile.
"""

from __future__ import annotations

import os

import pytest

from .builds import BUILDS, PROFILES
from .cases import load_cases
from .compare import compare, expected_path, load_expected
from .firmware import Transcript, run_cases

CASES = {profile: load_cases(profile=profile) for profile in PROFILES}
PARAMS = [(profile, case.name) for profile in PROFILES for case in CASES[profile]]
_LIVE: dict[str, dict[str, Transcript]] = {}


def live(profile: str) -> dict[str, Transcript]:
    """One boot of PROFILE's build over all its cases, the first time a test asks for it."""
    if profile not in _LIVE:
        missing = BUILDS[profile].missing()
        if missing and not os.environ.get("CI"):
            pytest.skip(f"firmware not installed: {', '.join(missing)}")
        _LIVE[profile] = run_cases(CASES[profile], build=BUILDS[profile])
    return _LIVE[profile]


@pytest.mark.parametrize("profile", PROFILES)
def test_every_case_has_a_recording(profile: str) -> None:
    missing = [c.name for c in CASES[profile] if not expected_path(c.name, profile).exists()]
    assert not missing, (
        f"record them with `python -m tests.oracle.record --profile {profile} {' '.join(missing)}`"
    )


@pytest.mark.timeout(420)  # one boot (~15 s) plus ~1 s per case, on 2 busy cores without KVM
@pytest.mark.parametrize(("profile", "name"), PARAMS)
def test_firmware_matches_recording(profile: str, name: str) -> None:
    got = live(profile)[name]
    assert not got.problems, f"{profile} {name}: {'; '.join(got.problems)}"
    problems = compare(load_expected(name, profile), got.console, list(got.screens), got.status)
    assert not problems, (
        f"the {profile} firmware no longer does what expected/{profile}/{name}.json says:\n"
        + ("\n".join(problems))
    )
