"""The list value type: a deque (O(1) pushes/pops at both ends, indexing walks from the nearer end).

Redis 7.0 stores every list as a quicklist (the small-list listpack encoding arrived in 7.2), so OBJECT
ENCODING is always "quicklist"; DEBUG OBJECT's quicklist fields are modelled from listpack entry sizes.
"""
from __future__ import annotations

import sys
from collections import deque
from collections.abc import Iterable
from typing import ClassVar, Final, SupportsIndex

from .._speedups.listpack import listpack_entry_size
from .encoding import LIST, element_size, rdb_len_size, sum_sizes

ENC_QUICKLIST: Final = b"quicklist"

# quicklist.c: a negative list-max-listpack-size picks a per-node byte limit; positive values count entries
# (with an 8 KiB safety limit). SIZE_ESTIMATE_OVERHEAD is the slack _quicklistNodeAllowInsert adds.
_NODE_BYTES: Final = (4096, 8192, 16384, 32768, 65536)
_SAFETY_LIMIT: Final = 8192
_SIZE_ESTIMATE_OVERHEAD: Final = 8
# packed_threshold: from this size an element gets a PLAIN quicklist node of its own (1 GiB by default).
PACKED_THRESHOLD: Final = 1 << 30
_LISTPACK_HEADER: Final = 6     # total bytes (4) + element count (2)
_LISTPACK_END: Final = 1


_getsizeof = sys.getsizeof
_append = deque.append
_appendleft = deque.appendleft
_pop = deque.pop
_popleft = deque.popleft
_extend = deque.extend
_extendleft = deque.extendleft


class RedisList(deque[bytes]):
    """A Redis list. Elements are bytes; the deque gives O(1) work at both ends.

    `_elem_bytes` is the size of every element object (counted per slot), kept exact by overriding each deque
    mutator (the C ones, __iadd__ and + included, would bypass tracking), so mem_size() is O(1).
    """

    __slots__ = ("_elem_bytes",)
    redis_type: ClassVar[bytes] = LIST
    # Redis 7.0 has no listpack-encoded lists: every list is a quicklist whatever list-max-listpack-size says.
    encoding: ClassVar[bytes] = ENC_QUICKLIST

    def __init__(self, iterable: Iterable[bytes] = ()) -> None:
        super().__init__(iterable)
        self._elem_bytes = sum_sizes(self)

    def copy(self) -> RedisList:
        lst = RedisList.__new__(RedisList)
        _extend(lst, self)
        lst._elem_bytes = self._elem_bytes
        return lst

    __copy__ = copy

    # -- mutators that keep _elem_bytes exact --------------------------------------------------------------------

    def append(self, x: bytes, /) -> None:
        _append(self, x)
        self._elem_bytes += element_size(x)

    def appendleft(self, x: bytes, /) -> None:
        _appendleft(self, x)
        self._elem_bytes += element_size(x)

    def pop(self) -> bytes:  # type: ignore[override]
        x = _pop(self)
        self._elem_bytes -= element_size(x)
        return x

    def popleft(self) -> bytes:
        x = _popleft(self)
        self._elem_bytes -= element_size(x)
        return x

    def extend(self, iterable: Iterable[bytes], /) -> None:
        items = iterable if type(iterable) is list else list(iterable)
        _extend(self, items)
        self._elem_bytes += sum_sizes(items)

    def extendleft(self, iterable: Iterable[bytes], /) -> None:
        items = iterable if type(iterable) is list else list(iterable)
        _extendleft(self, items)
        self._elem_bytes += sum_sizes(items)

    def insert(self, i: int, x: bytes, /) -> None:
        deque.insert(self, i, x)
        self._elem_bytes += element_size(x)

    def remove(self, value: bytes, /) -> None:
        i = self.index(value)
        x = self[i]
        deque.__delitem__(self, i)
        self._elem_bytes -= element_size(x)

    def clear(self) -> None:
        deque.clear(self)
        self._elem_bytes = 0

    def __setitem__(self, i: SupportsIndex, x: bytes, /) -> None:  # type: ignore[override]
        old = self[i]
        deque.__setitem__(self, i, x)
        self._elem_bytes += element_size(x) - element_size(old)

    def __delitem__(self, i: SupportsIndex, /) -> None:  # type: ignore[override]
        old = self[i]
        deque.__delitem__(self, i)
        self._elem_bytes -= element_size(old)

    def __iadd__(self, other: Iterable[bytes], /) -> RedisList:
        self.extend(other)
        return self

    def __imul__(self, n: int, /) -> RedisList:
        deque.__imul__(self, n)
        self._elem_bytes = self._elem_bytes * n if len(self) else 0
        return self

    def __add__(self, other: deque[bytes], /) -> RedisList:
        lst = self.copy()
        lst.extend(other)
        return lst

    def __mul__(self, n: int, /) -> RedisList:
        lst = self.copy()
        lst *= n
        return lst

    __rmul__ = __mul__

    def mem_size(self) -> int:
        """Bytes held: the deque (object and blocks) plus every element object. O(1)."""
        return _getsizeof(self) + self._elem_bytes

    def nodes(self, fill: int = -2) -> list[tuple[bool, list[bytes]]]:
        """(plain, elements) per quicklist node, as pushing the elements at the tail in order would split them
        (quicklist.c's _quicklistNodeAllowInsert for list-max-listpack-size `fill`); an element of
        packed_threshold bytes or more gets a PLAIN node of its own."""
        limit_bytes = _NODE_BYTES[min(-fill, 5) - 1] if fill < 0 else _SAFETY_LIMIT
        limit_count = max(fill, 1) if fill >= 0 else 0     # quicklistNodeLimit: fill 0 still means 1 entry
        nodes: list[tuple[bool, list[bytes]]] = []
        current: list[bytes] | None = None
        size = 0
        for element in self:
            n = len(element)
            if n >= PACKED_THRESHOLD:
                nodes.append((True, [bytes(element)]))
                current = None
                continue
            if current is None or (size + n + _SIZE_ESTIMATE_OVERHEAD > limit_bytes
                                   or (limit_count and len(current) + 1 > limit_count)):
                current = []
                size = _LISTPACK_HEADER + _LISTPACK_END
                nodes.append((False, current))
            current.append(bytes(element))
            size += listpack_entry_size(element)
        return nodes

    def node_sizes(self, fill: int = -2) -> list[tuple[int, int]]:
        """(entry count, listpack bytes) per packed quicklist node (see nodes())."""
        header = _LISTPACK_HEADER + _LISTPACK_END
        return [(len(elements), header + sum(map(listpack_entry_size, elements)))
                for plain, elements in self.nodes(fill) if not plain]

    def rdb_serialized_length(self) -> int:
        """rdbSavedObjectLen for RDB_TYPE_LIST_QUICKLIST_2 (uncompressed nodes)."""
        nodes = self.node_sizes()
        total = rdb_len_size(len(nodes))
        for _count, size in nodes:
            total += 1 + rdb_len_size(size) + size
        return total

    @property
    def debug_object_extra(self) -> str:
        nodes = self.node_sizes()
        avg = len(self) / len(nodes) if nodes else 0.0
        raw = sum(size for _count, size in nodes)
        return (f" ql_nodes:{len(nodes)} ql_avg_node:{avg:.2f} ql_listpack_max:-2 ql_compressed:0"
                f" ql_uncompressed_size:{raw}")

    def memory_usage(self, samples: int) -> int:
        """MEMORY USAGE's value part: exact, whatever `samples` says (see mem_size)."""
        return self.mem_size()
