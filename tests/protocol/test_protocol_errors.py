"""Malformed requests over real sockets, byte for byte against redis-server 7.0.15 (Redis's
tests/unit/protocol.tcl as the checklist): protocol errors are answered and the connection closes; the
server and its other clients carry on."""
from __future__ import annotations

import socket
import struct
import time
from collections.abc import Iterator

import pytest
from helpers.procs import ServerProcess, server_pair
from helpers.rawclient import RawClient, encode_command
from helpers.wait import wait_until

PING = b"*1\r\n$4\r\nPING\r\n"
PONG = b"+PONG\r\n"


def exchange(port: int, data: bytes, *, until: bytes | None = None, timeout: float = 5.0,
             quiet: float = 0.25) -> tuple[bytes, bool]:
    """Send `data`; return (everything received, whether the server closed the connection).

    Reading stops when the server closes, when the output ends with `until`, or (for requests the server
    must keep waiting on) after `quiet` seconds without a byte.
    """
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass   # the server may close before it has read everything
        out = b""
        deadline = time.monotonic() + timeout
        sock.settimeout(quiet if until is None else timeout)
        while time.monotonic() < deadline:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                return out, False
            except ConnectionResetError:
                return out, True
            if not chunk:
                return out, True
            out += chunk
            if until is not None and out.endswith(until):
                return out, False
        raise AssertionError(f"no end to the exchange; got {out[:200]!r}")
    finally:
        sock.close()


def closes_with(port: int, data: bytes) -> bytes:
    out, closed = exchange(port, data, quiet=5.0)
    assert closed, f"connection left open after {data[:60]!r}; got {out[:200]!r}"
    return out


@pytest.fixture(scope="module")
def ports(pyredcache_proc: ServerProcess, redis_proc: ServerProcess) -> tuple[int, int]:
    return pyredcache_proc.port, redis_proc.port


@pytest.fixture(scope="module")
def auth_ports() -> Iterator[tuple[int, int]]:
    yield from server_pair({"requirepass": "secret"})


@pytest.fixture(scope="module")
def limit_ports() -> Iterator[tuple[int, int]]:
    yield from server_pair({"proto-max-bulk-len": "1mb"})


@pytest.fixture(scope="module")
def qbuf_ports() -> Iterator[tuple[int, int]]:
    yield from server_pair({"client-query-buffer-limit": "1mb", "proto-max-bulk-len": "8mb"})


# ------------------------------------------------------------------------------- error, then close

CLOSING = {
    "multibulk_3000000000": b"*3000000000\r\n",
    "multibulk_int_max_plus_1": b"*2147483648\r\n",
    "multibulk_not_a_number": b"*abc\r\n",
    "multibulk_empty_count": b"*\r\n",
    "multibulk_minus_only": b"*-\r\n",
    "multibulk_plus_sign": b"*+1\r\n",
    "multibulk_leading_zero": b"*01\r\n",
    "multibulk_long_count_line": b"*" + b"1" * 70000 + b"\r\n",
    "wrong_payload_header": b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\nfooz\r\n",
    "multibulk_not_followed_by_bulk": b"*1\r\nfoo\r\n",
    "nested_multibulk": b"*1\r\n*1\r\n",
    "expected_dollar_got_cr": b"*1\r\n\r\nxx",
    "expected_dollar_got_lf": b"*1\r\n\nfoo\r\n",
    "expected_dollar_got_high_byte": b"*1\r\n\xfffoo\r\n",
    "bulk_negative": b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-10\r\n",
    "bulk_minus_one": b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$-1\r\n",
    "bulk_2000000000": b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$2000000000\r\n",
    "bulk_past_proto_max_bulk_len": b"*1\r\n$536870913\r\n",
    "bulk_not_a_number": b"*3\r\n$3\r\nSET\r\n$1\r\nx\r\n$blabla\r\n",
    "bulk_leading_zero": b"*1\r\n$04\r\nPING\r\n",
    "bulk_plus_sign": b"*1\r\n$+4\r\nPING\r\n",
    "bulk_empty_length": b"*1\r\n$\r\n",
    "bulk_long_count_line": b"*1\r\n$" + b"1" * 70000 + b"\r\n",
    "unbalanced_double_quote": b'set a "b\r\n',
    "closing_quote_not_followed_by_space": b'set a "b"c\r\n',
    "unbalanced_single_quote": b"echo 'a\r\n",
    "escaped_closing_quote": b'echo "a\\"\r\n',
    "too_big_inline": b"A" * 65537,
    "too_big_mbulk_count": b"*" + b"1" * 70000,
    "too_big_bulk_count": b"*1\r\n$" + b"1" * 70000,
    "desync_nul": b"\x00" + (b"A" * 1024 + b"\n") * 100,
    "desync_star_nul": b"*\x00" + (b"A" * 1024 + b"\n") * 100,
    "desync_dollar_nul": b"$\x00" + (b"A" * 1024 + b"\n") * 100,
    "replies_before_the_error": PING + b"PING\r\n*1\r\n+4\r\nping\r\n",
    "inline_error_after_commands": b"PING\r\necho x\r\nset a \"b\r\n",
    "http_post": b"POST / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "http_get_then_host": b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n",
    "host_line_drops_earlier_replies": b"PING\r\nhost: x\r\nPING\r\n",
}


