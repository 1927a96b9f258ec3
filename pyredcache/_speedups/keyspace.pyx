"""The database engine: per-Db chained hash tables of C entries (key, value, TTL, LRU), lazy and active expiry,
and SCAN's reverse-binary cursor. Data structure only: no imports from pyredcache; the server installs hooks."""

# Rules of this module:
# - Every entry owns one reference to its key (exact bytes) and, in the main table, one to its value.
# - Unlink first, DECREF values last: releasing a value can run arbitrary code, so tables are consistent
#   before any reference is dropped, and no Entry pointer is used after a DECREF or a hook call.
# - No GC-tracked allocation (tuples, new lists, Python calls) while walking a chain; collect, then act.

cimport cython
from cpython.object cimport PyObject, PyObject_IsInstance
from libc.stdint cimport int64_t, uint32_t, uint64_t
from libc.string cimport memcmp
from posix.time cimport CLOCK_MONOTONIC, clock_gettime, timespec

import os
import time


cdef extern from "Python.h":
    void* PyMem_Malloc(size_t n)
    void* PyMem_Calloc(size_t nelem, size_t elsize)
    void PyMem_Free(void* p)
    Py_hash_t PyObject_Hash(object o) except? -1
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


@cython.cdivision(True)  # now_ms is never negative; skip Python floor-division fix-ups
cdef inline uint32_t _lru(int64_t now_ms) noexcept:
    return <uint32_t>((now_ms // 1000) & LRU_CLOCK_MAX)


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


# ---------------------------------------------------------------------------------------------------------
# The chained hash table. Pure C; none of these functions runs Python code or drops a reference.

cdef int _table_init(Table* t, size_t size) except -1:
    t.buckets = <Entry**>PyMem_Calloc(size, sizeof(Entry*))
    if t.buckets == NULL:
        raise MemoryError()
    t.size = size
    t.mask = size - 1
    t.used = 0
    return 0


cdef inline bint _same_key(Entry* e, PyObject* key, Py_hash_t h) noexcept:
    cdef Py_ssize_t n
    if e.key == key:
        return True
    if e.hash != h:
        return False
    n = _bytes_size(key)
    return _bytes_size(e.key) == n and memcmp(_bytes_data(e.key), _bytes_data(key), n) == 0


cdef inline Entry* _table_find(Table* t, PyObject* key, Py_hash_t h) noexcept:
    cdef Entry* e = t.buckets[<size_t>h & t.mask]
    while e != NULL:
        if _same_key(e, key, h):
            return e
        e = e.next
    return NULL


cdef void _table_rehash(Table* t, size_t new_size) noexcept:
    # A full rehash at once instead of Redis's incremental two-table rehash: relinking C entries costs a few
    # ns each (~50 ms per million keys), and a single table keeps SCAN, random sampling and the expire
    # cursor simple. SCAN's reverse-binary cursor stays valid across any number of resizes between calls.
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
            idx = <size_t>e.hash & new_mask
            e.next = nb[idx]
            nb[idx] = e
            e = nxt
    PyMem_Free(t.buckets)
    t.buckets = nb
    t.size = new_size
    t.mask = new_mask


cdef inline void _table_link(Table* t, Entry* e) noexcept:
    cdef size_t idx = <size_t>e.hash & t.mask
    e.next = t.buckets[idx]
    t.buckets[idx] = e
    t.used += 1
    if t.used > t.size:
        _table_rehash(t, t.size * 2)


cdef Entry* _table_unlink(Table* t, PyObject* key, Py_hash_t h) noexcept:
    cdef Entry** pp = &t.buckets[<size_t>h & t.mask]
    cdef Entry* e = pp[0]
    while e != NULL:
        if _same_key(e, key, h):
            pp[0] = e.next
            t.used -= 1
            return e
        pp = &e.next
        e = e.next
    return NULL


cdef inline void _table_maybe_shrink(Table* t) noexcept:
    cdef size_t n
    if t.size > MIN_BUCKETS and t.used < t.size // 8:
        n = MIN_BUCKETS
        while n < t.used:
            n <<= 1
        _table_rehash(t, n)


cdef void _table_free(Table* t):
    # Drops references, so callers detach the table from its Db first.
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
            _decref(e.key)
            _xdecref(e.value)
            PyMem_Free(e)
            e = nxt
    PyMem_Free(buckets)


cdef Entry* _new_entry(PyObject* key, Py_hash_t h, PyObject* value, int64_t expire_ms, uint32_t lru) except NULL:
    cdef Entry* e = <Entry*>PyMem_Malloc(sizeof(Entry))
    if e == NULL:
        raise MemoryError()
    _incref(key)
    if value != NULL:
        _incref(value)
    e.key = key
    e.value = value
    e.hash = h
    e.next = NULL
    e.expire_ms = expire_ms
    e.lru = lru
    return e


# ---------------------------------------------------------------------------------------------------------

cdef class Context:
    """State shared by all Dbs of one server: TTL clock, stats counters, hooks, random state.
    Several servers may live in one process, so nothing of this lives in module globals."""

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
        self._rng = (int.from_bytes(os.urandom(8), "little") | 1) & 0xFFFFFFFFFFFFFFFF

    def __init__(self):
        pass

    def lru_clock(self) -> int:
        """Redis's 24-bit LRU clock at 1 s resolution, taken from ``now_ms``."""
        return _lru(self.now_ms)

    def seed_random(self, seed: int) -> None:
        """Make random_key() deterministic (tests)."""
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


@cython.no_gc_clear  # keep ctx valid until dealloc; the ctx <-> server cycle is broken on Context's side
cdef class Db:
    """One logical database (SELECT n): keys → values with TTLs, plus the TTL index used by active expiry."""

    def __cinit__(self, Context ctx not None, int id, *args, **kwargs):
        # Set up in __cinit__ so a Db is never without tables or ctx (extra args: Python subclasses).
        self.id = id
        self.ctx = ctx
        self.expires_cursor = 0
        self._avg_ttl = 0
        _table_init(&self.main, MIN_BUCKETS)
        _table_init(&self.expires, MIN_BUCKETS)

    def __init__(self, Context ctx not None, int id):
        pass

    def __dealloc__(self):
        _table_free(&self.expires)
        _table_free(&self.main)

    def __len__(self):
        return self.main.used

    def __repr__(self):
        return f"<Db {self.id} keys={self.main.used} expires={self.expires.used}>"

    def expires_count(self) -> int:
        return self.expires.used

    # -- internals -----------------------------------------------------------------------------------------

    cdef Entry* _find(self, object key, Py_hash_t h) noexcept:
        return _table_find(&self.main, <PyObject*>key, h)

    cdef Entry* _find_live(self, object key, Py_hash_t h) except? NULL:
        # Redis keyIsExpired: a key is expired when now > when, so it is still alive at exactly `when`.
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if e != NULL and e.expire_ms != NO_TTL and e.expire_ms < self.ctx.now_ms:
            self._expire_key(key, h)
            return NULL
        return e

    cdef bint _remove(self, object key, Py_hash_t h, PyObject** value_out) noexcept:
        # Unlinks key from both tables and hands the value reference to the caller (who drops it last).
        # Keys are exact bytes, so releasing them here cannot run Python code.
        cdef Entry* e = _table_unlink(&self.main, <PyObject*>key, h)
        cdef Entry* te
        if e == NULL:
            return False
        if e.expire_ms != NO_TTL:
            te = _table_unlink(&self.expires, <PyObject*>key, h)
            if te != NULL:
                _decref(te.key)
                PyMem_Free(te)
                _table_maybe_shrink(&self.expires)
        _table_maybe_shrink(&self.main)
        value_out[0] = e.value
        _decref(e.key)
        PyMem_Free(e)
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
        cdef Entry* e = _new_entry(<PyObject*>key, h, <PyObject*>value, expire_ms, _lru(self.ctx.now_ms))
        cdef Entry* te
        if expire_ms != NO_TTL:
            try:
                te = _new_entry(<PyObject*>key, h, NULL, expire_ms, 0)
            except MemoryError:
                _decref(e.key)
                _decref(e.value)
                PyMem_Free(e)
                raise
            _table_link(&self.expires, te)
        _table_link(&self.main, e)
        if self.ctx.on_new is not None:
            self.ctx.on_new(self, key)
        return 0

    cdef int _missed(self, object key) except -1:
        # lookupKey's miss branch: keyspace_misses and the "keymiss" event.
        cdef Context ctx = self.ctx
        ctx.misses += 1
        if ctx.on_miss is not None:
            ctx.on_miss(self, key)
        return 0

    cdef int _drop_ttl(self, Entry* e, object key, Py_hash_t h) noexcept:
        cdef Entry* te = _table_unlink(&self.expires, <PyObject*>key, h)
        if te != NULL:
            _decref(te.key)
            PyMem_Free(te)
            _table_maybe_shrink(&self.expires)
        e.expire_ms = NO_TTL
        return 0

    cdef int _expire_if_stale(self, object key) except -1:
        # For keys collected during a walk: re-check, since earlier hooks may have changed the table.
        # Returns 1 if the key was expired.
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if e != NULL and e.expire_ms != NO_TTL and e.expire_ms < self.ctx.now_ms:
            self._expire_key(key, h)
            return 1
        return 0

    cdef object _lookup(self, object key, bint read):
        # lookup_read (read=True) / lookup_write body for the generic typed getters.
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Context ctx = self.ctx
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if e != NULL:
            if e.expire_ms == NO_TTL or e.expire_ms >= ctx.now_ms:
                if read:
                    ctx.hits += 1
                e.lru = _lru(ctx.now_ms)
                return <object>e.value
            self._expire_key(key, h)
        if read:
            self._missed(key)
        return None

    # -- reads ---------------------------------------------------------------------------------------------

    def lookup_read(self, bytes key not None):
        """Value of a live key or None; lazy expiry, keyspace hit/miss counters, LRU touch."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Context ctx = self.ctx
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if e != NULL:
            if e.expire_ms == NO_TTL or e.expire_ms >= ctx.now_ms:
                ctx.hits += 1
                e.lru = _lru(ctx.now_ms)
                return <object>e.value
            self._expire_key(key, h)
        self._missed(key)
        return None

    def missed(self, bytes key not None) -> None:
        """Count a read miss on ``key`` found by other means (peek/exists): keyspace_misses and "keymiss"."""
        self._missed(key)

    def lookup_write(self, bytes key not None):
        """Value of a live key or None; lazy expiry, LRU touch, no counters."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Context ctx = self.ctx
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if e != NULL:
            if e.expire_ms == NO_TTL or e.expire_ms >= ctx.now_ms:
                e.lru = _lru(ctx.now_ms)
                return <object>e.value
            self._expire_key(key, h)
        return None

    def peek(self, bytes key not None):
        """Value of a live key or None; lazy expiry only (no LRU touch, no counters)."""
        cdef Entry* e = self._find_live(key, PyObject_Hash(key))
        if e == NULL:
            return None
        return <object>e.value

    def get_string_read(self, bytes key not None):
        """lookup_read() that raises ``ctx.wrongtype()`` unless the value is bytes/bytearray."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Context ctx = self.ctx
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if e != NULL:
            if e.expire_ms == NO_TTL or e.expire_ms >= ctx.now_ms:
                ctx.hits += 1
                e.lru = _lru(ctx.now_ms)
                if _is_bytes(e.value) or _is_bytearray(e.value):
                    return <object>e.value
                raise ctx.wrongtype()
            self._expire_key(key, h)
        self._missed(key)
        return None

    def get_string_write(self, bytes key not None):
        """lookup_write() that raises ``ctx.wrongtype()`` unless the value is bytes/bytearray."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Context ctx = self.ctx
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        if e != NULL:
            if e.expire_ms == NO_TTL or e.expire_ms >= ctx.now_ms:
                e.lru = _lru(ctx.now_ms)
                if _is_bytes(e.value) or _is_bytearray(e.value):
                    return <object>e.value
                raise ctx.wrongtype()
            self._expire_key(key, h)
        return None

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
        return self._find_live(key, PyObject_Hash(key)) != NULL

    # -- writes --------------------------------------------------------------------------------------------

    def set_key(self, bytes key not None, object value, bint keep_ttl=False) -> None:
        """Add or overwrite ``key``; its TTL is dropped unless ``keep_ttl``. An expired key is expired first."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Context ctx = self.ctx
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, h)
        cdef PyObject* old
        if e != NULL and e.expire_ms != NO_TTL:
            if e.expire_ms < ctx.now_ms:
                # Redis setKey looks the key up for writing first, so the expired event fires before the set.
                self._expire_key(key, h)
                e = _table_find(&self.main, <PyObject*>key, h)
            if e != NULL and not keep_ttl and e.expire_ms != NO_TTL:
                self._drop_ttl(e, key, h)
        if e == NULL:
            self._insert(key, h, value, NO_TTL)
            return
        old = e.value
        _incref(<PyObject*>value)
        e.value = <PyObject*>value
        e.lru = _lru(ctx.now_ms)
        _decref(old)

    def set_value(self, bytes key not None, object value) -> None:
        """Replace the value of a live key keeping its TTL (INCR, APPEND, ...); KeyError if absent."""
        cdef Entry* e = self._find_live(key, PyObject_Hash(key))
        cdef PyObject* old
        if e == NULL:
            raise KeyError(key)
        old = e.value
        _incref(<PyObject*>value)
        e.value = <PyObject*>value
        e.lru = _lru(self.ctx.now_ms)
        _decref(old)

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

    # -- TTL and LRU metadata ------------------------------------------------------------------------------

    def set_expire(self, bytes key not None, int64_t when_ms) -> None:
        """Set the absolute expire time (unix ms) of a live key; KeyError if absent (after lazy expiry).
        Negative times are stored as 0 (-1 is the no-TTL marker; Redis never keeps negative TTLs)."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Entry* e = self._find_live(key, h)
        cdef Entry* te
        if e == NULL:
            raise KeyError(key)
        if when_ms < 0:
            when_ms = 0
        if e.expire_ms == NO_TTL:
            te = _new_entry(e.key, h, NULL, when_ms, 0)
            _table_link(&self.expires, te)
        else:
            te = _table_find(&self.expires, <PyObject*>key, h)
            if te != NULL:
                te.expire_ms = when_ms
        e.expire_ms = when_ms

    def get_expire(self, bytes key not None) -> int:
        """Stored expire time in unix ms, -1 if the key has no TTL or is absent. No lazy expiry."""
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, PyObject_Hash(key))
        if e == NULL:
            return NO_TTL
        return e.expire_ms

    def remove_expire(self, bytes key not None) -> bool:
        """Make a live key persistent; True if it had a TTL."""
        cdef Py_hash_t h = PyObject_Hash(key)
        cdef Entry* e = self._find_live(key, h)
        if e == NULL or e.expire_ms == NO_TTL:
            return False
        self._drop_ttl(e, key, h)
        return True

    def get_lru(self, bytes key not None) -> int:
        """Stored LRU/LFU field, -1 if the key is absent. No lazy expiry, no touch."""
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, PyObject_Hash(key))
        if e == NULL:
            return -1
        return e.lru

    def set_lru(self, bytes key not None, uint32_t lru) -> None:
        """Overwrite the LRU/LFU field (RESTORE IDLETIME/FREQ, eviction bookkeeping); KeyError if absent."""
        cdef Entry* e = _table_find(&self.main, <PyObject*>key, PyObject_Hash(key))
        if e == NULL:
            raise KeyError(key)
        e.lru = lru

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
                if e.expire_ms != NO_TTL and e.expire_ms < now:
                    stale.append(<object>e.key)
                else:
                    keys.append(<object>e.key)
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
            key = <object>e.key
            if e.expire_ms == NO_TTL or e.expire_ms >= ctx.now_ms:
                return key
            tries -= 1
            if allvolatile and tries <= 0:
                return key
            h = e.hash
            self._expire_key(key, h)
        return None

    def keys(self) -> list:
        """All live keys (no lazy expiry: like KEYS, logically expired keys are skipped, not deleted)."""
        cdef list out = []
        cdef int64_t now = self.ctx.now_ms
        cdef size_t i
        cdef Entry* e
        for i in range(self.main.size):
            e = self.main.buckets[i]
            while e != NULL:
                if e.expire_ms == NO_TTL or e.expire_ms >= now:
                    out.append(<object>e.key)
                e = e.next
        return out

    def items(self) -> list:
        """(key, value, expire_ms) for every live key; expire_ms is -1 without TTL (SAVE, DEBUG RELOAD)."""
        cdef list flat = []
        cdef list out
        cdef int64_t now = self.ctx.now_ms
        cdef size_t i
        cdef Py_ssize_t j
        cdef Entry* e
        for i in range(self.main.size):
            e = self.main.buckets[i]
            while e != NULL:
                if e.expire_ms == NO_TTL or e.expire_ms >= now:
                    flat.append(<object>e.key)
                    flat.append(<object>e.value)
                    flat.append(e.expire_ms)
                e = e.next
        out = [None] * (len(flat) // 3)
        for j in range(len(out)):
            out[j] = (flat[3 * j], flat[3 * j + 1], flat[3 * j + 2])
        return out

    # -- whole-db operations -------------------------------------------------------------------------------

    def clear(self) -> int:
        """Remove every key (FLUSHDB); returns how many there were, logically expired ones included."""
        cdef Table old_main, old_expires, new_main, new_expires
        cdef size_t n
        _table_init(&new_main, MIN_BUCKETS)
        try:
            _table_init(&new_expires, MIN_BUCKETS)
        except MemoryError:
            PyMem_Free(new_main.buckets)
            raise
        old_main = self.main
        old_expires = self.expires
        self.main = new_main
        self.expires = new_expires
        self.expires_cursor = 0
        self._avg_ttl = 0
        n = old_main.used
        _table_free(&old_expires)
        _table_free(&old_main)
        return n

    def swap_with(self, Db other not None) -> None:
        """Exchange the whole contents with ``other`` (SWAPDB); ids stay."""
        cdef Table t
        cdef size_t c
        cdef long long a
        t = self.main
        self.main = other.main
        other.main = t
        t = self.expires
        self.expires = other.expires
        other.expires = t
        c = self.expires_cursor
        self.expires_cursor = other.expires_cursor
        other.expires_cursor = c
        a = self._avg_ttl
        self._avg_ttl = other._avg_ttl
        other._avg_ttl = a

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
        cdef Entry* e
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
                e = self.expires.buckets[self.expires_cursor & self.expires.mask]
                while e != NULL:
                    ttl = e.expire_ms - now
                    if e.expire_ms < now:
                        stale.append(<object>e.key)
                    elif ttl > 0:
                        ttl_sum += ttl
                        ttl_samples += 1
                    sampled += 1
                    e = e.next
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
