"""The sorted-set value type: a Cython skiplist + dict (ZSetCore) reporting Redis 7.0's listpack/skiplist.

Encoding follows t_zset.c: a new key starts as a listpack; inserting a member that breaks
zset-max-listpack-entries or zset-max-listpack-value converts it to a skiplist for good (zsetAdd). Only whole
rebuilds (Z*STORE, ZRANGESTORE results) pick the listpack again (zsetConvertToListpackIfNeeded), which
`build()` and `maybe_convert_to_listpack()` model. A listpack stores -0 as the integer 0 (zzlInsertAt's
double2ll), so its scores never read back as -0.

Ranges: `score_ranks()` and `lex_ranks()` turn a score or lex range into a half-open rank interval
[start, end) in O(log n); `range_by_rank()` / `remove_range_by_rank()` then cost O(log n + m).

ZSCAN support: `scan_members(cursor, count) -> (next_cursor, [(member, score), ...])`. A listpack is returned
whole with cursor 0 (as Redis does); a skiplist is walked in bit-reversed member-hash order, so members present
for the whole iteration are returned at least once whatever else changes.
"""
from __future__ import annotations

import math
import random
import sys
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator
from typing import ClassVar, NamedTuple

from .._speedups.listpack import listpack_encode
from .._speedups.zset import ZSetCore
from .encoding import ZSET, rdb_len_size, rdb_string_length

ENC_LISTPACK = b"listpack"
ENC_SKIPLIST = b"skiplist"

_MASK64 = (1 << 64) - 1
_REV8 = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))

# A lex bound's `inf`: -1 is "-" (before every member), 1 is "+" (after every member), 0 a real member.
LEX_NEG_INF = -1
LEX_POS_INF = 1


class ScoreRange(NamedTuple):
    """zrangespec: min/max with their exclusive flags ('(' prefixes)."""
    min: float
    max: float
    minex: bool = False
    maxex: bool = False


class LexBound(NamedTuple):
    """One side of a zlexrangespec: '-' / '+' (inf != 0), or a member, '(' exclusive / '[' inclusive."""
    value: bytes
    exclusive: bool = False
    inf: int = 0


def _scan_pos(member: bytes) -> int:
    return int.from_bytes((hash(member) & _MASK64).to_bytes(8, "little").translate(_REV8), "big")



