"""DUMP and RESTORE against redis-server 7.0.15: DUMP payloads byte for byte for every type and encoding whose
serialization order is defined (strings, HLLs, listpacks, intsets, quicklists, skiplists), payloads carried
both ways (Redis's DUMP restored here and ours restored there, hashtable encodings included) with the data
compared through the read commands, RESTORE's options, errors, events and LRU/LFU fields."""
from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from helpers.oracle import Oracle, assert_same_keyspace_events
from helpers.rawclient import RawClient

from pyredcache.datatypes.lists import RedisList
from pyredcache.persistence.dump import create_dump_payload
from pyredcache.persistence.rdb import crc64

pytestmark = pytest.mark.oracle

_rng = random.Random(7)


def _bulk(raw: bytes) -> bytes:
    assert raw.startswith(b"$"), raw
    head, _, rest = raw.partition(b"\r\n")
    return rest[:int(head[1:])]


def _read_back(oracle: Oracle, key: str, kind: str) -> None:
    """Compare key's data, encoding and TTL on both servers through the read commands."""
    oracle.do("TYPE", key)
    oracle.do("OBJECT", "ENCODING", key)
    if kind == "string":
        oracle.do("GET", key)
    elif kind == "list":
        oracle.do("LRANGE", key, 0, -1)
    elif kind == "hash":
        oracle.sorted("HGETALL", key)
        oracle.do("HLEN", key)
    elif kind == "set":
        oracle.sorted("SMEMBERS", key)
    elif kind == "zset":
        oracle.do("ZRANGE", key, 0, -1, "WITHSCORES")
    oracle.do("TTL", key)


def _swap_restore(oracle: Oracle, key: str, kind: str) -> None:
    """Redis's DUMP of key restored into pyredcache and ours into Redis, as key + ":copy"; then compare."""
    mine = _bulk(oracle.ours.command("DUMP", key))
    theirs = _bulk(oracle.redis.command("DUMP", key))
    copy = key + ":copy"
    assert oracle.ours.command("RESTORE", copy, 0, theirs, "REPLACE") == b"+OK\r\n"
    assert oracle.redis.command("RESTORE", copy, 0, mine, "REPLACE") == b"+OK\r\n"
    _read_back(oracle, copy, kind)


def _big_random(n: int) -> str:
    return "".join(_rng.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(n))


# scenario name -> (setup commands, key, kind, byte-identical DUMP expected)
SCENARIOS: dict[str, tuple[list[tuple[object, ...]], str, str, bool]] = {
    "int8": ([("SET", "k", "12")], "k", "string", True),
    "int-boundaries": ([("SET", "k", "-129")], "k", "string", True),
    "int16": ([("SET", "k", "-32768")], "k", "string", True),
    "int32": ([("SET", "k", "2147483647")], "k", "string", True),
    "int64": ([("SET", "k", "2147483648")], "k", "string", True),
    "int-too-big": ([("SET", "k", "123456789012345678901")], "k", "string", True),
    "leading-zero": ([("SET", "k", "0123")], "k", "string", True),
    "empty": ([("SET", "k", "")], "k", "string", True),
    "embstr": ([("SET", "k", "hello world")], "k", "string", True),
    "raw": ([("SET", "k", "x" * 45)], "k", "string", True),
    "lzf": ([("SET", "k", "abcd" * 300)], "k", "string", True),
    "incompressible": ([("SET", "k", _big_random(300))], "k", "string", True),
    "append": ([("SET", "k", "12"), ("APPEND", "k", "34")], "k", "string", True),
    "incrbyfloat": ([("SET", "k", "5000"), ("INCRBYFLOAT", "k", "200")], "k", "string", True),
    "setrange": ([("SETRANGE", "k", 100, "tail")], "k", "string", True),
    "hll-sparse": ([("PFADD", "k", *range(50))], "k", "string", True),
    "hll-dense": ([("PFADD", "k", *range(3000))], "k", "string", True),
    "hash-listpack": ([("HSET", "k", "a", "1", "b", "hello", "c", "-5000", "d", "x" * 64, "9999999999", "")],
                      "k", "hash", True),
    "hash-hashtable-entries": ([("HSET", "k", *[str(i) for i in range(600)])], "k", "hash", False),
    "hash-hashtable-value": ([("HSET", "k", "f", "y" * 65, "g", "1")], "k", "hash", False),
    "set-intset16": ([("SADD", "k", 1, 5, -3, 300)], "k", "set", True),
    "set-intset32": ([("SADD", "k", 1, 70000, -70000)], "k", "set", True),
    "set-intset64": ([("SADD", "k", 1, 2 ** 40, -(2 ** 62))], "k", "set", True),
    "set-hashtable": ([("SADD", "k", "a", "b", "1", "zz")], "k", "set", False),
    "set-hashtable-big": ([("SADD", "k", *range(600))], "k", "set", False),
    "zset-listpack": ([("ZADD", "k", "1.5", "a", 2, "b", "-0", "c", "inf", "d", 3, "7", "-inf", "e",
                        "1e-300", "f", "0.1", "g", "1e17", "h", "-12345678901", "i")], "k", "zset", True),
    "zset-listpack-ties": ([("ZADD", "k", 1, "b", 1, "a", 1, "c")], "k", "zset", True),
    "zset-skiplist-entries": ([("ZADD", "k", *[x for i in range(200) for x in (str(i * 0.5 - 20), f"m{i}")])],
                              "k", "zset", True),
    "zset-skiplist-value": ([("ZADD", "k", "-0", "z" * 65, "inf", "a", "1e-300", "b", "-inf", "c",
                              "3.14159", "d")], "k", "zset", True),
    "list-short": ([("RPUSH", "k", "a", "1", "-1", "hello", "70000", "x" * 70)], "k", "list", True),
    "list-long": ([("RPUSH", "k", *range(3000))], "k", "list", True),
    "list-varied": ([("RPUSH", "k", *["y" * _rng.randrange(0, 300) for _ in range(2000)])], "k", "list", True),
    "list-big-elements": ([("RPUSH", "k", "a", "b" * 9000, "c", "d" * 20000, "12")], "k", "list", True),
    "list-single": ([("RPUSH", "k", "only")], "k", "list", True),
    # Redis's node split depends on the push history (head pushes fill nodes from the other side): only the
    # data is compared for these.
    "list-lpush": ([("LPUSH", "k", *range(3000))], "k", "list", False),
    "list-linsert": ([("RPUSH", "k", *range(3000)), ("LINSERT", "k", "BEFORE", 1500, "x" * 5000)], "k", "list",
                     False),
}


