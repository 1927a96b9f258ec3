"""A fake replica on a raw socket: PSYNC ? -1, skip the RDB, then read the command stream one command at a time."""
from __future__ import annotations

import socket
import time


class StreamReader:
    """Attach to a primary as a replica and parse what it streams. `capa_eof` asks for a diskless transfer."""

    def __init__(self, port: int, capa_eof: bool = False, timeout: float = 15.0, sync: bytes = b"PSYNC ? -1") -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.buf = b""
        self.acking = False
        self.timeout = timeout
        if capa_eof:
            self.sock.sendall(b"REPLCONF capa eof capa psync2\r\n")
            assert self._line() == b"+OK"
        self.sock.sendall(sync + b"\r\n")
        self.reply = b""
        if sync.upper().startswith(b"PSYNC"):
            self.reply = self._nonempty_line()
            if self.reply.startswith(b"+CONTINUE"):
                self.rdb = b""
                return
        header = self._nonempty_line()
        if header.startswith(b"$EOF:"):
            mark = header[5:]
            while mark not in self.buf:
                self._recv()
            end = self.buf.index(mark)
            self.rdb = self.buf[:end]
            self.buf = self.buf[end + len(mark):]
            # Diskless: the primary holds the stream until an ACK that comes after the transfer (Redis ignores
            # one that arrives before it noticed the end): ACK until the stream flows, as replicas do each second.
            self.acking = True
        else:
            assert header.startswith(b"$"), header
            size = int(header[1:])
            while len(self.buf) < size:
                self._recv()
            self.rdb = self.buf[:size]
            self.buf = self.buf[size:]

    def ack(self, offset: int) -> None:
        off = b"%d" % offset
        self.sock.sendall(b"*3\r\n$8\r\nREPLCONF\r\n$3\r\nACK\r\n$%d\r\n%b\r\n" % (len(off), off))

    def _recv(self) -> None:
        if self.acking:
            self.sock.settimeout(0.2)
            deadline = time.monotonic() + self.timeout
            try:
                while True:
                    self.ack(0)
                    try:
                        data = self.sock.recv(65536)
                        break
                    except TimeoutError:
                        if time.monotonic() > deadline:
                            raise
            finally:
                self.sock.settimeout(self.timeout)
            self.acking = False
        else:
            data = self.sock.recv(65536)
        if not data:
            raise ConnectionError(f"primary closed the link; buffered {self.buf[:200]!r}")
        self.buf += data

    def _line(self) -> bytes:
        while b"\n" not in self.buf:
            self._recv()
        i = self.buf.index(b"\n")
        line = self.buf[:i].rstrip(b"\r")
        self.buf = self.buf[i + 1:]
        return line

    def _nonempty_line(self) -> bytes:
        # A primary may send bare newlines as keepalives before the payload.
        line = self._line()
        while line == b"":
            line = self._line()
        return line

    def read_command(self) -> list[bytes]:
        head = self._line()
        assert head.startswith(b"*"), head
        argv = []
        for _ in range(int(head[1:])):
            size = int(self._line()[1:])
            while len(self.buf) < size + 2:
                self._recv()
            argv.append(self.buf[:size])
            self.buf = self.buf[size + 2:]
        return argv

    def commands_until(self, marker: bytes, timeout: float = 15.0) -> list[list[bytes]]:
        """Every command up to (not including) `SET <marker> ...`, leaving out PINGs and REPLCONF GETACKs."""
        deadline = time.monotonic() + timeout
        self.sock.settimeout(timeout)
        out: list[list[bytes]] = []
        while time.monotonic() < deadline:
            argv = self.read_command()
            name = argv[0].upper()
            if name == b"PING" or (name == b"REPLCONF" and argv[1:2] == [b"GETACK"]):
                continue
            if name == b"SET" and argv[1:2] == [marker]:
                return out
            out.append(argv)
        raise AssertionError(f"no SET {marker!r} in the stream within {timeout}s; got {out!r}")

    def close(self) -> None:
        self.sock.close()
