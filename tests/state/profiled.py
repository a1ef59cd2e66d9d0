"""Run a module under cProfile, counting the CPU time of the thread that runs it (the event loop's).

    python -m tests.state.profiled OUT.prof -m MODULE [ARGS...]

cProfile's default clock is the wall clock: on a loaded machine that counts the time the process waited
for a core as the work of whatever function it was in. The thread's CPU clock counts only the work.
The storm lab runs its instances this way when STORM_PROFILE names a directory.
"""

from __future__ import annotations

import cProfile
import runpy
import sys
import time


def main() -> None:
    if len(sys.argv) < 4 or sys.argv[2] != "-m":
        sys.exit(__doc__)
    out, module = sys.argv[1], sys.argv[3]
    sys.argv = [module, *sys.argv[4:]]
    profile = cProfile.Profile(time.thread_time)
    profile.enable()
    try:
        runpy.run_module(module, run_name="__main__", alter_sys=True)
    except SystemExit:
        pass
    finally:
        profile.disable()
        profile.dump_stats(out)


if __name__ == "__main__":
    main()
