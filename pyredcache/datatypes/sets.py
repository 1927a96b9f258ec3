"""The set value type: members in an indexable table (O(1) random pick) reporting Redis 7.0's intset/hashtable.

Encoding follows t_set.c: a set is an intset while every member is a canonical 64-bit integer and it holds at
most set-max-intset-entries members; conversion to hashtable is one-way (SPOP's rebuild path excepted).
"""
from __future__ import annotations

import random
import sys
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from typing import ClassVar

from .._speedups.numbers import string2ll
from .encoding import SET, element_size, rdb_len_size, rdb_string_length, sum_sizes

ENC_INTSET = b"intset"
ENC_HASHTABLE = b"hashtable"

_MASK64 = (1 << 64) - 1
_REV8 = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def is_int_member(member: bytes) -> bool:
    """isSdsRepresentableAsLongLong: a canonical signed 64-bit decimal (no '+', spaces or leading zeros)."""
    return string2ll(member) is not None


def _rev64(value: int) -> int:
    """The 64 bits of value in reverse order (SCAN's reverse-binary cursor)."""
    return int.from_bytes(value.to_bytes(8, "little").translate(_REV8), "big")


def _scan_pos(member: bytes) -> int:
    return _rev64(hash(member) & _MASK64)


_getsizeof = sys.getsizeof


