"""HyperLogLog commands against redis-server 7.0.15: table rows, the exact bytes of sparse and dense HLLs after
the same PFADD/PFMERGE/PFCOUNT sequences, blobs moved between the servers, corrupt blobs, events and dirty."""
from __future__ import annotations

import random
from collections.abc import Iterator

import pytest
from helpers.oracle import Oracle, assert_same_keyspace_events
from helpers.rawclient import RawClient

from pyredcache._speedups import hll

pytestmark = pytest.mark.oracle

PF_COMMANDS = ("pfadd", "pfcount", "pfmerge", "pfdebug", "pfselftest")
HDR = b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80"      # sparse header, cache marked stale
DENSE_HDR = b"HYLL\x00\x00\x00\x00" + b"\x00" * 7 + b"\x80"


def _elements(seed: int, n: int) -> list[bytes]:
    rng = random.Random(seed)
    return [b"el:%d" % rng.getrandbits(40) for _ in range(n)]


def _pfadd_batches(oracle: Oracle, key: str, elements: list[bytes], batch: int,
                   check_every: int = 1) -> None:
    for i in range(0, len(elements), batch):
        oracle.do("PFADD", key, *elements[i:i + batch])
        if (i // batch) % check_every == 0:
            oracle.do("GET", key)
    oracle.do("GET", key)


@pytest.fixture
def sparse_max(oracle: Oracle) -> Iterator[Oracle]:
    """An oracle whose hll-sparse-max-bytes is restored to the default afterwards."""
    yield oracle
    oracle.do("CONFIG", "SET", "hll-sparse-max-bytes", "3000")


def _redis_blob(oracle: Oracle, *elements: bytes) -> bytes:
    """An HLL built by redis-server alone (PFADD on a scratch key, GET, DEL)."""
    raw = oracle.redis
    raw.command("DEL", "__blob")
    for i in range(0, len(elements), 500):
        raw.command("PFADD", "__blob", *elements[i:i + 500])
    reply = raw.command("GET", "__blob")
    raw.command("DEL", "__blob")
    header, _, body = reply.partition(b"\r\n")
    assert header.startswith(b"$")
    return body[:int(header[1:])]


# ------------------------------------------------------------------------------------------- table rows


@pytest.mark.parametrize("name", PF_COMMANDS)
def test_command_info_rows_match(oracle, name):
    oracle.do("COMMAND", "INFO", name)


@pytest.mark.parametrize("name", PF_COMMANDS)
def test_command_docs_match(oracle, name):
    oracle.do("COMMAND", "DOCS", name)


@pytest.mark.parametrize("args", [
    ("pfadd", "k", "a"), ("pfadd", "k"), ("pfcount", "a", "b", "c"), ("pfmerge", "d", "a", "b"),
    ("pfdebug", "getreg", "k"),
])
def test_command_getkeys_match(oracle, args):
    oracle.do("COMMAND", "GETKEYS", *args)


def test_arity_errors(oracle):
    for args in (("PFADD",), ("PFCOUNT",), ("PFMERGE",), ("PFDEBUG", "getreg"), ("PFDEBUG", "a", "b", "c"),
                 ("PFSELFTEST", "x")):
        oracle.error(*args)


def test_pfselftest(oracle):
    oracle.do("PFSELFTEST")


# ----------------------------------------------------------------------------------------------- hashing


def test_pattern_matches_redis_registers(oracle):
    """Each element's register index and run length (MurmurHash64A) as redis-server's PFDEBUG GETREG shows."""
    rng = random.Random(99)
    samples = [b"", b"a", b"foo", b"hello world"] + [rng.randbytes(rng.randrange(1, 40)) for _ in range(12)]
    for ele in samples:
        raw = oracle.redis
        raw.command("DEL", "__p")
        raw.command("PFADD", "__p", ele)
        reply = raw.command("PFDEBUG", "GETREG", "__p")
        regs = [int(line[1:]) for line in reply.split(b"\r\n")[1:-1]]
        nonzero = [(i, v) for i, v in enumerate(regs) if v]
        assert nonzero == [hll.pattern(ele)], ele
        raw.command("DEL", "__p")


# ------------------------------------------------------------------------------------------ sparse bytes


def test_pfadd_new_key_and_no_elements(oracle):
    oracle.do("PFADD", "h")
    oracle.do("GET", "h")
    oracle.do("PFADD", "h")
    oracle.do("PFCOUNT", "h")
    oracle.do("GET", "h")
    oracle.do("PFADD", "h", "a", "a")
    oracle.do("PFADD", "h", "a")
    oracle.do("GET", "h")
    oracle.do("TYPE", "h")
    oracle.do("OBJECT", "ENCODING", "h")
    oracle.do("STRLEN", "h")


def test_pfadd_small_sparse_sets_bytes(oracle):
    for n in (1, 2, 3, 10, 50, 200):
        key = f"h{n}"
        for el in _elements(n, n):
            oracle.do("PFADD", key, el)
        oracle.do("GET", key)
        oracle.do("PFDEBUG", "DECODE", key)
        oracle.do("PFDEBUG", "ENCODING", key)
        oracle.do("PFCOUNT", key)
        oracle.do("GET", key)


def test_pfadd_binary_and_empty_elements(oracle):
    oracle.do("PFADD", "h", "", "\x00", "\xff\xfe", "a" * 7, "b" * 8, "c" * 9, "d" * 1000)
    oracle.do("GET", "h")
    oracle.do("PFCOUNT", "h")


def test_sparse_promotes_at_default_limit(oracle):
    _pfadd_batches(oracle, "h", _elements(7, 3000), 25)
    oracle.do("PFDEBUG", "ENCODING", "h")
    oracle.do("STRLEN", "h")
    oracle.do("PFCOUNT", "h")


@pytest.mark.parametrize("limit", ["0", "1", "20", "100", "500", "5000"])
def test_sparse_promotion_with_config_limit(sparse_max, limit):
    oracle = sparse_max
    oracle.do("CONFIG", "SET", "hll-sparse-max-bytes", limit)
    _pfadd_batches(oracle, "h", _elements(11, 1500), 50)
    oracle.do("PFDEBUG", "ENCODING", "h")
    oracle.do("PFCOUNT", "h")


def test_dense_100k_elements(oracle):
    _pfadd_batches(oracle, "h", _elements(3, 100_000), 1000, check_every=20)
    oracle.do("PFCOUNT", "h")
    oracle.do("GET", "h")
    oracle.do("PFADD", "h", *_elements(3, 500))     # nothing new
    oracle.do("PFCOUNT", "h")


def test_large_counts_promote(oracle):
    # Some register reaches a count above 32 only with a very unlucky hash; PFMERGE of a crafted dense
    # register (value 40) into a sparse destination forces the VAL overflow promotion instead.
    regs = bytearray(12288)
    regs[0] = 40
    oracle.do("SET", "dense", DENSE_HDR + bytes(regs))
    oracle.do("PFADD", "sp", "a", "b")
    oracle.do("PFMERGE", "sp", "dense")
    oracle.do("GET", "sp")
    oracle.do("PFCOUNT", "sp")


# ------------------------------------------------------------------------------------------------ PFCOUNT


def test_pfcount_cache_written_back(oracle):
    oracle.do("PFADD", "h", "a", "b", "c")
    oracle.do("GET", "h")
    oracle.do("PFCOUNT", "h")
    oracle.do("GET", "h")           # the cached cardinality, cache flag cleared
    oracle.do("PFADD", "h", "a")    # no change: cache stays valid
    oracle.do("GET", "h")
    oracle.do("PFADD", "h", "zz")
    oracle.do("GET", "h")
    oracle.do("PFCOUNT", "h")
    oracle.do("PFCOUNT", "nokey")


def test_pfcount_multiple_keys(oracle):
    oracle.do("PFADD", "a", *_elements(1, 100))
    oracle.do("PFADD", "b", *_elements(2, 5000))
    oracle.do("PFADD", "c", *_elements(1, 300))
    oracle.do("PFCOUNT", "a", "b")
    oracle.do("PFCOUNT", "a", "c", "nokey")
    oracle.do("PFCOUNT", "a", "b", "c")
    oracle.do("PFCOUNT", "nokey", "nokey2")
    oracle.do("PFCOUNT", "a", "a")
    oracle.do("GET", "a")           # multi-key PFCOUNT leaves the cache alone
    oracle.do("GET", "b")


def test_pfcount_cached_value_is_trusted(oracle):
    # A valid cache flag makes PFCOUNT answer the stored number, whatever the registers say.
    blob = b"HYLL\x01\x00\x00\x00\x39\x30\x00\x00\x00\x00\x00\x00\x7f\xff"
    oracle.do("SET", "h", blob)
    oracle.do("OBJECT", "ENCODING", "h")
    oracle.do("PFCOUNT", "h")
    oracle.do("OBJECT", "ENCODING", "h")      # unshared to raw
    oracle.do("PFCOUNT", "h", "nokey")


# ------------------------------------------------------------------------------------------------ PFMERGE


def test_pfmerge_sparse_sources_stay_sparse(oracle):
    oracle.do("PFADD", "a", *_elements(1, 50))
    oracle.do("PFADD", "b", *_elements(2, 60))
    oracle.do("PFMERGE", "d", "a", "b")
    oracle.do("GET", "d")
    oracle.do("PFDEBUG", "ENCODING", "d")
    oracle.do("PFCOUNT", "d")
    oracle.do("PFMERGE", "a", "b")          # destination is also a source
    oracle.do("GET", "a")


def test_pfmerge_with_dense_source_goes_dense(oracle):
    oracle.do("PFADD", "a", *_elements(1, 50))
    oracle.do("PFADD", "big", *_elements(2, 5000))
    oracle.do("PFMERGE", "d", "a", "big")
    oracle.do("GET", "d")
    oracle.do("PFMERGE", "a", "big", "nokey")
    oracle.do("GET", "a")
    oracle.do("PFCOUNT", "a")


def test_pfmerge_into_existing_and_missing(oracle):
    oracle.do("PFMERGE", "empty")
    oracle.do("GET", "empty")
    oracle.do("PFMERGE", "empty2", "nokey1", "nokey2")
    oracle.do("GET", "empty2")
    oracle.do("PFADD", "a", *_elements(5, 400))
    oracle.do("PFADD", "d", *_elements(6, 400))
    oracle.do("PFMERGE", "d", "a")
    oracle.do("GET", "d")
    oracle.do("PFCOUNT", "d")


def test_pfmerge_sparse_overflow_promotes(sparse_max):
    oracle = sparse_max
    oracle.do("PFADD", "a", *_elements(8, 1200))
    oracle.do("PFADD", "b", *_elements(9, 1200))
    oracle.do("CONFIG", "SET", "hll-sparse-max-bytes", "2000")
    oracle.do("PFMERGE", "d", "a", "b")
    oracle.do("GET", "d")
    oracle.do("PFDEBUG", "ENCODING", "d")


# -------------------------------------------------------------------------------------- cross-server blobs


def test_redis_blobs_set_into_both(oracle):
    blobs = [_redis_blob(oracle, *_elements(20, n)) for n in (0, 5, 300, 4000)]
    for i, blob in enumerate(blobs):
        key = f"h{i}"
        oracle.do("SET", key, blob)
        oracle.do("PFCOUNT", key)
        oracle.do("GET", key)
        oracle.do("PFADD", key, *_elements(21, 200))
        oracle.do("GET", key)
        oracle.do("PFCOUNT", key)
    oracle.do("PFMERGE", "m", "h0", "h1", "h2")
    oracle.do("GET", "m")
    oracle.do("PFMERGE", "m", "h3")
    oracle.do("GET", "m")
    oracle.do("PFCOUNT", "h0", "h1", "h2", "h3")


def test_our_blobs_work_on_redis(oracle):
    """Bytes built by pyredcache, SET into redis-server, behave as redis-server's own."""
    ours = oracle.ours
    for n in (3, 700, 20000):
        key = f"o{n}"
        ours.command("DEL", key)
        elements = _elements(30 + n, n)
        for i in range(0, n, 500):
            ours.command("PFADD", key, *elements[i:i + 500])
        reply = ours.command("GET", key)
        header, _, body = reply.partition(b"\r\n")
        blob = body[:int(header[1:])]
        assert blob == _redis_blob(oracle, *elements)
        oracle.do("SET", key, blob)
        oracle.do("PFCOUNT", key)
        oracle.do("PFADD", key, "x", "y")
        oracle.do("GET", key)


def test_set_blob_keeps_ttl_when_unshared(oracle):
    blob = _redis_blob(oracle, b"a", b"b")
    oracle.do("SET", "h", blob, "EX", "1000")
    oracle.do("PFADD", "h", "c")
    oracle.do("TTL", "h")
    oracle.do("OBJECT", "ENCODING", "h")
    oracle.do("APPEND", "h", "junk")
    oracle.do("PFCOUNT", "h")
    oracle.do("PFADD", "h", "zz")


# ----------------------------------------------------------------------------------------- invalid values


@pytest.mark.parametrize("blob", [
    b"", b"HYLL", b"12345", b"HYLX\x01" + b"\x00" * 11 + b"\x7f\xff", b"HYLL\x02" + b"\x00" * 11 + b"\x7f\xff",
    DENSE_HDR + b"\x00" * 100, DENSE_HDR + b"\x00" * 12289, b"hyll\x01" + b"\x00" * 11 + b"\x7f\xff",
], ids=["empty", "short", "int", "magic", "encoding", "dense-short", "dense-long", "lowercase"])
def test_not_an_hll(oracle, blob):
    oracle.do("SET", "x", blob)
    oracle.do("PFADD", "good", "a")
    for args in (("PFADD", "x", "a"), ("PFADD", "x"), ("PFCOUNT", "x"), ("PFCOUNT", "good", "x"),
                 ("PFMERGE", "x", "good"), ("PFMERGE", "good", "x"), ("PFMERGE", "d", "good", "x"),
                 ("PFDEBUG", "GETREG", "x"), ("PFDEBUG", "ENCODING", "x"), ("PFDEBUG", "nosuch", "x")):
        oracle.error(*args)
    oracle.do("GET", "x")
    oracle.do("GET", "good")
    oracle.do("EXISTS", "d")


def test_wrongtype(oracle):
    oracle.do("LPUSH", "l", "a")
    oracle.do("PFADD", "good", "a")
    for args in (("PFADD", "l", "a"), ("PFCOUNT", "l"), ("PFCOUNT", "good", "l"), ("PFMERGE", "l", "good"),
                 ("PFMERGE", "good", "l"), ("PFDEBUG", "GETREG", "l")):
        oracle.error(*args)


@pytest.mark.parametrize("body", [
    b"", b"\x7f\xfe", b"\x7f\xff\x00", b"\x7f", b"\x7f\xfe\x83", b"\x7f\xff\x7f\xff", b"\x80" * 5,
    b"\x40\x00\x7f\xfe", b"\x7f\xfe\x80", b"\x80\x80\x80\x80\x84\x84\x84\x7f\xf8", b"\xfc" + b"\x7f\xfe",
], ids=["none", "under", "over", "truncated", "val-over", "double", "vals-only", "xzero-1", "val-end",
        "mergeable", "val32"])
def test_corrupt_and_odd_sparse(oracle, body):
    oracle.do("SET", "x", HDR + body)
    oracle.do("PFADD", "good", "a")
    for args in (("PFCOUNT", "x"), ("PFCOUNT", "x", "good"), ("PFMERGE", "d", "good", "x"),
                 ("PFDEBUG", "DECODE", "x"), ("PFADD", "x", "a", "b", "c", "d", "e"), ("GET", "x"),
                 ("PFMERGE", "x", "good"), ("GET", "x"), ("PFCOUNT", "x"), ("PFDEBUG", "TODENSE", "x"),
                 ("GET", "x"), ("PFDEBUG", "GETREG", "x"), ("GET", "d")):
        oracle.do(*args)


def _complete_opcodes(body: bytes) -> bool:
    """Whether the opcode walk ends exactly at the end (no XZERO cut in half, see hll.pyx)."""
    i = 0
    while i < len(body):
        i += 2 if body[i] & 0xc0 == 0x40 else 1
    return i == len(body)


def test_random_sparse_bodies(oracle):
    rng = random.Random(1234)
    ops = [b"\x7f\xff", b"\x00", b"\x3f", b"\x40\x40"]
    done = 0
    while done < 120:
        if done % 2:
            body = bytes(rng.randrange(256) for _ in range(rng.randrange(1, 12)))
        else:
            body = b"".join(rng.choice(ops + [bytes([0x80 | rng.randrange(128)]),
                                              bytes([0x40 | rng.randrange(64), rng.randrange(256)])])
                            for _ in range(rng.randrange(1, 10)))
        if not _complete_opcodes(body):
            continue
        done += 1
        oracle.do("SET", "x", HDR + body)
        oracle.do("PFCOUNT", "x")
        oracle.do("PFCOUNT", "x", "nokey")
        oracle.do("PFADD", "x", *_elements(done, 5))
        oracle.do("GET", "x")
        oracle.do("PFMERGE", "d", "x")
        oracle.do("GET", "d")
        oracle.do("DEL", "d")


def test_dense_extreme_registers(oracle):
    oracle.do("SET", "all63", DENSE_HDR + b"\xff" * 12288)
    oracle.do("PFCOUNT", "all63")
    oracle.do("PFCOUNT", "all63", "nokey")
    oracle.do("GET", "all63")
    oracle.do("SET", "zero", DENSE_HDR + bytes(12288))
    oracle.do("PFCOUNT", "zero")
    oracle.do("PFADD", "zero", "a")
    oracle.do("GET", "zero")
    oracle.do("PFMERGE", "zero", "all63")
    oracle.do("GET", "zero")


# -------------------------------------------------------------------------------------------------- PFDEBUG


def test_pfdebug(oracle):
    oracle.error("PFDEBUG", "GETREG", "nokey")
    oracle.error("PFDEBUG", "whatever", "nokey")
    oracle.do("PFADD", "h", *_elements(4, 30))
    oracle.do("PFDEBUG", "DECODE", "h")
    oracle.do("PFDEBUG", "encoding", "h")
    oracle.error("PFDEBUG", "whatever", "h")
    oracle.error("PFDEBUG", "what\x00ever", "h")
    oracle.do("PFDEBUG", "TODENSE", "h")
    oracle.do("PFDEBUG", "TODENSE", "h")
    oracle.error("PFDEBUG", "DECODE", "h")
    oracle.do("PFDEBUG", "ENCODING", "h")
    oracle.do("GET", "h")
    oracle.do("PFADD", "s", "a")
    oracle.do("PFDEBUG", "GETREG", "s")     # converts to dense as a side effect
    oracle.do("GET", "s")


# -------------------------------------------------------------------------------------- events, dirty, WATCH


def test_keyspace_events(oracle):
    assert_same_keyspace_events(oracle, "__key*__:*", [
        ("PFADD", "h", "a"), ("PFADD", "h", "a"), ("PFADD", "h"), ("PFADD", "new"), ("PFCOUNT", "h"),
        ("PFMERGE", "m", "h"), ("PFMERGE", "m2"), ("PFDEBUG", "TODENSE", "h"), ("PFCOUNT", "h", "m"),
    ])


def _dirty(raw: RawClient) -> int:
    info = raw.command("INFO", "persistence").decode()
    for line in info.split("\r\n"):
        if line.startswith("rdb_changes_since_last_save:"):
            return int(line.split(":")[1])
    raise AssertionError(info)


def test_dirty_counts(oracle):
    steps = [("PFADD", "h", "a", "b", "c", "d"), ("PFADD", "h", "a"), ("PFCOUNT", "h"), ("PFCOUNT", "h"),
             ("PFADD", "h", "e"), ("PFCOUNT", "h", "nokey"), ("PFMERGE", "m", "h"), ("PFDEBUG", "GETREG", "h"),
             ("PFDEBUG", "TODENSE", "m"), ("PFDEBUG", "TODENSE", "m"), ("PFADD", "new")]
    for step in steps:
        before = (_dirty(oracle.ours), _dirty(oracle.redis))
        oracle.do(*step)
        after = (_dirty(oracle.ours), _dirty(oracle.redis))
        assert after[0] - before[0] == after[1] - before[1], step


@pytest.mark.parametrize("cached", [False, True])
def test_pfcount_cache_refresh_touches_watch(oracle, cached):
    oracle.do("PFADD", "h", "a", "b")
    if cached:
        oracle.do("PFCOUNT", "h")
    watchers = [RawClient(oracle.ours.sock.getpeername()[1]), RawClient(oracle.redis.sock.getpeername()[1])]
    try:
        for w in watchers:
            assert w.command("WATCH", "h") == b"+OK\r\n"
            assert w.command("MULTI") == b"+OK\r\n"
            w.command("PING")
        oracle.do("PFCOUNT", "h")
        replies = [w.command("EXEC") for w in watchers]
        assert replies[0] == replies[1] == (b"*1\r\n+PONG\r\n" if cached else b"*-1\r\n")
    finally:
        for w in watchers:
            w.close()


def test_errorstats(oracle):
    oracle.do("CONFIG", "RESETSTAT")
    oracle.do("SET", "bad", HDR)
    oracle.do("SET", "s", "abc")
    oracle.do("LPUSH", "l", "x")
    oracle.error("PFCOUNT", "bad")
    oracle.error("PFCOUNT", "s")
    oracle.error("PFCOUNT", "l")
    oracle.error("PFDEBUG", "GETREG", "nokey")
    oracle.do("INFO", "errorstats")


@pytest.mark.parametrize("seed", range(4))
def test_random_sequences(sparse_max, seed):
    """Seeded mixes of PFADD / PFMERGE / PFCOUNT over a few keys and sparse limits; bytes compared often."""
    oracle = sparse_max
    rng = random.Random(seed)
    keys = ["k0", "k1", "k2", "k3"]
    for step in range(150):
        roll = rng.random()
        if roll < 0.05:
            oracle.do("CONFIG", "SET", "hll-sparse-max-bytes", str(rng.choice([0, 50, 300, 3000, 12000])))
        elif roll < 0.6:
            oracle.do("PFADD", rng.choice(keys), *_elements(seed * 1000 + step, rng.randrange(0, 60)))
        elif roll < 0.75:
            oracle.do("PFMERGE", *rng.sample(keys, rng.randrange(1, 4)))
        elif roll < 0.9:
            oracle.do("PFCOUNT", *rng.sample(keys, rng.randrange(1, 3)))
        else:
            oracle.do("DEL", rng.choice(keys))
        if step % 10 == 0:
            for key in keys:
                oracle.do("GET", key)
    for key in keys:
        oracle.do("GET", key)
