"""Language server latency: a one-character edit in a 10,000-line script to its diagnostics.

    python benchmarks/bench_lsp.py [--lines N] [--edits N] [--json]

Starts `python -m ipxescript lsp` over stdio, opens a generated 10,000-line menu script and waits for its
complete lint, then makes 50 one-character edits (alternately typing a character into a word and
deleting it again, on lines spread over the file), 0.3 s apart, so the server's background lint of the
previous text is usually running when the next edit arrives. It times, from sending `didChange`:

* first publish: the server's first `publishDiagnostics` for that version (the incremental reparse of
  the touched logical lines, with the last full lint's findings moved along);
* complete publish (on a few more edits, each waited for): the second one, after the whole linter ran
  on the new text (includes the server's 0.25 s pause before it starts the linter).

For comparison, in this process: a full `ipxescript.parse` of the same text, a full `lint_source`, and
one incremental `Document.edit`. Reports p50/p95 in ms and the ratio full reparse / first publish.
Target: p95 of the first publish under 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import menu_script  # noqa: E402


class Connection:
    """A minimal JSON-RPC client over the server's stdio that records when each message arrived."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.next_id = 0
        self.replies: dict[int, asyncio.Future[dict]] = {}
        self.publishes: list[tuple[float, dict]] = []
        self.published = asyncio.Event()
        self.reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        assert self.process.stdout is not None
        stream = self.process.stdout
        while True:
            header = await stream.readuntil(b"\r\n\r\n")
            length = int(header.split(b"Content-Length:")[1].split(b"\r\n")[0])
            message = json.loads(await stream.readexactly(length))
            now = time.perf_counter()
            if message.get("method") == "textDocument/publishDiagnostics":
                self.publishes.append((now, message["params"]))
                self.published.set()
            elif "id" in message and message["id"] in self.replies:
                self.replies.pop(message["id"]).set_result(message)

    def send(self, message: dict) -> None:
        assert self.process.stdin is not None
        body = json.dumps(message).encode()
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)

    async def request(self, method: str, params: dict) -> dict:
        self.next_id += 1
        future: asyncio.Future[dict] = asyncio.get_running_loop().create_future()
        self.replies[self.next_id] = future
        self.send({"jsonrpc": "2.0", "id": self.next_id, "method": method, "params": params})
        return await asyncio.wait_for(future, 60)

    def notify(self, method: str, params: dict) -> None:
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    async def publishes_for(self, version: int, count: int, timeout: float) -> list[float]:
        """Arrival times of the first ``count`` publishes tagged with ``version``."""
        deadline = time.perf_counter() + timeout
        while True:
            times = [t for t, p in self.publishes if p.get("version") == version]
            if len(times) >= count:
                return times[:count]
            self.published.clear()
            remaining = deadline - time.perf_counter()
            if remaining <= 0:
                raise TimeoutError(f"version {version}: {len(times)} of {count} publishes")
            try:
                await asyncio.wait_for(self.published.wait(), remaining)
            except TimeoutError:
                pass


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))
    return ordered[index]