@pytest.mark.parametrize("name", ["dump", "restore"])
def test_command_rows(oracle: Oracle, name: str) -> None:
    oracle.do("COMMAND", "INFO", name)
    oracle.do("COMMAND", "DOCS", name)


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_dump_and_restore_both_ways(oracle: Oracle, scenario: str) -> None:
    setup, key, kind, identical = SCENARIOS[scenario]
    for cmd in setup:
        oracle.do(*cmd)   # type: ignore[arg-type]
    oracle.do("OBJECT", "ENCODING", key)
    if identical:
        oracle.do("DUMP", key)
    _swap_restore(oracle, key, kind)


@pytest.fixture
def no_compression(oracle: Oracle) -> Iterator[Oracle]:
    oracle.do("CONFIG", "SET", "rdbcompression", "no")
    try:
        yield oracle
    finally:
        oracle.do("CONFIG", "SET", "rdbcompression", "yes")


@pytest.mark.parametrize("scenario", ["lzf", "list-long", "hll-dense", "hash-listpack", "zset-skiplist-entries"])
def test_dump_without_compression(no_compression: Oracle, scenario: str) -> None:
    setup, key, kind, _identical = SCENARIOS[scenario]
    for cmd in setup:
        no_compression.do(*cmd)   # type: ignore[arg-type]
    no_compression.do("DUMP", key)
    _swap_restore(no_compression, key, kind)


@pytest.mark.parametrize("fill", ["-1", "-3", "-5", "5", "128", "0"])
def test_list_node_split_follows_list_max_listpack_size(oracle: Oracle, fill: str) -> None:
    try:
        oracle.do("CONFIG", "SET", "list-max-listpack-size", fill)
        oracle.do("RPUSH", "k", *["v" * _rng.randrange(0, 200) for _ in range(600)])
        oracle.do("DUMP", "k")
        _swap_restore(oracle, "k", "list")
    finally:
        oracle.do("CONFIG", "SET", "list-max-listpack-size", "-2")


def test_dump_missing_key_and_wrong_arity(oracle: Oracle) -> None:
    oracle.do("DUMP", "nosuch")
    oracle.error("DUMP")
    oracle.error("DUMP", "a", "b")
    oracle.error("RESTORE", "a", "0")


# ------------------------------------------------------------------------------------------------- encodings


