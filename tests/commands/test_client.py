"""CLIENT subcommands (ID SETNAME GETNAME INFO LIST KILL REPLY NO-EVICT PAUSE UNPAUSE HELP) against our
server and redis-server 7.0.15. Tests that pause or kill by type use private servers."""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import redis
from helpers.oracle import Oracle
from helpers.procs import server_pair
from helpers.rawclient import RawClient, encode_command
from helpers.wait import wait_until

FIELDS = ("id addr laddr fd name age idle flags db sub psub ssub multi qbuf qbuf-free argv-mem multi-mem rbs "
          "rbp obl oll omem tot-mem events cmd user redir resp").split()
BAD_NAME = b"-ERR Client names cannot contain spaces, newlines or special characters.\r\n"
SYNTAX = b"-ERR syntax error\r\n"


def parse_line(line: bytes) -> dict[str, str]:
    fields = {}
    for item in line.decode().split(" "):
        key, _, value = item.partition("=")
        fields[key] = value
    return fields


def field_names(line: bytes) -> list[str]:
    return [item.partition("=")[0] for item in line.decode().split(" ")]


def info_text(reply: bytes) -> bytes:
    """The text of a CLIENT INFO/LIST reply (bulk or verbatim)."""
    header, _, rest = reply.partition(b"\r\n")
    body = rest[:-2]
    assert len(body) == int(header[1:])
    return body[4:] if header.startswith(b"=") else body


def client_lines(c: RawClient, *args: str) -> list[dict[str, str]]:
    text = info_text(c.command("CLIENT", "LIST", *args))
    assert text == b"" or text.endswith(b"\n")
    return [parse_line(line) for line in text.split(b"\n") if line]


def my_info(c: RawClient) -> dict[str, str]:
    text = info_text(c.command("CLIENT", "INFO"))
    assert text.endswith(b"\n") and text.count(b"\n") == 1
    return parse_line(text[:-1])


def client_id(c: RawClient) -> int:
    return int(c.command("CLIENT", "ID")[1:-2])


def has_command(port: int, name: str) -> bool:
    c = RawClient(port)
    try:
        return c.command("COMMAND", "INFO", name) != b"*1\r\n$-1\r\n"
    finally:
        c.close()


def is_closed(c: RawClient, timeout: float = 5.0) -> bool:
    c.sock.settimeout(timeout)
    try:
        return c.sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def replied_within(c: RawClient, timeout: float) -> bytes | None:
    """One reply if it arrives within `timeout` seconds (used to show a paused client is held)."""
    c.sock.settimeout(timeout)
    try:
        return c.read_reply()
    except TimeoutError:
        return None
    finally:
        c.sock.settimeout(10)


@pytest.fixture
def private_port(server_factory) -> int:
    return server_factory().port


@pytest.fixture
def fresh_pair(server_factory) -> tuple[int, int]:
    return server_factory().port, server_factory(kind="redis").port


@pytest.fixture(scope="module")
def pair_ports() -> Iterator[tuple[int, int]]:
    """A private pyredcache and redis-server pair (for kills by type and pauses)."""
    yield from server_pair()


@pytest.fixture
def pair(pair_ports) -> Iterator[Oracle]:
    o = Oracle(*pair_ports)
    yield o
    o.close()


# ------------------------------------------------------------------------------------------------ container


@pytest.mark.oracle
def test_client_without_subcommand(oracle):
    assert oracle.error("CLIENT") == b"-ERR wrong number of arguments for 'client' command\r\n"


@pytest.mark.oracle
def test_client_unknown_subcommand(oracle):
    assert oracle.error("CLIENT", "foo") == b"-ERR unknown subcommand 'foo'. Try CLIENT HELP.\r\n"
    oracle.error("client", "Foo", "bar")


@pytest.mark.oracle
@pytest.mark.parametrize("args", [("ID", "x"), ("GETNAME", "x"), ("SETNAME",), ("SETNAME", "a", "b"),
                                  ("INFO", "x"), ("REPLY",), ("REPLY", "on", "x"), ("NO-EVICT",),
                                  ("UNPAUSE", "x"), ("PAUSE",), ("KILL",), ("HELP", "x")])
