"""Lint work spread over worker processes (``ipxelint --jobs N``).

A boot tree spans files (settings, failures and chain paths pass between them), so the tree is built
once, in this process: every script parsed, the tree's edges resolved. Then the rules, most of the
work, run on shares of the files: this process takes the first share and forked children the others.
A child inherits the parsed scripts and the tree (copy-on-write: nothing is sent to it) and sends back
only its files' findings. Files the tree connects stay in one share, so what a rule gathers once per
group of connected files is gathered once. The shares are put back in the files' order: the output is
the one of ``--jobs 1``.

Forking after the imports is safe on Linux; elsewhere (macOS, where system libraries may hold locks
across a fork, and Windows, which cannot fork) the work stays in this process. A run too small to gain
from a child (one file, a few short ones) never starts one. A child that dies (killed, out of memory)
loses nothing: its share is done again here, after a warning.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn, TypeVar

T = TypeVar("T")

# Lines of scripts a child must get for its start (the fork, the pages it copies as it reads the
# inherited trees, sending the findings back: a few milliseconds) to be worth it: ~40 ms of rules.
MIN_LINES_PER_WORKER = 1000


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask, as taskset or a container sets it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def can_fork() -> bool:
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def plan(sizes: Sequence[int], groups: Sequence[int], jobs: int) -> list[list[int]]:
    """The files (indices into ``sizes``, their line counts) in shares, one per process: files of one
    group (equal numbers in ``groups``) in one share, the largest groups placed first, each on the
    share with the fewest lines so far; each share's files in their order. One share when ``jobs`` is
    1, the platform does not fork safely, or there is too little work for a second process."""
    members: dict[int, list[int]] = {}
    for index, group in enumerate(groups):
        members.setdefault(group, []).append(index)
    total = sum(sizes)
    count = min(jobs, len(members), total // MIN_LINES_PER_WORKER) if can_fork() else 1
    if count <= 1:
        return [list(range(len(sizes)))]
    loads = [0] * count
    shares: list[list[int]] = [[] for _ in range(count)]
    by_size = sorted(members.values(), key=lambda files: -sum(sizes[i] for i in files))
    for files in by_size:
        lightest = loads.index(min(loads))
        shares[lightest] += files
        loads[lightest] += sum(sizes[i] for i in files)
    return [sorted(share) for share in shares if share]


def run_shares(
    shares: list[list[int]], work: Callable[[list[int]], list[T]], warn: Callable[[str], None]
) -> list[T]:
    """``work(share)`` for every share, the first in this process and the others in forked children,
    as one list in the order of the indices. A child that dies is reported through ``warn`` and its
    share done here."""
    children: list[tuple[int, int, list[int]]] = []  # pid, read end of its pipe, share
    here = list(shares[0])
    sys.stdout.flush()
    sys.stderr.flush()
    for share in shares[1:]:
        started = _start(share, work)
        if started is None:  # no process to be had (a limit on processes): the share is done here
            here = sorted(here + share)
        else:
            children.append((*started, share))
    results: dict[int, T] = dict(zip(here, work(here), strict=True))
    for pid, read_end, share in children:
        found: list[T] | str = _collect(pid, read_end, len(share))
        if isinstance(found, str):
            warn(f"a worker process linting {_files(len(share))} {found}; linting them again in this process")
            found = work(share)
        results.update(zip(share, found, strict=True))
    return [results[i] for i in range(len(results))]


def _start(share: list[int], work: Callable[[list[int]], list[T]]) -> tuple[int, int] | None:
    """A child working on ``share``: its process id and the read end of the pipe it answers on."""
    try:
        read_end, write_end = os.pipe()
    except OSError:
        return None
    try:
        pid = os.fork()
    except OSError:
        os.close(read_end)
        os.close(write_end)
        return None
    if pid == 0:  # the child: work, send, and leave without running the parent's exit handlers
        os.close(read_end)
        _child(share, work, write_end)
    os.close(write_end)  # the parent's copy: the child's end closing is then the end of its data
    return pid, read_end


def _child(share: list[int], work: Callable[[list[int]], list[T]], write_end: int) -> NoReturn:
    status = 0
    try:
        data = pickle.dumps(work(share), protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(write_end, "wb") as pipe:
            pipe.write(data)
    except KeyboardInterrupt:  # Ctrl-C reaches every process of the terminal's group: the parent stops
        status = 130
    except BrokenPipeError:  # the parent is gone
        status = 1
    except BaseException:  # noqa: BLE001 - the parent redoes the share and shows what went wrong
        import traceback

        traceback.print_exc()
        status = 1
    finally:
        sys.stderr.flush()
        os._exit(status)


def _collect(pid: int, read_end: int, count: int) -> list[T] | str:
    """The child's results, or why there are none (a sentence's end: "died: killed by signal 9")."""
    chunks = []
    with os.fdopen(read_end, "rb") as pipe:
        while chunk := pipe.read(1 << 20):
            chunks.append(chunk)
    _pid, status = os.waitpid(pid, 0)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            name = f" ({signal.Signals(number).name})"
        except ValueError:
            name = ""
        return f"died: killed by signal {number}{name}"
    if os.WEXITSTATUS(status) != 0:
        return f"failed (exit status {os.WEXITSTATUS(status)})"
    try:
        found = pickle.loads(b"".join(chunks))
    except Exception:  # noqa: BLE001 - cut short: whatever it is, the share is done again
        return "sent back incomplete results"
    if not isinstance(found, list) or len(found) != count:
        return "sent back incomplete results"
    return found


def _files(count: int) -> str:
    return f"{count} file{'s' if count != 1 else ''}"
