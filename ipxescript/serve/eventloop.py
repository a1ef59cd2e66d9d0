"""The event loop the servers run on: uvloop (libuv) when it is installed, else asyncio's own.

uvloop is a dependency on Linux: the HTTP side spends most of a small request in the event loop and
transport, which uvloop does in C (see README, Dependencies). The servers use only standard asyncio
APIs, so they run unchanged on either loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def run(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the fastest loop available."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    return uvloop.run(main)
