"""The linter in a process of its own.

A single script is linted in the server, incrementally (``ipxescript.lint.incremental``); a script that
is part of a boot tree is linted here, with the tree's other files. That lint starts from scratch and can
take seconds of pure Python: run in a thread of the server it would hold the interpreter lock, and every
keystroke's quick diagnostics, completion and hover would wait behind it; in a separate process it runs
beside them, at a lower scheduling priority.

The worker imports the linter once and then forks a child for each lint, so a lint whose text has been
edited since can be stopped by killing that child, and the next one starts at once without importing
anything again. It starts with the server's own ``sys.path``, as multiprocessing's spawn does, so it
imports the same package as the server whatever folder the editor started the server in (a ``-m`` from
the current folder would pick up a source checkout there instead).

A worker that cannot start, exits, or loses a lint to a signal nobody sent raises ``WorkerUnavailable``
with the reason (its exit status and the last lines it wrote to stderr); the server then says so and
lints in its own process.

Protocol on the worker's stdin/stdout, each message an 8-byte big-endian length and a pickle.
Request: a ``LintRequest`` (one script, or one script of a boot tree with the tree's files). Replies: the worker's ``("started", child_pid)``; the child's
``("ok", [Diagnostic, ...])`` or ``("error", message)`` unless it was killed first; always last the
worker's ``("exit", signal)`` (0 when the child was not killed), so the stream never gets out of step.
"""

from __future__ import annotations

import asyncio
import json
import os
import pickle
import signal
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from ipxescript.analysis.diagnostics import Diagnostic
from ipxescript.lint import LintConfig, lint_source
from ipxescript.lint.engine import lint_tree


class LintAborted(Exception):
    """The lint was stopped before it answered: its text changed."""


class WorkerUnavailable(Exception):
    """The worker could not start or died; the message says why."""


# The worker's command line: the server's sys.path first, then this module's main().
_BOOT = "import json, sys; sys.path[:] = json.loads(sys.argv[1]); from {module} import main; main()"
STDERR_KEPT = 4000  # characters of the worker's stderr kept to explain its death


def _frame(payload: Any) -> bytes:
    data = pickle.dumps(payload, protocol=pickle.HIGHEST_PROTOCOL)
    return len(data).to_bytes(8, "big") + data


@dataclass(frozen=True)
class LintRequest:
    """Lint ``path`` (its text, its config); with ``tree``, as one file of the boot tree made of those
    (path, text, config) files, so that findings use its parents and children (lint_tree)."""

    text: str
    path: str | None
    config: LintConfig
    tree: tuple[tuple[str, str, LintConfig], ...] = ()
    root: str | None = None

    def run(self) -> list[Diagnostic]:
        if not self.tree:
            return lint_source(self.text, self.path, self.config)
        files = [(p, self.text if p == self.path else t, c) for p, t, c in self.tree]
        index = next(i for i, (p, _t, _c) in enumerate(files) if p == self.path)
        return lint_tree(files, root=self.root)[index].diagnostics


def _lint_and_reply(replies: BinaryIO, request: LintRequest) -> None:
    try:
        reply: tuple[str, Any] = ("ok", request.run())
    except Exception as exc:  # reported to the server, which logs it and keeps going
        reply = ("error", f"{type(exc).__name__}: {exc}")
    replies.write(_frame(reply))
    replies.flush()


def serve(requests: BinaryIO, replies: BinaryIO) -> None:
    lint_source("#!ipxe\n")  # load the rules before forking, so children start warm
    while True:
        header = requests.read(8)
        if len(header) < 8:
            return
        request = pickle.loads(requests.read(int.from_bytes(header, "big")))
        # the child waits at this gate until "started" is written, so its reply always comes after
        gate_read, gate_write = os.pipe()
        child = os.fork()
        if child == 0:
            code = 0
            try:
                os.close(gate_write)
                os.read(gate_read, 1)
                _lint_and_reply(replies, request)
            except BaseException:
                code = 1
            finally:
                os._exit(code)
        os.close(gate_read)
        replies.write(_frame(("started", child)))
        replies.flush()
        try:
            os.write(gate_write, b"x")
        except BrokenPipeError:
            pass  # the server already killed the child: it was not wanted any more
        os.close(gate_write)
        _, status = os.waitpid(child, 0)
        replies.write(_frame(("exit", os.WTERMSIG(status) if os.WIFSIGNALED(status) else 0)))
        replies.flush()