@pytest.fixture
def limits(oracle: Oracle) -> Iterator[Oracle]:
    names = ("hash-max-listpack-entries", "hash-max-listpack-value", "set-max-intset-entries",
             "zset-max-listpack-entries", "zset-max-listpack-value")
    saved = [oracle.redis.command("CONFIG", "GET", n).split(b"\r\n")[-2] for n in names]
    try:
        yield oracle
    finally:
        for name, value in zip(names, saved, strict=True):
            oracle.do("CONFIG", "SET", name, value)


def test_restore_picks_encodings_as_rdb_load(limits: Oracle) -> None:
    """Dumped under large limits, restored under small ones: listpack blobs only convert on entry count,
    plain encodings convert on entries and on lengths."""
    o = limits
    for name in ("hash-max-listpack-entries", "zset-max-listpack-entries", "set-max-intset-entries"):
        o.do("CONFIG", "SET", name, "1000")
    for name in ("hash-max-listpack-value", "zset-max-listpack-value"):
        o.do("CONFIG", "SET", name, "1000")
    o.do("HSET", "h-long", "f", "v" * 100)
    o.do("HSET", "h-many", *[str(i) for i in range(400)])
    o.do("ZADD", "z-long", 1, "m" * 100)
    o.do("ZADD", "z-many", *[x for i in range(200) for x in (i, f"m{i}")])
    o.do("SADD", "s-many", *range(600))
    o.do("SADD", "s-few", *range(10))
    payloads = {k: _bulk(o.redis.command("DUMP", k)) for k in ("h-long", "h-many", "z-long", "z-many",
                                                               "s-many", "s-few")}
    for name in ("hash-max-listpack-entries", "zset-max-listpack-entries"):
        o.do("CONFIG", "SET", name, "128")
    for name in ("hash-max-listpack-value", "zset-max-listpack-value"):
        o.do("CONFIG", "SET", name, "64")
    o.do("CONFIG", "SET", "set-max-intset-entries", "5")
    for key, payload in payloads.items():
        o.do("RESTORE", key + ":r", 0, payload)
        o.do("OBJECT", "ENCODING", key + ":r")


def test_restore_of_plain_encodings_converts_small_values(limits: Oracle) -> None:
    """A hashtable hash / skiplist zset / hashtable set restored where it fits the limits becomes compact."""
    o = limits
    o.do("CONFIG", "SET", "hash-max-listpack-entries", "1", "zset-max-listpack-entries", "1",
         "set-max-intset-entries", "1")
    o.do("HSET", "h", "a", "1", "b", "2")
    o.do("ZADD", "z", 1, "a", 2, "b", "-0", "c")
    o.do("SADD", "s", 1, 2, 3)
    o.do("SADD", "s2", "a", "b")
    payloads = {k: _bulk(o.redis.command("DUMP", k)) for k in ("h", "z", "s", "s2")}
    o.do("CONFIG", "SET", "hash-max-listpack-entries", "128", "zset-max-listpack-entries", "128",
         "set-max-intset-entries", "512")
    for key, payload in payloads.items():
        o.do("RESTORE", key + ":r", 0, payload)
        o.do("OBJECT", "ENCODING", key + ":r")
    o.do("ZRANGE", "z:r", 0, -1, "WITHSCORES")
    o.do("DUMP", "z:r")
    o.do("DUMP", "h:r")


# ---------------------------------------------------------------------------------------------- RESTORE options


def _payload(value: object) -> bytes:
    return create_dump_payload(value)


def test_restore_ttl_variants(oracle: Oracle) -> None:
    p = _payload(b"value")
    oracle.do("RESTORE", "k1", 0, p)
    oracle.do("TTL", "k1")
    oracle.do("RESTORE", "k2", 100000, p)
    oracle.approx("PTTL", "k2", delta=200)
    oracle.do("RESTORE", "k3", 4102444800000, p, "ABSTTL")
    oracle.approx("PTTL", "k3", delta=200)
    oracle.do("EXPIRETIME", "k3")
    oracle.do("RESTORE", "k4", 1, p, "ABSTTL")      # already expired: OK, nothing created
    oracle.do("EXISTS", "k4")
    oracle.do("GET", "k4")


def test_restore_replace_and_busykey(oracle: Oracle) -> None:
    p = _payload(RedisList([b"a", b"b"]))
    oracle.do("SET", "k", "old")
    oracle.error("RESTORE", "k", 0, p)
    oracle.do("GET", "k")
    oracle.do("RESTORE", "k", 0, p, "REPLACE")
    oracle.do("LRANGE", "k", 0, -1)
    oracle.do("RESTORE", "k", 0, p, "replace", "ABSTTL")
    oracle.do("RESTORE", "k", 1, p, "REPLACE", "ABSTTL")     # replaced by an expired key: deleted
    oracle.do("EXISTS", "k")


