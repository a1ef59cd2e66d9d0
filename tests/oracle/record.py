"""Record the firmware's behaviour for the oracle cases into expected/NAME.json.

python -m tests.oracle.record            # every case, one boot (~1 min)
python -m tests.oracle.record NAME ...   # only these cases
"""

from __future__ import annotations

import argparse
import sys
import time

from .cases import load_cases
from .compare import save_expected
from .firmware import FirmwareError, run_cases


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.oracle.record", description=__doc__.split("\n")[0])
    parser.add_argument("names", nargs="*", help="case names (default: all)")
    args = parser.parse_args(argv)
    try:
        cases = load_cases(names=args.names)
    except ValueError as exc:
        print(f"record: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        results = run_cases(cases)
    except FirmwareError as exc:
        print(f"record: {exc}", file=sys.stderr)
        return 1
    failed = 0
    for case in cases:
        result = results[case.name]
        if result.problems:
            failed += 1
            print(f"{case.name}: NOT recorded: {'; '.join(result.problems)}", file=sys.stderr)
            continue
        save_expected(result)
    took = time.monotonic() - started
    print(f"recorded {len(cases) - failed} of {len(cases)} case(s) in {took:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