class RedisSet:
    """A set of bytes members: a dict member -> slot in a dense list, so a random member costs O(1).

    The dict key and the list slot are the same member object. `_elem_bytes` is the size of the member objects
    (each counted once), kept by every mutator below, so mem_size() is O(1).
    """

    __slots__ = ("_pos", "_items", "intset", "_scan_order", "_elem_bytes")
    redis_type: ClassVar[bytes] = SET

    def __init__(self, members: Iterable[bytes] = (), intset: bool = True) -> None:
        self._pos: dict[bytes, int] = {}
        self._items: list[bytes] = []
        self.intset = intset
        self._scan_order: list[tuple[int, bytes]] | None = None
        for m in members:
            if m not in self._pos:
                self._pos[m] = len(self._items)
                self._items.append(m)
        self._elem_bytes = sum_sizes(self._items)

    @classmethod
    def build(cls, members: Iterable[bytes], max_intset: int) -> RedisSet:
        """A new set holding `members` with the encoding Redis's setTypeAdd sequence would reach."""
        s = cls(members)
        s.intset = len(s._items) <= max_intset and all(map(is_int_member, s._items))
        return s

    # -- container protocol ------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, member: object) -> bool:
        return member in self._pos

    def __iter__(self) -> Iterator[bytes]:
        return iter(self._items)

    def keys(self) -> Iterable[bytes]:
        """A set-like view of the members (supports &, |, - with other views and sets)."""
        return self._pos.keys()

    @property
    def encoding(self) -> bytes:
        return ENC_INTSET if self.intset else ENC_HASHTABLE

    def copy(self) -> RedisSet:
        s = RedisSet.__new__(RedisSet)
        s._pos = self._pos.copy()
        s._items = self._items.copy()
        s.intset = self.intset
        s._scan_order = None
        s._elem_bytes = self._elem_bytes
        return s

    # -- mutation ------------------------------------------------------------------------------------------------

    def add(self, member: bytes, max_intset: int) -> bool:
        """setTypeAdd: True if member was new. Converts to hashtable on a non-integer or past max_intset."""
        pos = self._pos
        if member in pos:
            return False
        self._scan_order = None
        pos[member] = len(self._items)
        self._items.append(member)
        self._elem_bytes += element_size(member)
        if self.intset and (len(self._items) > max_intset or not is_int_member(member)):
            self.intset = False
        return True

    def remove(self, member: bytes) -> bool:
        """setTypeRemove: True if member was there (the last slot moves into the hole)."""
        pos = self._pos
        i = pos.pop(member, -1)
        if i < 0:
            return False
        self._scan_order = None
        items = self._items
        self._elem_bytes -= element_size(items[i])
        last = items.pop()
        if i < len(items):
            items[i] = last
            pos[last] = i
        return True

    def pop_random(self) -> bytes:
        items = self._items
        i = random.randrange(len(items))
        member = items[i]
        last = items.pop()
        del self._pos[member]
        self._scan_order = None
        self._elem_bytes -= element_size(member)
        if i < len(items):
            items[i] = last
            self._pos[last] = i
        return member

    def pop_many(self, count: int, max_intset: int) -> list[bytes]:
        """SPOP key count with 0 < count < len: `count` distinct random members, removed.

        When few members remain (spopWithCountCommand's CASE 3) Redis rebuilds the set from what remains,
        so a hashtable set may become an intset again; that is mirrored here.
        """
        items = self._items
        remaining = len(items) - count
        popped = random.sample(items, count)
        for m in popped:
            self.remove(m)
        if remaining * 5 <= count:
            self.intset = remaining <= max_intset and all(map(is_int_member, items))
        return popped

    # -- reads -----------------------------------------------------------------------------------------------------

    def members(self) -> list[bytes]:
        """All members in Redis's iteration order where it is defined (an intset is sorted by value)."""
        if self.intset:
            return sorted(self._items, key=int)
        return self._items.copy()

    def random_member(self) -> bytes:
        return self._items[random.randrange(len(self._items))]

    def random_distinct(self, count: int) -> list[bytes]:
        """SRANDMEMBER with 0 < count < len: distinct random members."""
        return random.sample(self._items, count)

    def random_with_repeats(self, count: int) -> list[bytes]:
        """SRANDMEMBER with a negative count: members picked independently (repeats allowed)."""
        return random.choices(self._items, k=count)

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        """One SSCAN step: (next cursor, members).

        An intset is returned whole with cursor 0, as Redis does. A hashtable is walked in the order of each
        member's bit-reversed hash; the cursor is a position in that order, so every member present for the
        whole iteration is returned at least once whatever else changes. The order is cached until the next
        write, so a full iteration of an unchanged set costs O(N log N) once, then O(count) per call.
        """
        if self.intset:
            return 0, self.members()
        order = self._scan_order
        if order is None:
            order = self._scan_order = sorted([(_scan_pos(m), m) for m in self._items])
        n = len(order)
        start = bisect_left(order, (cursor,))
        end = start + count
        if end < n:
            # Members sharing a 64-bit position may not be split by the cursor.
            last = order[end - 1][0]
            while end < n and order[end][0] == last:
                end += 1
        if end >= n:
            return 0, [m for _, m in order[start:]]
        return order[end][0], [m for _, m in order[start:end]]

    # -- introspection (MEMORY USAGE, DEBUG OBJECT) --------------------------------------------------------------

    def _intset_width(self) -> int:
        width = 2
        for m in self._items:
            v = int(m)
            if not -32768 <= v <= 32767:
                if not -(1 << 31) <= v < (1 << 31):
                    return 8
                width = 4
        return width

    def mem_size(self) -> int:
        """Bytes held: this object, the member -> slot dict, the slot list and each member object once. O(1).
        The SSCAN order cache is transient (rebuilt by a read, dropped by the next write) and not counted."""
        return _SET_OBJECT_SIZE + _getsizeof(self._pos) + _getsizeof(self._items) + self._elem_bytes

    def memory_usage(self, samples: int) -> int:
        """MEMORY USAGE's value part: exact, whatever `samples` says (see mem_size)."""
        return self.mem_size()

    def rdb_serialized_length(self) -> int:
        """An estimate of rdbSavedObjectLen: an intset blob, or a count then each member as an RDB string."""
        n = len(self._items)
        if self.intset:
            body = 8 + n * self._intset_width()
            return rdb_len_size(body) + body
        total = rdb_len_size(n)
        for m in self._items:
            total += rdb_string_length(m)
        return total


_SET_OBJECT_SIZE = sys.getsizeof(RedisSet())    # the same for every instance (fixed __slots__)
