"""MIGRATE's connections to target instances (Redis 7.0 cluster.c migrateGetSocket and friends).

MIGRATE is Redis's one synchronous client: like migrateCommand it blocks the whole server on its socket,
each connect/write/read bounded by the command's timeout, so these are plain blocking sockets with timeouts,
not event-loop transports. One connection is cached per host:port, closed after 10 s idle by a cron hook
(migrateCloseTimedoutSockets). The command itself (parsing, payloads, replies) is commands/migrate.py.
"""
from __future__ import annotations

import errno
import random
import select
import socket
import time
import weakref
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from ..server.instance import Server

_CACHE_ITEMS: Final = 64          # MIGRATE_SOCKET_CACHE_ITEMS
_CACHE_TTL_S: Final = 10          # MIGRATE_SOCKET_CACHE_TTL
_WRITE_CHUNK: Final = 64 * 1024   # migrateCommand writes the pipeline in 64k chunks
_LINE_MAX: Final = 1023           # syncReadLine into a 1024-byte buffer


def encode_command(parts: list[bytes]) -> bytes:
    out = [b"*%d\r\n" % len(parts)]
    for p in parts:
        out.append(b"$%d\r\n" % len(p))
        out.append(p)
        out.append(b"\r\n")
    return b"".join(out)


def _atoi(raw: bytes) -> int:
    """C atoi as migrateGetSocket applies it to the port: leading spaces, a sign, digits, then anything."""
    s = raw.lstrip(b" \t\n\v\f\r")
    sign = 1
    if s[:1] in (b"+", b"-"):
        sign = -1 if s[:1] == b"-" else 1
        s = s[1:]
    n = 0
    for ch in s:
        if not 48 <= ch <= 57:
            break
        n = n * 10 + ch - 48
    n = max(-(1 << 63), min(sign * n, (1 << 63) - 1))   # strtol saturates, then the cast to int wraps
    n &= 0xFFFFFFFF
    return n - (1 << 32) if n >= 1 << 31 else n


class Link:
    """One cached connection to a target (migrateCachedSocket)."""

    __slots__ = ("sock", "last_dbid", "last_use", "rbuf")

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.last_dbid = -1
        self.last_use = int(time.monotonic())
        self.rbuf = bytearray()

    def write(self, data: bytes) -> None:
        """syncWrite per 64k chunk; raises OSError (TimeoutError when the timeout expired)."""
        view = memoryview(data)
        for pos in range(0, len(data), _WRITE_CHUNK):
            self.sock.sendall(view[pos:pos + _WRITE_CHUNK])

    def read_line(self) -> bytes:
        """syncReadLine: one reply line without CRLF, at most 1023 bytes; raises OSError (TimeoutError on
        timeout, ConnectionResetError when the target closed the connection)."""
        buf = self.rbuf
        while True:
            nl = buf.find(b"\n", 0, _LINE_MAX)
            if nl >= 0:
                line = bytes(buf[:nl])
                del buf[:nl + 1]
                if not line:
                    raise ConnectionResetError(errno.ECONNRESET, "empty reply line")
                return line[:-1] if line.endswith(b"\r") else line
            if len(buf) >= _LINE_MAX:
                line = bytes(buf[:_LINE_MAX])
                del buf[:_LINE_MAX]
                return line
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionResetError(errno.ECONNRESET, "connection closed by the target")
            buf += data

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass


def _connect(host: bytes, port: bytes, timeout_s: float) -> socket.socket | None:
    """connBlockingConnect: a non-blocking connect to the first address that accepts it, then a bounded wait.

    Like Redis, a refused connection is not detected here (the wait ends without checking SO_ERROR): it
    surfaces as a write error, so only an unresolvable address gives "error or timeout connecting".
    """
    try:
        infos = socket.getaddrinfo(host, str(_atoi(port)), socket.AF_UNSPEC, socket.SOCK_STREAM)
    except (OSError, ValueError, UnicodeError):
        return None
    for family, kind, proto, _, addr in infos:
        try:
            sock = socket.socket(family, kind, proto)
        except OSError:
            continue
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setblocking(False)
            err = sock.connect_ex(addr)
            if err not in (0, errno.EINPROGRESS):
                sock.close()
                continue
            poller = select.poll()
            poller.register(sock, select.POLLOUT)
            poller.poll(max(1, int(timeout_s * 1000)))
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            return sock
        except OSError:
            sock.close()
    return None


class SocketCache:
    """server.migrate_cached_sockets: host:port -> Link, at most 64, idle ones closed by the cron."""

    __slots__ = ("links",)

    def __init__(self) -> None:
        self.links: dict[bytes, Link] = {}

    def get(self, host: bytes, port: bytes, timeout_s: float) -> Link | None:
        """migrateGetSocket (None: could not connect)."""
        name = host + b":" + port
        link = self.links.get(name)
        if link is not None:
            link.last_use = int(time.monotonic())
            link.sock.settimeout(timeout_s)
            return link
        if len(self.links) >= _CACHE_ITEMS:
            victim = random.choice(list(self.links))
            self.links.pop(victim).close()
        sock = _connect(host, port, timeout_s)
        if sock is None:
            return None
        sock.settimeout(timeout_s)
        link = Link(sock)
        self.links[name] = link
        return link

    def close(self, host: bytes, port: bytes) -> None:
        """migrateCloseSocket."""
        link = self.links.pop(host + b":" + port, None)
        if link is not None:
            link.close()

    def cron(self) -> None:
        """migrateCloseTimedoutSockets."""
        if not self.links:
            return
        now = int(time.monotonic())
        for name in [n for n, link in self.links.items() if now - link.last_use > _CACHE_TTL_S]:
            self.links.pop(name).close()


_CACHES: weakref.WeakKeyDictionary[Server, SocketCache] = weakref.WeakKeyDictionary()


def cache_for(server: Server) -> SocketCache:
    cache = _CACHES.get(server)
    if cache is None:
        cache = _CACHES[server] = SocketCache()
        server.cron_hooks.append(cache.cron)
    return cache


def cached_links(server: Server) -> int:
    """How many MIGRATE connections the server keeps open (for tests and INFO-like tools)."""
    cache = _CACHES.get(server)
    return len(cache.links) if cache is not None else 0