def test_client_subcommand_arity(oracle, args):
    assert oracle.error("CLIENT", *args).startswith(b"-ERR wrong number of arguments for 'client|")


@pytest.mark.oracle
def test_client_help(oracle):
    reply = oracle.do("CLIENT", "HELP")
    assert reply.startswith(b"*48\r\n+CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
    assert reply.endswith(b"+HELP\r\n+    Prints this help.\r\n")
    oracle.do("client", "help")


# ------------------------------------------------------------------------------------------------ ID


def test_client_id_is_an_integer_matching_client_list(raw):
    cid = client_id(raw)
    assert cid > 0
    assert my_info(raw)["id"] == str(cid)


def test_client_id_increases_per_connection(port):
    a, b = RawClient(port), RawClient(port)
    try:
        assert client_id(b) > client_id(a)
    finally:
        a.close()
        b.close()


def test_client_id_redis_py(r):
    assert isinstance(r.client_id(), int)


# ------------------------------------------------------------------------------------------------ SETNAME GETNAME


@pytest.mark.oracle
def test_client_setname_and_getname(oracle):
    assert oracle.do("CLIENT", "GETNAME") == b"$-1\r\n"
    assert oracle.do("CLIENT", "SETNAME", "worker-1") == b"+OK\r\n"
    assert oracle.do("CLIENT", "GETNAME") == b"$8\r\nworker-1\r\n"
    oracle.do("CLIENT", "SETNAME", "a~b!{}")
    oracle.do("CLIENT", "GETNAME")


@pytest.mark.oracle
def test_client_setname_empty_clears_the_name(oracle):
    oracle.do("CLIENT", "SETNAME", "x")
    assert oracle.do("CLIENT", "SETNAME", "") == b"+OK\r\n"
    assert oracle.do("CLIENT", "GETNAME") == b"$-1\r\n"


@pytest.mark.oracle
@pytest.mark.parametrize("name", [b"a b", b"a\nb", b"a\rb", b"\x01", b"a\x7fb", b"\xc3\xa9", b"tab\t", b"\x00"])
def test_client_setname_rejects_special_characters(oracle, name):
    oracle.do("CLIENT", "SETNAME", "keep")
    assert oracle.error("CLIENT", "SETNAME", name) == BAD_NAME
    assert oracle.do("CLIENT", "GETNAME") == b"$4\r\nkeep\r\n"


def test_client_setname_shows_in_client_list(raw):
    raw.command("CLIENT", "SETNAME", "listed")
    assert my_info(raw)["name"] == "listed"
    cid = str(client_id(raw))
    assert [line["name"] for line in client_lines(raw) if line["id"] == cid] == ["listed"]


def test_client_setname_redis_py(r):
    assert r.client_setname("py") is True
    assert r.client_getname() in ("py", b"py")


# ------------------------------------------------------------------------------------------------ INFO LIST


@pytest.mark.oracle
def test_client_info_has_redis_fields_in_order(oracle):
    lines = [info_text(c.command("CLIENT", "INFO")) for c in (oracle.ours, oracle.redis)]
    assert field_names(lines[0][:-1]) == field_names(lines[1][:-1]) == FIELDS


@pytest.mark.oracle
def test_client_list_has_redis_fields_in_order(oracle):
    for c in (oracle.ours, oracle.redis):
        text = info_text(c.command("CLIENT", "LIST"))
        for line in text.split(b"\n")[:-1]:
            assert field_names(line) == FIELDS


@pytest.mark.oracle
def test_client_info_values_match_redis(oracle):
    """The fields both servers can agree on for an identical connection."""
    for c in (oracle.ours, oracle.redis):
        c.command("SELECT", "2")
        c.command("CLIENT", "SETNAME", "same")
    ours, theirs = (my_info(c) for c in (oracle.ours, oracle.redis))
    for key in ("name", "flags", "db", "sub", "psub", "ssub", "multi", "argv-mem", "multi-mem",
                "oll", "omem", "events", "cmd", "user", "redir", "resp"):
        assert ours[key] == theirs[key], key
    assert ours["laddr"].startswith("127.0.0.1:") and ours["addr"].startswith("127.0.0.1:")
    for c in (oracle.ours, oracle.redis):
        c.command("SELECT", "0")


@pytest.mark.oracle
def test_client_list_self_line_matches_redis(oracle):
    ids = [str(client_id(c)) for c in (oracle.ours, oracle.redis)]
    ours, theirs = (client_lines(c, "ID", i) for c, i in zip((oracle.ours, oracle.redis), ids, strict=True))
    for key in ("name", "flags", "db", "multi", "cmd", "user", "redir", "resp"):
        assert ours[0][key] == theirs[0][key], key
    # argv-mem counts the bytes of "CLIENT LIST ID <id>": the two servers' ids may differ in length.
    assert int(ours[0]["argv-mem"]) - len(ids[0]) == int(theirs[0]["argv-mem"]) - len(ids[1])
    assert ours[0]["cmd"] == "client|list"


def test_client_info_cmd_is_the_last_command_of_each_client(raw, port):
    other = RawClient(port)
    try:
        other.command("SET", "cl:k", "v")
        oid = str(client_id(other))
        other.command("GET", "cl:k")
        line = client_lines(raw, "ID", oid)[0]
        assert line["cmd"] == "get"
        other.command("CLIENT", "SETNAME", "o")
        assert client_lines(raw, "ID", oid)[0]["cmd"] == "client|setname"
        assert my_info(raw)["cmd"] == "client|info"
    finally:
        other.command("DEL", "cl:k")
        other.close()


def test_client_info_addr_and_laddr_are_the_socket_addresses(raw, port):
    info = my_info(raw)
    host, sport = raw.sock.getsockname()[:2]
    assert info["addr"] == f"{host}:{sport}"
    assert info["laddr"] == f"127.0.0.1:{port}"
    assert int(info["fd"]) > 0


def test_client_info_age_and_idle(raw):
    info = my_info(raw)
    assert int(info["age"]) >= 0 and int(info["idle"]) >= 0


def test_client_list_counts_subscriptions_and_resp(raw):
    raw.command("HELLO", "3")
    info = my_info(raw)
    assert info["resp"] == "3" and info["sub"] == "0" and info["psub"] == "0" and info["multi"] == "-1"


def test_client_list_includes_every_connection(raw, port):
    others = [RawClient(port) for _ in range(3)]
    try:
        ids = {str(client_id(o)) for o in others} | {str(client_id(raw))}
        assert ids <= {line["id"] for line in client_lines(raw)}
    finally:
        for o in others:
            o.close()


@pytest.mark.oracle
def test_client_list_by_id(oracle):
    for c in (oracle.ours, oracle.redis):
        cid = str(client_id(c))
        lines = client_lines(c, "ID", cid, "999999", cid)
        assert [line["id"] for line in lines] == [cid, cid]     # duplicates repeat, unknown ids are skipped
    assert oracle.do("CLIENT", "LIST", "ID", "999999") == b"$0\r\n\r\n"
    oracle.do("CLIENT", "LIST", "ID", "0")
    oracle.do("CLIENT", "LIST", "ID", "-1")


@pytest.mark.oracle
def test_client_list_by_id_errors(oracle):
    assert oracle.error("CLIENT", "LIST", "ID", "1", "abc") == b"-ERR Invalid client ID\r\n"
    oracle.error("CLIENT", "LIST", "ID", "1.5")
    oracle.error("CLIENT", "LIST", "ID", "99999999999999999999")
    assert oracle.error("CLIENT", "LIST", "ID") == SYNTAX


@pytest.mark.oracle
@pytest.mark.parametrize("kind", ["master", "MASTER", "slave", "replica", "pubsub"])
def test_client_list_by_type_with_no_such_clients(oracle, kind):
    assert oracle.do("CLIENT", "LIST", "TYPE", kind) == b"$0\r\n\r\n"


def test_client_list_type_normal_includes_me(raw):
    cid = str(client_id(raw))
    assert cid in {line["id"] for line in client_lines(raw, "TYPE", "normal")}
    assert cid in {line["id"] for line in client_lines(raw, "TYPE", "NORMAL")}


@pytest.mark.oracle
def test_client_list_errors(oracle):
    assert oracle.error("CLIENT", "LIST", "TYPE", "foo") == b"-ERR Unknown client type 'foo'\r\n"
    assert oracle.error("CLIENT", "LIST", "TYPE") == SYNTAX
    oracle.error("CLIENT", "LIST", "foo", "bar")
    oracle.error("CLIENT", "LIST", "TYPE", "normal", "ID", "1")
    oracle.error("CLIENT", "LIST", "foo")


@pytest.mark.oracle
def test_client_list_in_resp3_is_verbatim(oracle):
    for c in (oracle.ours, oracle.redis):
        c.command("HELLO", "3")
        assert c.command("CLIENT", "LIST", "ID", "999999") == b"=4\r\ntxt:\r\n"
        assert c.command("CLIENT", "INFO").startswith(b"=")


def test_client_list_redis_py(r):
    clients = r.client_list()
    assert any(int(c["id"]) == r.client_id() for c in clients)
    info = r.client_info()
    assert info["cmd"] == "client|info" and info["flags"] == "N"


@pytest.mark.oracle
def test_client_list_flags_no_evict(oracle):
    oracle.do("CLIENT", "NO-EVICT", "ON")
    for c in (oracle.ours, oracle.redis):
        assert my_info(c)["flags"] == "e"
    oracle.do("CLIENT", "NO-EVICT", "OFF")
    for c in (oracle.ours, oracle.redis):
        assert my_info(c)["flags"] == "N"


def test_client_list_flags_of_other_clients(raw, port):
    if not has_command(port, "multi"):
        pytest.skip("MULTI is not implemented yet")
    other = RawClient(port)
    try:
        oid = str(client_id(other))
        other.command("MULTI")
        other.command("SET", "a", "b")
        other.command("CLIENT", "NO-EVICT", "ON")
        line = client_lines(raw, "ID", oid)[0]
        assert line["flags"] == "x" and line["multi"] == "2"
        assert line["multi-mem"] == str((3 + 1 + 1 + 24) + (6 + 8 + 2 + 24))   # as Redis counts it
        other.command("DISCARD")
    finally:
        other.close()


def test_client_list_flags_monitor(raw, port):
    if not has_command(port, "monitor"):
        pytest.skip("MONITOR is not implemented yet")
    mon = RawClient(port)
    try:
        mid = str(client_id(mon))
        assert mon.command("MONITOR") == b"+OK\r\n"
        line = client_lines(raw, "ID", mid)[0]
        assert line["flags"] == "O" and line["cmd"] == "monitor"
        assert mid in {x["id"] for x in client_lines(raw, "TYPE", "normal")}   # monitors count as normal
    finally:
        mon.close()


# ------------------------------------------------------------------------------------------------ KILL


@pytest.mark.oracle
def test_client_kill_errors(oracle):
    assert oracle.error("CLIENT", "KILL", "ID", "0") == b"-ERR client-id should be greater than 0\r\n"
    oracle.error("CLIENT", "KILL", "ID", "-5")
    oracle.error("CLIENT", "KILL", "ID", "abc")
    assert oracle.error("CLIENT", "KILL", "TYPE", "foo") == b"-ERR Unknown client type 'foo'\r\n"
    assert oracle.error("CLIENT", "KILL", "USER", "nobody") == b"-ERR No such user 'nobody'\r\n"
    assert oracle.error("CLIENT", "KILL", "SKIPME", "maybe") == SYNTAX
    oracle.error("CLIENT", "KILL", "ID", "1", "foo")
    oracle.error("CLIENT", "KILL", "foo", "bar")
    oracle.error("CLIENT", "KILL", "MAXAGE", "10")        # not in 7.0.15
    assert oracle.error("CLIENT", "KILL", "1.2.3.4:5") == b"-ERR No such client\r\n"
    oracle.error("CLIENT", "KILL", "addr")


@pytest.mark.oracle
def test_client_kill_new_form_counts_zero_matches(oracle):
    assert oracle.do("CLIENT", "KILL", "ADDR", "1.2.3.4:5") == b":0\r\n"
    oracle.do("CLIENT", "KILL", "LADDR", "1.2.3.4:5")
    oracle.do("CLIENT", "KILL", "ID", "999999")
    oracle.do("CLIENT", "KILL", "SKIPME", "yes", "ID", "999999")
    oracle.do("CLIENT", "KILL", "TYPE", "master")
    oracle.do("CLIENT", "KILL", "TYPE", "pubsub")


@pytest.mark.oracle
def test_client_kill_skips_the_caller_by_default(oracle):
    for c in (oracle.ours, oracle.redis):
        cid = str(client_id(c))
        assert c.command("CLIENT", "KILL", "ID", cid) == b":0\r\n"
        assert c.command("CLIENT", "KILL", "USER", "default", "ID", cid) == b":0\r\n"
        assert c.command("PING") == b"+PONG\r\n"


def test_client_kill_by_id(raw, port):
    victim = RawClient(port)
    vid = str(client_id(victim))
    assert raw.command("CLIENT", "KILL", "ID", vid) == b":1\r\n"
    assert is_closed(victim)
    assert vid not in {line["id"] for line in client_lines(raw)}   # gone at once, as freeClient does
    victim.close()


def test_client_kill_by_addr_old_form(raw, port):
    victim = RawClient(port)
    assert victim.command("PING") == b"+PONG\r\n"   # accepted and registered by the server
    host, vport = victim.sock.getsockname()[:2]
    assert raw.command("CLIENT", "KILL", f"{host}:{vport}") == b"+OK\r\n"
    assert is_closed(victim)
    assert raw.command("CLIENT", "KILL", f"{host}:{vport}") == b"-ERR No such client\r\n"
    victim.close()


def test_client_kill_by_addr_new_form(raw, port):
    victim = RawClient(port)
    assert victim.command("PING") == b"+PONG\r\n"   # accepted and registered by the server
    host, vport = victim.sock.getsockname()[:2]
    assert raw.command("CLIENT", "KILL", "ADDR", f"{host}:{vport}") == b":1\r\n"
    assert is_closed(victim)
    victim.close()


def test_client_kill_filters_combine(raw, port):
    victim = RawClient(port)
    try:
        vid = str(client_id(victim))
        host, vport = victim.sock.getsockname()[:2]
        assert raw.command("CLIENT", "KILL", "ID", vid, "TYPE", "pubsub") == b":0\r\n"
        assert raw.command("CLIENT", "KILL", "ID", vid, "ADDR", "1.1.1.1:1") == b":0\r\n"
        assert raw.command("CLIENT", "KILL", "ID", vid, "LADDR", "1.1.1.1:1") == b":0\r\n"
        assert victim.command("PING") == b"+PONG\r\n"
        assert raw.command("CLIENT", "KILL", "ID", vid, "TYPE", "normal", "USER", "default",
                           "ADDR", f"{host}:{vport}", "LADDR", f"127.0.0.1:{port}", "SKIPME", "yes") == b":1\r\n"
        assert is_closed(victim)
    finally:
        victim.close()


def test_client_kill_self_with_skipme_no(raw):
    cid = str(client_id(raw))
    raw.send(encode_command("CLIENT", "KILL", "ID", cid, "SKIPME", "no") + encode_command("PING"))
    assert raw.read_reply() == b":1\r\n"
    assert is_closed(raw)   # closed after the reply; the pipelined PING never ran


def test_client_kill_self_with_old_form(raw):
    host, cport = raw.sock.getsockname()[:2]
    raw.send(encode_command("CLIENT", "KILL", f"{host}:{cport}"))
    assert raw.read_reply() == b"+OK\r\n"
    assert is_closed(raw)


@pytest.mark.oracle
def test_client_kill_type_normal_kills_everyone_else(pair, pair_ports):
    ports = pair_ports
    victims = [[RawClient(p) for _ in range(3)] for p in ports]
    for group in victims:
        for v in group:
            assert v.command("PING") == b"+PONG\r\n"   # accepted and registered by the server
    try:
        ours, theirs = pair.both("CLIENT", "KILL", "TYPE", "normal")
        assert ours == theirs == b":3\r\n"
        for group in victims:
            assert all(is_closed(v) for v in group)
        assert pair.do("PING") == b"+PONG\r\n"
    finally:
        for group in victims:
            for v in group:
                v.close()


def test_client_kill_redis_py(r, port):
    victim = redis.Redis(port=port)
    try:
        vid = victim.client_id()
        assert r.client_kill_filter(_id=vid) == 1
    finally:
        victim.close()


# ------------------------------------------------------------------------------------------------ REPLY


@pytest.mark.oracle
def test_client_reply_off_silences_until_on(oracle):
    for c in (oracle.ours, oracle.redis):
        c.send(encode_command("CLIENT", "REPLY", "OFF") + encode_command("SET", "k", "v")
               + encode_command("GET", "missing-command-arity") + encode_command("GET")
               + encode_command("CLIENT", "REPLY", "ON") + encode_command("GET", "k"))
        assert c.read_reply() == b"+OK\r\n"
        assert c.read_reply() == b"$1\r\nv\r\n"


@pytest.mark.oracle
def test_client_reply_skip_drops_one_reply(oracle):
    for c in (oracle.ours, oracle.redis):
        c.send(encode_command("CLIENT", "REPLY", "SKIP") + encode_command("ECHO", "dropped")
               + encode_command("ECHO", "kept"))
        assert c.read_reply() == b"$4\r\nkept\r\n"


@pytest.mark.oracle
@pytest.mark.parametrize("sequence,expected", [
    ((("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "SKIP"), ("ECHO", "a"), ("ECHO", "b")), [b"$1\r\nb\r\n"]),
    ((("CLIENT", "REPLY", "SKIP"), ("CLIENT", "REPLY", "ON"), ("ECHO", "a")), [b"+OK\r\n", b"$1\r\na\r\n"]),
    ((("CLIENT", "REPLY", "OFF"), ("CLIENT", "REPLY", "SKIP"), ("ECHO", "a"), ("CLIENT", "REPLY", "ON"),
      ("ECHO", "b")), [b"+OK\r\n", b"$1\r\nb\r\n"]),
    ((("CLIENT", "REPLY", "OFF"), ("CLIENT", "REPLY", "foo"), ("CLIENT", "REPLY", "ON")), [b"+OK\r\n"]),
    ((("CLIENT", "REPLY", "SKIP"), ("GET",), ("ECHO", "a")), [b"$1\r\na\r\n"]),
])
def test_client_reply_sequences(oracle, sequence, expected):
    data = b"".join(encode_command(*args) for args in sequence)
    for c in (oracle.ours, oracle.redis):
        c.send(data + encode_command("PING"))
        got = []
        while not got or got[-1] != b"+PONG\r\n":
            got.append(c.read_reply())
        assert got[:-1] == expected


@pytest.mark.oracle
def test_client_reply_syntax_error(oracle):
    assert oracle.error("CLIENT", "REPLY", "foo") == SYNTAX
    assert oracle.do("CLIENT", "REPLY", "on") == b"+OK\r\n"
    oracle.do("CLIENT", "REPLY", "On")


# ------------------------------------------------------------------------------------------------ NO-EVICT


@pytest.mark.oracle
def test_client_no_evict(oracle):
    assert oracle.do("CLIENT", "NO-EVICT", "ON") == b"+OK\r\n"
    oracle.do("CLIENT", "NO-EVICT", "on")
    assert oracle.do("CLIENT", "NO-EVICT", "off") == b"+OK\r\n"
    assert oracle.error("CLIENT", "NO-EVICT", "maybe") == SYNTAX


# ------------------------------------------------------------------------------------------------ PAUSE UNPAUSE


@pytest.mark.oracle
def test_client_pause_errors(oracle):
    assert oracle.error("CLIENT", "PAUSE", "abc") == b"-ERR timeout is not an integer or out of range\r\n"
    assert oracle.error("CLIENT", "PAUSE", "-1") == b"-ERR timeout is negative\r\n"
    assert oracle.error("CLIENT", "PAUSE", "10", "foo") == b"-ERR CLIENT PAUSE mode must be WRITE or ALL\r\n"
    oracle.error("CLIENT", "PAUSE", "abc", "foo")          # the mode is checked first
    oracle.error("CLIENT", "PAUSE", "1.5")
    assert oracle.error("CLIENT", "PAUSE", "10", "write", "extra") == (
        b"-ERR unknown subcommand or wrong number of arguments for 'PAUSE'. Try CLIENT HELP.\r\n")
    oracle.error("client", "Pause", "10", "write", "extra")


@pytest.mark.oracle
def test_client_pause_zero_and_unpause_reply_ok(oracle):
    assert oracle.do("CLIENT", "PAUSE", "0", "WRITE") == b"+OK\r\n"
    assert oracle.do("CLIENT", "UNPAUSE") == b"+OK\r\n"
    oracle.do("SET", "k", "v")


@pytest.mark.oracle
def test_client_pause_write_holds_writes_until_unpause(pair, pair_ports):
    for p, admin in zip(pair_ports, (pair.ours, pair.redis), strict=True):
        writer = RawClient(p)
        try:
            assert admin.command("CLIENT", "PAUSE", "100000", "WRITE") == b"+OK\r\n"
            writer.send(encode_command("SET", "paused:k", "v") + encode_command("GET", "paused:k"))
            assert admin.command("GET", "paused:k") == b"$-1\r\n"      # reads pass a WRITE pause
            assert admin.command("PING") == b"+PONG\r\n"
            assert replied_within(writer, 0.3) is None                 # the write is held
            assert admin.command("EXISTS", "paused:k") == b":0\r\n"
            assert admin.command("CLIENT", "UNPAUSE") == b"+OK\r\n"
            assert writer.read_reply() == b"+OK\r\n"                   # then it runs, in order
            assert writer.read_reply() == b"$1\r\nv\r\n"
            admin.command("DEL", "paused:k")
        finally:
            writer.close()


def test_client_pause_held_client_is_flagged_blocked(pair_ports):
    admin, writer = RawClient(pair_ports[0]), RawClient(pair_ports[0])
    try:
        wid = str(client_id(writer))
        admin.command("CLIENT", "PAUSE", "100000", "WRITE")
        writer.send(encode_command("SET", "paused:f", "v"))
        wait_until(lambda: client_lines(admin, "ID", wid)[0]["flags"] == "b", timeout=5,
                   message="the paused writer to show flags=b")
        admin.command("CLIENT", "UNPAUSE")
        assert writer.read_reply() == b"+OK\r\n"
        assert client_lines(admin, "ID", wid)[0]["flags"] == "N"
        admin.command("DEL", "paused:f")
    finally:
        admin.close()
        writer.close()


@pytest.mark.oracle
def test_client_pause_write_holds_a_write_inside_multi_and_exec_with_writes(pair, pair_ports):
    if not has_command(pair_ports[0], "multi"):
        pytest.skip("MULTI is not implemented yet")
    for p, admin in zip(pair_ports, (pair.ours, pair.redis), strict=True):
        tx = RawClient(p)
        try:
            assert tx.command("MULTI") == b"+OK\r\n"
            assert tx.command("SET", "paused:m", "1") == b"+QUEUED\r\n"
            admin.command("CLIENT", "PAUSE", "100000", "WRITE")
            tx.send(encode_command("EXEC"))
            assert replied_within(tx, 0.3) is None
            admin.command("CLIENT", "UNPAUSE")
            assert tx.read_reply() == b"*1\r\n+OK\r\n"
            admin.command("DEL", "paused:m")
        finally:
            tx.close()


@pytest.mark.oracle
def test_client_pause_all_holds_every_command_until_it_ends(pair_ports):
    for p in pair_ports:
        admin, other = RawClient(p), RawClient(p)
        try:
            start = time.monotonic()
            assert admin.command("CLIENT", "PAUSE", "400", "ALL") == b"+OK\r\n"
            other.send(encode_command("PING"))
            assert replied_within(other, 0.1) is None
            assert other.read_reply() == b"+PONG\r\n"               # released when the pause ends
            assert time.monotonic() - start >= 0.35
            assert admin.command("CLIENT", "UNPAUSE") == b"+OK\r\n"
        finally:
            admin.close()
            other.close()


@pytest.mark.oracle
def test_client_pause_is_never_shortened_but_may_widen(fresh_pair):
    for p in fresh_pair:
        admin, reader = RawClient(p), RawClient(p)
        try:
            admin.command("CLIENT", "PAUSE", "100000", "WRITE")
            admin.command("CLIENT", "PAUSE", "300", "ALL")    # shorter: the end stays, the mode widens
            reader.send(encode_command("GET", "x"))
            assert replied_within(reader, 0.5) is None
            # UNPAUSE itself waits while ALL is in force (it is a command like any other).
            admin.send(encode_command("CLIENT", "UNPAUSE"))
            assert replied_within(admin, 0.5) is None
        finally:
            admin.close()
            reader.close()


@pytest.mark.oracle
def test_client_pause_with_overflowing_timeout_does_not_pause(fresh_pair):
    # Redis adds the current time to the timeout in a signed 64-bit value: the wrapped deadline is past.
    for p in fresh_pair:
        admin, writer = RawClient(p), RawClient(p)
        try:
            assert admin.command("CLIENT", "PAUSE", "9223372036854775807", "WRITE") == b"+OK\r\n"
            writer.send(encode_command("SET", "k", "v"))
            assert replied_within(writer, 5) == b"+OK\r\n"
        finally:
            admin.close()
            writer.close()


def test_client_pause_expires_on_its_own(private_port):
    admin, writer = RawClient(private_port), RawClient(private_port)
    try:
        start = time.monotonic()
        admin.command("CLIENT", "PAUSE", "300", "WRITE")
        writer.send(encode_command("SET", "k", "v"))
        assert writer.read_reply() == b"+OK\r\n"
        assert 0.25 <= time.monotonic() - start < 3
    finally:
        admin.close()
        writer.close()


def test_client_pause_does_not_lose_requests_sent_while_paused(private_port):
    admin, writer = RawClient(private_port), RawClient(private_port)
    try:
        admin.command("CLIENT", "PAUSE", "100000", "WRITE")
        for _ in range(100):
            writer.send(encode_command("INCR", "counter") + encode_command("GET", "counter"))
        assert replied_within(writer, 0.2) is None
        admin.command("CLIENT", "UNPAUSE")
        for i in range(100):
            assert writer.read_reply() == b":%d\r\n" % (i + 1)
            assert writer.read_reply() == b"$%d\r\n%d\r\n" % (len(str(i + 1)), i + 1)
    finally:
        admin.close()
        writer.close()


def test_client_pause_disconnecting_while_held(private_port):
    admin = RawClient(private_port)
    try:
        admin.command("CLIENT", "PAUSE", "100000", "WRITE")
        held = RawClient(private_port)
        hid = str(client_id(held))
        held.send(encode_command("SET", "gone", "1"))
        held.close()
        wait_until(lambda: hid not in {line["id"] for line in client_lines(admin)}, timeout=5,
                   message="the held client to be freed")
        admin.command("CLIENT", "UNPAUSE")
        assert admin.command("EXISTS", "gone") == b":0\r\n"
    finally:
        admin.close()


def test_client_unpause_when_not_paused(raw):
    assert raw.command("CLIENT", "UNPAUSE") == b"+OK\r\n"
