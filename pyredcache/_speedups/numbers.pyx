"""Integer parsing with Redis's string2ll rules (util.c), for argument parsing on the hot path.

Pure data code: no imports from pyredcache. commands/args.py wraps it with Redis's error replies.
"""
from cpython.bytes cimport PyBytes_AS_STRING, PyBytes_GET_SIZE
from cpython.bytearray cimport PyByteArray_AS_STRING, PyByteArray_GET_SIZE


def string2ll(raw):
    """The signed 64-bit value of raw (bytes or bytearray), or None when Redis's string2ll rejects it.

    Raises TypeError for any other type, so callers can fall back to a generic path."""
    cdef long long value
    cdef bint ok
    if type(raw) is bytes:
        ok = string2ll_c(PyBytes_AS_STRING(raw), PyBytes_GET_SIZE(raw), &value)
    elif type(raw) is bytearray:
        ok = string2ll_c(PyByteArray_AS_STRING(raw), PyByteArray_GET_SIZE(raw), &value)
    else:
        raise TypeError("string2ll expects bytes or bytearray")
    if ok:
        return value
    return None