@pytest.mark.oracle
@pytest.mark.parametrize("data", list(CLOSING.values()), ids=list(CLOSING))
def test_protocol_error_is_answered_then_connection_closes(ports, data):
    ours, theirs = (closes_with(p, data) for p in ports)
    assert ours == theirs


@pytest.mark.oracle
@pytest.mark.parametrize("data", [b"CLIENT REPLY OFF\r\n*x\r\n", b"CLIENT REPLY SKIP\r\n*x\r\n",
                                  b"CLIENT REPLY OFF\r\nPING\r\nQUIT\r\n"])
def test_protocol_error_reply_is_swallowed_by_client_reply_off(ports, data):
    # Same bytes (none). Redis 7.0.15 then keeps the connection open but never reads it again; we close it.
    ours = closes_with(ports[0], data)
    theirs, _ = exchange(ports[1], data)
    assert ours == theirs == b""


@pytest.mark.oracle
def test_protocol_error_reply_after_a_skipped_reply(ports):
    data = b"CLIENT REPLY SKIP\r\nPING\r\n*x\r\n"
    ours, theirs = (closes_with(p, data) for p in ports)
    assert ours == theirs == b"-ERR Protocol error: invalid multibulk length\r\n"


def test_protocol_error_reply_is_the_last_thing_sent(port):
    assert closes_with(port, b"*1\r\n$4\r\nPING\r\n*x\r\n*1\r\n$4\r\nPING\r\n") == (
        PONG + b"-ERR Protocol error: invalid multibulk length\r\n")


def test_protocol_error_messages(port):
    assert closes_with(port, b"*3000000000\r\n") == b"-ERR Protocol error: invalid multibulk length\r\n"
    assert closes_with(port, b"*1\r\nfoo\r\n") == b"-ERR Protocol error: expected '$', got 'f'\r\n"
    assert closes_with(port, b"*1\r\n$-1\r\n") == b"-ERR Protocol error: invalid bulk length\r\n"
    assert closes_with(port, b'a "b\r\n') == b"-ERR Protocol error: unbalanced quotes in request\r\n"
    assert closes_with(port, b"x" * 70000) == b"-ERR Protocol error: too big inline request\r\n"


# ------------------------------------------------------------------------------- answered, stays open