class LintWorker:
    """The server's side: one worker process, one lint at a time."""

    def __init__(self) -> None:
        self._process: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()
        self._busy_with: object | None = None  # the key (document) of the running lint
        self._child: int | None = None
        self._killed = False  # the running lint's child was stopped on purpose
        self._stderr = ""  # the tail of what the worker wrote to stderr
        self._stderr_task: asyncio.Task[None] | None = None
        self._closed = False  # the server is shutting down: a lint cut short is no failure

    async def _start(self) -> asyncio.subprocess.Process:
        if self._closed:
            raise LintAborted("the server is shutting down")
        if self._process is not None and self._process.returncode is not None:
            raise WorkerUnavailable(f"the lint worker {await self._death(self._process)}")
        if self._process is None:
            command = _BOOT.format(module="ipxescript.lsp.lint_worker")
            self._stderr = ""
            try:
                self._process = await asyncio.create_subprocess_exec(
                    sys.executable, "-c", command, json.dumps(sys.path),
                    stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                    stderr=asyncio.subprocess.PIPE, limit=2**26,
                )  # fmt: skip
            except OSError as exc:
                raise WorkerUnavailable(f"the lint worker could not start: {exc}") from exc
            self._stderr_task = asyncio.ensure_future(self._keep_stderr(self._process))
        return self._process

    async def warm(self) -> None:
        """Start the worker ahead of its first lint (it imports the linter: a second or so)."""
        async with self._lock:
            try:
                await self._start()
            except (WorkerUnavailable, LintAborted):
                pass  # the first lint that needs it reports why

    async def _keep_stderr(self, process: asyncio.subprocess.Process) -> None:
        """Pass the worker's stderr on to the server's (the editor's log) and keep its tail."""
        assert process.stderr is not None
        while chunk := await process.stderr.read(65536):
            sys.stderr.write(chunk.decode(errors="replace"))
            sys.stderr.flush()
            self._stderr = (self._stderr + chunk.decode(errors="replace"))[-STDERR_KEPT:]

    async def _death(self, process: asyncio.subprocess.Process) -> str:
        """Why the worker stopped: its exit status and its last words on stderr."""
        try:
            code = await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            code = await process.wait()
        if self._stderr_task is not None:
            await asyncio.wait([self._stderr_task], timeout=2)
        status = f"killed by signal {-code}" if code < 0 else f"exited with status {code}"
        last = [line for line in self._stderr.splitlines() if line.strip()][-1:]
        return status + (f": {last[0].strip()}" if last else "")

    async def _read(self, process: asyncio.subprocess.Process) -> tuple[str, Any]:
        assert process.stdout is not None
        header = await process.stdout.readexactly(8)
        reply: tuple[str, Any] = pickle.loads(await process.stdout.readexactly(int.from_bytes(header, "big")))
        return reply

    async def lint(
        self, key: object, text: str, path: str | None, config: LintConfig, wanted: Callable[[], bool]
    ) -> list[Diagnostic]:
        return await self.run(key, LintRequest(text, path, config), wanted)

    async def run(self, key: object, request: LintRequest, wanted: Callable[[], bool]) -> list[Diagnostic]:
        """Run ``request``; ``wanted()`` is asked once the worker is free (False: raise LintAborted).
        Raises ``WorkerUnavailable`` when the worker cannot start or dies."""
        async with self._lock:
            if not wanted():
                raise LintAborted("the text changed while waiting for the worker")
            self._busy_with = key
            exchange = asyncio.ensure_future(self._exchange(request, wanted))
            try:
                reply = await asyncio.shield(exchange)
            except asyncio.CancelledError:
                # the caller gave up: stop the lint, but read the worker's replies to the end so the
                # next request does not read this one's (the lock is held until then)
                self._kill_child()
                await asyncio.wait([exchange])
                if not exchange.cancelled():
                    exchange.exception()  # retrieved: it is the caller's cancellation that counts
                raise
            finally:
                self._busy_with = None
        if reply is None:
            raise LintAborted("stopped: the text changed")
        status, value = reply
        if status != "ok":
            raise RuntimeError(f"ipxelint failed: {value}")
        return list(value)

    async def _exchange(self, request: LintRequest, wanted: Callable[[], bool]) -> tuple[str, Any] | None:
        process = await self._start()
        assert process.stdin is not None
        self._killed = False
        try:
            process.stdin.write(_frame(request))
            await process.stdin.drain()
            status, value = await self._read(process)
            if status != "started":
                raise WorkerUnavailable(f"the lint worker is out of step (it answered {status!r})")
            self._child = value
            if not wanted():
                self._kill_child()
            result = None
            while True:
                status, value = await self._read(process)
                if status == "exit":
                    if value and not self._killed:
                        raise WorkerUnavailable(f"the lint was killed by signal {value}")
                    return result
                result = (status, value)
        except (asyncio.IncompleteReadError, ConnectionError) as exc:
            if self._closed:
                raise LintAborted("the server is shutting down") from exc
            raise WorkerUnavailable(f"the lint worker {await self._death(process)}") from exc
        except WorkerUnavailable:
            if process.returncode is None:
                process.kill()  # out of step: the next lint starts a new worker
            raise
        finally:
            self._child = None

    def _kill_child(self) -> None:
        if self._child is not None:
            self._killed = True
            try:
                os.kill(self._child, signal.SIGKILL)
            except ProcessLookupError:
                pass

    def abort(self, key: object) -> None:
        """Stop the running lint if it is for ``key`` (its answer would be stale)."""
        if self._busy_with is key:
            self._kill_child()

    async def close(self) -> None:
        self._closed = True
        if self._process is not None and self._process.returncode is None:
            self._process.kill()
            await self._process.wait()
        if self._stderr_task is not None:
            await asyncio.wait([self._stderr_task], timeout=2)


def main() -> None:
    # Below the server in the scheduler: on a busy machine the editor's answers come first.
    os.nice(10)
    replies = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing a rule prints may corrupt the replies
    serve(sys.stdin.buffer, replies)


if __name__ == "__main__":
    main()
