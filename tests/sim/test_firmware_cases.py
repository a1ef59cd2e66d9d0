"""More cases recorded on Debian's real ipxe.efi (beyond tests/oracle/cases): the simulator must match.

`firmware_cases/*.ipxe` (headers as in tests/oracle: `# keys: ...`) were run on the firmware with the
oracle harness; `firmware_expected.json` holds what it printed and drew. In CI the firmware is also run
live on them. Re-record with:  python -m tests.sim.test_firmware_cases
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest

from ipxescript.sim import RunOptions, simulate
from ipxescript.sim.console import render

HERE = Path(__file__).parent
CASES = HERE / "firmware_cases"
EXPECTED = HERE / "firmware_expected.json"
TFTP = "tftp://10.0.2.2/"
K_EFI = Path("/usr/lib/ipxe/snponly.efi")  # a real EFI executable, as the oracle stages it


def case_names() -> list[str]:
    return sorted(p.stem for p in CASES.glob("*.ipxe"))


def case_keys(name: str) -> str:
    match = re.search(r"^#\s*keys:\s?(.*)$", (CASES / f"{name}.ipxe").read_text(), re.M)
    return match.group(1).strip() if match else ""


@pytest.fixture(scope="module")
def tftp_root():
    with tempfile.TemporaryDirectory(prefix="sim-fw-") as tmp:
        root = Path(tmp) / "tftp"
        shutil.copytree(CASES, root)
        if K_EFI.exists():
            shutil.copy(K_EFI, root / "files" / "k.efi")
        else:
            (root / "files" / "k.efi").write_bytes(b"MZ" + bytes(173790))
        yield root


def normalize(console: str) -> list[str]:
    return render("".join(c if ord(c) < 0x80 else "?" for c in console)).split("\n")


def screen_rows(screen: list[str]) -> list[str]:
    rows = [r.rstrip() for r in screen][:25]
    return rows + [""] * (25 - len(rows))


def simulate_case(name: str, root: Path) -> tuple[list[str], list[list[str]], int]:
    options = RunOptions(profile="debian-12-efi", keys=case_keys(name), maps=[f"{TFTP}={root}"])
    result = simulate(f"{TFTP}{name}.ipxe", options)
    return normalize(result.console), [screen_rows(s) for s in result.screens], result.status


@pytest.mark.parametrize("name", case_names())
def test_matches_recorded_firmware(name, tftp_root):
    expected = json.loads(EXPECTED.read_text())[name]
    console, screens, status = simulate_case(name, tftp_root)
    assert console == normalize(expected["console"])
    assert screens == [screen_rows(s) for s in expected["screens"]]
    assert status == expected["status"]


def firmware_available() -> bool:
    return all(
        Path(p).exists() for p in ("/usr/lib/ipxe/ipxe.efi", "/usr/share/OVMF/OVMF_CODE_4M.fd")
    ) and bool(shutil.which("qemu-system-x86_64"))


def run_live() -> dict[str, dict[str, object]]:
    import sys

    if str(HERE.parent.parent) not in sys.path:
        sys.path.insert(0, str(HERE.parent.parent))  # the oracle harness lives in tests/oracle
    from tests.oracle.cases import load_cases
    from tests.oracle.firmware import run_cases

    cases = load_cases(directory=CASES)
    results = run_cases(cases, cases_dir=CASES)
    return {name: result.to_json() for name, result in results.items()}


@pytest.mark.timeout(600)
@pytest.mark.skipif(
    not os.environ.get("CI") and not firmware_available(), reason="needs QEMU, OVMF and ipxe.efi"
)
def test_live_firmware_agrees(tftp_root):
    live = run_live()
    mismatches = []
    for name in case_names():
        got = live[name]
        console, screens, status = simulate_case(name, tftp_root)
        if got.get("problems"):
            mismatches.append(f"{name}: recording problems {got['problems']}")
        elif (console, screens, status) != (
            normalize(str(got["console"])),
            [screen_rows(s) for s in got["screens"]],  # type: ignore[attr-defined]
            got["status"],
        ):
            mismatches.append(f"{name}: firmware {got['console']!r} status {got['status']:#x}")
    assert not mismatches, "\n".join(mismatches)


if __name__ == "__main__":
    EXPECTED.write_text(json.dumps(run_live(), indent=1, ensure_ascii=False) + "\n")
    print(f"recorded {EXPECTED}")
