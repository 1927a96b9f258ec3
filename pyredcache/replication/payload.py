"""Framing of the RDB payload a primary sends after +FULLRESYNC (readSyncBulkPayload's reading half). Sans-IO.

The primary sends keepalive newlines while it prepares the RDB, then `$<len>\\r\\n` and that many bytes (disk
sync) or `$EOF:<40-byte mark>\\r\\n`, the bytes, and the mark again (diskless sync), or an error line.
`PayloadReader.feed(buf)` consumes from a bytearray and returns what it found; bytes past the payload stay
in `buf` (the command stream that follows).
"""
from __future__ import annotations

from dataclasses import dataclass

EOF_MARK_SIZE = 40


@dataclass(slots=True, frozen=True)
class Header:
    size: int           # -1 for an EOF-marked (diskless) payload


@dataclass(slots=True, frozen=True)
class Abort:
    message: str        # the log line: the primary's error, or bad protocol


@dataclass(slots=True)
class Chunk:
    data: bytes
    last: bool          # the payload is complete after this chunk


Event = Header | Abort | Chunk


class PayloadReader:
    """One payload: the header line, then the bytes (by length or up to the EOF mark)."""

    def __init__(self) -> None:
        self.size = -1
        self.read = 0
        self.eof_mark: bytes | None = None
        self.started = False
        self._tail = b""        # bytes that may be the start of the EOF mark

    def feed(self, buf: bytearray) -> list[Event]:
        events: list[Event] = []
        while not self.started:
            end = buf.find(b"\n")
            if end < 0:
                return events
            line = bytes(buf[:end]).rstrip(b"\r")
            del buf[:end + 1]
            if not line:
                continue    # keepalive newline
            text = line.decode("utf-8", "replace")
            if line.startswith(b"-"):
                events.append(Abort(f"MASTER aborted replication with an error: {text[1:]}"))
                return events
            size = None
            if line.startswith(b"$EOF:") and len(line) == 5 + EOF_MARK_SIZE:
                self.eof_mark = line[5:]
            elif line.startswith(b"$") and line[1:].isdigit():
                size = int(line[1:])
            else:
                events.append(Abort(f"Bad protocol from MASTER, the first byte is not '$' (we received "
                                    f"'{text}'), are you sure the host and port are right?"))
                return events
            self.started = True
            self.size = -1 if size is None else size
            events.append(Header(self.size))
        if self.eof_mark is not None:
            data = self._tail + bytes(buf)
            buf.clear()
            # The primary sends nothing after the mark until our first ACK, so the payload ends with it; the
            # mark may straddle reads, so its length is held back until more arrives.
            if data.endswith(self.eof_mark):
                body = data[:-EOF_MARK_SIZE]
                self.read += len(body)
                events.append(Chunk(body, True))
                return events
            body = data[:-EOF_MARK_SIZE]
            self._tail = data[-EOF_MARK_SIZE:]
            self.read += len(body)
            if body:
                events.append(Chunk(body, False))
            return events
        need = self.size - self.read
        body = bytes(buf[:need])
        del buf[:need]
        self.read += len(body)
        events.append(Chunk(body, self.read >= self.size))
        return events
