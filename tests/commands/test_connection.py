"""Connection commands PING ECHO QUIT RESET SELECT HELLO AUTH against our server and redis-server 7.0.15."""
from __future__ import annotations

import re
import socket
from collections.abc import Iterator

import pytest
import redis
from helpers.oracle import Oracle
from helpers.procs import server_pair
from helpers.rawclient import RawClient, encode_command

NOAUTH = b"-NOAUTH Authentication required.\r\n"
WRONGPASS = b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
HELLO_NOAUTH = (b"-NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO AUTH "
                b"<user> <pass> option can be used to authenticate the client and select the RESP protocol "
                b"version at the same time\r\n")
NOT_CONFIGURED = (b"-ERR AUTH <password> called without any password configured for the default user. Are you "
                  b"sure your configuration is correct?\r\n")
BAD_NAME = b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"


def mask_id(raw: bytes) -> bytes:
    return re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:ID\r\n", raw)


def same_hello(o: Oracle, *args: str) -> bytes:
    ours, theirs = o.both("HELLO", *args)
    assert mask_id(ours) == mask_id(theirs), f"HELLO {args}: {ours!r} != {theirs!r}"
    return ours


def has_command(port: int, name: str) -> bool:
    c = RawClient(port)
    try:
        return c.command("COMMAND", "INFO", name) != b"*1\r\n$-1\r\n"
    finally:
        c.close()


def read_until_closed(c: RawClient) -> bytes:
    out = c.buf
    c.buf = b""
    while chunk := c.sock.recv(4096):
        out += chunk
    return out


@pytest.fixture(scope="module")
def auth_ports() -> Iterator[tuple[int, int]]:
    """pyredcache and redis-server, both with requirepass "secret"."""
    yield from server_pair({"requirepass": "secret"})


@pytest.fixture
def auth_oracle(auth_ports) -> Iterator[Oracle]:
    o = Oracle(*auth_ports)
    yield o
    o.close()


@pytest.fixture
def auth_raw(auth_ports) -> Iterator[RawClient]:
    c = RawClient(auth_ports[0])
    yield c
    c.close()


# ------------------------------------------------------------------------------------------------ PING


@pytest.mark.oracle
def test_ping_replies_pong(oracle):
    assert oracle.do("PING") == b"+PONG\r\n"
    assert oracle.do("ping") == b"+PONG\r\n"


@pytest.mark.oracle
def test_ping_with_message_echoes_it_as_bulk(oracle):
    assert oracle.do("PING", "hello") == b"$5\r\nhello\r\n"
    oracle.do("PING", "")
    oracle.do("PING", b"\x00\r\n\xff")


@pytest.mark.oracle
def test_ping_too_many_arguments(oracle):
    assert oracle.error("PING", "a", "b") == b"-ERR wrong number of arguments for 'ping' command\r\n"


@pytest.mark.oracle
def test_ping_in_resp3(oracle):
    same_hello(oracle, "3")
    oracle.do("PING")
    oracle.do("PING", "x")


def test_ping_redis_py(r):
    assert r.ping() is True


