"""Pipelining over raw sockets: big pipelines in one write, requests split at every byte, binary-safe keys
and values, large replies nobody reads yet; compared with redis-server 7.0.15 where the bytes matter."""
from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from helpers.procs import ServerProcess
from helpers.rawclient import RawClient, encode_command

PONG = b"+PONG\r\n"


def read_replies(client: RawClient, count: int) -> list[bytes]:
    return [client.read_reply() for _ in range(count)]


def roundtrip(port: int, data: bytes, count: int, chunk: int = 0) -> list[bytes]:
    """Send data (all at once, or `chunk` bytes per send), read `count` replies."""
    c = RawClient(port)
    try:
        if chunk:
            for i in range(0, len(data), chunk):
                c.send(data[i:i + chunk])
        else:
            c.send(data)
        return read_replies(c, count)
    finally:
        c.close()


@pytest.fixture
def both(oracle, pyredcache_proc: ServerProcess, redis_proc: ServerProcess) -> Iterator[tuple[int, int]]:
    """Ports of our shared server and redis-server, both flushed (by the oracle fixture)."""
    yield pyredcache_proc.port, redis_proc.port


MIXED = (
    encode_command("SET", "pipe:a", "1")
    + b"INCR pipe:a\r\n"
    + encode_command("GET", "pipe:a")
    + encode_command("ECHO", "a\r\nb")
    + b"\r\n"
    + b'ECHO "quoted \\x41" \'single\'\n'
    + encode_command("GET", "pipe:missing")
    + encode_command("SET", b"pipe:\x00\xff", b"\x00\r\n\xff")
    + encode_command("GET", b"pipe:\x00\xff")
    + encode_command("SELECT", "2")
    + encode_command("GET", "pipe:a")
    + encode_command("SELECT", "0")
    + encode_command("NOSUCHCOMMAND", "x")
    + encode_command("GET")
    + b"*-1\r\n*0\r\n"
    + encode_command("PING")
)
MIXED_COUNT = 14


# ------------------------------------------------------------------------------- big pipelines


def test_pipeline_of_1000_commands_in_one_write_is_answered_in_order(raw):
    data = b"".join(encode_command("INCR", "pipe:counter") + encode_command("ECHO", str(i)) for i in range(1000))
    raw.send(data)
    for i in range(1000):
        assert raw.read_reply() == b":%d\r\n" % (i + 1)
        assert raw.read_reply() == b"$%d\r\n%d\r\n" % (len(str(i)), i)


def test_pipeline_of_1000_inline_commands(raw):
    raw.send(b"PING\r\n" * 1000)
    assert read_replies(raw, 1000) == [PONG] * 1000


@pytest.mark.oracle
def test_pipeline_of_1000_commands_matches_redis(both):
    data = b"".join(encode_command("SET", f"pipe:{i}", "v" * (i % 50)) + encode_command("GET", f"pipe:{i}")
                    + encode_command("STRLEN", f"pipe:{i // 2}") for i in range(1000))
    ours, theirs = (roundtrip(p, data, 3000) for p in both)
    assert ours == theirs


@pytest.mark.oracle
def test_pipeline_mixed_requests_match_redis(both):
    ours, theirs = (roundtrip(p, MIXED, MIXED_COUNT) for p in both)
    assert ours == theirs


def test_pipeline_with_redis_py(r):
    pipe = r.pipeline(transaction=False)
    for i in range(1000):
        pipe.set(f"pipe:{i}", i)
        pipe.get(f"pipe:{i}")
    results = pipe.execute()
    assert results[0::2] == [True] * 1000
    assert results[1::2] == [str(i).encode() for i in range(1000)]


# ------------------------------------------------------------------------------- split requests


def test_pipeline_sent_one_byte_at_a_time_gives_identical_replies(port):
    whole = roundtrip(port, MIXED, MIXED_COUNT)
    assert roundtrip(port, MIXED, MIXED_COUNT, chunk=1) == whole


@pytest.mark.oracle
def test_pipeline_sent_one_byte_at_a_time_matches_redis(both):
    ours, theirs = (roundtrip(p, MIXED, MIXED_COUNT, chunk=1) for p in both)
    assert ours == theirs


def test_pipeline_split_at_every_point_gives_identical_replies(port):
    data = encode_command("SET", "pipe:s", "x\r\ny") + b"GET pipe:s\r\n" + encode_command("ECHO", "")
    expected = [b"+OK\r\n", b"$4\r\nx\r\ny\r\n", b"$0\r\n\r\n"]
    c = RawClient(port)
    try:
        for k in range(len(data) + 1):
            c.send(data[:k])
            c.send(data[k:])
            assert read_replies(c, 3) == expected, f"split at {k}"
    finally:
        c.close()


