"""Log output of `ipxescript serve`: text or JSON lines on stderr (`--log-format`), and syslog (`--syslog`).

A JSON line has `time` (ISO 8601, UTC), `level`, `logger`, `message` and, for an exception, `error`; it is
one line whatever the message holds, so a log collector never splits an event.
"""

from __future__ import annotations

import json
import logging
import logging.handlers
import os
import sys
import time


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        item = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
            "pid": record.process,
        }
        if record.exc_info:
            item["error"] = self.formatException(record.exc_info)
        return json.dumps(item, ensure_ascii=False)


def setup(level: int, log_format: str = "text", syslog: bool = False, stream: object = None) -> None:
    handler = logging.StreamHandler(stream or sys.stderr)  # type: ignore[arg-type]
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    handlers: list[logging.Handler] = [handler]
    if syslog:
        address = "/dev/log" if os.path.exists("/dev/log") else ("localhost", 514)
        try:
            to_syslog = logging.handlers.SysLogHandler(
                address=address, facility=logging.handlers.SysLogHandler.LOG_DAEMON
            )
        except OSError as exc:
            print(
                f"ipxescript serve: warning: syslog unavailable ({exc}); logging to stderr only",
                file=sys.stderr,
            )
        else:
            to_syslog.setFormatter(
                logging.Formatter("ipxescript[%(process)d]: %(levelname)s %(name)s: %(message)s")
            )
            handlers.append(to_syslog)
    logging.basicConfig(level=level, handlers=handlers, force=True)
    logging.getLogger("aiohttp").setLevel(logging.DEBUG if level <= logging.DEBUG else logging.WARNING)
