"""The database engine: per-Db chained hash tables of C entries (key bytes inline, value, LRU/LFU field, cached
value size), a TTL table, lazy and active expiry, SCAN's reverse-binary cursor, memory accounting and the
eviction pool. Data structure only: no imports from pyredcache; the server installs hooks and reads counters."""

# Rules of this module:
# - An Entry holds its key's bytes inline and owns one reference to its value. Keys handed to Python are
#   new bytes objects made from those bytes (hooks, SCAN, KEYS, eviction candidates).
# - Unlink first, DECREF values last: releasing a value can run arbitrary code, so tables are consistent
#   before any reference is dropped, and no Entry pointer is used after a DECREF or a hook call.
# - No Python calls while walking a chain; collect, then act.
# - Memory accounting: every allocation a Db makes for its keys (entries, TTL entries, bucket arrays) and the
#   size of every value (Entry.size) is added to Db/Context counters when made and subtracted when freed, so
#   Context.keyspace_bytes is always the sum, in O(1), without walking anything.
# - Cluster mode (Context.cluster_mode): every Entry is also in a doubly linked list of its slot's keys, with
#   a count per slot (Redis 7.0's slot_to_keys), so COUNTKEYSINSLOT is O(1) and GETKEYSINSLOT walks only that
#   slot. The links are allocated just before the Entry; outside cluster mode nothing is allocated for them.

cimport cython
from cpython.object cimport PyObject, PyObject_IsInstance
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t
from libc.string cimport memcmp, memcpy, memset
from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec

from .memsize cimport c_alloc_size, c_element_size
from .slots cimport _slot

import os
import sys
import time


cdef extern from "Python.h":
    void* PyMem_Malloc(size_t n)
    void* PyMem_Calloc(size_t nelem, size_t elsize)
    void PyMem_Free(void* p)
    Py_hash_t PyObject_Hash(object o) except? -1
    Py_hash_t _Py_HashBytes(const void* data, Py_ssize_t n)
    object PyBytes_FromStringAndSize(const char* data, Py_ssize_t n)
    Py_ssize_t _bytes_size "PyBytes_GET_SIZE" (PyObject* o)
    char* _bytes_data "PyBytes_AS_STRING" (PyObject* o)
    bint _is_bytes "PyBytes_Check" (PyObject* o)
    bint _is_bytearray "PyByteArray_Check" (PyObject* o)
    void _incref "Py_INCREF" (PyObject* o)
    void _decref "Py_DECREF" (PyObject* o)
    void _xdecref "Py_XDECREF" (PyObject* o)
    const Py_ssize_t PY_SSIZE_T_MAX


cdef enum:
    NO_TTL = -1
    MIN_BUCKETS = 4
    # Redis 7.0 expire.c defaults (active-expire-effort 1).
    EXPIRE_KEYS_PER_LOOP = 20
    EXPIRE_ACCEPTABLE_STALE = 10
    RANDOM_KEY_MAX_TRIES = 100
    LRU_CLOCK_MAX = 0xFFFFFF
    META_LRU_MASK = 0xFFFFFF
    META_TTL = 0x1000000           # the key has an entry in the TTL table
    LFU_INIT_VAL = 5
    EVPOOL_SIZE = 16
    # Pool modes (server/eviction.py passes these as ints).
    MODE_LRU = 0
    MODE_LFU = 1
    MODE_TTL = 2
    CLUSTER_SLOTS = 16384

_getsizeof = sys.getsizeof


cdef inline size_t _alloc(size_t n) noexcept:
    return <size_t>c_alloc_size(<Py_ssize_t>n)


cdef int64_t _value_size(object value) except -1:
    # Strings are sized like container elements; every other value type answers mem_size() in O(1)
    # (datatypes keep running sums).
    cdef PyObject* p = <PyObject*>value
    if _is_bytes(p) or _is_bytearray(p):
        return c_element_size(value)
    method = getattr(value, "mem_size", None)
    if method is None:
        return _getsizeof(value)
    return method()


def value_size(object value) -> int:
    """The accounted size of a value, as the keyspace caches it per key."""
    return _value_size(value)


