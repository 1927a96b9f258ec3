"""HyperLogLog on pyredcache alone: the _speedups.hll codec (MurmurHash64A, encodings, estimator) and the PF*
commands' replies, errors, string-type interplay and in-place updates."""
from __future__ import annotations

import random

import pytest
import redis

from pyredcache._speedups import hll

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
NOT_HLL = "WRONGTYPE Key is not a valid HyperLogLog string value."
CORRUPT = "INVALIDOBJ Corrupted HLL object detected"
EMPTY_SPARSE = b"HYLL\x01\x00\x00\x00" + b"\x00" * 8 + b"\x7f\xff"       # cache valid: 0
_M = 0xc6a4a7935bd1e995
_MASK = (1 << 64) - 1


def _err(r: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command(*args)
    text = str(info.value)
    # redis-py drops a leading "ERR " only: put it back.
    return text if text.split(" ", 1)[0] in ("WRONGTYPE", "INVALIDOBJ") else "ERR " + text


def _murmur_reference(data: bytes, seed: int) -> int:
    """MurmurHash64A written out in Python, to cross-check the Cython one."""
    h = (seed ^ (len(data) * _M)) & _MASK
    blocks = len(data) - len(data) % 8
    for i in range(0, blocks, 8):
        k = int.from_bytes(data[i:i + 8], "little")
        k = (k * _M) & _MASK
        k ^= k >> 47
        k = (k * _M) & _MASK
        h = ((h ^ k) * _M) & _MASK
    tail = data[blocks:]
    if tail:
        h ^= int.from_bytes(tail, "little")
        h = (h * _M) & _MASK
    h ^= h >> 47
    h = (h * _M) & _MASK
    h ^= h >> 47
    return h


# ------------------------------------------------------------------------------------------------ codec


def test_murmurhash64a_known_vectors():
    # Values whose register index and run length redis-server 7.0.15 confirms (oracle test_pattern_*).
    assert hll.murmurhash64a(b"a") == 0x53d2470a9b43b1a7
    assert hll.murmurhash64a(b"foo") == 0xe64609b8b0141cb4
    assert hll.murmurhash64a(b"hello world") == 0xa919bc3051f624b7
    assert hll.murmurhash64a(b"") == 0xd8dfea6585bc9732
    assert hll.murmurhash64a(b"", 0) == 0
    assert hll.pattern(b"a") == (12711, 2)


def test_murmurhash64a_matches_reference_all_tail_lengths():
    rng = random.Random(7)
    for n in range(0, 70):
        data = bytes(rng.randrange(256) for _ in range(n))
        for seed in (0, hll.SEED, 0xffffffff):
            assert hll.murmurhash64a(data, seed) == _murmur_reference(data, seed)


def test_pattern_is_index_and_first_set_bit():
    rng = random.Random(3)
    for _ in range(500):
        data = rng.randbytes(rng.randrange(1, 30))
        h = hll.murmurhash64a(data)
        index, count = hll.pattern(data)
        assert index == h & 16383
        rest = (h >> 14) | (1 << 50)
        assert count == (rest & -rest).bit_length()


def test_new_sparse_layout():
    h = hll.new_sparse()
    assert bytes(h) == EMPTY_SPARSE
    assert hll.is_valid(h)
    assert hll.encoding(h) == hll.SPARSE
    assert hll.count(h) == 0
    assert hll.decode_sparse(h) == b"Z:16384"


def test_dense_register_roundtrip_keeps_neighbours():
    dense = bytearray(hll.DENSE_SIZE)
    rng = random.Random(1)
    values = [rng.randrange(64) for _ in range(hll.HLL_REGISTERS)]
    for i, v in enumerate(values):
        hll.dense_put(dense, i, v)
    assert [hll.dense_get(dense, i) for i in range(hll.HLL_REGISTERS)] == values
    assert dense[:hll.HDR_SIZE] == bytes(hll.HDR_SIZE)


def test_sparse_and_dense_agree():
    sparse = hll.new_sparse()
    dense = hll.new_sparse()
    assert hll.to_dense(dense) == 1
    assert hll.to_dense(dense) == 0
    elements = [b"%d" % i for i in range(2500)]
    assert hll.add(sparse, elements, 0, 1 << 20) > 0
    assert hll.add(dense, elements, 0, 0) > 0
    assert hll.encoding(sparse) == hll.SPARSE
    assert len(dense) == hll.DENSE_SIZE
    assert hll.count(sparse) == hll.count(dense)
    copy = bytearray(sparse)
    assert hll.to_dense(copy) == 1
    assert copy[hll.HDR_SIZE:] == dense[hll.HDR_SIZE:]
    assert hll.dense_registers(copy) == hll.dense_registers(dense)


def test_sparse_promotes_at_max_bytes():
    h = hll.new_sparse()
    for i in range(5000):
        hll.add(h, [b"x%d" % i], 0, 300)
        if hll.encoding(h) == hll.DENSE:
            break
        assert len(h) <= 300
    assert hll.encoding(h) == hll.DENSE
    assert len(h) == hll.DENSE_SIZE


def test_sparse_value_over_32_promotes():
    h = hll.new_sparse()
    assert hll.sparse_set(h, 100, 32, 3000) == 1
    assert hll.encoding(h) == hll.SPARSE
    assert hll.sparse_set(h, 100, 33, 3000) == 1
    assert hll.encoding(h) == hll.DENSE
    assert hll.dense_get(h, 100) == 33


def test_raw_merge_and_count():
    a, b = hll.new_sparse(), hll.new_sparse()
    hll.add(a, [b"a%d" % i for i in range(3000)], 0, 3000)
    hll.add(b, [b"b%d" % i for i in range(100)], 0, 3000)
    raw = hll.new_raw()
    assert hll.merge_into(raw, a)
    assert hll.merge_into(raw, b)
    both = hll.new_sparse()
    hll.add(both, [b"a%d" % i for i in range(3000)] + [b"b%d" % i for i in range(100)], 0, 3000)
    assert hll.count_raw(raw) == hll.count(both)
    assert not hll.merge_into(hll.new_raw(), EMPTY_SPARSE[:-1] + b"\xfe")


def test_cache_bytes():
    h = hll.new_sparse()
    assert hll.cached_card(h) == 0
    hll.invalidate_cache(h)
    assert hll.cached_card(h) == -1
    hll.set_cached_card(h, 0x0102030405)
    assert h[8:16] == b"\x05\x04\x03\x02\x01\x00\x00\x00"
    assert hll.cached_card(h) == 0x0102030405
    hll.invalidate_cache(h)
    assert hll.cached_card(h) == -1


@pytest.mark.parametrize("n", [10, 1000, 10000, 100000])
def test_estimate_error_is_small(n):
    h = hll.new_sparse()
    hll.add(h, [b"e%d" % i for i in range(n)], 0, 3000)
    assert abs(hll.count(h) - n) <= max(2, n * 0.03)


# ---------------------------------------------------------------------------------------------- commands


def test_pfadd_pfcount_basics(r):
    assert r.pfadd("h", "a", "b", "c") == 1
    assert r.pfadd("h", "a") == 0
    assert r.pfcount("h") == 3
    assert r.pfcount("nokey") == 0
    assert r.pfadd("new") == 1
    assert r.pfadd("new") == 0
    assert r.pfcount("new") == 0


def test_hll_is_a_raw_string(r):
    r.pfadd("h", "a")
    assert r.type("h") == b"string"
    assert r.object("ENCODING", "h") == b"raw"
    value = r.get("h")
    assert value[:4] == b"HYLL"
    assert r.strlen("h") == len(value)
    assert r.getrange("h", 0, 3) == b"HYLL"


def test_pfcount_writes_cache(r):
    r.pfadd("h", "a", "b")
    assert r.get("h")[15] & 0x80
    assert r.pfcount("h") == 2
    value = r.get("h")
    assert value[8:16] == b"\x02" + bytes(7)


def test_pfcount_multi_key_union(r):
    r.pfadd("a", *range(100))
    r.pfadd("b", *range(50, 150))
    assert 145 <= r.pfcount("a", "b") <= 155
    assert r.pfcount("a", "nokey") == r.pfcount("a")


def test_pfmerge(r):
    r.pfadd("a", "x", "y")
    r.pfadd("b", "y", "z")
    assert r.pfmerge("d", "a", "b")
    assert r.pfcount("d") == 3
    assert r.pfmerge("e")
    assert r.get("e") == b"HYLL\x01\x00\x00\x00" + b"\x00" * 7 + b"\x80\x7f\xff"


def test_errors(r):
    r.rpush("l", "a")
    assert _err(r, "PFADD", "l", "a") == WRONGTYPE
    assert _err(r, "PFCOUNT", "l") == WRONGTYPE
    r.set("s", "not an hll")
    assert _err(r, "PFADD", "s", "a") == NOT_HLL
    assert _err(r, "PFCOUNT", "s") == NOT_HLL
    assert _err(r, "PFMERGE", "d", "s") == NOT_HLL
    assert not r.exists("d")
    r.set("bad", b"HYLL\x01" + bytes(10) + b"\x80")     # stale cache, no opcodes
    assert _err(r, "PFCOUNT", "bad") == CORRUPT
    assert _err(r, "PFADD", "bad", "a") == CORRUPT
    assert _err(r, "PFDEBUG", "GETREG", "nokey") == "ERR The specified key does not exist"
    assert _err(r, "PFADD") == "ERR wrong number of arguments for 'pfadd' command"


def test_append_breaks_hll(r):
    r.pfadd("h", "a")
    r.append("h", "x")
    assert _err(r, "PFCOUNT", "h") == CORRUPT


def test_set_blob_then_pfadd_is_mutated_copy(r):
    r.set("h", EMPTY_SPARSE, ex=100)
    assert r.object("ENCODING", "h") == b"embstr"
    assert r.pfadd("h", "a") == 1
    assert r.object("ENCODING", "h") == b"raw"
    assert 0 < r.ttl("h") <= 100
    r.copy("h", "h2")
    r.pfadd("h2", "b", "c")
    assert r.pfcount("h") == 1
    assert r.pfcount("h2") == 3


def test_pfdebug(r):
    r.pfadd("h", "a")
    assert r.execute_command("PFDEBUG", "ENCODING", "h") == b"sparse"
    assert r.execute_command("PFDEBUG", "DECODE", "h") == b"Z:12711 v:2,1 Z:3672"
    regs = r.execute_command("PFDEBUG", "GETREG", "h")
    assert len(regs) == 16384 and regs[12711] == 2 and sum(regs) == 2
    assert r.execute_command("PFDEBUG", "ENCODING", "h") == b"dense"
    assert r.execute_command("PFDEBUG", "TODENSE", "h") == 0
    assert _err(r, "PFDEBUG", "DECODE", "h") == "ERR HLL encoding is not sparse"
    assert _err(r, "PFDEBUG", "nope", "h") == "ERR Unknown PFDEBUG subcommand 'nope'"


def test_pfselftest(r):
    assert r.execute_command("PFSELFTEST") == b"OK"


def test_dense_pfadd_many_batches(r):
    for i in range(0, 20000, 1000):
        r.pfadd("h", *range(i, i + 1000))
    assert r.execute_command("PFDEBUG", "ENCODING", "h") == b"dense"
    assert r.strlen("h") == 12304
    assert abs(r.pfcount("h") - 20000) < 600