def test_restore_events(oracle: Oracle) -> None:
    p = _payload(b"v").decode("latin-1")
    steps = [("RESTORE", "k", "0", p), ("RESTORE", "k", "0", p, "REPLACE"), ("SET", "k2", "x"),
             ("RESTORE", "k2", "1", p, "REPLACE", "ABSTTL"), ("RESTORE", "k3", "1", p, "ABSTTL"),
             ("RESTORE", "k", "5000", p, "REPLACE")]
    encoded = [tuple(s.encode("latin-1") for s in step) for step in steps]
    assert_same_keyspace_events(oracle, "__key*", encoded)  # type: ignore[arg-type]


def test_restore_option_errors(oracle: Oracle) -> None:
    p = _payload(b"v")
    oracle.error("RESTORE", "k", -1, p)
    oracle.error("RESTORE", "k", "abc", p)
    oracle.error("RESTORE", "k", "1.5", p)
    oracle.error("RESTORE", "k", 0, p, "IDLETIME", -1)
    oracle.error("RESTORE", "k", 0, p, "IDLETIME", "x")
    oracle.error("RESTORE", "k", 0, p, "IDLETIME")
    oracle.error("RESTORE", "k", 0, p, "FREQ", 256)
    oracle.error("RESTORE", "k", 0, p, "FREQ", -1)
    oracle.error("RESTORE", "k", 0, p, "FREQ", "y")
    oracle.error("RESTORE", "k", 0, p, "FREQ")
    oracle.error("RESTORE", "k", 0, p, "IDLETIME", 10, "FREQ", 5)
    oracle.error("RESTORE", "k", 0, p, "FREQ", 5, "IDLETIME", 10)
    oracle.error("RESTORE", "k", 0, p, "BOGUS")
    oracle.do("SET", "busy", "1")
    oracle.error("RESTORE", "busy", -1, p)           # BUSYKEY is checked before the TTL
    oracle.error("RESTORE", "busy", 0, p, "BOGUS")   # options before BUSYKEY
    oracle.error("RESTORE", "k", -1, b"junk")        # TTL before the payload
    oracle.do("EXISTS", "k")


def _with_footer(body: bytes, version: int = 10) -> bytes:
    data = body + version.to_bytes(2, "little")
    return data + crc64(0, data).to_bytes(8, "little")


def test_restore_payload_errors(oracle: Oracle) -> None:
    good = _payload(b"hello")
    oracle.error("RESTORE", "k", 0, b"")
    oracle.error("RESTORE", "k", 0, b"short")
    oracle.error("RESTORE", "k", 0, good[:-1] + bytes([good[-1] ^ 1]))        # checksum
    oracle.error("RESTORE", "k", 0, _with_footer(b"\x00\x05hello", 11))       # newer RDB version
    oracle.do("RESTORE", "k9", 0, _with_footer(b"\x00\x05hello", 9))          # older version: accepted
    oracle.do("GET", "k9")
    oracle.error("RESTORE", "k", 0, _with_footer(b"\xc8\x05hello"))           # unknown type
    oracle.do("RESTORE", "kf", 0, _with_footer(b"\x00\x09hello"))             # runs into the footer: Redis
    oracle.do("GET", "kf")                                                    # reads its bytes as data
    oracle.error("RESTORE", "k", 0, _with_footer(b"\x00\x20hello"))           # truncated string
    oracle.error("RESTORE", "k", 0, _with_footer(b"\x12\x00"))                # empty quicklist
    oracle.error("RESTORE", "k", 0, _with_footer(b"\x02\x02\x01a\x01a"))      # duplicate set members
    oracle.error("RESTORE", "k", 0, _with_footer(b"\x02\x05\x01a\x01b"))        # truncated set
    oracle.do("EXISTS", "k")


def test_restore_idletime(oracle: Oracle) -> None:
    p = _payload(b"v")
    oracle.do("RESTORE", "k", 0, p, "IDLETIME", 1000)
    oracle.approx("OBJECT", "IDLETIME", "k", delta=1)
    oracle.do("RESTORE", "k2", 0, p, "FREQ", 7)          # ignored without an LFU policy
    oracle.error("OBJECT", "FREQ", "k2")