class RedisZSet:
    """A sorted set: members (bytes) ordered by (score, member); `listpack` is the encoding Redis would report."""

    __slots__ = ("_z", "listpack", "_scan_order")
    redis_type: ClassVar[bytes] = ZSET

    def __init__(self, listpack: bool = True) -> None:
        self._z = ZSetCore()
        self.listpack = listpack
        self._scan_order: list[tuple[int, bytes]] | None = None

    @classmethod
    def build(cls, pairs: Iterable[tuple[bytes, float]], max_entries: int, max_value: int) -> RedisZSet:
        """A new zset holding `pairs` (a later pair wins for a repeated member), encoded as Redis would pick.

        That is what creating the key and zsetAdd-ing every pair reaches, and also what a store command's
        zsetConvertToListpackIfNeeded decides: a listpack while it holds at most max_entries members and no
        member longer than max_value (checked on redis-server 7.0.15: ZADD of one member repeated 200 times
        gives a listpack, so repeats do not count).
        """
        z = cls()
        core = z._z
        longest = 0
        for member, score in pairs:
            core.insert(member, score)
            if len(member) > longest:
                longest = len(member)
        z.listpack = len(core) <= max_entries and longest <= max_value
        if z.listpack:
            z._positive_zeros()
        return z

    # -- container protocol ------------------------------------------------------------------------------------

    @property
    def encoding(self) -> bytes:
        return ENC_LISTPACK if self.listpack else ENC_SKIPLIST

    def __len__(self) -> int:
        return len(self._z)

    def __contains__(self, member: object) -> bool:
        return member in self._z

    def copy(self) -> RedisZSet:
        z = RedisZSet.__new__(RedisZSet)
        z._z = self._z.copy()
        z.listpack = self.listpack
        z._scan_order = None
        return z

    # -- mutation ------------------------------------------------------------------------------------------------

    def add(self, member: bytes, score: float, max_entries: int, max_value: int) -> bool:
        """Insert member or move it to `score`; True if it is new. A new member may convert to skiplist."""
        return self.upsert(member, score, max_entries, max_value) is None

    def upsert(self, member: bytes, score: float, max_entries: int, max_value: int) -> float | None:
        """add() returning the member's previous score (None if it is new)."""
        z = self._z
        if self.listpack:
            # zsetAdd converts before inserting, so the member lands in the skiplist with its exact score.
            if member not in z and (len(z) + 1 > max_entries or len(member) > max_value):
                self.listpack = False
            elif score == 0.0:
                score = 0.0     # a listpack stores -0 as the integer 0 (zzlInsertAt's double2ll)
        old = z.upsert(member, score)
        if old is None:
            self._scan_order = None
        return old

    def remove(self, member: bytes) -> bool:
        if self._z.delete(member):
            self._scan_order = None
            return True
        return False

    def remove_range_by_rank(self, start: int, stop: int) -> list[bytes]:
        """Remove ranks start..stop (0-based, inclusive, normalised); returns the removed members."""
        removed = self._z.delete_range_by_rank(start, stop)
        if removed:
            self._scan_order = None
        return removed

    def pop(self, count: int, from_max: bool) -> list[tuple[bytes, float]]:
        """Remove and return up to `count` members from the low (or high) end, in pop order."""
        n = len(self._z)
        if count <= 0 or not n:
            return []
        count = min(count, n)
        if from_max:
            popped = self._z.range_by_rank(0, count - 1, True)
            self._z.delete_range_by_rank(n - count, n - 1)
        else:
            popped = self._z.range_by_rank(0, count - 1)
            self._z.delete_range_by_rank(0, count - 1)
        self._scan_order = None
        return popped

    def pop_one(self, from_max: bool) -> tuple[bytes, float] | None:
        """pop(1, from_max) without the list: the lowest (or highest) member and its score, None if empty."""
        z = self._z
        pair: tuple[bytes, float] | None = z.last() if from_max else z.first()
        if pair is not None:
            z.delete(pair[0])
            self._scan_order = None
        return pair

    def maybe_convert_to_listpack(self, max_entries: int, max_value: int) -> None:
        """zsetConvertToListpackIfNeeded: a skiplist small enough (count and longest member) becomes a listpack."""
        if self.listpack or len(self._z) > max_entries:
            return
        if all(len(m) <= max_value for m in self._z.members()):
            self.listpack = True
            self._positive_zeros()

    def _positive_zeros(self) -> None:
        """A listpack holds no -0 scores (d2string writes the integer 0)."""
        z = self._z
        for member, score in list(z.members().items()):
            if score == 0.0 and math.copysign(1.0, score) < 0:
                z.insert(member, 0.0)

    # -- reads -----------------------------------------------------------------------------------------------------

    def score(self, member: bytes) -> float | None:
        return self._z.score(member)

    def rank(self, member: bytes, reverse: bool = False) -> int | None:
        return self._z.rank(member, reverse)

    def range_by_rank(self, start: int, stop: int, reverse: bool = False) -> list[tuple[bytes, float]]:
        """Ranks start..stop (0-based inclusive; counted from the highest score when reverse), in that order."""
        return self._z.range_by_rank(start, stop, reverse)

    def members_by_rank(self, start: int, stop: int, reverse: bool = False) -> list[bytes]:
        """range_by_rank without the scores."""
        return self._z.range_by_rank(start, stop, reverse, False)  # type: ignore[return-value]

    def score_ranks(self, spec: ScoreRange) -> tuple[int, int]:
        """The half-open rank interval [start, end) of members inside the score range (start >= end: none)."""
        below = self._z.count_score_below
        start = below(spec.min, spec.minex)
        end = below(spec.max, not spec.maxex)
        return start, end

    def lex_ranks(self, lo: LexBound, hi: LexBound, reverse: bool = False) -> tuple[int, int]:
        """The half-open rank interval [start, end) of members inside the lex range.

        Lex ranges are meant for sets whose scores are all equal. For other sets a listpack answers as Redis's
        linear listpack walk does (from the first member >= min forward, or from the last member <= max
        backward when reverse); a skiplist answers from one descent, as Redis's does (its answer then depends
        on the skiplist's shape, so no two implementations agree).
        """
        if self.listpack:
            return self._listpack_lex_ranks(lo, hi, reverse)
        n = len(self._z)
        below = self._z.count_lex_below
        if lo.inf:
            start = 0 if lo.inf < 0 else n
        else:
            start = below(lo.value, lo.exclusive)
        if hi.inf:
            end = 0 if hi.inf < 0 else n
        else:
            end = below(hi.value, not hi.exclusive)
        return start, end

    def _listpack_lex_ranks(self, lo: LexBound, hi: LexBound, reverse: bool) -> tuple[int, int]:
        """zzlFirstInLexRange / zzlLastInLexRange, then walk while the members stay in range."""
        if _lex_range_empty(lo, hi):
            return 0, 0
        members = self.members_by_rank(0, len(self._z) - 1)
        n = len(members)
        if not n or not _gte_min(members[-1], lo) or not _lte_max(members[0], hi):
            return 0, 0
        if not reverse:
            start = 0
            while not _gte_min(members[start], lo):
                start += 1
            end = start
            while end < n and _lte_max(members[end], hi):
                end += 1
            return start, end
        last = n - 1
        while not _lte_max(members[last], hi):
            last -= 1
        first = last
        while first >= 0 and _gte_min(members[first], lo):
            first -= 1
        return first + 1, last + 1

    def count_by_score(self, spec: ScoreRange) -> int:
        start, end = self.score_ranks(spec)
        return max(0, end - start)

    def count_by_lex(self, lo: LexBound, hi: LexBound) -> int:
        start, end = self.lex_ranks(lo, hi)
        return max(0, end - start)

    def items(self) -> Iterator[tuple[bytes, float]]:
        """All (member, score) pairs in ascending order (a snapshot: safe to mutate while iterating)."""
        return iter(self._z.items())

    def scores(self) -> dict[bytes, float]:
        """The member -> score mapping (a live read-only view: do not mutate)."""
        return self._z.members()

    def first(self) -> tuple[bytes, float] | None:
        return self._z.first()

    def last(self) -> tuple[bytes, float] | None:
        return self._z.last()

    def random_pairs(self, count: int, unique: bool) -> list[tuple[bytes, float]]:
        """`count` random (member, score) pairs: distinct when unique (count <= len), else drawn independently.
        Each pick is O(log n)."""
        n = len(self._z)
        at = self._z.range_by_rank
        if unique:
            ranks = random.sample(range(n), count)
        else:
            ranks = [random.randrange(n) for _ in range(count)]
        return [at(i, i)[0] for i in ranks]

    def scan_members(self, cursor: int, count: int) -> tuple[int, list[tuple[bytes, float]]]:
        """One ZSCAN step: (next cursor, [(member, score), ...]); see the module docstring."""
        if self.listpack:
            return 0, self._z.items()
        scores = self._z.members()
        order = self._scan_order
        if order is None:
            order = self._scan_order = sorted([(_scan_pos(m), m) for m in scores])
        n = len(order)
        start = bisect_left(order, (cursor,))
        end = start + max(count, 1)
        if end < n:
            last = order[end - 1][0]
            while end < n and order[end][0] == last:
                end += 1
        chunk = [(m, scores[m]) for _, m in order[start:end]]
        if end >= n:
            return 0, chunk
        return order[end][0], chunk

    # -- introspection (MEMORY USAGE, DEBUG OBJECT) --------------------------------------------------------------

    def mem_size(self) -> int:
        """Bytes held: this object plus the core's (its object, member -> score dict, skiplist nodes, member
        objects, score floats). O(1). The ZSCAN order cache is transient (built by a read, dropped by the next
        write) and not counted."""
        return _ZSET_OBJECT_SIZE + self._z.mem_size()

    def memory_usage(self, samples: int = 5) -> int:
        """MEMORY USAGE's value part: exact, whatever `samples` says (see mem_size)."""
        return self.mem_size()

    def listpack_blob(self) -> bytes:
        """The listpack Redis 7.0 would hold for this set (member, score, ... ascending): RDB_TYPE_ZSET_LISTPACK's
        payload. Scores go in as zzlInsertAt writes them: integral ones (double2ll) as integers, others as
        d2string text; the listpack encoder integer-encodes canonical integer members (lpEncodeGetType)."""
        items: list[bytes] = []
        for member, score in self._z.items():
            items.append(member)
            items.append(_lp_score_text(score))
        return listpack_encode(items)

    def rdb_serialized_length(self, string_length: Callable[[bytes], int] | None = None) -> int:
        """rdbSavedObjectLen: the listpack as one RDB string, or (RDB_TYPE_ZSET_2) the count then, from the
        highest score down, each member as an RDB string and its score as an 8-byte double.

        `string_length` sizes one RDB string (with LZF when the server compresses); without it strings are
        sized uncompressed (integer-encoded when short integers, as rdbTryIntegerEncoding does).
        """
        size = string_length or rdb_string_length
        if self.listpack:
            return size(self.listpack_blob())
        total = rdb_len_size(len(self._z))
        for member in self._z.members():
            total += size(member) + 8
        return total


