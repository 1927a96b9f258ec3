"""RESP3 over the wire after HELLO 3: map, set, double, null, push, bignum, verbatim, boolean and attribute
encodings byte for byte against redis-server 7.0.15 (DEBUG PROTOCOL), and redis-py with protocol=3."""
from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
import redis
from helpers.oracle import Oracle
from helpers.procs import server_pair
from helpers.rawclient import RawClient

DEBUG_TYPES = ["string", "integer", "double", "bignum", "null", "array", "set", "map", "attrib", "push",
               "verbatim", "true", "false"]


def mask_id(raw: bytes) -> bytes:
    """HELLO's reply with the connection id blanked (ids differ between servers)."""
    return re.sub(rb"\$2\r\nid\r\n:\d+\r\n", b"$2\r\nid\r\n:ID\r\n", raw)


@pytest.fixture(scope="module")
def debug_ports() -> Iterator[tuple[int, int]]:
    yield from server_pair({"enable-debug-command": "yes"})


def hello3(o: Oracle) -> None:
    ours, theirs = o.both("HELLO", "3")
    assert mask_id(ours) == mask_id(theirs)


@pytest.fixture
def debug_oracle(debug_ports) -> Iterator[Oracle]:
    o = Oracle(*debug_ports)
    yield o
    o.close()


# ------------------------------------------------------------------------------- HELLO


@pytest.mark.oracle
def test_resp3_hello_3_replies_with_a_map(oracle):
    ours, theirs = oracle.both("HELLO", "3")
    assert mask_id(ours) == mask_id(theirs)
    assert ours.startswith(b"%7\r\n$6\r\nserver\r\n$5\r\nredis\r\n$7\r\nversion\r\n$6\r\n7.0.15\r\n"
                           b"$5\r\nproto\r\n:3\r\n")
    assert ours.endswith(b"$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n"
                         b"$7\r\nmodules\r\n*0\r\n")


def test_resp3_hello_id_is_the_client_id(raw):
    client_id = int(raw.command("CLIENT", "ID")[1:-2])
    assert b"$2\r\nid\r\n:%d\r\n" % client_id in raw.command("HELLO", "3")


@pytest.mark.oracle
def test_resp3_hello_2_switches_back(oracle):
    hello3(oracle)
    assert oracle.do("GET", "nokey") == b"_\r\n"
    ours, theirs = oracle.both("HELLO", "2")
    assert mask_id(ours) == mask_id(theirs)
    assert ours.startswith(b"*14\r\n")
    assert oracle.do("GET", "nokey") == b"$-1\r\n"


@pytest.mark.oracle
def test_resp3_protocol_switch_mid_pipeline(oracle):
    data = b"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
    oracle.ours.send(data)
    oracle.redis.send(data)
    for _ in range(3):
        assert mask_id(oracle.ours.read_reply()) == mask_id(oracle.redis.read_reply())


# ------------------------------------------------------------------------------- encodings


@pytest.mark.oracle
@pytest.mark.parametrize("kind", DEBUG_TYPES)
def test_resp3_debug_protocol_encoding(debug_oracle, kind):
    hello3(debug_oracle)
    ours = debug_oracle.do("DEBUG", "PROTOCOL", kind)   # an attribute is read together with its reply
    if kind == "push":
        # The push comes first, then the real reply.
        assert debug_oracle.ours.read_reply() == debug_oracle.redis.read_reply()
    assert ours[:1] == {"string": b"$", "integer": b":", "double": b",", "bignum": b"(", "null": b"_",
                        "array": b"*", "set": b"~", "map": b"%", "attrib": b"|", "push": b">",
                        "verbatim": b"=", "true": b"#", "false": b"#"}[kind]


@pytest.mark.oracle
@pytest.mark.parametrize("kind", DEBUG_TYPES)
def test_resp3_debug_protocol_in_resp2(debug_oracle, kind):
    reply = debug_oracle.do("DEBUG", "PROTOCOL", kind)
    assert reply[:1] in (b"$", b":", b"*", b"-")


