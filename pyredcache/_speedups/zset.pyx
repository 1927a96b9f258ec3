"""Sorted-set core: a skiplist with spans (O(log n) rank and rank access) plus a dict member -> score, the
pair Redis's zset uses (t_zset.c). Data structure only: no encodings, no policy, no imports from pyredcache.

Order is by score, then by member bytes (memcmp, shorter first on a common prefix), as zslInsert orders.
Score and lex ranges are answered as rank intervals ([start, end) half-open), so every range query is one
O(log n) descent to find the bounds and O(m) to walk the result.
"""

# Rules of this module:
# - Every node owns one reference to its member (exact bytes); the dict holds the other reference.
# - The skiplist is always consistent before a member reference is dropped.
# - `mem` counts the bytes this core allocated: the header node, and per member its node, its bytes object
#   and its score's float object (the dict value), each priced as CPython's allocators serve it. Per-member
#   costs are added in _insert and removed in _unlink, so re-scoring a member (unlink + insert) stays exact.

from cpython.object cimport PyObject
from libc.math cimport signbit
from libc.stdint cimport uint64_t
from libc.string cimport memcmp

from .memsize cimport BYTES_HEADER, c_alloc_size


import sys

cdef object _getsizeof = sys.getsizeof


cdef extern from "Python.h":
    void* PyMem_Malloc(size_t n)
    void PyMem_Free(void* p)
    Py_ssize_t _bytes_size "PyBytes_GET_SIZE" (PyObject* o)
    char* _bytes_data "PyBytes_AS_STRING" (PyObject* o)
    void _incref "Py_INCREF" (PyObject* o)
    void _decref "Py_DECREF" (PyObject* o)


cdef enum:
    MAXLEVEL = 32        # ZSKIPLIST_MAXLEVEL
    FLOAT_BLOCK = 32     # a PyFloatObject (24 bytes) in its pymalloc block

# ZSKIPLIST_P = 0.25: a node gets one more level with probability 1/4.
cdef uint64_t _rng_state = 0x9E3779B97F4A7C15ULL


cdef struct znode
cdef struct zlevel:
    znode* forward
    Py_ssize_t span

cdef struct znode:
    PyObject* ele
    double score
    znode* backward
    zlevel* level


cdef inline uint64_t _next_random() noexcept:
    global _rng_state
    cdef uint64_t x = _rng_state
    x ^= x << 13
    x ^= x >> 7
    x ^= x << 17
    _rng_state = x
    return x


cdef inline int _random_level() noexcept:
    cdef int level = 1
    cdef uint64_t r = _next_random()
    while (r & 3) == 0 and level < MAXLEVEL:
        level += 1
        r >>= 2
    return level


cdef inline Py_ssize_t _node_size(int level) noexcept:
    return c_alloc_size(<Py_ssize_t>(sizeof(znode) + level * sizeof(zlevel)))


cdef inline Py_ssize_t _member_cost(int level, PyObject* ele) noexcept:
    return _node_size(level) + c_alloc_size(BYTES_HEADER + _bytes_size(ele)) + FLOAT_BLOCK


cdef inline int _cmp_ele(PyObject* a, PyObject* b) noexcept:
    """sdscmp: memcmp over the common length, then the shorter string first."""
    cdef Py_ssize_t la = _bytes_size(a)
    cdef Py_ssize_t lb = _bytes_size(b)
    cdef int c = memcmp(_bytes_data(a), _bytes_data(b), <size_t>(la if la < lb else lb))
    if c != 0:
        return c
    if la < lb:
        return -1
    return 1 if la > lb else 0


cdef znode* _new_node(int level, double score, PyObject* ele) except NULL:
    cdef znode* n = <znode*>PyMem_Malloc(sizeof(znode) + level * sizeof(zlevel))
    if n == NULL:
        raise MemoryError()
    n.level = <zlevel*>((<char*>n) + sizeof(znode))
    n.score = score
    n.ele = ele
    n.backward = NULL
    cdef int i
    for i in range(level):
        n.level[i].forward = NULL
        n.level[i].span = 0
    return n


