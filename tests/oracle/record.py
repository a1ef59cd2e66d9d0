"""Record the firmware's behaviour for the oracle cases into expected/PROFILE/NAME.json.

python -m tests.oracle.record                      # every case on Debian's ipxe.efi, one boot (~1.5 min)
python -m tests.oracle.record NAME ...             # only these cases
python -m tests.oracle.record --profile pcbios     # on that profile's build (builds.py); `all` for every one
"""

from __future__ import annotations

import argparse
import sys
import time

from .builds import BUILDS, DEFAULT_PROFILE, PROFILES
from .cases import load_cases
from .compare import save_expected
from .firmware import FirmwareError, run_cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.oracle.record", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="case names (default: all)")
    parser.add_argument("--profile", default=DEFAULT_PROFILE, choices=[*PROFILES, "all"])
    args = parser.parse_args(argv)
    failed = 0
    for profile in PROFILES if args.profile == "all" else [args.profile]:
        failed += record(profile, args.names)
    return 1 if failed else 0


def record(profile: str, names: list[str]) -> int:
    """Record NAMES (all when empty) on PROFILE's build; the number of cases not recorded."""
    try:
        cases = load_cases(names=names, profile=profile)
    except ValueError as exc:
        print(f"record: {exc}", file=sys.stderr)
        return 1
    started = time.monotonic()
    try:
        results = run_cases(cases, build=BUILDS[profile])
    except FirmwareError as exc:
        print(f"record: {profile}: {exc}", file=sys.stderr)
        return 1
    failed = 0
    for case in cases:
        result = results[case.name]
        if result.problems:
            failed += 1
            print(f"{profile} {case.name}: NOT recorded: {'; '.join(result.problems)}", file=sys.stderr)
            continue
        save_expected(result, profile)
    took = time.monotonic() - started
    print(f"{profile}: recorded {len(cases) - failed} of {len(cases)} case(s) in {took:.0f} s")
    return failed


if __name__ == "__main__":
    sys.exit(main())
