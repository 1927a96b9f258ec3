"""Same-sequence runner: send identical commands to pyredcache and a real redis-server, compare replies.

    oracle.do("SET", "k", "v")          # raw reply bytes must be identical; returns them
    oracle.sorted("SMEMBERS", "s")      # arrays compared as sorted multisets
    oracle.error("GET")                 # both must fail, with the same error text
    oracle.approx("TTL", "k", delta=1)  # integers within delta
"""
from __future__ import annotations

from .rawclient import RawClient, _reply_end, encode_command
from .wait import wait_until


class Oracle:
    def __init__(self, ours_port: int, redis_port: int) -> None:
        self.ours = RawClient(ours_port)
        self.redis = RawClient(redis_port)

    def close(self) -> None:
        self.ours.close()
        self.redis.close()

    def both(self, *args: bytes | str | int) -> tuple[bytes, bytes]:
        data = encode_command(*args)
        self.ours.send(data)
        self.redis.send(data)
        return self.ours.read_reply(), self.redis.read_reply()

    def do(self, *args: bytes | str | int) -> bytes:
        ours, theirs = self.both(*args)
        assert ours == theirs, f"{args!r}: pyredcache {ours!r} != redis {theirs!r}"
        return ours

    def error(self, *args: bytes | str | int) -> bytes:
        ours = self.do(*args)
        assert ours.startswith(b"-"), f"{args!r}: expected an error, got {ours!r}"
        return ours

    def sorted(self, *args: bytes | str | int) -> list[bytes]:
        ours, theirs = self.both(*args)
        a, b = split_array(ours), split_array(theirs)
        assert sorted(a) == sorted(b), f"{args!r}: pyredcache {ours!r} != redis {theirs!r}"
        return a

    def approx(self, *args: bytes | str | int, delta: int = 1) -> int:
        ours, theirs = self.both(*args)
        assert ours[:1] == theirs[:1] == b":", f"{args!r}: {ours!r} vs {theirs!r}"
        x, y = int(ours[1:-2]), int(theirs[1:-2])
        assert abs(x - y) <= delta, f"{args!r}: pyredcache {x} vs redis {y}"
        return x

    def same_type(self, *args: bytes | str | int) -> tuple[bytes, bytes]:
        """Only the reply type must agree (values may differ, e.g. random members)."""
        ours, theirs = self.both(*args)
        assert ours[:1] == theirs[:1], f"{args!r}: pyredcache {ours!r} vs redis {theirs!r}"
        return ours, theirs


def split_array(raw: bytes) -> list[bytes]:
    """The raw bytes of each element of a top-level array/set reply."""
    assert raw[:1] in (b"*", b"~"), raw
    nl = raw.find(b"\r\n")
    n = int(raw[1:nl])
    pos = nl + 2
    out = []
    for _ in range(max(n, 0)):
        end = _reply_end(raw, pos)
        assert end is not None
        out.append(raw[pos:end])
        pos = end
    return out


def _mentions_end_key(msg: bytes) -> bool:
    """Whether a pmessage is an event on key "end" (__keyspace@N__:end, or a __keyevent@N__ payload "end")."""
    parts = [elem[elem.find(b"\r\n") + 2:-2] for elem in split_array(msg)]   # bulk payloads
    return len(parts) == 4 and (parts[2].endswith(b"__:end") or parts[3] == b"end")


def assert_same_keyspace_events(oracle: Oracle, pattern: str, steps: list[tuple[str, ...]],
                                flags: str = "KEA") -> None:
    """Run `steps` on both servers with notify-keyspace-events `flags` and compare the event streams that a
    PSUBSCRIBE `pattern` connection receives on each (up to a final SET of key "end")."""
    subs = [RawClient(oracle.ours.sock.getpeername()[1]), RawClient(oracle.redis.sock.getpeername()[1])]
    try:
        for sub in subs:
            assert sub.command("PSUBSCRIBE", pattern).startswith(b"*3\r\n")
        oracle.do("CONFIG", "SET", "notify-keyspace-events", flags)
        for step in steps:
            oracle.do(*step)
        oracle.do("SET", "end", "1")
        streams = []
        for sub in subs:
            got = []
            while True:
                msg = sub.read_reply()
                got.append(msg)
                if _mentions_end_key(msg):
                    break
            streams.append(got)
        assert streams[0] == streams[1], "\n".join(f"{a!r:60} {b!r}" for a, b in zip(*streams, strict=False))
    finally:
        for sub in subs:
            sub.close()
        oracle.do("CONFIG", "SET", "notify-keyspace-events", "")


class BlockingPair:
    """A second connection to each server, for a client that blocks (BLPOP, BZPOPMIN, ...)."""

    def __init__(self, ours: int, theirs: int) -> None:
        self.ours = RawClient(ours)
        self.redis = RawClient(theirs)

    def send(self, *args: str | int) -> None:
        data = encode_command(*args)
        self.ours.send(data)
        self.redis.send(data)

    def reply(self) -> bytes:
        ours, theirs = self.ours.read_reply(), self.redis.read_reply()
        assert ours == theirs, f"pyredcache {ours!r} != redis {theirs!r}"
        return ours

    def close(self) -> None:
        self.ours.close()
        self.redis.close()


def wait_blocked(oracle: Oracle, n: int) -> None:
    """Poll INFO clients on both servers until exactly `n` clients are blocked."""
    for conn in (oracle.ours, oracle.redis):
        wait_until(lambda conn=conn: f"blocked_clients:{n}\r\n".encode() in conn.command("INFO", "clients"),
                   timeout=5, message=f"{n} blocked")
