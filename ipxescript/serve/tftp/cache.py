"""DATA packets of small files, built once and sent by every transfer of the same file and block size.

A boot storm is hundreds of machines reading the same first stage (ipxe.efi, snponly.efi: about 1 MiB)
with the same blksize. Block n of that file is the same packet for each of them (the block number is
the same too), so the packets are laid out once in one buffer and a transfer sends slices of it: no read
and no copy per block.

An entry is keyed by the file as it is now (device, inode, mtime, ctime, size, from the descriptor the
transfer opened and checked) and the block size: a file that is replaced or rewritten is a new key, and
its old entry ages out. Only files up to MAX_FILE are kept, MAX_TOTAL bytes in all (least recently used
first out); larger files are streamed as before, never read whole.
"""

from __future__ import annotations

from collections import OrderedDict

from .files import FileSource
from .packets import OP_DATA

MAX_FILE = 8 << 20
MAX_TOTAL = 64 << 20


class PacketCache:
    def __init__(self, max_file: int = MAX_FILE, max_total: int = MAX_TOTAL) -> None:
        self.max_file, self.max_total = max_file, max_total
        self._entries: OrderedDict[tuple[object, ...], list[memoryview]] = OrderedDict()
        self._sizes: dict[tuple[object, ...], int] = {}
        self._total = 0

    def packets(self, source: FileSource, blksize: int) -> list[memoryview] | None:
        """The DATA packets of the source's file (index n: block n, index 0 unused); None when the file is
        too large to keep. Reads the file through `source` on a miss (OSError as it raises it)."""
        size = source.size
        if size is None or size > self.max_file or not source.version:
            return None
        key = (*source.version, blksize)
        found = self._entries.get(key)
        if found is not None:
            self._entries.move_to_end(key)
            return found
        found, footprint = _build(source, size, blksize)
        self._entries[key] = found
        self._sizes[key] = footprint
        self._total += footprint
        while self._total > self.max_total and len(self._entries) > 1:
            old, _ = self._entries.popitem(last=False)
            self._total -= self._sizes.pop(old)
        return found


def _build(source: FileSource, size: int, blksize: int) -> tuple[list[memoryview], int]:
    count = size // blksize + 1  # the last block is short, empty when the size is a multiple of blksize
    stride = 4 + blksize
    buffer = bytearray(count * stride)
    view = memoryview(buffer)
    packets: list[memoryview] = [view[:0]]
    for index in range(count):
        at = index * stride
        block = (index + 1) & 0xFFFF  # numbers roll over past 65535
        buffer[at + 1] = OP_DATA
        buffer[at + 2] = block >> 8
        buffer[at + 3] = block & 0xFF
        length = source.readinto(view[at + 4 : at + stride])
        packets.append(view[at : at + 4 + length])
        if length < blksize:
            break
    if len(packets) != count + 1 or source.readinto(memoryview(bytearray(1))):
        raise OSError(f"the file changed size while it was read (expected {size} bytes)")
    return packets, len(buffer)