@cython.cdivision(True)  # now_ms is never negative; skip Python floor-division fix-ups
cdef inline uint32_t _lru(int64_t now_ms) noexcept:
    return <uint32_t>((now_ms // 1000) & LRU_CLOCK_MAX)


@cython.cdivision(True)
cdef inline uint32_t _lfu_minutes(int64_t now_ms) noexcept:
    return <uint32_t>((now_ms // 60000) & 65535)


@cython.cdivision(True)  # decay_time > 0 where divided
cdef uint32_t _lfu_decayed(uint32_t field, uint32_t now_minutes, int decay_time) noexcept:
    # LFUDecrAndReturn: the counter after the decay periods elapsed since the last decrement time.
    cdef uint32_t ldt = (field >> 8) & 65535
    cdef uint32_t counter = field & 255
    cdef uint32_t elapsed, periods
    if decay_time > 0:
        elapsed = now_minutes - ldt if now_minutes >= ldt else 65535 - ldt + now_minutes
        periods = elapsed // <uint32_t>decay_time
        if periods:
            counter = 0 if periods > counter else counter - periods
    return counter


cdef inline uint64_t _idle_ms(uint32_t field, uint32_t clock) noexcept:
    # estimateObjectIdleTime: the 24-bit clock may have wrapped since the access.
    if clock >= field:
        return <uint64_t>(clock - field) * 1000
    return <uint64_t>(clock + (LRU_CLOCK_MAX - field)) * 1000


cdef inline int64_t _monotonic_us() noexcept:
    cdef timespec ts
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return <int64_t>ts.tv_sec * 1000000 + ts.tv_nsec // 1000


cdef inline uint64_t _rev64(uint64_t v) noexcept:
    v = ((v >> 1) & 0x5555555555555555) | ((v & 0x5555555555555555) << 1)
    v = ((v >> 2) & 0x3333333333333333) | ((v & 0x3333333333333333) << 2)
    v = ((v >> 4) & 0x0F0F0F0F0F0F0F0F) | ((v & 0x0F0F0F0F0F0F0F0F) << 4)
    v = ((v >> 8) & 0x00FF00FF00FF00FF) | ((v & 0x00FF00FF00FF00FF) << 8)
    v = ((v >> 16) & 0x0000FFFF0000FFFF) | ((v & 0x0000FFFF0000FFFF) << 16)
    return (v >> 32) | (v << 32)


cdef inline char* _ekey(Entry* e) noexcept:
    return (<char*>e) + sizeof(Entry)


cdef inline object _key_object(Entry* e):
    return PyBytes_FromStringAndSize(_ekey(e), e.klen)


cdef inline SlotLinks* _links(Entry* e) noexcept:
    return (<SlotLinks*>e) - 1


cdef inline int _entry_slot(Entry* e) noexcept:
    return _slot(<const uint8_t*>_ekey(e), e.klen)


cdef inline Py_hash_t _entry_hash(Entry* e) noexcept:
    # Equal to PyObject_Hash of the key as a bytes object (bytes_hash is _Py_HashBytes over the data).
    return _Py_HashBytes(_ekey(e), e.klen)


# ---------------------------------------------------------------------------------------------------------
# The chained hash tables. Pure C; none of these functions runs Python code or drops a reference.
# `acct` receives the change in bucket-array bytes.

cdef int _table_init(Table* t, size_t size, int64_t* acct) except -1:
    t.buckets = <Entry**>PyMem_Calloc(size, sizeof(Entry*))
    if t.buckets == NULL:
        raise MemoryError()
    t.size = size
    t.mask = size - 1
    t.used = 0
    acct[0] += _alloc(size * sizeof(Entry*))
    return 0


cdef inline Entry* _table_find(Table* t, PyObject* key, Py_hash_t h) noexcept:
    cdef Py_ssize_t n = _bytes_size(key)
    cdef const char* data = _bytes_data(key)
    cdef Entry* e = t.buckets[<size_t>h & t.mask]
    while e != NULL:
        if e.klen == n and memcmp(_ekey(e), data, n) == 0:
            return e
        e = e.next
    return NULL


cdef void _table_rehash(Table* t, size_t new_size, int64_t* acct) noexcept:
    # A full rehash at once instead of Redis's incremental two-table rehash: relinking C entries costs a few
    # ns each plus one key hash, and a single table keeps SCAN, random sampling and the expire cursor simple.
    # SCAN's reverse-binary cursor stays valid across any number of resizes between calls.
    cdef Entry** nb = <Entry**>PyMem_Calloc(new_size, sizeof(Entry*))
    cdef size_t i, idx, new_mask = new_size - 1
    cdef Entry* e
    cdef Entry* nxt
    if nb == NULL:
        return  # out of memory: keep the old bucket array (longer chains, still correct)
    for i in range(t.size):
        e = t.buckets[i]
        while e != NULL:
            nxt = e.next
            idx = <size_t>_entry_hash(e) & new_mask
            e.next = nb[idx]
            nb[idx] = e
            e = nxt
    PyMem_Free(t.buckets)
    acct[0] += <int64_t>_alloc(new_size * sizeof(Entry*)) - <int64_t>_alloc(t.size * sizeof(Entry*))
    t.buckets = nb
    t.size = new_size
    t.mask = new_mask


cdef inline void _table_link(Table* t, Entry* e, Py_hash_t h, int64_t* acct) noexcept:
    cdef size_t idx = <size_t>h & t.mask
    e.next = t.buckets[idx]
    t.buckets[idx] = e
    t.used += 1
    if t.used > t.size:
        _table_rehash(t, t.size * 2, acct)


cdef Entry* _table_unlink(Table* t, PyObject* key, Py_hash_t h) noexcept:
    cdef Py_ssize_t n = _bytes_size(key)
    cdef const char* data = _bytes_data(key)
    cdef Entry** pp = &t.buckets[<size_t>h & t.mask]
    cdef Entry* e = pp[0]
    while e != NULL:
        if e.klen == n and memcmp(_ekey(e), data, n) == 0:
            pp[0] = e.next
            t.used -= 1
            return e
        pp = &e.next
        e = e.next
    return NULL


cdef inline size_t _shrunk_size(size_t size, size_t used) noexcept:
    # 0 when no shrink is due, else the new size.
    cdef size_t n
    if size > MIN_BUCKETS and used < size // 8:
        n = MIN_BUCKETS
        while n < used:
            n <<= 1
        return n
    return 0


cdef int _etable_init(ETable* t, size_t size, int64_t* acct) except -1:
    t.buckets = <ExpEntry**>PyMem_Calloc(size, sizeof(ExpEntry*))
    if t.buckets == NULL:
        raise MemoryError()
    t.size = size
    t.mask = size - 1
    t.used = 0
    acct[0] += _alloc(size * sizeof(ExpEntry*))
    return 0


cdef void _etable_rehash(ETable* t, size_t new_size, int64_t* acct) noexcept:
    cdef ExpEntry** nb = <ExpEntry**>PyMem_Calloc(new_size, sizeof(ExpEntry*))
    cdef size_t i, idx, new_mask = new_size - 1
    cdef ExpEntry* x
    cdef ExpEntry* nxt
    if nb == NULL:
        return
    for i in range(t.size):
        x = t.buckets[i]
        while x != NULL:
            nxt = x.next
            idx = <size_t>x.hash & new_mask
            x.next = nb[idx]
            nb[idx] = x
            x = nxt
    PyMem_Free(t.buckets)
    acct[0] += <int64_t>_alloc(new_size * sizeof(ExpEntry*)) - <int64_t>_alloc(t.size * sizeof(ExpEntry*))
    t.buckets = nb
    t.size = new_size
    t.mask = new_mask


cdef inline ExpEntry* _etable_find(ETable* t, Entry* owner, Py_hash_t h) noexcept:
    cdef ExpEntry* x = t.buckets[<size_t>h & t.mask]
    while x != NULL:
        if x.owner == owner:
            return x
        x = x.next
    return NULL


cdef ExpEntry* _etable_unlink(ETable* t, Entry* owner, Py_hash_t h) noexcept:
    cdef ExpEntry** pp = &t.buckets[<size_t>h & t.mask]
    cdef ExpEntry* x = pp[0]
    while x != NULL:
        if x.owner == owner:
            pp[0] = x.next
            t.used -= 1
            return x
        pp = &x.next
        x = x.next
    return NULL


cdef void _etable_free(ETable* t) noexcept:
    cdef size_t i
    cdef ExpEntry* x
    cdef ExpEntry* nxt
    if t.buckets == NULL:
        return
    for i in range(t.size):
        x = t.buckets[i]
        while x != NULL:
            nxt = x.next
            PyMem_Free(x)
            x = nxt
    PyMem_Free(t.buckets)
    t.buckets = NULL
    t.size = t.mask = t.used = 0


cdef void _table_free(Table* t, size_t pre):
    # Drops value references, so callers detach the table from its Db first. `pre`: Context._pre.
    cdef size_t i
    cdef Entry* e
    cdef Entry* nxt
    cdef Entry** buckets = t.buckets
    cdef size_t size = t.size
    t.buckets = NULL
    t.size = t.mask = t.used = 0
    if buckets == NULL:
        return
    for i in range(size):
        e = buckets[i]
        buckets[i] = NULL
        while e != NULL:
            nxt = e.next
            _xdecref(e.value)
            PyMem_Free((<char*>e) - pre)
            e = nxt
    PyMem_Free(buckets)


cdef Entry* _new_entry(PyObject* key, PyObject* value, uint32_t meta, size_t pre) except NULL:
    cdef Py_ssize_t n = _bytes_size(key)
    cdef char* base = <char*>PyMem_Malloc(pre + sizeof(Entry) + n)
    cdef Entry* e
    if base == NULL:
        raise MemoryError()
    e = <Entry*>(base + pre)
    memcpy(_ekey(e), _bytes_data(key), n)
    _incref(value)
    e.value = value
    e.next = NULL
    e.size = 0
    e.meta = meta
    e.klen = <uint32_t>n
    return e


# ---------------------------------------------------------------------------------------------------------

cdef class Context:
    """State shared by all Dbs of one server: TTL clock, stats counters, hooks, LRU/LFU settings, memory
    total, random state. Several servers may live in one process, so nothing of this lives in module globals."""

    def __cinit__(self):
        self.now_ms = <int64_t>(time.time() * 1000)
        self.hits = 0
        self.misses = 0
        self.expired_keys = 0
        self.expired_stale_perc = 0.0
        self.expired_time_cap_reached_count = 0
        self.wrongtype = TypeError
        self.on_expired = None
        self.on_new = None
        self.on_miss = None
        self.active_expire_enabled = True
        self.expire_on_read = True
        self.expired_visible = False
        self.lfu_mode = False
        self.lfu_log_factor = 10
        self.lfu_decay_time = 1
        self.keyspace_bytes = 0
        self._pre = 0
        self._entries = 0
        self._rng = (int.from_bytes(os.urandom(8), "little") | 1) & 0xFFFFFFFFFFFFFFFF

    def __init__(self):
        pass

    @property
    def cluster_mode(self) -> bool:
        """Whether the Dbs keep the per-slot key index (cluster-enabled). Settable only while every Db of this
        context is empty, since it changes the layout of every entry."""
        return self._pre != 0

    @cluster_mode.setter
    def cluster_mode(self, bint on) -> None:
        if (self._pre != 0) == on:
            return
        if self._entries:
            raise ValueError("cluster mode can change only while every db is empty")
        self._pre = sizeof(SlotLinks) if on else 0

    def lru_clock(self) -> int:
        """Redis's 24-bit LRU clock at 1 s resolution, taken from ``now_ms``."""
        return _lru(self.now_ms)

    def seed_random(self, seed: int) -> None:
        """Make random_key(), sampling and LFU increments deterministic (tests)."""
        cdef uint64_t s = (seed & 0xFFFFFFFFFFFFFFFF)
        self._rng = s if s != 0 else 0x9E3779B97F4A7C15

    cdef uint64_t _random(self) noexcept:
        # xorshift64*: statistically fine for sampling, a few ns per draw.
        cdef uint64_t x = self._rng
        x ^= x >> 12
        x ^= x << 25
        x ^= x >> 27
        self._rng = x
        return x * <uint64_t>0x2545F4914F6CDD1D

    cdef uint32_t _initial_meta(self) noexcept:
        # createObject: an LFU counter starts at LFU_INIT_VAL so new keys are not evicted at once.
        if self.lfu_mode:
            return (_lfu_minutes(self.now_ms) << 8) | LFU_INIT_VAL
        return _lru(self.now_ms)

    cdef void _touch(self, Entry* e) noexcept:
        # lookupKey's access bookkeeping: the LRU clock, or updateLFU (decay, then a logarithmic increment).
        cdef uint32_t counter, now
        cdef double r, p
        cdef int base
        if not self.lfu_mode:
            e.meta = (e.meta & ~(<uint32_t>META_LRU_MASK)) | _lru(self.now_ms)
            return
        now = _lfu_minutes(self.now_ms)
        counter = _lfu_decayed(e.meta & META_LRU_MASK, now, self.lfu_decay_time)
        if counter < 255:
            r = <double>(self._random() >> 11) * (1.0 / 9007199254740992.0)
            base = <int>counter - LFU_INIT_VAL
            if base < 0:
                base = 0
            p = 1.0 / (<double>base * self.lfu_log_factor + 1.0)
            if r < p:
                counter += 1
        e.meta = (e.meta & ~(<uint32_t>META_LRU_MASK)) | (now << 8) | counter


@cython.no_gc_clear  # keep ctx valid until dealloc; the ctx <-> server cycle is broken on Context's side
cdef class Db:
    """One logical database (SELECT n): keys → values with TTLs, plus the TTL index used by active expiry."""

    def __cinit__(self, Context ctx not None, int id, *args, **kwargs):
        # Set up in __cinit__ so a Db is never without tables or ctx (extra args: Python subclasses).
        self.id = id
        self.ctx = ctx
        self.expires_cursor = 0
        self._avg_ttl = 0
        self._entry_bytes = self._value_bytes = self._exp_bytes = 0
        self._slot_heads = NULL
        self._slot_counts = NULL
        self._slot_bytes = 0
        _table_init(&self.main, MIN_BUCKETS, &ctx.keyspace_bytes)
        _etable_init(&self.expires, MIN_BUCKETS, &ctx.keyspace_bytes)

    def __init__(self, Context ctx not None, int id):
        pass

    def __dealloc__(self):
        cdef Context ctx = self.ctx
        cdef size_t pre = 0
        if ctx is not None:
            ctx.keyspace_bytes -= (self._entry_bytes + self._value_bytes + self._exp_bytes + self._slot_bytes
                                   + _alloc(self.main.size * sizeof(Entry*))
                                   + _alloc(self.expires.size * sizeof(ExpEntry*)))
            ctx._entries -= self.main.used
            pre = ctx._pre
        PyMem_Free(self._slot_heads)
        PyMem_Free(self._slot_counts)
        _etable_free(&self.expires)
        _table_free(&self.main, pre)

    def __len__(self):
        return self.main.used

    def __repr__(self):
        return f"<Db {self.id} keys={self.main.used} expires={self.expires.used}>"

    def expires_count(self) -> int:
        return self.expires.used

    # -- internals -----------------------------------------------------------------------------------------

    cdef void _bytes_delta(self, int64_t* counter, int64_t delta) noexcept:
        counter[0] += delta
        self.ctx.keyspace_bytes += delta

    cdef int _slots_alloc(self) except -1:
        # The slot arrays of a Db are made with its first key in cluster mode (most Dbs of a cluster node stay
        # empty) and kept until the Db goes; they count in keyspace_bytes like the bucket arrays.
        cdef Entry** heads = <Entry**>PyMem_Calloc(CLUSTER_SLOTS, sizeof(Entry*))
        cdef int64_t* counts = <int64_t*>PyMem_Calloc(CLUSTER_SLOTS, sizeof(int64_t))
        if heads == NULL or counts == NULL:
            PyMem_Free(heads)
            PyMem_Free(counts)
            raise MemoryError()
        self._slot_heads = heads
        self._slot_counts = counts
        self._bytes_delta(&self._slot_bytes, _alloc(CLUSTER_SLOTS * sizeof(Entry*))
                          + _alloc(CLUSTER_SLOTS * sizeof(int64_t)))
        return 0

    cdef void _slot_link(self, Entry* e) noexcept:
        # New keys go to the head of their slot's list (slotToKeyAddEntry).
        cdef int slot = _entry_slot(e)
        cdef SlotLinks* links = _links(e)
        cdef Entry* head = self._slot_heads[slot]
        links.prev = NULL
        links.next = head
        if head != NULL:
            _links(head).prev = e
        self._slot_heads[slot] = e
        self._slot_counts[slot] += 1

    cdef void _slot_unlink(self, Entry* e) noexcept:
        cdef int slot = _entry_slot(e)
        cdef SlotLinks* links = _links(e)
        if links.prev != NULL:
            _links(links.prev).next = links.next
        else:
            self._slot_heads[slot] = links.next
        if links.next != NULL:
            _links(links.next).prev = links.prev
        self._slot_counts[slot] -= 1

    cdef int _check_slot(self, int slot) except -1:
        if self.ctx._pre == 0:
            raise RuntimeError("the keyspace is not in cluster mode")
        if not 0 <= slot < CLUSTER_SLOTS:
            raise ValueError(f"slot {slot} is out of range")
        return 0

    cdef Entry* _find(self, object key, Py_hash_t h) noexcept:
        return _table_find(&self.main, <PyObject*>key, h)

    cdef int64_t _expire_of(self, Entry* e, Py_hash_t h) noexcept:
        cdef ExpEntry* x
        if not (e.meta & META_TTL):
            return NO_TTL
        x = _etable_find(&self.expires, e, h)
        return x.when_ms if x != NULL else NO_TTL

    cdef Entry* _find_live(self, object key, Py_hash_t h) except? NULL:
        # Redis keyIsExpired: a key is expired when now > when, so it is still alive at exactly `when`.
        # The callers that go on to write must not see a hidden expired key as absent: they expire it.
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if e != NULL and (e.meta & META_TTL) and not self.ctx.expired_visible \
                and self._expire_of(e, h) < self.ctx.now_ms:
            self._expire_key(key, h)
            return NULL
        return e

    cdef Entry* _find_readable(self, object key, Py_hash_t h) except? NULL:
        # expireIfNeeded for reads: on a replica (expire_on_read off) an expired key reads as absent but
        # stays until the primary's DEL arrives; the primary's own stream sees it (expired_visible).
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        cdef Context ctx = self.ctx
        if e != NULL and (e.meta & META_TTL) and not ctx.expired_visible and self._expire_of(e, h) < ctx.now_ms:
            if ctx.expire_on_read:
                self._expire_key(key, h)
            return NULL
        return e

    cdef bint _remove(self, object key, Py_hash_t h, PyObject** value_out) noexcept:
        # Unlinks key from both tables and hands the value reference to the caller (who drops it last).
        cdef Entry* e = _table_unlink(&self.main, <PyObject*>key, h)
        cdef ExpEntry* x
        cdef size_t n
        cdef int64_t* acct = &self.ctx.keyspace_bytes
        cdef size_t pre = self.ctx._pre
        if e == NULL:
            return False
        self.ctx._entries -= 1
        if pre:
            self._slot_unlink(e)
        if e.meta & META_TTL:
            x = _etable_unlink(&self.expires, e, h)
            if x != NULL:
                PyMem_Free(x)
                self._bytes_delta(&self._exp_bytes, -<int64_t>_alloc(sizeof(ExpEntry)))
                n = _shrunk_size(self.expires.size, self.expires.used)
                if n:
                    _etable_rehash(&self.expires, n, acct)
        n = _shrunk_size(self.main.size, self.main.used)
        if n:
            _table_rehash(&self.main, n, acct)
        self._bytes_delta(&self._entry_bytes, -<int64_t>_alloc(pre + sizeof(Entry) + e.klen))
        self._bytes_delta(&self._value_bytes, -e.size)
        value_out[0] = e.value
        PyMem_Free((<char*>e) - pre)
        return True

    cdef int _expire_key(self, object key, Py_hash_t h) except -1:
        cdef PyObject* value = NULL
        cdef Context ctx = self.ctx
        if not self._remove(key, h, &value):
            return 0
        _xdecref(value)
        ctx.expired_keys += 1
        hook = ctx.on_expired
        if hook is not None:
            hook(self, key)
        return 0

    cdef int _insert(self, object key, Py_hash_t h, object value, int64_t expire_ms) except -1:
        cdef int64_t size = _value_size(value)
        cdef size_t pre = self.ctx._pre
        cdef Entry* e
        if pre and self._slot_heads == NULL:
            self._slots_alloc()
        e = _new_entry(<PyObject*>key, <PyObject*>value, self.ctx._initial_meta(), pre)
        e.size = size
        _table_link(&self.main, e, h, &self.ctx.keyspace_bytes)
        self.ctx._entries += 1
        if pre:
            self._slot_link(e)
        self._bytes_delta(&self._entry_bytes, _alloc(pre + sizeof(Entry) + e.klen))
        self._bytes_delta(&self._value_bytes, size)
        if expire_ms != NO_TTL:
            self._add_ttl(e, h, expire_ms)
        if self.ctx.on_new is not None:
            self.ctx.on_new(self, key)
        return 0

    cdef int _add_ttl(self, Entry* e, Py_hash_t h, int64_t when_ms) except -1:
        cdef ExpEntry* x = <ExpEntry*>PyMem_Malloc(sizeof(ExpEntry))
        cdef size_t idx
        if x == NULL:
            raise MemoryError()
        x.owner = e
        x.when_ms = when_ms
        x.hash = h
        idx = <size_t>h & self.expires.mask
        x.next = self.expires.buckets[idx]
        self.expires.buckets[idx] = x
        self.expires.used += 1
        if self.expires.used > self.expires.size:
            _etable_rehash(&self.expires, self.expires.size * 2, &self.ctx.keyspace_bytes)
        e.meta |= META_TTL
        self._bytes_delta(&self._exp_bytes, _alloc(sizeof(ExpEntry)))
        return 0

    cdef int _drop_ttl(self, Entry* e, Py_hash_t h) noexcept:
        cdef ExpEntry* x = _etable_unlink(&self.expires, e, h)
        cdef size_t n
        if x != NULL:
            PyMem_Free(x)
            self._bytes_delta(&self._exp_bytes, -<int64_t>_alloc(sizeof(ExpEntry)))
            n = _shrunk_size(self.expires.size, self.expires.used)
            if n:
                _etable_rehash(&self.expires, n, &self.ctx.keyspace_bytes)
        e.meta &= ~(<uint32_t>META_TTL)
        return 0

    cdef int _replace_value(self, Entry* e, object value) except -1:
        # Swap in a new value (its size measured first, since that may run Python code), drop the old last.
        cdef int64_t size = _value_size(value)
        cdef PyObject* old = e.value
        _incref(<PyObject*>value)
        e.value = <PyObject*>value
        self._bytes_delta(&self._value_bytes, size - e.size)
        e.size = size
        _decref(old)
        return 0

    cdef int _missed(self, object key) except -1:
        # lookupKey's miss branch: keyspace_misses and the "keymiss" event.
        cdef Context ctx = self.ctx
        ctx.misses += 1
        if ctx.on_miss is not None:
            ctx.on_miss(self, key)
        return 0

    cdef int _expire_if_stale(self, object key) except -1:
        # For keys collected during a walk: re-check, since earlier hooks may have changed the table.
        # Returns 1 if the key was expired.
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if not self.ctx.expire_on_read or self.ctx.expired_visible:
            return 0    # a replica leaves expired keys to its primary's DEL
        if e != NULL and (e.meta & META_TTL) and self._expire_of(e, h) < self.ctx.now_ms:
            self._expire_key(key, h)
            return 1
        return 0

    cdef object _lookup(self, object key, bint read):
        # lookup_read (read=True) / lookup_write body for the generic typed getters.
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Context ctx = self.ctx
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if e != NULL:
            if not (e.meta & META_TTL) or ctx.expired_visible or self._expire_of(e, h) >= ctx.now_ms:
                if read:
                    ctx.hits += 1
                ctx._touch(e)
                return <object>e.value
            if ctx.expire_on_read or not read:
                self._expire_key(key, h)
        if read:
            self._missed(key)
        return None

    # -- reads ---------------------------------------------------------------------------------------------

    def lookup_read(self, bytes key not None):
        """Value of a live key or None; lazy expiry, keyspace hit/miss counters, LRU/LFU touch."""
        return self._lookup(key, True)

    def missed(self, bytes key not None) -> None:
        """Count a read miss on ``key`` found by other means (peek/exists): keyspace_misses and "keymiss"."""
        self._missed(key)

    def lookup_write(self, bytes key not None):
        """Value of a live key or None; lazy expiry, LRU/LFU touch, no counters."""
        return self._lookup(key, False)

    def peek(self, bytes key not None):
        """Value of a live key or None; lazy expiry only (no LRU touch, no counters)."""
        cdef Entry* e = self._find_readable(key, PyObject_Hash(key))
        if e == NULL:
            return None
        return <object>e.value

    def get_string_read(self, bytes key not None):
        """lookup_read() that raises ``ctx.wrongtype()`` unless the value is bytes/bytearray."""
        value = self._lookup(key, True)
        if value is not None and not (_is_bytes(<PyObject*>value) or _is_bytearray(<PyObject*>value)):
            raise self.ctx.wrongtype()
        return value

    def get_string_write(self, bytes key not None):
        """lookup_write() that raises ``ctx.wrongtype()`` unless the value is bytes/bytearray."""
        value = self._lookup(key, False)
        if value is not None and not (_is_bytes(<PyObject*>value) or _is_bytearray(<PyObject*>value)):
            raise self.ctx.wrongtype()
        return value

    def get_typed_read(self, bytes key not None, object cls):
        """lookup_read() that raises ``ctx.wrongtype()`` unless the value is an instance of ``cls``."""
        value = self._lookup(key, True)
        if value is not None and not PyObject_IsInstance(value, cls):
            raise self.ctx.wrongtype()
        return value

    def get_typed_write(self, bytes key not None, object cls):
        """lookup_write() that raises ``ctx.wrongtype()`` unless the value is an instance of ``cls``."""
        value = self._lookup(key, False)
        if value is not None and not PyObject_IsInstance(value, cls):
            raise self.ctx.wrongtype()
        return value

    def exists(self, bytes key not None) -> bool:
        """Whether a live key exists; lazy expiry, no LRU touch, no counters."""
        return self._find_readable(key, PyObject_Hash(key)) != NULL

    # -- writes --------------------------------------------------------------------------------------------

    def set_key(self, bytes key not None, object value, bint keep_ttl=False) -> None:
        """Add or overwrite ``key``; its TTL is dropped unless ``keep_ttl``. An expired key is expired first.
        An overwrite counts as an access (setKey's lookupKeyWrite), so the key keeps its LFU history."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Context ctx = self.ctx
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if e != NULL and (e.meta & META_TTL):
            if not ctx.expired_visible and self._expire_of(e, h) < ctx.now_ms:
                # Redis setKey looks the key up for writing first, so the expired event fires before the set.
                self._expire_key(key, h)
                e = _table_find(&self.main, <PyObject*>key, h)
            if e != NULL and not keep_ttl and (e.meta & META_TTL):
                self._drop_ttl(e, h)
        if e == NULL:
            self._insert(key, h, value, NO_TTL)
            return
        ctx._touch(e)
        self._replace_value(e, value)

    def set_value(self, bytes key not None, object value) -> None:
        """Replace the value of a live key keeping its TTL (INCR, APPEND, ...); KeyError if absent."""
        cdef Entry* e = self._find_live(key, PyObject_Hash(key))
        if e == NULL:
            raise KeyError(key)
        self.ctx._touch(e)
        self._replace_value(e, value)

    def resize(self, bytes key not None) -> None:
        """Re-measure the value of ``key`` after an in-place change (every write signal calls this)."""
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, PyObject_Hash(key))
        cdef int64_t size
        if e == NULL:
            return
        if _is_bytes(e.value):
            return      # immutable: measured when stored
        size = _value_size(<object>e.value)
        e = _table_find(&self.main, <PyObject*>key, PyObject_Hash(key))  # mem_size() may run anything
        if e != NULL:
            self._bytes_delta(&self._value_bytes, size - e.size)
            e.size = size

    def add(self, bytes key not None, object value) -> bool:
        """Add ``key`` only if absent (after lazy expiry); returns whether it was added."""
        cdef Py_hash_t h = PyObject_Hash(key)
        if self._find_live(key, h) != NULL:
            return False
        self._insert(key, h, value, NO_TTL)
        return True

    def delete(self, bytes key not None) -> bool:
        """Remove a live key; False if absent or expired (an expired key is expired, firing on_expired)."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef PyObject* value = NULL
        if self._find_live(key, h) == NULL:
            return False
        self._remove(key, h, &value)
        _xdecref(value)
        return True

    def evict(self, bytes key not None) -> bool:
        """Remove ``key`` whatever its TTL says (an eviction victim); False if absent. No hooks."""
        cdef PyObject* value = NULL
        if not self._remove(key, PyObject_Hash(key), &value):
            return False
        _xdecref(value)
        return True

    def pop(self, bytes key not None):
        """Remove a live key and return its value (GETDEL, RENAME, MOVE); None if absent or expired."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef PyObject* value = NULL
        if self._find_live(key, h) == NULL:
            return None
        self._remove(key, h, &value)
        result = <object>value
        _decref(value)
        return result

    # -- TTL and LRU/LFU metadata --------------------------------------------------------------------------

    def set_expire(self, bytes key not None, int64_t when_ms) -> None:
        """Set the absolute expire time (unix ms) of a live key; KeyError if absent (after lazy expiry).
        Negative times are stored as 0 (-1 is the no-TTL marker; Redis never keeps negative TTLs)."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Entry* e = self._find_live(key, h)
        cdef ExpEntry* x
        if e == NULL:
            raise KeyError(key)
        if when_ms < 0:
            when_ms = 0
        if e.meta & META_TTL:
            x = _etable_find(&self.expires, e, h)
            if x != NULL:
                x.when_ms = when_ms
                return
        self._add_ttl(e, h, when_ms)

    def get_expire(self, bytes key not None) -> int:
        """Stored expire time in unix ms, -1 if the key has no TTL or is absent. No lazy expiry."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if e == NULL:
            return NO_TTL
        return self._expire_of(e, h)

    def remove_expire(self, bytes key not None) -> bool:
        """Make a live key persistent; True if it had a TTL."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Entry* e = self._find_live(key, h)
        if e == NULL or not (e.meta & META_TTL):
            return False
        self._drop_ttl(e, h)
        return True

    def get_lru(self, bytes key not None) -> int:
        """Stored 24-bit LRU/LFU field, -1 if the key is absent. No lazy expiry, no touch."""
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, PyObject_Hash(key))
        if e == NULL:
            return -1
        return e.meta & META_LRU_MASK

    def set_lru(self, bytes key not None, uint32_t lru) -> None:
        """Overwrite the 24-bit LRU/LFU field (RESTORE IDLETIME/FREQ, tests); KeyError if absent."""
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, PyObject_Hash(key))
        if e == NULL:
            raise KeyError(key)
        e.meta = (e.meta & ~(<uint32_t>META_LRU_MASK)) | (lru & META_LRU_MASK)

    def idle_seconds(self, bytes key not None) -> int:
        """OBJECT IDLETIME: seconds since the last access by the 24-bit LRU clock; -1 if absent. No touch."""
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, PyObject_Hash(key))
        if e == NULL:
            return -1
        return _idle_ms(e.meta & META_LRU_MASK, _lru(self.ctx.now_ms)) // 1000

    def lfu_count(self, bytes key not None) -> int:
        """OBJECT FREQ: the LFU counter after decay (LFUDecrAndReturn, not stored); -1 if absent."""
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, PyObject_Hash(key))
        if e == NULL:
            return -1
        return _lfu_decayed(e.meta & META_LRU_MASK, _lfu_minutes(self.ctx.now_ms), self.ctx.lfu_decay_time)

    # -- memory --------------------------------------------------------------------------------------------

    def key_memory(self, bytes key not None) -> int:
        """MEMORY USAGE: bytes of the key's entry (key bytes inline), TTL entry and value; -1 if absent.
        Like Redis's dictFind, no lazy expiry: a key past its TTL but not yet deleted is still measured."""
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, PyObject_Hash(key))
        cdef int64_t total
        if e == NULL:
            return -1
        total = _alloc(self.ctx._pre + sizeof(Entry) + e.klen) + (_alloc(sizeof(ExpEntry)) if e.meta & META_TTL else 0)
        return total + _value_size(<object>e.value)

    def memory_overhead(self) -> tuple:
        """(main table bytes, TTL table bytes) without the values: MEMORY STATS' overhead.hashtable.*.
        In cluster mode the main part includes the slot index."""
        return (self._entry_bytes + self._slot_bytes + _alloc(self.main.size * sizeof(Entry*)),
                self._exp_bytes + _alloc(self.expires.size * sizeof(ExpEntry*)))

    def value_bytes(self) -> int:
        """Sum of the accounted sizes of this db's values."""
        return self._value_bytes

    # -- iteration -----------------------------------------------------------------------------------------

    def scan(self, unsigned long long cursor, Py_ssize_t count):
        """One SCAN step: walk whole buckets from ``cursor`` until ~``count`` keys were seen (at most
        10*count buckets, as Redis). Returns (next_cursor, keys); 0 ends the iteration. Keys whose TTL
        passed are not returned and are expired (Redis's scanGenericCommand calls expireIfNeeded)."""
        cdef list keys = []
        cdef list stale = []
        cdef uint64_t v = cursor
        cdef Py_ssize_t seen = 0, budget
        cdef int64_t now = self.ctx.now_ms
        cdef Entry* e
        if self.main.used == 0:
            return 0, keys
        if count < 1:
            count = 1
        budget = count * 10 if count < PY_SSIZE_T_MAX // 10 else PY_SSIZE_T_MAX
        while True:
            e = self.main.buckets[v & self.main.mask]
            while e != NULL:
                if (e.meta & META_TTL) and self._expire_of(e, _entry_hash(e)) < now:
                    stale.append(_key_object(e))
                else:
                    keys.append(_key_object(e))
                seen += 1
                e = e.next
            # Reverse-binary increment: bump the cursor's high bits first, so buckets already visited at
            # any smaller or larger table size are never revisited as unseen (Redis dict.c dictScan).
            v |= ~(<uint64_t>self.main.mask)
            v = _rev64(v)
            v += 1
            v = _rev64(v)
            budget -= 1
            if v == 0 or budget == 0 or seen >= count:
                break
        for k in stale:
            self._expire_if_stale(k)
        return v, keys

    @cython.cdivision(True)  # divisor is a non-zero chain length
    def random_key(self):
        """A random live key (random non-empty bucket, then random chain element), or None if empty.
        Expired keys met on the way are expired. If every key is volatile, give up after 100 expired hits
        and return the (expired, not deleted) key in hand, like Redis's dbRandomKey guard."""
        cdef Context ctx = self.ctx
        cdef int tries = RANDOM_KEY_MAX_TRIES
        cdef bint allvolatile
        cdef Entry* e
        cdef Entry* head
        cdef size_t n, i, pick
        cdef Py_hash_t h
        while self.main.used:
            allvolatile = self.expires.used == self.main.used
            e = NULL
            while e == NULL:
                e = self.main.buckets[ctx._random() & self.main.mask]
            n = 0
            head = e
            while e != NULL:
                n += 1
                e = e.next
            e = head
            pick = ctx._random() % n
            for i in range(pick):
                e = e.next
            key = _key_object(e)
            if not (e.meta & META_TTL):
                return key
            h = _entry_hash(e)
            if self._expire_of(e, h) >= ctx.now_ms:
                return key
            tries -= 1
            if (allvolatile or not ctx.expire_on_read) and tries <= 0:
                return key
            if not ctx.expire_on_read:
                continue    # dbRandomKey on a replica: expired keys are skipped, never deleted
            self._expire_key(key, h)
        return None

    @cython.cdivision(True)  # divisor is a non-zero chain length
    def random_volatile_key(self):
        """A random key that has a TTL (volatile-random's pick; expired or not), or None if there is none."""
        cdef Context ctx = self.ctx
        cdef ExpEntry* x = NULL
        cdef ExpEntry* head
        cdef size_t n = 0, i, pick
        if self.expires.used == 0:
            return None
        while x == NULL:
            x = self.expires.buckets[ctx._random() & self.expires.mask]
        head = x
        while x != NULL:
            n += 1
            x = x.next
        x = head
        pick = ctx._random() % n
        for i in range(pick):
            x = x.next
        return _key_object(x.owner)

    def keys(self) -> list:
        """All live keys (no lazy expiry: like KEYS, logically expired keys are skipped, not deleted)."""
        cdef list out = []
        cdef int64_t now = self.ctx.now_ms
        cdef size_t i
        cdef Entry* e
        for i in range(self.main.size):
            e = self.main.buckets[i]
            while e != NULL:
                if not (e.meta & META_TTL) or self._expire_of(e, _entry_hash(e)) >= now:
                    out.append(_key_object(e))
                e = e.next
        return out

    def items(self) -> list:
        """(key, value, expire_ms) for every live key; expire_ms is -1 without TTL (SAVE, DEBUG RELOAD)."""
        cdef list out = []
        cdef int64_t now = self.ctx.now_ms
        cdef int64_t when
        cdef size_t i
        cdef Entry* e
        for i in range(self.main.size):
            e = self.main.buckets[i]
            while e != NULL:
                when = self._expire_of(e, _entry_hash(e)) if e.meta & META_TTL else NO_TTL
                if when == NO_TTL or when >= now:
                    out.append((_key_object(e), <object>e.value, when))
                e = e.next
        return out

    # -- whole-db operations -------------------------------------------------------------------------------

    def clear(self) -> int:
        """Remove every key (FLUSHDB); returns how many there were, logically expired ones included."""
        cdef Table old_main, new_main
        cdef ETable old_expires, new_expires
        cdef int64_t fresh = 0
        cdef Context ctx = self.ctx
        cdef size_t n
        _table_init(&new_main, MIN_BUCKETS, &fresh)
        try:
            _etable_init(&new_expires, MIN_BUCKETS, &fresh)
        except MemoryError:
            PyMem_Free(new_main.buckets)
            raise
        old_main = self.main
        old_expires = self.expires
        self.main = new_main
        self.expires = new_expires
        self.expires_cursor = 0
        self._avg_ttl = 0
        ctx.keyspace_bytes += fresh - (self._entry_bytes + self._value_bytes + self._exp_bytes
                                       + _alloc(old_main.size * sizeof(Entry*))
                                       + _alloc(old_expires.size * sizeof(ExpEntry*)))
        self._entry_bytes = self._value_bytes = self._exp_bytes = 0
        n = old_main.used
        ctx._entries -= n
        if self._slot_heads != NULL:
            memset(self._slot_heads, 0, CLUSTER_SLOTS * sizeof(Entry*))
            memset(self._slot_counts, 0, CLUSTER_SLOTS * sizeof(int64_t))
        _etable_free(&old_expires)
        _table_free(&old_main, ctx._pre)
        return n

    def swap_with(self, Db other not None) -> None:
        """Exchange the whole contents with ``other`` (SWAPDB); ids stay. Both share one Context."""
        cdef Table t
        cdef ETable et
        cdef size_t c
        cdef long long a
        cdef int64_t b
        cdef Entry** heads
        cdef int64_t* counts
        t = self.main
        self.main = other.main
        other.main = t
        et = self.expires
        self.expires = other.expires
        other.expires = et
        c = self.expires_cursor
        self.expires_cursor = other.expires_cursor
        other.expires_cursor = c
        a = self._avg_ttl
        self._avg_ttl = other._avg_ttl
        other._avg_ttl = a
        b = self._entry_bytes
        self._entry_bytes = other._entry_bytes
        other._entry_bytes = b
        b = self._value_bytes
        self._value_bytes = other._value_bytes
        other._value_bytes = b
        b = self._exp_bytes
        self._exp_bytes = other._exp_bytes
        other._exp_bytes = b
        heads = self._slot_heads
        self._slot_heads = other._slot_heads
        other._slot_heads = heads
        counts = self._slot_counts
        self._slot_counts = other._slot_counts
        other._slot_counts = counts
        b = self._slot_bytes
        self._slot_bytes = other._slot_bytes
        other._slot_bytes = b

    # -- cluster slot index (cluster mode only) -------------------------------------------------------------

    def slot_of(self, bytes key not None) -> int:
        """The cluster slot of ``key`` (CRC16 with {hash tags}); any mode."""
        return _slot(<const uint8_t*><const char*>key, len(key))

    def count_keys_in_slot(self, int slot) -> int:
        """Keys of ``slot`` in this db, logically expired ones included (COUNTKEYSINSLOT); O(1)."""
        self._check_slot(slot)
        if self._slot_heads == NULL:
            return 0
        return self._slot_counts[slot]

    def keys_in_slot(self, int slot, Py_ssize_t count) -> list:
        """Up to ``count`` keys of ``slot``, newest first (GETKEYSINSLOT); O(count). No lazy expiry."""
        cdef list out = []
        cdef Entry* e
        self._check_slot(slot)
        if self._slot_heads == NULL:
            return out
        e = self._slot_heads[slot]
        while e != NULL and count > 0:
            out.append(_key_object(e))
            count -= 1
            e = _links(e).next
        return out

    def delete_keys_in_slot(self, int slot) -> int:
        """Remove every key of ``slot`` (a node losing the slot: delKeysInSlot) without hooks; returns how
        many. The caller takes keys_in_slot() first if it must propagate or notify."""
        cdef PyObject* value = NULL
        cdef Entry* e
        cdef Py_ssize_t n = 0
        self._check_slot(slot)
        if self._slot_heads == NULL:
            return 0
        while True:
            e = self._slot_heads[slot]     # re-read: releasing a value may run code
            if e == NULL:
                return n
            key = _key_object(e)
            self._remove(key, _entry_hash(e), &value)
            _xdecref(value)
            n += 1

    def slots_with_keys(self) -> list:
        """Ascending slots holding at least one key of this db; O(16384)."""
        cdef list out = []
        cdef int slot
        if self.ctx._pre == 0:
            raise RuntimeError("the keyspace is not in cluster mode")
        if self._slot_heads == NULL:
            return out
        for slot in range(CLUSTER_SLOTS):
            if self._slot_counts[slot]:
                out.append(slot)
        return out

    # -- active expiry -------------------------------------------------------------------------------------

    def active_expire_cycle(self, long long time_budget_us) -> int:
        """Redis 7.0's activeExpireCycle for this db: sample the TTL table sequentially (persistent cursor,
        20 keys per loop), expire what is stale, loop while >10% of a sample was stale, check the budget
        every 16 loops. Returns the number expired; a no-op when ctx.active_expire_enabled is off."""
        cdef Context ctx = self.ctx
        cdef list stale = []
        cdef int64_t start, now, ttl
        cdef long long total_expired = 0, total_sampled = 0, iteration = 0
        cdef long long expired, sampled, ttl_sum, ttl_samples, avg, checked, max_buckets
        cdef size_t num
        cdef ExpEntry* x
        cdef double perc
        if not ctx.active_expire_enabled:
            return 0
        if time_budget_us <= 0:
            time_budget_us = 1
        start = _monotonic_us()
        while True:
            iteration += 1
            num = self.expires.used
            if num == 0:
                self._avg_ttl = 0
                break
            if num > EXPIRE_KEYS_PER_LOOP:
                num = EXPIRE_KEYS_PER_LOOP
            expired = sampled = ttl_sum = ttl_samples = checked = 0
            max_buckets = num * 20
            while <size_t>sampled < num and checked < max_buckets and self.expires.used:
                now = ctx.now_ms
                x = self.expires.buckets[self.expires_cursor & self.expires.mask]
                while x != NULL:
                    ttl = x.when_ms - now
                    if x.when_ms < now:
                        stale.append(_key_object(x.owner))
                    elif ttl > 0:
                        ttl_sum += ttl
                        ttl_samples += 1
                    sampled += 1
                    x = x.next
                self.expires_cursor += 1
                checked += 1
                if stale:
                    for k in stale:
                        expired += self._expire_if_stale(k)
                    del stale[:]
            total_expired += expired
            total_sampled += sampled
            if ttl_samples:
                # Redis keeps a running estimate: 2% weight to each new sample (integer maths, as in expire.c).
                avg = ttl_sum // ttl_samples
                if self._avg_ttl == 0:
                    self._avg_ttl = avg
                else:
                    self._avg_ttl = (self._avg_ttl // 50) * 49 + avg // 50
            if (iteration & 0xF) == 0 and _monotonic_us() - start > time_budget_us:
                ctx.expired_time_cap_reached_count += 1
                break
            if sampled != 0 and expired * 100 // sampled <= EXPIRE_ACCEPTABLE_STALE:
                break
        perc = <double>total_expired / total_sampled if total_sampled else 0.0
        ctx.expired_stale_perc = perc * 0.05 + ctx.expired_stale_perc * 0.95
        return total_expired

    def avg_ttl(self) -> int:
        """INFO keyspace avg_ttl (ms): running estimate maintained by the active cycle; 0 if no volatile keys."""
        if self.expires.used == 0:
            return 0
        return self._avg_ttl


# ---------------------------------------------------------------------------------------------------------
# Eviction candidates (evict.c's evictionPoolPopulate and the pool walk of performEvictions).

cdef class EvictionPool:
    """The 16 best eviction candidates seen so far across all dbs, ascending by score (idle time for LRU,
    255 - counter for LFU, "how soon it expires" for TTL); the best is at the right end."""

    cdef uint64_t scores[EVPOOL_SIZE]
    cdef int dbids[EVPOOL_SIZE]
    cdef list keys             # EVPOOL_SIZE slots: bytes or None

    def __cinit__(self):
        self.keys = [None] * EVPOOL_SIZE

    def clear(self) -> None:
        for i in range(EVPOOL_SIZE):
            self.keys[i] = None

    def candidates(self) -> list:
        """(db id, key, score) of the filled slots, worst first (tests and DEBUG)."""
        return [(self.dbids[i], self.keys[i], self.scores[i]) for i in range(EVPOOL_SIZE)
                if self.keys[i] is not None]

    cdef int _offer(self, int dbid, Entry* e, uint64_t score) except -1:
        # Insert keeping the array sorted; when full, the worst candidate (slot 0) falls out.
        cdef list keys = self.keys
        cdef int k = 0, j
        while k < EVPOOL_SIZE and keys[k] is not None and self.scores[k] < score:
            k += 1
        if k == 0 and keys[EVPOOL_SIZE - 1] is not None:
            return 0    # worse than every candidate of a full pool
        if k < EVPOOL_SIZE and keys[k] is None:
            pass        # an empty slot where it belongs
        elif keys[EVPOOL_SIZE - 1] is None:
            # Room on the right: shift k..end one step right.
            for j in range(EVPOOL_SIZE - 1, k, -1):
                keys[j] = keys[j - 1]
                self.scores[j] = self.scores[j - 1]
                self.dbids[j] = self.dbids[j - 1]
        else:
            # Full: drop slot 0, shift 1..k-1 left, insert at k-1.
            k -= 1
            for j in range(k):
                keys[j] = keys[j + 1]
                self.scores[j] = self.scores[j + 1]
                self.dbids[j] = self.dbids[j + 1]
        keys[k] = _key_object(e)
        self.scores[k] = score
        self.dbids[k] = dbid
        return 0

    @cython.cdivision(True)
    def populate(self, Db db not None, int samples, int mode, bint volatile) -> int:
        """Sample up to ``samples`` keys of ``db`` (its TTL table when ``volatile``) the way dictGetSomeKeys
        does (a run of buckets from a random start) and offer each to the pool. Returns how many were seen."""
        cdef Context ctx = db.ctx
        cdef Entry* picked[64]
        cdef int64_t whens[64]
        cdef int count = 0, i, empty_run = 0
        cdef size_t idx, steps, mask, size, used
        cdef Entry* e
        cdef ExpEntry* x
        cdef uint32_t clock, minutes
        cdef uint64_t score
        if samples > 64:
            samples = 64
        used = db.expires.used if volatile else db.main.used
        if used == 0 or samples <= 0:
            return 0
        if <size_t>samples > used:
            samples = <int>used
        size = db.expires.size if volatile else db.main.size
        mask = size - 1
        steps = <size_t>samples * 10
        idx = ctx._random() & mask
        while count < samples and steps > 0:
            steps -= 1
            if volatile:
                x = db.expires.buckets[idx]
                if x == NULL:
                    empty_run += 1
                while x != NULL and count < samples:
                    empty_run = 0
                    picked[count] = x.owner
                    whens[count] = x.when_ms
                    count += 1
                    x = x.next
            else:
                e = db.main.buckets[idx]
                if e == NULL:
                    empty_run += 1
                while e != NULL and count < samples:
                    empty_run = 0
                    picked[count] = e
                    whens[count] = 0
                    count += 1
                    e = e.next
            if empty_run >= 5 and empty_run > samples:
                idx = ctx._random() & mask
                empty_run = 0
            else:
                idx = (idx + 1) & mask
        clock = _lru(ctx.now_ms)
        minutes = _lfu_minutes(ctx.now_ms)
        for i in range(count):
            e = picked[i]
            if mode == MODE_LRU:
                score = _idle_ms(e.meta & META_LRU_MASK, clock)
            elif mode == MODE_LFU:
                score = 255 - _lfu_decayed(e.meta & META_LRU_MASK, minutes, ctx.lfu_decay_time)
            else:
                score = <uint64_t>0xFFFFFFFFFFFFFFFF - <uint64_t>whens[i]
            self._offer(db.id, e, score)
        return count

    def pick(self, list dbs not None, int samples, int mode, bint volatile):
        """performEvictions' victim choice: refill the pool from every db with keys (its TTL table when
        ``volatile``), take the best live candidate, repeat while the pool yields none. Returns (db, key), or
        None when no db has a candidate at all."""
        cdef Db db
        cdef size_t total
        while True:
            total = 0
            for obj in dbs:
                db = <Db>obj
                if volatile and db.expires.used:
                    total += db.expires.used
                    self.populate(db, samples, mode, True)
                elif not volatile and db.main.used:
                    total += db.main.used
                    self.populate(db, samples, mode, False)
            if total == 0:
                return None
            picked = self.pop_best(dbs, volatile)
            if picked is not None:
                return picked

    def pop_best(self, list dbs not None, bint volatile):
        """Take candidates from the best end until one still exists (with a TTL when ``volatile``):
        returns (db, key), or None when the pool holds no live candidate."""
        cdef list keys = self.keys
        cdef int k
        cdef Db db
        cdef Entry* e
        for k in range(EVPOOL_SIZE - 1, -1, -1):
            key = keys[k]
            if key is None:
                continue
            keys[k] = None
            db = <Db>dbs[self.dbids[k]]
            e = _table_find(&db.main, <PyObject*>key, PyObject_Hash(key))
            if e != NULL and (not volatile or (e.meta & META_TTL)):
                return db, key
        return None
