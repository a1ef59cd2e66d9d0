"""Judge `ipxesim --profile P` against the recordings of P's firmware, case by case, for every profile.

Each case runs as the firmware saw it: the script is the URL tftp://10.0.2.2/NAME.ipxe, mapped onto a
staged copy of tests/oracle/cases/ (plus run-time files such as files/k.efi), with the case's keys.
The simulator runs are started together (one per core) in a module fixture; each test reports one case.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from .builds import PROFILES
from .cases import load_cases, stage_cases
from .check import run_sim, sim_problems
from .compare import expected_path, load_expected

PARAMS = [(profile, case) for profile in PROFILES for case in load_cases(profile=profile)]

SimResult = tuple[dict[str, object] | None, str]


@pytest.fixture(scope="module")
def sim_results(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], SimResult]:
    root = stage_cases(tmp_path_factory.mktemp("oracle-tftp"))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {(p, case.name): pool.submit(run_sim, case, root, profile=p) for p, case in PARAMS}
        return {key: future.result() for key, future in futures.items()}


@pytest.mark.timeout(900)  # the first test waits for all simulator runs (~1 s each)
@pytest.mark.parametrize(("profile", "name"), [(p, c.name) for p, c in PARAMS])
def test_simulator_matches_firmware(
    sim_results: dict[tuple[str, str], SimResult], profile: str, name: str
) -> None:
    if not expected_path(name, profile).exists():
        pytest.fail(
            f"no recording for {name}: run `python -m tests.oracle.record --profile {profile} {name}`"
        )
    data, command = sim_results[(profile, name)]
    if data is None:
        pytest.fail(command)
    problems = sim_problems(load_expected(name, profile), data)
    assert not problems, f"{profile} {name}: simulator differs from the firmware\n  {command}\n" + "\n".join(
        problems
    )
