"""The replication backlog: the last repl-backlog-size bytes of the stream, addressed by replication offset.

Offsets follow Redis: the stream's first byte has offset 1 and `master_repl_offset` is the offset of the last
byte fed, so the backlog holds [first_byte_offset, first_byte_offset + histlen - 1]. Sans-IO.
"""
from __future__ import annotations


class Backlog:
    """A bounded byte history. Deleting from the front of a bytearray is O(1) in CPython (it moves a start
    index), so trimming after each append stays cheap whatever the size."""

    __slots__ = ("size", "_buf", "first_byte_offset")

    def __init__(self, size: int, next_offset: int) -> None:
        self.size = max(1, size)
        self._buf = bytearray()
        # createReplicationBacklog: the history starts at the next byte the stream will carry.
        self.first_byte_offset = next_offset

    @property
    def histlen(self) -> int:
        return len(self._buf)

    def append(self, data: bytes | bytearray | memoryview) -> None:
        buf = self._buf
        buf += data
        excess = len(buf) - self.size
        if excess > 0:
            del buf[:excess]
            self.first_byte_offset += excess

    def resize(self, size: int) -> None:
        """CONFIG SET repl-backlog-size: keep the newest bytes that still fit."""
        self.size = max(1, size)
        excess = len(self._buf) - self.size
        if excess > 0:
            del self._buf[:excess]
            self.first_byte_offset += excess

    def covers(self, offset: int) -> bool:
        """Whether a replica that has processed up to `offset` - 1 can continue from `offset` (PSYNC's
        psync_offset is the first byte it wants): the byte must be in the history, or be the next one."""
        return self.first_byte_offset <= offset <= self.first_byte_offset + len(self._buf)

    def since(self, offset: int) -> bytes:
        """The bytes from `offset` to the end (covers(offset) must hold)."""
        return bytes(self._buf[offset - self.first_byte_offset:])