_ZSET_OBJECT_SIZE = sys.getsizeof(RedisZSet())  # the same for every instance (fixed __slots__)


def _lex_range_empty(lo: LexBound, hi: LexBound) -> bool:
    """zslIsInLexRange's first test: min > max, or min == max with an exclusive side ("-"/"+" count as such)."""
    if lo.inf or hi.inf:
        if lo.inf == hi.inf:
            return True
        return lo.inf > 0 or hi.inf < 0
    if lo.value > hi.value:
        return True
    return lo.value == hi.value and (lo.exclusive or hi.exclusive)


def _gte_min(member: bytes, lo: LexBound) -> bool:
    if lo.inf:
        return lo.inf < 0
    return member > lo.value if lo.exclusive else member >= lo.value


def _lte_max(member: bytes, hi: LexBound) -> bool:
    if hi.inf:
        return hi.inf > 0
    return member < hi.value if hi.exclusive else member <= hi.value


_LL_HALF = 4611686018427387904.0     # double2ll accepts |d| <= LLONG_MAX/2 (rounded to a double)


def _lp_score_text(score: float) -> bytes:
    """A score as zzlInsertAt stores it: integral values within double2ll's range as an integer (which the
    listpack encoder then stores in integer form), others as d2string's %.17g text."""
    if -_LL_HALF <= score <= _LL_HALF and score == int(score):
        return b"%d" % int(score)
    if math.isinf(score):
        return b"inf" if score > 0 else b"-inf"
    return b"%.17g" % score