def test_pipeline_split_inside_a_large_bulk(port):
    value = bytes(range(256)) * 1000
    data = encode_command("SET", "pipe:big", value) + encode_command("GET", "pipe:big")
    for chunk in (1000, 4095, 65536):
        assert roundtrip(port, data, 2, chunk=chunk) == [b"+OK\r\n", b"$256000\r\n" + value + b"\r\n"]


# ------------------------------------------------------------------------------- binary safety


@pytest.mark.oracle
def test_pipeline_every_byte_value_as_key_and_value(both):
    data = b"".join(encode_command("SET", bytes([i]), bytes([255 - i]) * 3) for i in range(256))
    data += b"".join(encode_command("GET", bytes([i])) for i in range(256))
    ours, theirs = (roundtrip(p, data, 512) for p in both)
    assert ours == theirs
    assert ours[256:] == [b"$3\r\n" + bytes([255 - i]) * 3 + b"\r\n" for i in range(256)]


@pytest.mark.oracle
def test_binary_key_and_value_with_all_256_bytes(oracle):
    blob = bytes(range(256))
    oracle.do("SET", blob, blob[::-1])
    assert oracle.do("GET", blob) == b"$256\r\n" + blob[::-1] + b"\r\n"
    oracle.do("EXISTS", blob)
    oracle.do("ECHO", blob)
    oracle.do("SET", b"k\r\n*1\r\n$4\r\nPING\r\n", b"\r\n")
    oracle.do("GET", b"k\r\n*1\r\n$4\r\nPING\r\n")


def test_binary_values_with_redis_py(r):
    blob = bytes(range(256)) * 16
    r.set(blob[:300], blob)
    assert r.get(blob[:300]) == blob
    assert r.echo(blob) == blob


# ------------------------------------------------------------------------------- flow and ordering


def test_pipeline_large_replies_nobody_reads_yet(port):
    # 20 MB of replies queued before the client reads a byte: all arrive, in order, intact.
    c = RawClient(port, timeout=30)
    try:
        value = b"q" * 1_000_000
        c.send(b"".join(encode_command("ECHO", value + b"%02d" % i) for i in range(20)) + encode_command("PING"))
        for i in range(20):
            assert c.read_reply() == b"$1000002\r\n" + value + b"%02d" % i + b"\r\n"
        assert c.read_reply() == PONG
    finally:
        c.close()


def test_pipeline_two_clients_interleaved_keep_their_own_replies(port):
    a, b = RawClient(port), RawClient(port)
    try:
        for i in range(200):
            a.send(encode_command("ECHO", f"a{i}"))
            b.send(encode_command("ECHO", f"b{i}"))
        for i in range(200):
            assert a.read_reply() == b"$%d\r\na%d\r\n" % (len(str(i)) + 1, i)
            assert b.read_reply() == b"$%d\r\nb%d\r\n" % (len(str(i)) + 1, i)
    finally:
        a.close()
        b.close()


@pytest.mark.oracle
def test_pipeline_commands_after_quit_do_not_run(both, oracle):
    data = encode_command("SET", "pipe:q1", "1") + encode_command("QUIT") + encode_command("SET", "pipe:q2", "2")
    for p in both:
        sock = socket.create_connection(("127.0.0.1", p), timeout=5)
        sock.sendall(data)
        got = b""
        while chunk := sock.recv(1024):
            got += chunk
        sock.close()
        assert got == b"+OK\r\n+OK\r\n"
    oracle.do("EXISTS", "pipe:q1", "pipe:q2")


@pytest.mark.oracle
def test_pipeline_garbage_after_quit_is_not_answered(both):
    data = encode_command("QUIT") + b"*x\r\n"
    for p in both:
        sock = socket.create_connection(("127.0.0.1", p), timeout=5)
        sock.sendall(data)
        got = b""
        while chunk := sock.recv(1024):
            got += chunk
        sock.close()
        assert got == b"+OK\r\n"


def test_pipeline_replies_leave_in_order_with_errors_between(raw):
    raw.send(encode_command("SET", "pipe:e", "x") + encode_command("INCR", "pipe:e") + encode_command("GET")
             + encode_command("GET", "pipe:e"))
    assert read_replies(raw, 4) == [
        b"+OK\r\n", b"-ERR value is not an integer or out of range\r\n",
        b"-ERR wrong number of arguments for 'get' command\r\n", b"$1\r\nx\r\n"]
