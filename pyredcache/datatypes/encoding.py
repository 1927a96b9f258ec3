"""TYPE and OBJECT ENCODING names for stored values, and the copy protocol used by COPY.

Strings are `bytes` (int / embstr / raw, decided as Redis's tryObjectEncoding would) or `bytearray` (raw:
APPEND/SETRANGE results). Every other value type is a class implementing `RedisValue`: a class attribute
`redis_type`, an `encoding` attribute or property, and `copy()`. New types plug in here by shape alone.

Container types also provide `mem_size()`: their bytes (structure + element objects), kept up to date by
every mutator so that reading it is O(1); the keyspace applies its change after each write to `used_memory`.
The helpers below price one allocation the way CPython's allocators serve it.
"""
from __future__ import annotations

from typing import ClassVar, Final, Protocol, runtime_checkable

from .._speedups.memsize import alloc_size as alloc_size  # re-exported: the memory accounting helpers
from .._speedups.memsize import bytes_size as bytes_size
from .._speedups.memsize import element_size as element_size
from .._speedups.memsize import sum_sizes as sum_sizes
from .._speedups.numbers import string2ll

STRING: Final = b"string"
LIST: Final = b"list"
SET: Final = b"set"
ZSET: Final = b"zset"
HASH: Final = b"hash"
STREAM: Final = b"stream"
NONE: Final = b"none"

ENC_INT: Final = b"int"
ENC_EMBSTR: Final = b"embstr"
ENC_RAW: Final = b"raw"

# OBJ_ENCODING_EMBSTR_SIZE_LIMIT: strings up to this many bytes live in one allocation with their header.
EMBSTR_SIZE_LIMIT: Final = 44
# OBJ_SHARED_INTEGERS: 0..9999 are shared objects (OBJECT REFCOUNT reports INT_MAX for them).
SHARED_INTEGERS: Final = 10000
SHARED_REFCOUNT: Final = 2147483647


@runtime_checkable
class RedisValue(Protocol):
    """What a non-string value type provides (lists, hashes, sets, sorted sets, streams, ...)."""

    redis_type: ClassVar[bytes]     # TYPE's answer: b"list", b"hash", ...

    @property
    def encoding(self) -> bytes:    # OBJECT ENCODING's answer: b"listpack", b"hashtable", ...
        ...

    def copy(self) -> RedisValue:   # an independent deep copy (COPY must not share mutable state)
        ...


# -- memory accounting (what a value's objects take from CPython's allocators) ---------------------------------
# In Cython (they run on every container write):
#   alloc_size(n)      bytes an allocation request of n bytes takes: a pymalloc block (n <= 512, 16-byte classes)
#                      or a glibc malloc chunk ((n + 8 + 15) & ~15)
#   bytes_size(len)    alloc_size(33 + len): a bytes object (sizeof(PyBytesObject) is 33 + len)
#   element_size(x)    a container element: bytes_size(len(x)) for bytes; for a bytearray its object block (64)
#                      plus alloc_size(x.__alloc__()) for its buffer (0 if none)
#   sum_sizes(it)      sum of element_size over an iterable


def string_int_value(value: bytes) -> int | None:
    """The integer a string would be stored as by Redis (string2l on at most 20 chars), else None."""
    return string2ll(value)


def string_encoding(value: bytes | bytearray) -> bytes:
    """int / embstr / raw for a string value."""
    if type(value) is not bytes:
        return ENC_RAW
    if string_int_value(value) is not None:
        return ENC_INT
    return ENC_EMBSTR if len(value) <= EMBSTR_SIZE_LIMIT else ENC_RAW


def type_name(value: object) -> bytes:
    """TYPE's answer for a stored value (b"none" for None)."""
    cls = type(value)
    if cls is bytes or cls is bytearray:
        return STRING
    if value is None:
        return NONE
    return value.redis_type  # type: ignore[attr-defined,no-any-return]


def encoding_name(value: object) -> bytes:
    """OBJECT ENCODING's answer for a stored value."""
    cls = type(value)
    if cls is bytes or cls is bytearray:
        return string_encoding(value)  # type: ignore[arg-type]
    return value.encoding  # type: ignore[attr-defined,no-any-return]


def is_shared_integer(value: object) -> bool:
    """Whether Redis would store this value as one of its shared integer objects (0..9999)."""
    if type(value) is not bytes:
        return False
    number = string_int_value(value)
    return number is not None and 0 <= number < SHARED_INTEGERS


def copy_value(value: object) -> object:
    """A copy that shares no mutable state with `value` (bytes are immutable and returned as is)."""
    cls = type(value)
    if cls is bytes:
        return value
    if cls is bytearray:
        return bytearray(value)  # type: ignore[call-overload]
    return value.copy()  # type: ignore[attr-defined]


def rdb_len_size(n: int) -> int:
    """Bytes rdbSaveLen uses for the length n: the 6-bit, 14-bit, 32-bit or 64-bit length encodings."""
    if n < 1 << 6:
        return 1
    if n < 1 << 14:
        return 2
    if n <= 0xFFFFFFFF:
        return 5
    return 9


def rdb_string_length(item: bytes) -> int:
    """rdbSaveRawString without compression: a short canonical integer in 2/3/5 bytes, else length + bytes."""
    if len(item) <= 11:
        v = string2ll(item)
        if v is not None and -(1 << 31) <= v < (1 << 31):
            return 2 if -128 <= v <= 127 else 3 if -32768 <= v <= 32767 else 5
    return rdb_len_size(len(item)) + len(item)