def edits_for(text: str, count: int) -> list[tuple[int, int, str]]:
    """(line, column, inserted text or "" to delete one character): type into `kernel`'s URL word and
    take it back, on lines spread over the file."""
    lines = text.split("\n")
    targets = [i for i, line in enumerate(lines) if line.startswith("kernel ")]
    step = max(1, len(targets) // (count // 2 + 1))
    out: list[tuple[int, int, str]] = []
    for k in range((count + 1) // 2):
        line = targets[(k * step) % len(targets)]
        column = len("kernel ${base}/os")
        out.append((line, column, "x"))
        out.append((line, column, ""))
    return out[:count]


async def measure_server(text: str, edit_count: int, complete_count: int, pause: float) -> dict:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "ipxescript", "lsp",
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=REPO, limit=2**26,
    )  # fmt: skip
    conn = Connection(process)
    uri = "file:///bench/large.ipxe"
    try:
        await conn.request("initialize", {"processId": None, "rootUri": None, "capabilities": {}})
        conn.notify("initialized", {})
        started = time.perf_counter()
        conn.notify(
            "textDocument/didOpen",
            {"textDocument": {"uri": uri, "languageId": "ipxe", "version": 1, "text": text}},
        )
        opened = await conn.publishes_for(1, 2, timeout=600)
        first: list[float] = []
        complete: list[float] = []
        edits = edits_for(text, edit_count + complete_count)
        for number, (line, column, insert) in enumerate(edits, start=2):
            end = column if insert else column + 1
            change = {
                "range": {
                    "start": {"line": line, "character": column},
                    "end": {"line": line, "character": end},
                },
                "text": insert,
            }
            sent = time.perf_counter()
            conn.notify(
                "textDocument/didChange",
                {"textDocument": {"uri": uri, "version": number}, "contentChanges": [change]},
            )
            if number - 2 < edit_count:
                # typing: the next key comes after a pause longer than the server's lint delay, so a
                # full lint is usually running in the background when it arrives
                (arrived,) = await conn.publishes_for(number, 1, timeout=600)
                first.append((arrived - sent) * 1000)
                await asyncio.sleep(pause)
            else:
                times = await conn.publishes_for(number, 2, timeout=900)
                complete.append((times[1] - sent) * 1000)
        await conn.request("shutdown", {})
        conn.notify("exit", {})
        return {
            "open_first_ms": (opened[0] - started) * 1000,
            "open_complete_ms": (opened[1] - started) * 1000,
            "first": first,
            "complete": complete,
        }
    finally:
        conn.reader.cancel()
        if process.returncode is None:
            process.kill()
        await process.wait()


def measure_in_process(text: str) -> dict:
    from ipxescript import parse
    from ipxescript.lint import lint_source
    from ipxescript.syntax.incremental import Document

    parse(text)  # warm up
    parses = []
    for _ in range(3):
        start = time.perf_counter()
        parse(text)
        parses.append((time.perf_counter() - start) * 1000)
    start = time.perf_counter()
    lint_source(text)
    lint_ms = (time.perf_counter() - start) * 1000
    document = Document(text)
    offset = text.index("kernel ") + len("kernel ${base}/os")
    edits = []
    for _ in range(20):
        start = time.perf_counter()
        document.edit(offset, offset, "x")
        document.edit(offset, offset + 1, "")
        edits.append((time.perf_counter() - start) * 1000 / 2)
    return {"parse_ms": statistics.median(parses), "lint_ms": lint_ms, "edit_ms": statistics.median(edits)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=10_000)
    parser.add_argument("--edits", type=int, default=50, help="edits timed to their first publish")
    parser.add_argument(
        "--complete-edits", type=int, default=4, help="edits timed to the full lint's publish"
    )
    parser.add_argument("--pause", type=float, default=0.3, help="seconds between typed edits")
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    args = parser.parse_args()
    text = menu_script(args.lines)
    server = asyncio.run(measure_server(text, args.edits, args.complete_edits, args.pause))
    local = measure_in_process(text)
    first, complete = server["first"], server["complete"]
    result = {
        "lines": len(text.splitlines()),
        "edits": len(first),
        "complete_edits": len(complete),
        "first_publish_p50_ms": statistics.median(first),
        "first_publish_p95_ms": percentile(first, 0.95),
        "complete_publish_p50_ms": statistics.median(complete),
        "complete_publish_max_ms": max(complete),
        "open_first_publish_ms": server["open_first_ms"],
        "open_complete_publish_ms": server["open_complete_ms"],
        "full_reparse_ms": local["parse_ms"],
        "full_lint_ms": local["lint_ms"],
        "incremental_edit_ms": local["edit_ms"],
    }
    result["reparse_over_first_publish_p50"] = result["full_reparse_ms"] / result["first_publish_p50_ms"]
    result["target_met"] = result["first_publish_p95_ms"] < 50
    result["load_average"] = os.getloadavg()[0]
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(f"lsp: one-character didChange in a {result['lines']}-line script, {result['edits']} edits")
    print(
        f"  first publishDiagnostics     p50 {result['first_publish_p50_ms']:8.1f} ms   p95 "
        f"{result['first_publish_p95_ms']:8.1f} ms   (target p95 < 50 ms: {'met' if result['target_met'] else 'MISSED'})"
    )
    print(
        f"  complete (full lint) publish p50 {result['complete_publish_p50_ms']:8.1f} ms   max "
        f"{result['complete_publish_max_ms']:8.1f} ms   ({result['complete_edits']} edits; includes the 0.25 s lint delay)"
    )
    print(
        f"  open: first publish {result['open_first_publish_ms']:.0f} ms, complete {result['open_complete_publish_ms']:.0f} ms"
    )
    print(
        f"  in-process: full reparse {result['full_reparse_ms']:.1f} ms, full lint {result['full_lint_ms']:.1f} ms, "
        f"incremental edit {result['incremental_edit_ms']:.2f} ms"
    )
    print(f"  full reparse / first publish (p50): {result['reparse_over_first_publish_p50']:.1f}x")
    print(
        f"  machine load average at the end: {os.getloadavg()[0]:.1f} (2 cores; other work skews these numbers)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