@pytest.mark.oracle
def test_ping_in_resp2_subscribed_context_replies_pong_array(oracle, port):
    if not has_command(port, "subscribe"):
        pytest.skip("SUBSCRIBE is not implemented yet")
    oracle.do("SUBSCRIBE", "ch")
    assert oracle.do("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    oracle.do("PING", "msg")


# ------------------------------------------------------------------------------------------------ ECHO


@pytest.mark.oracle
def test_echo_returns_the_message(oracle):
    assert oracle.do("ECHO", "hello world") == b"$11\r\nhello world\r\n"
    oracle.do("ECHO", "")
    oracle.do("ECHO", bytes(range(256)))


@pytest.mark.oracle
def test_echo_arity(oracle):
    oracle.error("ECHO")
    oracle.error("ECHO", "a", "b")


def test_echo_large_message(r):
    value = b"e" * 1_000_000
    assert r.echo(value) == value


# ------------------------------------------------------------------------------------------------ QUIT


@pytest.mark.oracle
def test_quit_replies_ok_then_closes(pyredcache_proc, redis_proc):
    for p in (pyredcache_proc.port, redis_proc.port):
        c = RawClient(p)
        c.send(encode_command("QUIT"))
        assert read_until_closed(c) == b"+OK\r\n"
        c.close()


@pytest.mark.oracle
def test_quit_ignores_extra_arguments(pyredcache_proc, redis_proc):
    for p in (pyredcache_proc.port, redis_proc.port):
        c = RawClient(p)
        c.send(encode_command("QUIT", "now", "please"))
        assert read_until_closed(c) == b"+OK\r\n"
        c.close()


def test_quit_works_without_auth(auth_raw):
    auth_raw.send(encode_command("QUIT"))
    assert read_until_closed(auth_raw) == b"+OK\r\n"


def test_quit_inline(port):
    c = RawClient(port)
    c.send(b"QUIT\r\n")
    assert read_until_closed(c) == b"+OK\r\n"
    c.close()


# ------------------------------------------------------------------------------------------------ SELECT


@pytest.mark.oracle
def test_select_switches_database(oracle):
    oracle.do("SET", "k", "db0")
    assert oracle.do("SELECT", "1") == b"+OK\r\n"
    assert oracle.do("GET", "k") == b"$-1\r\n"
    oracle.do("SET", "k", "db1")
    oracle.do("SELECT", "15")
    oracle.do("GET", "k")
    oracle.do("SELECT", "0")
    assert oracle.do("GET", "k") == b"$3\r\ndb0\r\n"
    oracle.do("SELECT", "1")
    oracle.do("FLUSHDB")


@pytest.mark.oracle
def test_select_out_of_range(oracle):
    assert oracle.error("SELECT", "16") == b"-ERR DB index is out of range\r\n"
    oracle.error("SELECT", "-1")
    oracle.error("SELECT", "2147483647")
    oracle.error("SELECT", "-2147483648")


@pytest.mark.oracle
def test_select_not_an_integer(oracle):
    assert oracle.error("SELECT", "abc") == b"-ERR value is not an integer or out of range\r\n"
    oracle.error("SELECT", "1.5")
    oracle.error("SELECT", "")
    oracle.error("SELECT", " 1")
    oracle.error("SELECT", "01")
    oracle.error("SELECT", "99999999999999999999")


@pytest.mark.oracle
def test_select_outside_int_range(oracle):
    assert oracle.error("SELECT", "4294967296") == (
        b"-ERR value is out of range, value must between -2147483648 and 2147483647\r\n")
    oracle.error("SELECT", "-2147483649")


@pytest.mark.oracle
def test_select_arity(oracle):
    oracle.error("SELECT")
    oracle.error("SELECT", "1", "2")


def test_select_is_per_connection(port):
    a, b = RawClient(port), RawClient(port)
    try:
        a.command("SELECT", "3")
        a.command("SET", "sel:k", "v")
        assert b.command("GET", "sel:k") == b"$-1\r\n"
        b.command("SELECT", "3")
        assert b.command("GET", "sel:k") == b"$1\r\nv\r\n"
        b.command("DEL", "sel:k")
    finally:
        a.close()
        b.close()


def test_select_shows_in_client_info(raw):
    raw.command("SELECT", "7")
    assert b" db=7 " in raw.command("CLIENT", "INFO")
    raw.command("SELECT", "0")


# ------------------------------------------------------------------------------------------------ RESET


@pytest.mark.oracle
def test_reset_replies_reset(oracle):
    assert oracle.do("RESET") == b"+RESET\r\n"


@pytest.mark.oracle
def test_reset_arity(oracle):
    assert oracle.error("RESET", "x") == b"-ERR wrong number of arguments for 'reset' command\r\n"


@pytest.mark.oracle
def test_reset_restores_db_protocol_and_name(oracle):
    oracle.do("SELECT", "3")
    same_hello(oracle, "3")
    oracle.do("CLIENT", "SETNAME", "before-reset")
    assert oracle.do("RESET") == b"+RESET\r\n"
    assert oracle.do("CLIENT", "GETNAME") == b"$-1\r\n"      # back in RESP2, no name
    oracle.do("SET", "reset:k", "v")
    oracle.do("SELECT", "0")
    assert oracle.do("GET", "reset:k") == b"$1\r\nv\r\n"     # RESET selected db 0


def test_reset_client_info_fields(raw):
    raw.command("SELECT", "4")
    raw.command("HELLO", "3")
    raw.command("CLIENT", "SETNAME", "n")
    raw.command("CLIENT", "REPLY", "ON")
    raw.command("RESET")
    info = raw.command("CLIENT", "INFO")
    assert b" name= " in info and b" db=0 " in info and info.endswith(b" resp=2\n\r\n")


@pytest.mark.oracle
def test_reset_keeps_no_evict(oracle):
    # Redis 7.0.15's clearClientConnectionState leaves CLIENT NO-EVICT alone.
    oracle.do("CLIENT", "NO-EVICT", "ON")
    oracle.do("RESET")
    for c in (oracle.ours, oracle.redis):
        assert b" flags=e " in c.command("CLIENT", "INFO")


@pytest.mark.oracle
def test_reset_turns_client_reply_back_on(oracle):
    for c in (oracle.ours, oracle.redis):
        c.send(encode_command("CLIENT", "REPLY", "OFF") + encode_command("PING") + encode_command("RESET")
               + encode_command("PING"))
        assert c.read_reply() == b"+RESET\r\n"
        assert c.read_reply() == b"+PONG\r\n"


@pytest.mark.oracle
def test_reset_under_reply_skip_is_itself_skipped(oracle):
    for c in (oracle.ours, oracle.redis):
        c.send(encode_command("CLIENT", "REPLY", "SKIP") + encode_command("RESET") + encode_command("ECHO", "x"))
        assert c.read_reply() == b"$1\r\nx\r\n"


@pytest.mark.oracle
def test_reset_requires_authentication_again(auth_oracle):
    auth_oracle.do("AUTH", "secret")
    auth_oracle.do("SET", "k", "v")
    assert auth_oracle.do("RESET") == b"+RESET\r\n"
    assert auth_oracle.do("GET", "k") == NOAUTH
    auth_oracle.do("AUTH", "secret")
    auth_oracle.do("DEL", "k")


@pytest.mark.oracle
def test_reset_works_unauthenticated(auth_oracle):
    assert auth_oracle.do("RESET") == b"+RESET\r\n"


@pytest.mark.oracle
def test_reset_stops_monitor(oracle, port):
    if not has_command(port, "monitor"):
        pytest.skip("MONITOR is not implemented yet")
    oracle.do("MONITOR")
    assert oracle.do("RESET") == b"+RESET\r\n"
    oracle.do("PING")
    oracle.do("SET", "k", "v")


@pytest.mark.oracle
def test_reset_discards_multi(oracle, port):
    if not has_command(port, "multi"):
        pytest.skip("MULTI is not implemented yet")
    oracle.do("MULTI")
    oracle.do("SET", "k", "v")
    assert oracle.do("RESET") == b"+RESET\r\n"
    oracle.error("EXEC")
    oracle.do("EXISTS", "k")


@pytest.mark.oracle
def test_reset_unsubscribes(oracle, port):
    if not has_command(port, "subscribe"):
        pytest.skip("SUBSCRIBE is not implemented yet")
    oracle.do("SUBSCRIBE", "a")
    assert oracle.do("RESET") == b"+RESET\r\n"
    oracle.do("GET", "k")    # no longer in the subscribed context


# ------------------------------------------------------------------------------------------------ HELLO


@pytest.mark.oracle
def test_hello_without_arguments_reports_resp2_context(oracle):
    reply = same_hello(oracle)
    assert reply.startswith(b"*14\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
                            b"$5\r\nproto\r\n:2\r\n")


@pytest.mark.oracle
def test_hello_3_switches_to_resp3(oracle):
    assert same_hello(oracle, "3").startswith(b"%7\r\n")
    assert oracle.do("GET", "nokey") == b"_\r\n"
    assert same_hello(oracle).startswith(b"%7\r\n")           # no argument: stays in RESP3
    assert same_hello(oracle, "2").startswith(b"*14\r\n")
    assert oracle.do("GET", "nokey") == b"$-1\r\n"


def test_hello_fields(r):
    hello = r.execute_command("HELLO")
    assert hello == [b"server", b"redis", b"version", b"7.0.15", b"proto", 2, b"id", r.client_id(),
                     b"mode", b"standalone", b"role", b"master", b"modules", []]


@pytest.mark.oracle
@pytest.mark.parametrize("version", ["0", "1", "4", "-1", "100"])
def test_hello_unsupported_protocol(oracle, version):
    assert oracle.error("HELLO", version) == b"-NOPROTO unsupported protocol version\r\n"


@pytest.mark.oracle
@pytest.mark.parametrize("version", ["abc", "3.0", "", "99999999999999999999", " 3"])
def test_hello_protocol_not_an_integer(oracle, version):
    assert oracle.error("HELLO", version) == b"-ERR Protocol version is not an integer or out of range\r\n"


@pytest.mark.oracle
@pytest.mark.parametrize("args", [("3", "foo"), ("3", "auth"), ("3", "auth", "default"), ("3", "setname"),
                                  ("2", "AUTH", "default", "x", "extra"), ("3", "setname", "a", "b")])
def test_hello_syntax_errors(oracle, args):
    assert oracle.error("HELLO", *args).startswith(b"-ERR Syntax error in HELLO option '")


@pytest.mark.oracle
def test_hello_protocol_is_checked_before_options(oracle):
    oracle.error("HELLO", "5", "foo")
    oracle.error("HELLO", "x", "foo")
    oracle.error("HELLO", "auth", "default", "x")


@pytest.mark.oracle
def test_hello_setname(oracle):
    same_hello(oracle, "3", "SETNAME", "myname")
    assert oracle.do("CLIENT", "GETNAME") == b"$6\r\nmyname\r\n"
    same_hello(oracle, "2", "setname", "n1", "setname", "n2")
    assert oracle.do("CLIENT", "GETNAME") == b"$2\r\nn2\r\n"


@pytest.mark.oracle
def test_hello_invalid_name(oracle):
    assert oracle.error("HELLO", "3", "SETNAME", "a b") == BAD_NAME
    oracle.do("CLIENT", "GETNAME")
    oracle.do("GET", "nokey")   # the protocol did not change


@pytest.mark.oracle
def test_hello_options_before_a_bad_one_are_applied(oracle):
    oracle.error("HELLO", "3", "SETNAME", "early", "bogus")
    assert oracle.do("CLIENT", "GETNAME") == b"$5\r\nearly\r\n"
    assert oracle.do("GET", "nokey") == b"$-1\r\n"            # but not the protocol switch


@pytest.mark.oracle
def test_hello_auth_without_requirepass(oracle):
    same_hello(oracle, "2", "AUTH", "default", "anything")
    assert oracle.error("HELLO", "2", "AUTH", "someone", "x") == WRONGPASS


@pytest.mark.oracle
def test_hello_unauthenticated_is_refused(auth_oracle):
    assert auth_oracle.do("HELLO") == HELLO_NOAUTH
    assert auth_oracle.do("HELLO", "3") == HELLO_NOAUTH
    assert auth_oracle.do("GET", "k") == NOAUTH


@pytest.mark.oracle
def test_hello_auth_logs_in_and_switches(auth_oracle):
    assert same_hello(auth_oracle, "3", "AUTH", "default", "secret").startswith(b"%7\r\n")
    assert auth_oracle.do("GET", "nokey") == b"_\r\n"


@pytest.mark.oracle
def test_hello_auth_wrong_password(auth_oracle):
    assert auth_oracle.do("HELLO", "3", "AUTH", "default", "wrong") == WRONGPASS
    assert auth_oracle.do("HELLO", "3", "AUTH", "nobody", "secret") == WRONGPASS
    assert auth_oracle.do("GET", "k") == NOAUTH


@pytest.mark.oracle
def test_hello_auth_checked_before_a_later_bad_name(auth_oracle):
    assert auth_oracle.do("HELLO", "3", "AUTH", "default", "wrong", "SETNAME", "a b") == WRONGPASS
    assert auth_oracle.do("HELLO", "3", "AUTH", "default", "secret", "SETNAME", "a b") == BAD_NAME
    assert auth_oracle.do("PING") == b"+PONG\r\n"             # the AUTH part was applied


@pytest.mark.oracle
def test_hello_setname_applies_even_when_refused_for_auth(auth_oracle):
    assert auth_oracle.do("HELLO", "2", "SETNAME", "early") == HELLO_NOAUTH
    auth_oracle.do("AUTH", "secret")
    assert auth_oracle.do("CLIENT", "GETNAME") == b"$5\r\nearly\r\n"


def test_hello_redis_py_protocol_3(pyredcache_proc):
    client = redis.Redis(port=pyredcache_proc.port, protocol=3)
    try:
        assert client.ping()
        info = client.execute_command("HELLO")
        assert info[b"proto"] == 3 and info[b"version"] == b"7.0.15"
    finally:
        client.close()


# ------------------------------------------------------------------------------------------------ AUTH


@pytest.mark.oracle
def test_auth_without_requirepass(oracle):
    assert oracle.error("AUTH", "x") == NOT_CONFIGURED
    assert oracle.do("AUTH", "default", "anything") == b"+OK\r\n"
    assert oracle.error("AUTH", "nobody", "x") == WRONGPASS


@pytest.mark.oracle
def test_auth_arity_and_syntax(oracle):
    oracle.error("AUTH")
    assert oracle.error("AUTH", "a", "b", "c") == b"-ERR syntax error\r\n"


@pytest.mark.oracle
def test_auth_required(auth_oracle):
    assert auth_oracle.do("GET", "k") == NOAUTH
    assert auth_oracle.do("PING") == NOAUTH
    assert auth_oracle.do("CLIENT", "ID") == NOAUTH


@pytest.mark.oracle
def test_auth_wrong_password(auth_oracle):
    assert auth_oracle.do("AUTH", "wrong") == WRONGPASS
    assert auth_oracle.do("AUTH", "default", "wrong") == WRONGPASS
    assert auth_oracle.do("AUTH", "nobody", "secret") == WRONGPASS
    assert auth_oracle.do("PING") == NOAUTH


@pytest.mark.oracle
def test_auth_with_password(auth_oracle):
    assert auth_oracle.do("AUTH", "secret") == b"+OK\r\n"
    assert auth_oracle.do("PING") == b"+PONG\r\n"


@pytest.mark.oracle
def test_auth_with_default_user(auth_oracle):
    assert auth_oracle.do("AUTH", "default", "secret") == b"+OK\r\n"
    assert auth_oracle.do("PING") == b"+PONG\r\n"


@pytest.mark.oracle
def test_auth_failure_keeps_an_earlier_login(auth_oracle):
    auth_oracle.do("AUTH", "secret")
    assert auth_oracle.do("AUTH", "wrong") == WRONGPASS
    assert auth_oracle.do("PING") == b"+PONG\r\n"


def test_auth_is_per_connection(auth_ports):
    a, b = RawClient(auth_ports[0]), RawClient(auth_ports[0])
    try:
        assert a.command("AUTH", "secret") == b"+OK\r\n"
        assert b.command("PING") == NOAUTH
    finally:
        a.close()
        b.close()


@pytest.mark.oracle
def test_auth_unknown_command_error_comes_before_noauth(auth_oracle):
    auth_oracle.error("NOSUCHCOMMAND")
    auth_oracle.error("GET")


def test_auth_redis_py(auth_ports):
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=auth_ports[0], password="wrong").ping()
    client = redis.Redis(port=auth_ports[0], password="secret")
    try:
        assert client.ping()
    finally:
        client.close()
    client = redis.Redis(port=auth_ports[0], username="default", password="secret", protocol=3)
    try:
        assert client.ping()
    finally:
        client.close()


