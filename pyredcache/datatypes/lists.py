"""The list value type: a deque (O(1) pushes/pops at both ends, indexing walks from the nearer end).

Redis 7.0 stores every list as a quicklist (the small-list listpack encoding arrived in 7.2), so OBJECT
ENCODING is always "quicklist"; DEBUG OBJECT's quicklist fields are modelled from listpack entry sizes.
"""
from __future__ import annotations

import sys
from collections import deque
from typing import ClassVar, Final

from .encoding import LIST, rdb_len_size, string_int_value

ENC_QUICKLIST: Final = b"quicklist"

# quicklist.c: a negative list-max-listpack-size picks a per-node byte limit; positive values count entries
# (with an 8 KiB safety limit). SIZE_ESTIMATE_OVERHEAD is the slack _quicklistNodeAllowInsert adds.
_NODE_BYTES: Final = (4096, 8192, 16384, 32768, 65536)
_SAFETY_LIMIT: Final = 8192
_SIZE_ESTIMATE_OVERHEAD: Final = 8
_LISTPACK_HEADER: Final = 6     # total bytes (4) + element count (2)
_LISTPACK_END: Final = 1


def _backlen_size(n: int) -> int:
    if n <= 127:
        return 1
    if n < 16383:
        return 2
    if n < 2097151:
        return 3
    if n < 268435455:
        return 4
    return 5


def listpack_entry_size(element: bytes | bytearray) -> int:
    """Bytes one element takes in a listpack (encoding byte(s), data and back-length)."""
    number = string_int_value(bytes(element)) if len(element) <= 20 else None
    if number is not None:
        if 0 <= number <= 127:
            size = 1
        elif -4096 <= number <= 4095:
            size = 2
        elif -(1 << 15) <= number < 1 << 15:
            size = 3
        elif -(1 << 23) <= number < 1 << 23:
            size = 4
        elif -(1 << 31) <= number < 1 << 31:
            size = 5
        else:
            size = 9
    else:
        n = len(element)
        size = n + (1 if n < 64 else 2 if n < 4096 else 5)
    return size + _backlen_size(size)


class RedisList(deque[bytes]):
    """A Redis list. Elements are bytes; the deque gives O(1) work at both ends."""

    __slots__ = ()
    redis_type: ClassVar[bytes] = LIST
    # Redis 7.0 has no listpack-encoded lists: every list is a quicklist whatever list-max-listpack-size says.
    encoding: ClassVar[bytes] = ENC_QUICKLIST

    def copy(self) -> RedisList:
        return RedisList(self)

    def node_sizes(self, fill: int = -2) -> list[tuple[int, int]]:
        """(entry count, listpack bytes) per quicklist node, as appending the elements in order would split them."""
        limit_bytes = _NODE_BYTES[min(-fill, 5) - 1] if fill < 0 else _SAFETY_LIMIT
        limit_count = fill if fill > 0 else 0
        nodes: list[tuple[int, int]] = []
        count = 0
        size = _LISTPACK_HEADER + _LISTPACK_END
        for element in self:
            if count and (size + len(element) + _SIZE_ESTIMATE_OVERHEAD > limit_bytes
                          or (limit_count and count + 1 > limit_count)):
                nodes.append((count, size))
                count = 0
                size = _LISTPACK_HEADER + _LISTPACK_END
            count += 1
            size += listpack_entry_size(element)
        if count:
            nodes.append((count, size))
        return nodes

    def rdb_serialized_length(self) -> int:
        """rdbSavedObjectLen for RDB_TYPE_LIST_QUICKLIST_2 (uncompressed nodes)."""
        nodes = self.node_sizes()
        total = rdb_len_size(len(nodes))
        for _count, size in nodes:
            total += 1 + rdb_len_size(size) + size
        return total

    @property
    def debug_object_extra(self) -> str:
        nodes = self.node_sizes()
        avg = len(self) / len(nodes) if nodes else 0.0
        raw = sum(size for _count, size in nodes)
        return (f" ql_nodes:{len(nodes)} ql_avg_node:{avg:.2f} ql_listpack_max:-2 ql_compressed:0"
                f" ql_uncompressed_size:{raw}")

    def memory_usage(self, samples: int) -> int:
        """MEMORY USAGE's value part: the container plus sampled element sizes scaled to the length."""
        size = sys.getsizeof(self)
        n = len(self)
        if not n:
            return size
        taken = 0
        total = 0
        for element in self:
            if taken >= samples:
                break
            total += sys.getsizeof(element)
            taken += 1
        return size + total * n // taken
