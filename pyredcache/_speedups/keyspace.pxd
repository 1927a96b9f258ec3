# Declarations for pyredcache._speedups.keyspace, so other _speedups modules can cimport Db/Context.

from cpython.object cimport PyObject
from libc.stdint cimport int64_t, uint32_t, uint64_t


cdef struct Entry:
    PyObject* key          # owned reference, always exact bytes
    PyObject* value        # owned reference; NULL in the TTL table
    Py_hash_t hash         # PyObject_Hash(key), cached
    Entry* next
    int64_t expire_ms      # unix ms, -1 = no TTL
    uint32_t lru           # LRU clock at last access (24 bits used); reserved for LFU


cdef struct Table:
    Entry** buckets
    size_t size            # power of two, >= 4
    size_t mask
    size_t used


cdef class Context:
    cdef public int64_t now_ms
    cdef public long long hits
    cdef public long long misses
    cdef public long long expired_keys
    cdef public double expired_stale_perc
    cdef public long long expired_time_cap_reached_count
    cdef public object wrongtype
    cdef public object on_expired
    cdef public object on_new          # on_new(db, key): a key was added (keyspace event "new"); or None
    cdef public object on_miss         # on_miss(db, key): a read lookup missed (event "keymiss"); or None
    cdef public bint active_expire_enabled
    cdef uint64_t _rng

    cdef uint64_t _random(self) noexcept


cdef class Db:
    cdef readonly int id
    cdef readonly Context ctx
    cdef Table main
    cdef Table expires
    cdef size_t expires_cursor
    cdef long long _avg_ttl

    cdef Entry* _find(self, object key, Py_hash_t h) noexcept
    cdef Entry* _find_live(self, object key, Py_hash_t h) except? NULL
    cdef int _expire_key(self, object key, Py_hash_t h) except -1
    cdef bint _remove(self, object key, Py_hash_t h, PyObject** value_out) noexcept
    cdef int _insert(self, object key, Py_hash_t h, object value, int64_t expire_ms) except -1
    cdef int _drop_ttl(self, Entry* e, object key, Py_hash_t h) noexcept
    cdef int _expire_if_stale(self, object key) except -1
    cdef object _lookup(self, object key, bint read)
    cdef int _missed(self, object key) except -1
