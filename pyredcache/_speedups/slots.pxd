# Declarations for pyredcache._speedups.slots, so other _speedups modules (keyspace) can cimport the slot hash.

from libc.stdint cimport uint8_t

cdef int _slot(const uint8_t* buf, Py_ssize_t n) noexcept nogil