def test_auth_unauthenticated_client_can_still_be_listed(auth_ports):
    watcher = RawClient(auth_ports[0])
    stranger = RawClient(auth_ports[0])
    try:
        watcher.command("AUTH", "secret")
        stranger.command("PING")
        listing = watcher.command("CLIENT", "LIST")
        assert listing.count(b"user=default") == 2
    finally:
        watcher.close()
        stranger.close()


def test_auth_connection_refused_reason_is_not_sent_to_loopback(auth_ports):
    sock = socket.create_connection(("127.0.0.1", auth_ports[0]), timeout=5)
    try:
        sock.sendall(b"PING\r\n")
        assert sock.recv(100) == NOAUTH
    finally:
        sock.close()


@pytest.mark.oracle
def test_auth_requirepass_changed_at_runtime(server_factory):
    ports = (server_factory(requirepass="secret").port, server_factory(kind="redis", requirepass="secret").port)
    for p in ports:
        stranger, admin = RawClient(p), RawClient(p)
        try:
            assert stranger.command("PING") == NOAUTH
            admin.command("AUTH", "secret")
            assert admin.command("CONFIG", "SET", "requirepass", "") == b"+OK\r\n"
            assert stranger.command("PING") == b"+PONG\r\n"      # nobody needs a password any more
            assert stranger.command("AUTH", "x") == NOT_CONFIGURED
            friend = RawClient(p)
            assert friend.command("PING") == b"+PONG\r\n"       # connected while no password was set
            assert admin.command("CONFIG", "SET", "requirepass", "other") == b"+OK\r\n"
            assert friend.command("PING") == b"+PONG\r\n"       # logged in at connect time: stays in
            assert stranger.command("PING") == NOAUTH           # never logged in: needs AUTH again
            assert admin.command("PING") == b"+PONG\r\n"
            friend.close()
            newcomer = RawClient(p)
            assert newcomer.command("PING") == NOAUTH
            assert newcomer.command("AUTH", "secret") == WRONGPASS
            assert newcomer.command("AUTH", "other") == b"+OK\r\n"
            newcomer.close()
        finally:
            stranger.close()
            admin.close()
