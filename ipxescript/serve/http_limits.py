"""The limits of the HTTP server, one place for their defaults and names (`[http]` in ipxescript.toml).

Kept apart from http_guard (which enforces them) so the config loader can check the `[http]` table
without importing the HTTP stack.
"""

from __future__ import annotations

import dataclasses
import resource
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class HttpLimits:
    max_connections: int = 512  # open at once (lowered to fit the descriptor limit, see `fitted`)
    max_per_client: int = 64  # open at once from one address
    header_timeout: float = 10.0  # from a connection's (or a request's) first byte to the end of its headers
    max_header_bytes: int = 16 * 1024  # request line and headers of one request
    keepalive_timeout: float = 15.0  # an idle keep-alive connection is closed after this
    body_timeout: float = 10.0  # reading a request body (the API's JSON)
    send_stall_timeout: float = 60.0  # a download whose client reads nothing for this long is dropped

    @classmethod
    def configured(cls, overrides: dict[str, float]) -> HttpLimits:
        """The defaults with the `[http]` table's values (checked by the config loader) in place."""
        values: dict[str, Any] = {**dataclasses.asdict(cls()), **overrides}
        return cls(**values)

    def fitted(self) -> HttpLimits:
        """These limits lowered so HTTP keeps under a quarter of the descriptors the process may open (each
        connection can hold three: its socket, the file and sendfile's duplicate)."""
        soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
        if soft == resource.RLIM_INFINITY:
            return self
        fit = max(16, (soft - 64) // 4)
        if fit >= self.max_connections:
            return self
        return HttpLimits(**{**self.__dict__, "max_connections": fit})


# Fixed bounds on one request's header block, on both paths (aiohttp's parser and the lean path): header
# lines, and bytes in one line. aiohttp answers 400 past them; the lean path hands such a request to it.
MAX_HEADER_FIELDS = 64
MAX_FIELD_BYTES = 8190

LIMIT_KEYS = tuple(f.name for f in dataclasses.fields(HttpLimits))
