"""Memory accounting primitives: what CPython's allocators really take for an object, and SizedDict, a dict
that keeps the total size of its key and value objects exact under every mutator, so reading it is O(1).

Pure data code: no imports from pyredcache. datatypes/encoding.py re-exports the size functions and
datatypes/hashes.py builds the hash value type on SizedDict.
"""
from cpython.bytearray cimport PyByteArray_Check
from cpython.dict cimport PyDict_DelItem, PyDict_GetItem, PyDict_SetItem
from cpython.object cimport PyObject

import sys

cdef extern from "Python.h":
    Py_ssize_t _bytes_size "PyBytes_GET_SIZE" (object o)

cdef object _getsizeof = sys.getsizeof



cdef Py_ssize_t c_element_size(object x) except -1:
    cdef Py_ssize_t allocated
    if type(x) is bytes:
        return c_alloc_size(BYTES_HEADER + _bytes_size(x))
    if PyByteArray_Check(x):
        allocated = x.__alloc__()
        return BYTEARRAY_BLOCK + (c_alloc_size(allocated) if allocated else 0)
    return c_alloc_size(_getsizeof(x))     # not expected in a container; priced as one allocation


def alloc_size(Py_ssize_t n):
    """Bytes an allocation request of n bytes really takes: a pymalloc block (n <= 512, 16-byte classes) or a
    glibc malloc chunk (8-byte header, 16-byte aligned)."""
    return c_alloc_size(n)


def bytes_size(Py_ssize_t length):
    """Bytes a `bytes` object of this length takes (sizeof(PyBytesObject) is 33 + length on 64-bit CPython)."""
    return c_alloc_size(BYTES_HEADER + length)


def element_size(x):
    """Bytes a container element takes: a bytes object, or a bytearray object plus its separate buffer."""
    return c_element_size(x)


def sum_sizes(iterable):
    """The sum of element_size over an iterable."""
    cdef Py_ssize_t total = 0
    for x in iterable:
        total += c_element_size(x)
    return total


cdef object _MISSING = object()


cdef class SizedDict(dict):
    """A dict whose `elem_bytes` is the size of every key and value object it holds.

    Every mutator is overridden (the inherited C ones would not call __setitem__). An existing key keeps its
    key object on assignment; equal bytes have equal sizes, so a key's size is taken from the object passed.
    """

    cdef public Py_ssize_t elem_bytes

    def __init__(self, *args, **kwargs):
        dict.__init__(self, *args, **kwargs)
        cdef Py_ssize_t total = 0
        for key, value in dict.items(self):
            total += c_element_size(key) + c_element_size(value)
        self.elem_bytes = total

    cdef inline int _set(self, object key, object value) except -1:
        cdef PyObject* old = PyDict_GetItem(self, key)
        cdef Py_ssize_t delta = c_element_size(value)
        if old == NULL:
            delta += c_element_size(key)
        else:
            delta -= c_element_size(<object>old)
        PyDict_SetItem(self, key, value)
        self.elem_bytes += delta
        return 0

    def __setitem__(self, key, value):
        self._set(key, value)

    def __delitem__(self, key):
        cdef PyObject* old = PyDict_GetItem(self, key)
        if old == NULL:
            raise KeyError(key)
        cdef Py_ssize_t size = c_element_size(key) + c_element_size(<object>old)
        PyDict_DelItem(self, key)
        self.elem_bytes -= size

    def pop(self, key, default=_MISSING):
        cdef PyObject* old = PyDict_GetItem(self, key)
        if old == NULL:
            if default is _MISSING:
                raise KeyError(key)
            return default
        value = <object>old
        cdef Py_ssize_t size = c_element_size(key) + c_element_size(value)
        PyDict_DelItem(self, key)
        self.elem_bytes -= size
        return value

    def popitem(self):
        key, value = dict.popitem(self)
        self.elem_bytes -= c_element_size(key) + c_element_size(value)
        return key, value

    def clear(self):
        dict.clear(self)
        self.elem_bytes = 0

    def setdefault(self, key, default=None):
        cdef PyObject* old = PyDict_GetItem(self, key)
        if old != NULL:
            return <object>old
        self._set(key, default)
        return default

    def update(self, other=(), **kwargs):
        if isinstance(other, dict) or hasattr(other, "keys"):
            for key in other.keys():
                self._set(key, other[key])
        else:
            for key, value in other:
                self._set(key, value)
        for key, value in kwargs.items():
            self._set(key, value)

    def __ior__(self, other):
        self.update(other)
        return self

    def mem_size(self):
        """Bytes held: the dict (object and table, as sys.getsizeof counts them) plus every key and value
        object. O(1)."""
        return _getsizeof(self) + self.elem_bytes