cdef class ZSetCore:
    """A sorted set of bytes members with float scores. Ranks are 0-based."""

    cdef znode* header
    cdef znode* tail
    cdef Py_ssize_t length
    cdef int level
    cdef dict dict
    cdef Py_ssize_t mem

    def __cinit__(self):
        self.header = _new_node(MAXLEVEL, 0.0, NULL)
        self.tail = NULL
        self.length = 0
        self.level = 1
        self.dict = {}
        self.mem = _node_size(MAXLEVEL)

    def __dealloc__(self):
        cdef znode* x
        cdef znode* nxt
        if self.header == NULL:
            return
        x = self.header.level[0].forward
        PyMem_Free(self.header)
        self.header = NULL
        while x != NULL:
            nxt = x.level[0].forward
            _decref(x.ele)
            PyMem_Free(x)
            x = nxt

    def __len__(self):
        return self.length

    def __contains__(self, member):
        return member in self.dict

    def score(self, member):
        """The member's score, or None."""
        return self.dict.get(member)

    # -- skiplist primitives (zslInsert / zslDeleteNode / zslGetRank / zslGetElementByRank) ---------------------

    cdef void _insert(self, double score, PyObject* ele) except *:
        cdef znode* update[MAXLEVEL]
        cdef Py_ssize_t rank[MAXLEVEL]
        cdef znode* x = self.header
        cdef int i, lvl
        for i in range(self.level - 1, -1, -1):
            rank[i] = 0 if i == self.level - 1 else rank[i + 1]
            while x.level[i].forward != NULL and (
                    x.level[i].forward.score < score or
                    (x.level[i].forward.score == score and _cmp_ele(x.level[i].forward.ele, ele) < 0)):
                rank[i] += x.level[i].span
                x = x.level[i].forward
            update[i] = x
        lvl = _random_level()
        if lvl > self.level:
            for i in range(self.level, lvl):
                rank[i] = 0
                update[i] = self.header
                update[i].level[i].span = self.length
            self.level = lvl
        x = _new_node(lvl, score, ele)
        _incref(ele)
        for i in range(lvl):
            x.level[i].forward = update[i].level[i].forward
            update[i].level[i].forward = x
            x.level[i].span = update[i].level[i].span - (rank[0] - rank[i])
            update[i].level[i].span = (rank[0] - rank[i]) + 1
        for i in range(lvl, self.level):
            update[i].level[i].span += 1
        x.backward = NULL if update[0] == self.header else update[0]
        if x.level[0].forward != NULL:
            x.level[0].forward.backward = x
        else:
            self.tail = x
        self.length += 1
        self.mem += _member_cost(lvl, ele)

    cdef void _unlink(self, znode* x, znode** update) noexcept:
        cdef int i
        cdef int node_level = 0     # x's levels are exactly those where its predecessor links to it
        for i in range(self.level):
            if update[i].level[i].forward == x:
                update[i].level[i].span += x.level[i].span - 1
                update[i].level[i].forward = x.level[i].forward
                node_level += 1
            else:
                update[i].level[i].span -= 1
        self.mem -= _member_cost(node_level, x.ele)
        if x.level[0].forward != NULL:
            x.level[0].forward.backward = x.backward
        else:
            self.tail = x.backward
        while self.level > 1 and self.header.level[self.level - 1].forward == NULL:
            self.level -= 1
        self.length -= 1

    cdef bint _delete(self, double score, PyObject* ele) except -1:
        """Remove the node (score, ele); the dict is left to the caller."""
        cdef PyObject* owned = self._detach(score, ele)
        if owned == NULL:
            return False
        _decref(owned)
        return True

    cdef void _rescore(self, double old_score, double score, PyObject* ele) except *:
        """Move the node (old_score, ele) to score, keeping the node's member object (the dict's key)."""
        cdef PyObject* owned = self._detach(old_score, ele)
        if owned == NULL:
            return
        self._insert(score, owned)
        _decref(owned)

    cdef PyObject* _detach(self, double score, PyObject* ele) noexcept:
        """Unlink and free the node (score, ele); returns its member with the node's reference, NULL if absent."""
        cdef znode* update[MAXLEVEL]
        cdef znode* x = self.header
        cdef int i
        for i in range(self.level - 1, -1, -1):
            while x.level[i].forward != NULL and (
                    x.level[i].forward.score < score or
                    (x.level[i].forward.score == score and _cmp_ele(x.level[i].forward.ele, ele) < 0)):
                x = x.level[i].forward
            update[i] = x
        x = x.level[0].forward
        if x == NULL or x.score != score or _cmp_ele(x.ele, ele) != 0:
            return NULL
        self._unlink(x, update)
        ele = x.ele
        PyMem_Free(x)
        return ele

    cdef Py_ssize_t _rank_of(self, double score, PyObject* ele) noexcept:
        """1-based rank of (score, ele), 0 if absent."""
        cdef znode* x = self.header
        cdef Py_ssize_t rank = 0
        cdef int i
        for i in range(self.level - 1, -1, -1):
            while x.level[i].forward != NULL and (
                    x.level[i].forward.score < score or
                    (x.level[i].forward.score == score and _cmp_ele(x.level[i].forward.ele, ele) <= 0)):
                rank += x.level[i].span
                x = x.level[i].forward
            if x.ele != NULL and x.score == score and _cmp_ele(x.ele, ele) == 0:
                return rank
        return 0

    cdef znode* _by_rank(self, Py_ssize_t rank) noexcept:
        """The node at 1-based rank, or NULL."""
        cdef znode* x = self.header
        cdef Py_ssize_t traversed = 0
        cdef int i
        for i in range(self.level - 1, -1, -1):
            while x.level[i].forward != NULL and traversed + x.level[i].span <= rank:
                traversed += x.level[i].span
                x = x.level[i].forward
            if traversed == rank:
                return x
        return NULL

    # -- mutation ------------------------------------------------------------------------------------------------

    def insert(self, bytes member, double score):
        """Add member or move it to a new score. True if the member was new."""
        cdef object old = self.dict.get(member)
        cdef double old_score
        if old is None:
            self._insert(score, <PyObject*>member)
            self.dict[member] = score
            return True
        old_score = old
        if old_score != score or signbit(old_score) != signbit(score):
            self._rescore(old_score, score, <PyObject*>member)
            self.dict[member] = score
        return False

    def upsert(self, bytes member, double score):
        """insert() that returns the member's previous score (None if it was new)."""
        cdef object old = self.dict.get(member)
        cdef double old_score
        if old is None:
            self._insert(score, <PyObject*>member)
            self.dict[member] = score
            return None
        old_score = old
        if old_score != score or signbit(old_score) != signbit(score):
            self._rescore(old_score, score, <PyObject*>member)
            self.dict[member] = score
        return old

    def delete(self, bytes member):
        """Remove member. True if it was there."""
        cdef object old = self.dict.pop(member, None)
        if old is None:
            return False
        self._delete(<double>old, <PyObject*>member)
        return True

    def delete_range_by_rank(self, Py_ssize_t start, Py_ssize_t stop):
        """Remove ranks start..stop (0-based, inclusive, already in range); returns the removed members."""
        cdef znode* update[MAXLEVEL]
        cdef znode* x = self.header
        cdef znode* nxt
        cdef Py_ssize_t traversed = 0
        cdef Py_ssize_t todo
        cdef int i
        cdef list removed = []
        if start > stop or start < 0 or stop >= self.length:
            return removed
        for i in range(self.level - 1, -1, -1):
            while x.level[i].forward != NULL and traversed + x.level[i].span <= start:
                traversed += x.level[i].span
                x = x.level[i].forward
            update[i] = x
        x = x.level[0].forward
        todo = stop - start + 1
        while x != NULL and todo > 0:
            nxt = x.level[0].forward
            self._unlink(x, update)
            removed.append(<object>x.ele)
            _decref(x.ele)
            PyMem_Free(x)
            x = nxt
            todo -= 1
        d = self.dict
        for m in removed:
            del d[m]
        return removed

    # -- reads ---------------------------------------------------------------------------------------------------

    def rank(self, bytes member, bint reverse=False):
        """0-based rank of member (from the highest score when reverse), or None."""
        cdef object s = self.dict.get(member)
        if s is None:
            return None
        cdef Py_ssize_t r = self._rank_of(<double>s, <PyObject*>member)
        return self.length - r if reverse else r - 1

    def range_by_rank(self, Py_ssize_t start, Py_ssize_t stop, bint reverse=False, bint with_scores=True):
        """Ranks start..stop (0-based, inclusive, counted from the top when reverse), in that order.

        A list of (member, score) tuples, or of members when with_scores is false.
        """
        cdef list out = []
        cdef znode* x
        cdef Py_ssize_t n
        if start < 0:
            start = 0
        if stop >= self.length:
            stop = self.length - 1
        if start > stop:
            return out
        n = stop - start + 1
        if reverse:
            x = self._by_rank(self.length - start)
            while x != NULL and n > 0:
                out.append((<object>x.ele, x.score) if with_scores else <object>x.ele)
                x = x.backward
                n -= 1
        else:
            x = self._by_rank(start + 1)
            while x != NULL and n > 0:
                out.append((<object>x.ele, x.score) if with_scores else <object>x.ele)
                x = x.level[0].forward
                n -= 1
        return out

    def count_score_below(self, double value, bint or_equal):
        """How many members score < value (<= value when or_equal): a rank bound for score ranges."""
        cdef znode* x = self.header
        cdef Py_ssize_t rank = 0
        cdef int i
        for i in range(self.level - 1, -1, -1):
            while x.level[i].forward != NULL and (
                    x.level[i].forward.score < value or (or_equal and x.level[i].forward.score == value)):
                rank += x.level[i].span
                x = x.level[i].forward
        return rank

    def count_lex_below(self, bytes value, bint or_equal):
        """How many members sort before value (or equal it when or_equal), comparing members only."""
        cdef znode* x = self.header
        cdef Py_ssize_t rank = 0
        cdef int i, c
        cdef PyObject* v = <PyObject*>value
        for i in range(self.level - 1, -1, -1):
            while x.level[i].forward != NULL:
                c = _cmp_ele(x.level[i].forward.ele, v)
                if c < 0 or (or_equal and c == 0):
                    rank += x.level[i].span
                    x = x.level[i].forward
                else:
                    break
        return rank

    def first(self):
        """(member, score) with the lowest rank, or None."""
        cdef znode* x = self.header.level[0].forward
        return None if x == NULL else (<object>x.ele, x.score)

    def last(self):
        """(member, score) with the highest rank, or None."""
        cdef znode* x = self.tail
        return None if x == NULL else (<object>x.ele, x.score)

    def items(self):
        """All (member, score) pairs in ascending order (a snapshot list)."""
        return self.range_by_rank(0, self.length - 1)

    def members(self):
        """The member -> score dict (read only: do not mutate)."""
        return self.dict

    def mem_size(self):
        """Bytes held: this object, the dict (object and table), the skiplist nodes (header included), the member
        objects and the score floats. O(1)."""
        return _getsizeof(self) + _getsizeof(self.dict) + self.mem

    def node_levels(self):
        """Each member node's level count in rank order (O(n * levels): for checks and tests)."""
        cdef dict pos = {}
        cdef list levels = []
        cdef znode* x = self.header.level[0].forward
        cdef int i
        while x != NULL:
            pos[<size_t>x] = len(levels)
            levels.append(1)
            x = x.level[0].forward
        for i in range(1, self.level):
            x = self.header.level[i].forward
            while x != NULL:
                levels[pos[<size_t>x]] = i + 1
                x = x.level[i].forward
        return levels

    def copy(self):
        """An independent copy (same content, fresh skiplist)."""
        cdef ZSetCore other = ZSetCore()
        cdef znode* x = self.header.level[0].forward
        while x != NULL:
            other._insert(x.score, x.ele)
            x = x.level[0].forward
        other.dict = self.dict.copy()
        return other
