"""Judge `ipxesim --profile debian-12-efi` against the firmware's recorded behaviour, case by case.

Each case runs as the firmware saw it: the script is the URL tftp://10.0.2.2/NAME.ipxe, mapped onto a
staged copy of tests/oracle/cases/ (plus run-time files such as files/k.efi), with the case's keys.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .cases import URL_PREFIX, Case, load_cases, stage_cases
from .compare import compare, expected_path, load_expected

CASES = load_cases()
PROFILE = "debian-12-efi"
RUN_SIM = "import sys; sys.argv[0] = 'ipxesim'; from ipxescript.sim.cli import main; sys.exit(main())"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return stage_cases(tmp_path_factory.mktemp("oracle-tftp"))


def sim_command(case: Case, root: Path) -> list[str]:
    """The ipxesim command line for a case (also printed on failure, to rerun it by hand)."""
    args = ["--profile", PROFILE, "--json", "--map", f"{URL_PREFIX}={root}/"]
    if case.keys:
        args += ["--keys", case.keys]
    return [*args, case.url]


def run_sim(case: Case, root: Path) -> dict[str, object]:
    args = sim_command(case, root)
    proc = subprocess.run([sys.executable, "-c", RUN_SIM, *args], capture_output=True, text=True, timeout=60)
    try:
        data = json.loads(proc.stdout)
    except json.JSONDecodeError:
        pytest.fail(
            f"ipxesim {' '.join(args)}\nprinted no JSON (exit {proc.returncode}):\n"
            f"{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
        )
    assert isinstance(data, dict), "ipxesim --json must print one object"
    return data


@pytest.mark.timeout(60)
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_simulator_matches_firmware(case: Case, staged: Path) -> None:
    if not expected_path(case.name).exists():
        pytest.fail(f"no recording for {case.name}: run `python -m tests.oracle.record {case.name}`")
    expected = load_expected(case.name)
    result = run_sim(case, staged)
    console = result.get("console")
    screens = result.get("screens", [])
    status = result.get("status")
    assert isinstance(console, str), f"'console' must be a string, got {console!r}"
    assert isinstance(screens, list), f"'screens' must be a list, got {screens!r}"
    assert isinstance(status, int), f"'status' must be an integer, got {status!r}"
    problems = compare(expected, console, screens, status)
    command = "ipxesim " + " ".join(sim_command(case, staged))
    assert not problems, f"{case.name}: simulator differs from the firmware\n  {command}\n" + "\n".join(
        problems
    )
