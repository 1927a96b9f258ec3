# Declarations for pyredcache._speedups.memsize, cimported by the keyspace and the sorted-set core so that
# every part of the server sizes allocations by the same rules.

cdef enum:
    SMALL_REQUEST = 512     # pymalloc serves requests up to this size from 16-byte classes; larger go to malloc
    BYTES_HEADER = 33       # sizeof(PyBytesObject) without the data
    BYTEARRAY_BLOCK = 64    # a PyByteArrayObject (56 bytes) in its pymalloc block


cdef inline Py_ssize_t c_alloc_size(Py_ssize_t n) noexcept:
    # What an allocation request of n bytes really takes.
    if n <= SMALL_REQUEST:
        return (n + 15) & ~15 if n > 16 else 16
    return (n + 23) & ~15     # glibc: 8-byte chunk header, 16-byte alignment


cdef Py_ssize_t c_element_size(object x) except -1