def test_resp3_exact_bytes(debug_ports):
    c = RawClient(debug_ports[0])
    try:
        c.command("HELLO", "3")
        assert c.command("DEBUG", "PROTOCOL", "double") == b",3.141\r\n"
        assert c.command("DEBUG", "PROTOCOL", "bignum") == b"(1234567999999999999999999999999999999\r\n"
        assert c.command("DEBUG", "PROTOCOL", "null") == b"_\r\n"
        assert c.command("DEBUG", "PROTOCOL", "true") == b"#t\r\n"
        assert c.command("DEBUG", "PROTOCOL", "false") == b"#f\r\n"
        assert c.command("DEBUG", "PROTOCOL", "set") == b"~3\r\n:0\r\n:1\r\n:2\r\n"
        assert c.command("DEBUG", "PROTOCOL", "map") == b"%3\r\n:0\r\n#f\r\n:1\r\n#t\r\n:2\r\n#f\r\n"
        assert c.command("DEBUG", "PROTOCOL", "verbatim") == b"=29\r\ntxt:This is a verbatim\nstring\r\n"
        assert c.command("DEBUG", "PROTOCOL", "push") == b">2\r\n$16\r\nserver-cpu-usage\r\n:42\r\n"
        assert c.read_reply() == b"$40\r\nSome real reply following the push reply\r\n"
    finally:
        c.close()


@pytest.mark.oracle
def test_resp3_null_replies(oracle):
    hello3(oracle)
    assert oracle.do("GET", "nokey") == b"_\r\n"
    assert oracle.do("CLIENT", "GETNAME") == b"_\r\n"
    oracle.do("MGET", "nokey", "nokey2")


@pytest.mark.oracle
def test_resp3_errors_are_unchanged(oracle):
    hello3(oracle)
    oracle.error("GET")
    oracle.error("NOSUCHCOMMAND")
    oracle.do("SET", "k", "v")
    oracle.error("INCR", "k")


def test_resp3_client_info_is_verbatim(raw):
    raw.command("HELLO", "3")
    reply = raw.command("CLIENT", "INFO")
    assert reply.startswith(b"=")
    header, _, body = reply.partition(b"\r\n")
    assert int(header[1:]) == len(body) - 2
    assert body.startswith(b"txt:id=") and body.endswith(b" resp=3\n\r\n")


# ------------------------------------------------------------------------------- redis-py protocol=3


def test_resp3_redis_py_handshake_and_types(pyredcache_proc):
    client = redis.Redis(port=pyredcache_proc.port, protocol=3)
    try:
        assert client.ping() is True
        client.set("resp3:k", "v")
        assert client.get("resp3:k") == b"v"
        assert client.get("resp3:missing") is None
        hello = client.execute_command("HELLO", "3")
        assert hello[b"proto"] == 3 and hello[b"server"] == b"redis" and hello[b"modules"] == []
        assert hello[b"id"] == client.client_id()
        assert b"resp=3" in client.execute_command("CLIENT", "INFO")
        client.delete("resp3:k")
    finally:
        client.close()


# redis-py reads a push or an attribute as a reply of its own, out of step with the real reply that
# follows (against redis-server too): the raw-socket tests cover those two.
PY_TYPES = [kind for kind in DEBUG_TYPES if kind not in ("push", "attrib")]


def test_resp3_redis_py_debug_protocol_types(debug_ports):
    def results(port: int, protocol: int) -> list[object]:
        client = redis.Redis(port=port, protocol=protocol)
        try:
            out: list[object] = []
            for kind in PY_TYPES:
                try:
                    out.append(client.execute_command("DEBUG", "PROTOCOL", kind))
                except redis.ResponseError as exc:
                    out.append(str(exc))
            return out
        finally:
            client.close()

    for protocol in (2, 3):
        ours, theirs = (results(p, protocol) for p in debug_ports)
        assert ours == theirs, f"protocol {protocol}"
    resp3 = dict(zip(PY_TYPES, results(debug_ports[0], 3), strict=True))
    assert resp3["map"] == {0: False, 1: True, 2: False}
    assert resp3["double"] == 3.141
    assert resp3["bignum"] == b"1234567999999999999999999999999999999"
    assert resp3["true"] is True and resp3["false"] is False and resp3["null"] is None


def test_resp3_redis_py_resp2_client_sees_flattened_types(debug_ports):
    client = redis.Redis(port=debug_ports[0], protocol=2)
    try:
        assert client.execute_command("DEBUG", "PROTOCOL", "map") == [0, 0, 1, 1, 2, 0]
        assert client.execute_command("DEBUG", "PROTOCOL", "true") == 1
        assert client.execute_command("DEBUG", "PROTOCOL", "double") == b"3.141"
        with pytest.raises(redis.ResponseError, match="RESP2 is not supported"):
            client.execute_command("DEBUG", "PROTOCOL", "push")
    finally:
        client.close()
