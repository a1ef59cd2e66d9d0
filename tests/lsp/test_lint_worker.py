"""The linter process: answers, stops a stale lint at once, and stays in step after a cancelled caller."""

from __future__ import annotations

import asyncio
import time

import pytest

from ipxescript.lint import LintConfig
from ipxescript.lsp.lint_worker import LintAborted, LintWorker

BIG = "#!ipxe\n" + ":a\necho x\ngoto a\n" * 30_000


@pytest.mark.timeout(120)
async def test_worker_lints_and_survives_aborts_and_cancellations() -> None:
    worker = LintWorker()
    try:
        found = await worker.lint("doc", "#!ipxe\ngoto nowhere\n", None, LintConfig(), lambda: True)
        assert [d.code for d in found] == ["IPX201"]

        # an abort stops a long lint quickly
        task = asyncio.create_task(worker.lint("big", BIG, None, LintConfig(), lambda: True))
        await asyncio.sleep(0.5)
        started = time.perf_counter()
        worker.abort("big")
        with pytest.raises(LintAborted):
            await task
        assert time.perf_counter() - started < 5

        # a caller cancelled mid-lint leaves no stale reply behind for the next request
        task = asyncio.create_task(worker.lint("big", BIG, None, LintConfig(), lambda: True))
        await asyncio.sleep(0.5)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        found = await worker.lint("doc", "#!ipxe\n:x\ngoto y\n", None, LintConfig(), lambda: True)
        assert {d.code for d in found} >= {"IPX201"} and all("':a'" not in d.message for d in found)

        # a lint no longer wanted when the worker gets free is not run
        with pytest.raises(LintAborted):
            await worker.lint("doc", "#!ipxe\n", None, LintConfig(), lambda: False)
    finally:
        await worker.close()
