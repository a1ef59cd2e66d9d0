"""Option negotiation for read requests: blksize (RFC 2348), timeout and tsize (RFC 2349), windowsize (RFC 7440).

Options the server does not know, or whose values are malformed or out of range, are left out of the
OACK, which RFC 2347 allows; values above the server's limits are lowered, which RFC 2348 and 7440 allow.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_BLKSIZE = 512
MIN_BLKSIZE, MAX_BLKSIZE = 8, 65464
MIN_TIMEOUT, MAX_TIMEOUT = 1, 255
MAX_WINDOWSIZE = 65535


@dataclass(frozen=True)
class Limits:
    max_blksize: int = MAX_BLKSIZE
    max_windowsize: int = 64  # a window this large already fills any link the server is likely on
    # A longer `timeout` is not accepted (the client then uses the server's, RFC 2349): a client asking
    # 255 s would hold its transfer, and a slot of the server's limit, 25 minutes with one packet.
    max_timeout: int = 8


@dataclass(frozen=True)
class Negotiated:
    blksize: int = DEFAULT_BLKSIZE
    windowsize: int = 1
    timeout: float | None = None  # seconds, when the client asked for one
    oack: dict[str, str] | None = None  # the OACK to send, None when no option was accepted


def _number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


def negotiate(requested: dict[str, str], size: int | None, limits: Limits = Limits()) -> Negotiated:
    """What the server agrees to, given the request's options (names lower-case) and the content size."""
    blksize, windowsize, timeout = DEFAULT_BLKSIZE, 1, None
    accepted: dict[str, str] = {}
    for name, value in requested.items():
        number = _number(value)
        if number is None:
            continue
        if name == "blksize" and number >= MIN_BLKSIZE:
            blksize = min(number, limits.max_blksize, MAX_BLKSIZE)
            accepted[name] = str(blksize)
        elif name == "windowsize" and number >= 1:
            windowsize = min(number, limits.max_windowsize, MAX_WINDOWSIZE)
            accepted[name] = str(windowsize)
        elif name == "timeout" and MIN_TIMEOUT <= number <= min(MAX_TIMEOUT, limits.max_timeout):
            timeout = float(number)
            accepted[name] = str(number)
        elif name == "tsize" and size is not None:
            accepted[name] = str(size)
    return Negotiated(blksize, windowsize, timeout, accepted or None)
