"""Lossless text <-> bytes: iPXE works on bytes, we work on str.

Bytes are decoded as UTF-8 with ``surrogateescape``: every byte that is not valid UTF-8 becomes one
lone surrogate character, so any file round-trips exactly and a bad byte never stops the parser.
"""

from __future__ import annotations


def decode_source(data: str | bytes) -> tuple[str, bool]:
    """Return (text, had_encoding_errors)."""
    if isinstance(data, str):
        return data, False
    try:
        return data.decode("utf-8"), False
    except UnicodeDecodeError:
        return data.decode("utf-8", "surrogateescape"), True


def encode_source(text: str) -> bytes:
    """The original bytes of decoded text (str input that holds lone surrogates is encoded the same way)."""
    return text.encode("utf-8", "surrogateescape")
