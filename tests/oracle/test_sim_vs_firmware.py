"""Judge `ipxesim --profile debian-12-efi` against the firmware's recorded behaviour, case by case.

Each case runs as the firmware saw it: the script is the URL tftp://10.0.2.2/NAME.ipxe, mapped onto a
staged copy of tests/oracle/cases/ (plus run-time files such as files/k.efi), with the case's keys.
The simulator runs are started together (one per core) in a module fixture; each test reports one case.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from .cases import load_cases, stage_cases
from .check import run_sim, sim_problems
from .compare import expected_path, load_expected

CASES = load_cases()

SimResult = tuple[dict[str, object] | None, str]


@pytest.fixture(scope="module")
def sim_results(tmp_path_factory: pytest.TempPathFactory) -> dict[str, SimResult]:
    root = stage_cases(tmp_path_factory.mktemp("oracle-tftp"))
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        futures = {case.name: pool.submit(run_sim, case, root) for case in CASES}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.timeout(600)  # the first test waits for all simulator runs (~1 s each)
@pytest.mark.parametrize("name", [c.name for c in CASES])
def test_simulator_matches_firmware(sim_results: dict[str, SimResult], name: str) -> None:
    if not expected_path(name).exists():
        pytest.fail(f"no recording for {name}: run `python -m tests.oracle.record {name}`")
    data, command = sim_results[name]
    if data is None:
        pytest.fail(command)
    problems = sim_problems(load_expected(name), data)
    assert not problems, f"{name}: simulator differs from the firmware\n  {command}\n" + "\n".join(problems)
