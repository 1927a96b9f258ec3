# Declarations for pyredcache._speedups.keyspace, so other _speedups modules can cimport Db/Context.

from cpython.object cimport PyObject
from libc.stdint cimport int64_t, uint32_t, uint64_t


cdef struct Entry:
    # One key of the main table. The key's bytes follow the header in the same allocation (no key object:
    # that saves a 48-byte PyBytes per key), so an Entry is sizeof(Entry) + klen bytes (+ SlotLinks in cluster mode).
    Entry* next
    PyObject* value        # owned reference
    int64_t size           # accounted bytes of the value when last measured (_value_size)
    uint32_t meta          # low 24 bits: LRU clock or LFU (minutes << 8 | counter); high 8: META_* flags
    uint32_t klen


cdef struct SlotLinks:
    # Cluster mode only: an Entry's neighbours in its slot's key list (Redis 7.0's slot_to_keys dictEntry
    # metadata). They sit just before the Entry in its allocation, so the Entry layout (and every table
    # routine) is the same in both modes; Context._pre says whether the allocation starts with them.
    Entry* prev
    Entry* next


cdef struct ExpEntry:
    # One key of the TTL table: points at its main-table Entry (which carries META_TTL).
    ExpEntry* next
    Entry* owner
    int64_t when_ms        # unix ms
    Py_hash_t hash         # the key's hash, so TTL-table rehashes never rehash key bytes


cdef struct Table:
    Entry** buckets
    size_t size            # power of two, >= 4
    size_t mask
    size_t used


cdef struct ETable:
    ExpEntry** buckets
    size_t size
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
    cdef public bint expire_on_read    # False on a replica: reads hide expired keys but keep them (primary DELs)
    cdef public bint expired_visible   # True while a replica applies its primary's stream: expired keys live
    cdef public bint lfu_mode          # access bookkeeping: LFU counter (True) or LRU clock (False)
    cdef public int lfu_log_factor
    cdef public int lfu_decay_time
    cdef readonly int64_t keyspace_bytes   # every byte the Dbs of this context account (entries, values, tables)
    cdef size_t _pre                   # bytes before each Entry: sizeof(SlotLinks) in cluster mode, else 0
    cdef int64_t _entries              # entries across this context's Dbs (cluster_mode changes only at 0)
    cdef uint64_t _rng

    cdef uint64_t _random(self) noexcept
    cdef uint32_t _initial_meta(self) noexcept
    cdef void _touch(self, Entry* e) noexcept


cdef class Db:
    cdef readonly int id
    cdef readonly Context ctx
    cdef Table main
    cdef ETable expires
    cdef size_t expires_cursor
    cdef long long _avg_ttl
    cdef int64_t _entry_bytes          # main-table entries (header + key bytes)
    cdef int64_t _value_bytes          # sum of Entry.size
    cdef int64_t _exp_bytes            # TTL-table entries
    cdef Entry** _slot_heads           # cluster mode: first Entry of each slot's list; NULL until first used
    cdef int64_t* _slot_counts         # cluster mode: keys per slot
    cdef int64_t _slot_bytes           # the two slot arrays

    cdef Entry* _find(self, object key, Py_hash_t h) noexcept
    cdef Entry* _find_live(self, object key, Py_hash_t h) except? NULL
    cdef Entry* _find_readable(self, object key, Py_hash_t h) except? NULL
    cdef int64_t _expire_of(self, Entry* e, Py_hash_t h) noexcept
    cdef int _expire_key(self, object key, Py_hash_t h) except -1
    cdef bint _remove(self, object key, Py_hash_t h, PyObject** value_out) noexcept
    cdef int _insert(self, object key, Py_hash_t h, object value, int64_t expire_ms) except -1
    cdef int _add_ttl(self, Entry* e, Py_hash_t h, int64_t when_ms) except -1
    cdef int _drop_ttl(self, Entry* e, Py_hash_t h) noexcept
    cdef int _expire_if_stale(self, object key) except -1
    cdef object _lookup(self, object key, bint read)
    cdef int _missed(self, object key) except -1
    cdef int _replace_value(self, Entry* e, object value) except -1
    cdef void _bytes_delta(self, int64_t* counter, int64_t delta) noexcept
    cdef int _slots_alloc(self) except -1
    cdef void _slot_link(self, Entry* e) noexcept
    cdef void _slot_unlink(self, Entry* e) noexcept
    cdef int _check_slot(self, int slot) except -1