OPEN = {
    "empty_query": b"\r\n",
    "blank_lines": b"   \r\n\n\t\r\n",
    "negative_multibulk_length": b"*-10\r\n",
    "zero_multibulk_length": b"*0\r\n",
    "inline_double_quotes": b'echo "a b"\r\n',
    "inline_single_quotes": b"echo 'a b'\r\n",
    "inline_hex_escapes": b'echo "\\x41\\x4a\\n"\r\n',
    "inline_bad_hex_escape": b'echo "\\xZZ"\r\n',
    "inline_escapes": b'echo "\\t\\b\\a\\r\\z"\r\n',
    "inline_escaped_quote": b'echo "a\\"b"\r\n',
    "inline_single_quote_escape": b"echo 'a\\'b'\r\n",
    "inline_empty_args": b'echo ""\r\necho \'\'\r\n',
    "inline_cr_is_a_separator": b"echo\rfoo\n",
    "inline_lf_only": b"echo x\n",
    "inline_extra_spaces": b"  echo   a   \r\n",
    "inline_unknown_command": b'inline ""\r\n',
    "wrong_arity_inline": b"ping x y z\r\n",
    "crlf_after_bulk_not_checked": b"*1\r\n$4\r\nPINGxx",
    "crlf_inside_bulk": b"*2\r\n$4\r\necho\r\n$3\r\na\r\n\r\n",
    "mixed_inline_and_multibulk": b"ECHO a\r\n*2\r\n$4\r\nECHO\r\n$1\r\nb\r\nECHO c\n",
}


@pytest.mark.oracle
@pytest.mark.parametrize("data", list(OPEN.values()), ids=list(OPEN))
def test_protocol_request_is_answered_and_connection_stays_open(ports, data):
    results = [exchange(p, data + PING, until=PONG) for p in ports]
    assert results[0] == results[1]
    assert results[0][1] is False


# ------------------------------------------------------------------------------- incomplete: wait

WAITING = {
    "largest_multibulk_length": b"*2147483647\r\n",
    "multibulk_20000000": b"*20000000\r\n",
    "inline_of_exactly_64k": b"A" * 65536,
    "inline_without_newline": b"PING",
    "nul_hides_multibulk_line_end": b"*1\x00\r\n",
    "nul_hides_bulk_line_end": b"*2\r\n$1\x00\r\n",
    "largest_bulk_header": b"*1\r\n$536870912\r\n",
    "partial_bulk": b"*2\r\n$4\r\nECHO\r\n$10\r\nabc",
}


@pytest.mark.oracle
@pytest.mark.parametrize("data", list(WAITING.values()), ids=list(WAITING))
def test_protocol_incomplete_request_waits_silently(ports, data):
    for p in ports:
        assert exchange(p, data) == (b"", False)


# ------------------------------------------------------------------------------- limits


@pytest.mark.oracle
@pytest.mark.parametrize("data", [
    b"*11\r\n", b"*1\r\n$16385\r\n", b"*1\r\n$-1\r\n", b"*abc\r\n", b"*1\r\n$600000000\r\n", b"*3000000000\r\n",
], ids=["multibulk_11", "bulk_16385", "bulk_minus_one", "multibulk_nan", "bulk_600000000", "multibulk_huge"])
def test_protocol_unauthenticated_limits(auth_ports, data):
    ours, theirs = (closes_with(p, data) for p in auth_ports)
    assert ours == theirs


@pytest.mark.oracle
@pytest.mark.parametrize("data", [b"*10\r\n", b"*1\r\n$16384\r\n"])
def test_protocol_unauthenticated_limits_are_inclusive(auth_ports, data):
    for p in auth_ports:
        assert exchange(p, data) == (b"", False)


@pytest.mark.oracle
def test_protocol_unauthenticated_inline_has_no_argument_limit(auth_ports):
    data = b"a b c d e f g h i j k l m n\r\n" + PING
    ours, theirs = (exchange(p, data, until=b"-NOAUTH Authentication required.\r\n") for p in auth_ports)
    assert ours == theirs


@pytest.mark.oracle
def test_protocol_auth_lifts_the_limits_for_the_next_request(auth_ports):
    big = encode_command("ECHO", "x" * 20000)
    many = encode_command("MSET", *("k" * 12))
    data = encode_command("AUTH", "secret") + many + big + PING
    ours, theirs = (exchange(p, data, until=PONG) for p in auth_ports)
    assert ours == theirs
    assert ours[0].startswith(b"+OK\r\n+OK\r\n$20000\r\n")