def test_restore_freq_under_lfu(oracle: Oracle) -> None:
    oracle.do("CONFIG", "SET", "maxmemory-policy", "allkeys-lfu")
    try:
        p = _payload(b"v")
        oracle.do("RESTORE", "k", 0, p, "FREQ", 100)
        oracle.do("OBJECT", "FREQ", "k")
        oracle.do("RESTORE", "k2", 0, p, "FREQ", 0)
        oracle.do("OBJECT", "FREQ", "k2")
        oracle.do("RESTORE", "k3", 0, p, "IDLETIME", 100)     # ignored under LFU: a new key's counter
        oracle.do("OBJECT", "FREQ", "k3")
    finally:
        oracle.do("CONFIG", "SET", "maxmemory-policy", "noeviction")


def test_restore_breaks_watch(oracle: Oracle) -> None:
    p = _payload(b"v")
    for port_client in (oracle.ours, oracle.redis):
        other = RawClient(port_client.sock.getpeername()[1])
        try:
            assert port_client.command("WATCH", "w") == b"+OK\r\n"
            assert other.command("RESTORE", "w", 0, p) == b"+OK\r\n"
            assert port_client.command("MULTI") == b"+OK\r\n"
            port_client.command("GET", "w")
            assert port_client.command("EXEC") == b"*-1\r\n"
        finally:
            other.close()


def test_restore_wrong_type_is_not_an_issue(oracle: Oracle) -> None:
    """RESTORE REPLACE over a key of another type just replaces it."""
    oracle.do("HSET", "k", "a", "1")
    oracle.do("RESTORE", "k", 0, _payload(b"str"), "REPLACE")
    oracle.do("TYPE", "k")
    oracle.do("GET", "k")


def test_random_values_round_trip(oracle: Oracle) -> None:
    rng = random.Random(11)
    for i in range(30):
        kind = rng.choice(["list", "hash", "set", "zset", "string"])
        key = f"r{i}"
        n = rng.choice([1, 3, 20, 200])
        items = [rng.choice([str(rng.randrange(-10 ** 6, 10 ** 6)), "e" * rng.randrange(0, 80),
                             str(rng.randrange(-2 ** 63, 2 ** 63))]) for _ in range(n)]
        if kind == "list":
            oracle.do("RPUSH", key, *items)
        elif kind == "hash":
            oracle.do("HSET", key, *[x for j, v in enumerate(items) for x in (f"f{j}", v)])
        elif kind == "set":
            oracle.do("SADD", key, *items)
        elif kind == "zset":
            oracle.do("ZADD", key, *[x for v in items for x in (rng.choice(["1", "-2.5", "1e10", "0"]), v)])
        else:
            oracle.do("SET", key, "".join(items))
        oracle.do("OBJECT", "ENCODING", key)
        if kind in ("list", "zset", "string") or (kind == "set" and b"intset" in oracle.ours.command(
                "OBJECT", "ENCODING", key)) or (kind == "hash" and n <= 20):
            oracle.do("DUMP", key)
        _swap_restore(oracle, key, kind)


def test_debug_object_serializedlength_is_the_dump_size(server_factory: object) -> None:
    """DEBUG OBJECT's serializedlength (rdbSavedObjectLen) for every type, with compression on."""
    servers = [server_factory(kind, enable_debug_command="yes") for kind in ("pyredcache", "redis")]  # type: ignore[operator]
    o = Oracle(servers[0].port, servers[1].port)
    try:
        o.do("RPUSH", "l", *[str(i) * 20 for i in range(1000)])
        o.do("HSET", "h", *[f"f{i}" for i in range(40)])
        o.do("ZADD", "z", *[x for i in range(300) for x in (str(i), f"member:{i}")])
        o.do("ZADD", "zl", 1, "a" * 30, 2, "b" * 30)
        o.do("SADD", "s", *range(100))
        o.do("SET", "str", "q" * 200)
        for key in ("l", "h", "z", "zl", "s", "str"):
            ours, theirs = o.both("DEBUG", "OBJECT", key)
            field = [part for part in ours.split() if part.startswith(b"serializedlength:")]
            assert field and field[0] in theirs.split(), (key, ours, theirs)
    finally:
        o.close()


@pytest.mark.parametrize("scenario", ["hll-sparse", "hll-dense"])
def test_restored_hll_keeps_working(oracle: Oracle, scenario: str) -> None:
    setup, key, kind, _identical = SCENARIOS[scenario]
    for cmd in setup:
        oracle.do(*cmd)   # type: ignore[arg-type]
    _swap_restore(oracle, key, kind)
    copy = key + ":copy"
    oracle.do("PFCOUNT", copy)
    oracle.do("PFADD", copy, "new-1", "new-2", *range(100000, 100300))
    oracle.do("PFCOUNT", copy)
    oracle.do("GET", copy)
    oracle.do("DUMP", copy)
