"""The DHCP runner's log file: a decision per line, written cheaply (a lab powering on logs thousands of
decisions a second).

`write_lines` is the fast path's lane into it: lines in exactly the format records would get, without
building the records (fastpath.DecisionLog uses it when this handler is the only one a record would reach).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterable

LINE_FORMAT = "%(asctime)s %(name)s %(levelname)s %(message)s"


class SecondCachingFormatter(logging.Formatter):
    """The standard format, with the date and time text built once per second instead of per record
    (a lab powering on logs thousands of decisions a second)."""

    _second: int | None = None
    _text = ""

    def format(self, record: logging.LogRecord) -> str:
        if record.exc_info or record.exc_text or record.stack_info or not self.usesTime():
            return super().format(record)
        # The common record, in one step (what Formatter.format does for it).
        record.message = record.getMessage()
        record.asctime = self.formatTime(record, self.datefmt)
        return self.formatMessage(record)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:  # noqa: N802
        if datefmt or not self.default_msec_format:
            return super().formatTime(record, datefmt)
        return self.time_text(record.created, record.msecs)

    def time_text(self, created: float, msecs: float) -> str:
        second = int(created)
        if second != self._second:
            self._second = second
            self._text = time.strftime(self.default_time_format, self.converter(created))
        if self.default_msec_format == "%s,%03d":  # logging's own: the same text, at a third of the cost
            return f"{self._text},{int(msecs):03d}"
        return self.default_msec_format % (self._text, msecs)  # type: ignore[operator]


class LoopFlushedFileHandler(logging.FileHandler):
    """A log file flushed once per event-loop iteration instead of once per record while the server runs:
    a burst of DHCP decisions costs one write(2), and every line is in the file before the loop waits
    for more packets. Outside a running loop it flushes each record, as FileHandler does."""

    _flush_pending = False

    def flush(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            super().flush()
            return
        if not self._flush_pending:
            self._flush_pending = True
            loop.call_soon(self._flush_now)

    def write_lines(self, name: str, lines: Iterable[tuple[float, str, str]]) -> bool:
        """Write the lines records of logger `name` with these fields (created, level name, message) would
        give, in one write; False (nothing written) when this handler formats otherwise, filters, or is not
        open."""
        formatter = self.formatter
        if (
            self.filters
            or self.stream is None
            or type(formatter) is not SecondCachingFormatter
            or formatter._fmt != LINE_FORMAT
            or formatter.datefmt
            or not formatter.default_msec_format
        ):
            return False
        time_text, end = formatter.time_text, self.terminator
        text = "".join(
            # msecs as LogRecord computes it
            f"{time_text(created, int((created - int(created)) * 1000))} {name} {level} {message}{end}"
            for created, level, message in lines
        )
        self.acquire()
        try:
            self.stream.write(text)
            self.flush()
        finally:
            self.release()
        return True

    def _flush_now(self) -> None:
        self._flush_pending = False
        super().flush()