@pytest.mark.oracle
def test_protocol_failed_auth_keeps_the_limits(auth_ports):
    data = encode_command("AUTH", "wrong") + b"*11\r\n"
    ours, theirs = (closes_with(p, data) for p in auth_ports)
    assert ours == theirs == (b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
                              b"-ERR Protocol error: unauthenticated multibulk length\r\n")


@pytest.mark.oracle
def test_protocol_bulk_longer_than_proto_max_bulk_len(limit_ports):
    for data in (b"*1\r\n$1048577\r\n", b"*2\r\n$3\r\nSET\r\n$1048577\r\n"):
        ours, theirs = (closes_with(p, data) for p in limit_ports)
        assert ours == theirs == b"-ERR Protocol error: invalid bulk length\r\n"
    for p in limit_ports:
        assert exchange(p, b"*1\r\n$1048576\r\n") == (b"", False)


@pytest.mark.oracle
def test_protocol_bulk_of_exactly_proto_max_bulk_len_is_accepted(limit_ports):
    value = b"v" * (1024 * 1024)
    data = encode_command("SET", "big", value) + encode_command("STRLEN", "big")
    ours, theirs = (exchange(p, data, until=b":1048576\r\n") for p in limit_ports)
    assert ours == theirs == (b"+OK\r\n:1048576\r\n", False)


@pytest.mark.oracle
def test_protocol_query_buffer_limit_closes_the_client_without_a_reply(qbuf_ports):
    # A 3 MB argument on a server whose query buffer limit is 1 MB: closed, nothing answered.
    for p in qbuf_ports:
        other = RawClient(p)
        sock = socket.create_connection(("127.0.0.1", p), timeout=5)
        try:
            sock.sendall(PING + b"*2\r\n$4\r\nECHO\r\n$3000000\r\n")
            assert sock.recv(7) == PONG
            try:
                sock.sendall(b"y" * 1_500_000)
            except (BrokenPipeError, ConnectionResetError):
                pass
            got = b""
            try:
                while chunk := sock.recv(65536):
                    got += chunk
            except ConnectionResetError:
                pass
            assert got == b"", f"port {p}: {got[:100]!r}"
            assert other.command("PING") == PONG   # the server and its other clients carry on
        finally:
            sock.close()
            other.close()


# ------------------------------------------------------------------------------- the server carries on


def test_protocol_error_leaves_other_clients_alone(port):
    other = RawClient(port)
    try:
        assert other.command("SELECT", "5") == b"+OK\r\n"
        assert other.command("SET", "proto:other", "kept") == b"+OK\r\n"
        for data in CLOSING.values():
            closes_with(port, data)
        assert other.command("GET", "proto:other") == b"$4\r\nkept\r\n"
        assert other.command("PING") == PONG
    finally:
        other.command("DEL", "proto:other")
        other.close()


def test_protocol_client_disconnecting_mid_request_leaves_the_server_fine(port):
    watcher = RawClient(port)
    try:
        before = watcher.command("CLIENT", "LIST").count(b"\n")
        for partial in (b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$100000\r\n" + b"v" * 50000, b"*2\r\n$4\r\nEC",
                        b"PIN", b"*1\r\n"):
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(partial)
            sock.close()
        wait_until(lambda: watcher.command("CLIENT", "LIST").count(b"\n") == before, timeout=5,
                   message="the disconnected clients to be freed")
        assert watcher.command("EXISTS", "k") == b":0\r\n"
        assert exchange(port, PING, until=PONG) == (PONG, False)
    finally:
        watcher.close()


def test_protocol_client_reset_mid_reply_leaves_the_server_fine(port):
    sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.sendall(encode_command("ECHO", "z" * 2_000_000) * 5)
    sock.close()   # RST while the server is still writing
    assert exchange(port, PING, until=PONG) == (PONG, False)


def test_protocol_many_bad_clients_in_a_row(port):
    for i in range(50):
        closes_with(port, b"*1\r\n$x\r\n" if i % 2 else b"*-a\r\n")
    assert exchange(port, PING, until=PONG) == (PONG, False)
