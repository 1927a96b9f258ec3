"""Raw-socket client: send exact bytes, read exact replies (for protocol edge cases)."""
from __future__ import annotations

import socket
import time


class RawClient:
    def __init__(self, port: int, host: str = "127.0.0.1", timeout: float = 5.0) -> None:
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def command(self, *args: bytes | str | int) -> bytes:
        """Send one multibulk request; return the raw bytes of one complete reply."""
        self.send(encode_command(*args))
        return self.read_reply()

    def read_reply(self) -> bytes:
        """Read exactly one complete RESP2/RESP3 reply and return its raw bytes."""
        while True:
            end = _reply_end(self.buf, 0)
            if end is not None:
                out, self.buf = self.buf[:end], self.buf[end:]
                return out
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError(f"connection closed; buffered {self.buf!r}")
            self.buf += chunk

    def read_until_closed(self, timeout: float = 5.0) -> bytes:
        """Everything the server sends until it closes the connection."""
        self.sock.settimeout(timeout)
        deadline = time.monotonic() + timeout
        data = self.buf
        self.buf = b""
        while time.monotonic() < deadline:
            try:
                chunk = self.sock.recv(65536)
            except TimeoutError:
                break
            except ConnectionResetError:
                return data
            if not chunk:
                return data
            data += chunk
        raise AssertionError(f"server did not close the connection; got {data!r}")

    def is_closed(self, timeout: float = 5.0) -> bool:
        try:
            self.read_until_closed(timeout)
            return True
        except AssertionError:
            return False

    def close(self) -> None:
        self.sock.close()


def encode_command(*args: bytes | str | int) -> bytes:
    parts = [b"*%d\r\n" % len(args)]
    for a in args:
        if isinstance(a, str):
            a = a.encode()
        elif isinstance(a, int):
            a = b"%d" % a
        parts.append(b"$%d\r\n%s\r\n" % (len(a), a))
    return b"".join(parts)


def _reply_end(buf: bytes, pos: int) -> int | None:
    """Index just past the reply starting at pos, or None if incomplete."""
    if pos >= len(buf):
        return None
    nl = buf.find(b"\r\n", pos)
    if nl < 0:
        return None
    kind = buf[pos:pos + 1]
    line = buf[pos + 1:nl]
    after = nl + 2
    if kind in (b"+", b"-", b":", b"_", b",", b"#", b"("):
        return after
    if kind in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return after
        if len(buf) < after + n + 2:
            return None
        return after + n + 2
    if kind in (b"*", b"~", b">", b"%", b"|"):
        n = int(line)
        if n < 0:
            return after
        if kind in (b"%", b"|"):
            n *= 2
        p = after
        for _ in range(n):
            end = _reply_end(buf, p)
            if end is None:
                return None
            p = end
        if kind == b"|":
            return _reply_end(buf, p)
        return p
    raise ValueError(f"bad reply type {kind!r} in {buf[pos:pos + 50]!r}")
