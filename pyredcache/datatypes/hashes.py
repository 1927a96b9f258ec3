"""The hash value type: a dict of field -> value bytes that reports Redis 7.0's listpack/hashtable encoding.

Conversion listpack -> hashtable is one-way, driven by hash-max-listpack-entries/-value as in t_hash.c.
"""
from __future__ import annotations

import heapq
from collections.abc import Iterable
from typing import ClassVar

from .._speedups.memsize import SizedDict
from .encoding import HASH, rdb_len_size

ENC_LISTPACK = b"listpack"
ENC_HASHTABLE = b"hashtable"

_MASK64 = (1 << 64) - 1
_REV8 = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _rev64(value: int) -> int:
    """The 64 bits of value in reverse order (SCAN's reverse-binary cursor)."""
    return int.from_bytes(value.to_bytes(8, "little").translate(_REV8), "big")


class Hash(SizedDict):
    """Field -> value. Iteration order is insertion order, which is the order of a Redis listpack.

    SizedDict (Cython) keeps `elem_bytes`, the size of every field and value object, exact under every dict
    mutator, and provides mem_size() (O(1)).
    """

    __slots__ = ("listpack",)
    redis_type: ClassVar[bytes] = HASH

    def __init__(self, items: Iterable[tuple[bytes, bytes]] = (), listpack: bool = True) -> None:
        super().__init__(items)
        self.listpack = listpack

    @property
    def encoding(self) -> bytes:
        return ENC_LISTPACK if self.listpack else ENC_HASHTABLE

    def copy(self) -> Hash:
        h = Hash.__new__(Hash)
        dict.update(h, self)
        h.listpack = self.listpack
        h.elem_bytes = self.elem_bytes
        return h

    # -- encoding thresholds (hashTypeTryConversion / hashTypeSet) ------------------------------------------

    def check_lengths(self, args: list[bytes], start: int, max_value: int) -> None:
        """Convert to a hashtable if any of args[start:] is longer than hash-max-listpack-value."""
        if self.listpack:
            for i in range(start, len(args)):
                if len(args[i]) > max_value:
                    self.listpack = False
                    return

    def check_pair(self, field: bytes, value: bytes, max_value: int) -> None:
        if self.listpack and (len(field) > max_value or len(value) > max_value):
            self.listpack = False

    def check_entries(self, max_entries: int) -> None:
        if self.listpack and len(self) > max_entries:
            self.listpack = False

    # -- HSCAN ------------------------------------------------------------------------------------------------

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        """One HSCAN step over a hashtable-encoded hash: (next cursor, fields).

        Fields are ordered by the bit-reversed hash of the field, and the cursor is a position in that order,
        so every field present for the whole iteration is returned at least once whatever else changes.
        """
        pending = [(r, f) for f in self if (r := _rev64(hash(f) & _MASK64)) >= cursor]
        if len(pending) <= count:
            return 0, [f for _, f in pending]
        pending = heapq.nsmallest(count + 1, pending)
        last = pending[count - 1][0]
        nxt = pending[count][0]
        fields = [f for _, f in pending[:count]]
        if nxt == last:
            # A full 64-bit collision: the cursor may not split the fields sharing it.
            fields.extend(f for r, f in ((_rev64(hash(f) & _MASK64), f) for f in self)
                          if r == last and f not in fields)
            more = [r for f in self if (r := _rev64(hash(f) & _MASK64)) > last]
            return (min(more) if more else 0), fields
        return nxt, fields

    # -- introspection (MEMORY USAGE, DEBUG OBJECT) --------------------------------------------------------------

    def memory_usage(self, samples: int) -> int:
        """MEMORY USAGE's value part: exact, whatever `samples` says (see mem_size)."""
        return self.mem_size()

    def rdb_serialized_length(self) -> int:
        """An estimate of rdbSavedObjectLen (uncompressed): a listpack blob, or length-prefixed pairs."""
        if self.listpack:
            body = 7    # header (total bytes + count) and end marker
            for field, value in self.items():
                for item in (field, value):
                    n = len(item)
                    entry = 1 + n if n < 64 else (2 + n if n < 4096 else 5 + n)
                    body += entry + (1 if entry < 128 else 2 if entry < 16384 else 3)
            return rdb_len_size(body) + body
        total = rdb_len_size(len(self))
        for field, value in self.items():
            total += rdb_len_size(len(field)) + len(field) + rdb_len_size(len(value)) + len(value)
        return total
