"""Set commands on pyredcache alone: happy paths, every option, errors, edge cases, encodings, DEBUG/MEMORY."""
from __future__ import annotations

import pytest
import redis

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def _err(r: redis.Redis, *args: object) -> str:
    """The error text as sent (redis-py drops a leading "ERR ": it is put back)."""
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command(*args)
    text = str(info.value)
    return text if text.startswith("WRONGTYPE") else "ERR " + text


def _enc(r: redis.Redis, key: str) -> bytes:
    return r.object("ENCODING", key)  # type: ignore[no-any-return]


# ------------------------------------------------------------------------------------------- SADD / SREM


def test_sadd_counts_new_members_only(r):
    assert r.sadd("s", "a", "b", "a") == 2
    assert r.sadd("s", "a", "c") == 1
    assert r.smembers("s") == {b"a", b"b", b"c"}
    assert r.type("s") == b"set"


def test_sadd_empty_member(r):
    assert r.sadd("s", "") == 1
    assert r.sismember("s", "")


def test_sadd_wrongtype(r):
    r.set("str", "v")
    assert _err(r, "SADD", "str", "a") == WRONGTYPE


def test_sadd_arity(r):
    assert "wrong number of arguments for 'sadd'" in _err(r, "SADD", "s")


def test_srem_removes_and_deletes_empty_key(r):
    r.sadd("s", "a", "b", "c")
    assert r.srem("s", "a", "zz", "a") == 1
    assert r.srem("s", "b", "c") == 2
    assert r.exists("s") == 0
    assert r.srem("nokey", "a") == 0


def test_srem_wrongtype(r):
    r.set("str", "v")
    assert _err(r, "SREM", "str", "a") == WRONGTYPE


# ---------------------------------------------------------------------------------------------- reading


def test_smembers_missing_key_is_empty(r):
    assert r.smembers("nokey") == set()


def test_smembers_intset_sorted_by_value(r, raw):
    r.sadd("i", 5, -3, 100, 0)
    assert raw.command("SMEMBERS", "i") == b"*4\r\n$2\r\n-3\r\n$1\r\n0\r\n$1\r\n5\r\n$3\r\n100\r\n"


def test_sismember_and_smismember(r):
    r.sadd("s", "a", "1")
    assert r.sismember("s", "a") == 1
    assert r.sismember("s", "zz") == 0
    assert r.sismember("nokey", "a") == 0
    assert r.smismember("s", ["a", "zz", "1"]) == [1, 0, 1]
    assert r.smismember("nokey", ["a", "b"]) == [0, 0]


def test_scard(r):
    assert r.scard("nokey") == 0
    r.sadd("s", *range(10))
    assert r.scard("s") == 10


@pytest.mark.parametrize("args", [("SMEMBERS", "str"), ("SISMEMBER", "str", "a"), ("SMISMEMBER", "str", "a"),
                                  ("SCARD", "str"), ("SRANDMEMBER", "str"), ("SPOP", "str")])
def test_readers_wrongtype(r, args):
    r.set("str", "v")
    assert _err(r, *args) == WRONGTYPE


# ------------------------------------------------------------------------------------------------ encodings


def test_encoding_intset_then_hashtable_one_way(r):
    r.sadd("s", 1, 2, 3)
    assert _enc(r, "s") == b"intset"
    r.sadd("s", "x")
    assert _enc(r, "s") == b"hashtable"
    r.srem("s", "x")
    assert _enc(r, "s") == b"hashtable"


@pytest.mark.parametrize("member", ["01", "+1", "-0", "1.0", "9223372036854775808", " 1"])
def test_encoding_non_canonical_integer_is_hashtable(r, member):
    r.sadd("s", member)
    assert _enc(r, "s") == b"hashtable"


def test_encoding_extreme_integers_stay_intset(r):
    r.sadd("s", "9223372036854775807", "-9223372036854775808")
    assert _enc(r, "s") == b"intset"


def test_encoding_set_max_intset_entries(server_factory):
    sp = server_factory(set_max_intset_entries=3)
    client = redis.Redis(port=sp.port, socket_timeout=10)
    try:
        client.sadd("s", 1, 2, 3)
        assert client.object("ENCODING", "s") == b"intset"
        client.sadd("s", 4)
        assert client.object("ENCODING", "s") == b"hashtable"
        client.sadd("t", 1, 2, 3, 4)
        client.sinterstore("u", "t", "t")
        assert client.object("ENCODING", "u") == b"hashtable"
        client.sadd("v", 1, 2)
        client.sunionstore("w", "v")
        assert client.object("ENCODING", "w") == b"intset"
    finally:
        client.close()


def test_copy_of_a_set_is_independent(r):
    r.sadd("s", "a", "b")
    assert r.copy("s", "t") == 1
    r.sadd("t", "c")
    assert r.scard("s") == 2
    assert r.scard("t") == 3


# ---------------------------------------------------------------------------------------------- SPOP


def test_spop_single(r):
    r.sadd("s", "a", "b", "c")
    got = r.spop("s")
    assert got in {b"a", b"b", b"c"}
    assert r.scard("s") == 2
    assert r.sismember("s", got) == 0


def test_spop_last_member_deletes_key(r):
    r.sadd("s", "a")
    assert r.spop("s") == b"a"
    assert r.exists("s") == 0
    assert r.spop("nokey") is None


def test_spop_count(r):
    r.sadd("s", *"abcdefgh")
    got = r.spop("s", 3)
    assert len(got) == 3 and len(set(got)) == 3
    assert r.scard("s") == 5
    assert set(r.spop("s", 100)) | set(got) == {c.encode() for c in "abcdefgh"}
    assert r.exists("s") == 0
    assert r.spop("nokey", 2) == []
    r.sadd("s", "a")
    assert r.spop("s", 0) == []
    assert r.scard("s") == 1


def test_spop_count_all_members_of_intset_sorted(r):
    r.sadd("s", 3, 1, 2)
    assert r.execute_command("SPOP", "s", "3") == [b"1", b"2", b"3"]


def test_spop_count_rebuild_can_return_to_intset(r):
    r.sadd("s", *range(600))
    assert _enc(r, "s") == b"hashtable"
    r.spop("s", 590)
    assert r.scard("s") == 10
    assert _enc(r, "s") == b"intset"


def test_spop_count_errors(r):
    r.sadd("s", "a")
    assert _err(r, "SPOP", "s", "-1") == "ERR value is out of range, must be positive"
    assert _err(r, "SPOP", "s", "x") == "ERR value is out of range, must be positive"
    assert _err(r, "SPOP", "s", "1", "2") == "ERR syntax error"


def test_spop_randomness_covers_members(r):
    seen = set()
    for _ in range(200):
        r.sadd("s", "a", "b", "c")
        seen.add(r.spop("s"))
        if len(seen) == 3:
            break
    assert seen == {b"a", b"b", b"c"}


# ----------------------------------------------------------------------------------------- SRANDMEMBER


def test_srandmember_single_does_not_remove(r):
    r.sadd("s", "a", "b")
    assert r.srandmember("s") in {b"a", b"b"}
    assert r.scard("s") == 2
    assert r.srandmember("nokey") is None


def test_srandmember_positive_count_distinct(r):
    r.sadd("s", *"abcdef")
    got = r.srandmember("s", 4)
    assert len(got) == 4 and len(set(got)) == 4
    assert sorted(r.srandmember("s", 100)) == sorted(c.encode() for c in "abcdef")


def test_srandmember_negative_count_allows_repeats(r):
    r.sadd("s", "x")
    assert r.srandmember("s", -5) == [b"x"] * 5
    r.sadd("s", "y")
    got = r.srandmember("s", -50)
    assert len(got) == 50 and set(got) <= {b"x", b"y"}


def test_srandmember_zero_and_missing(r):
    r.sadd("s", "a")
    assert r.srandmember("s", 0) == []
    assert r.srandmember("nokey", 3) == []
    assert r.srandmember("nokey", -3) == []


def test_srandmember_errors(r):
    r.sadd("s", "a")
    assert _err(r, "SRANDMEMBER", "s", "x") == "ERR value is not an integer or out of range"
    assert _err(r, "SRANDMEMBER", "s", "-9223372036854775808") == (
        "ERR value is out of range, value must between -9223372036854775807 and 9223372036854775807")
    assert _err(r, "SRANDMEMBER", "s", "1", "2") == "ERR syntax error"


# ------------------------------------------------------------------------------------------------ SMOVE


def test_smove_moves_and_deletes_empty_source(r):
    r.sadd("a", "x")
    r.sadd("b", "y")
    assert r.smove("a", "b", "x") == 1
    assert r.exists("a") == 0
    assert r.smembers("b") == {b"x", b"y"}


def test_smove_missing_member_or_source(r):
    r.sadd("a", "x")
    assert r.smove("a", "b", "zz") == 0
    assert r.smove("nokey", "a", "x") == 0
    assert r.exists("b") == 0


def test_smove_same_key(r):
    r.sadd("a", "x")
    assert r.smove("a", "a", "x") == 1
    assert r.smove("a", "a", "zz") == 0
    assert r.smembers("a") == {b"x"}


def test_smove_creates_destination_with_member_encoding(r):
    r.sadd("a", "5", "x")
    r.smove("a", "b", "5")
    assert _enc(r, "b") == b"intset"
    r.smove("a", "c", "x")
    assert _enc(r, "c") == b"hashtable"


def test_smove_wrongtype(r):
    r.set("str", "v")
    r.sadd("a", "x")
    assert _err(r, "SMOVE", "str", "a", "x") == WRONGTYPE
    assert _err(r, "SMOVE", "a", "str", "zz") == WRONGTYPE
    assert r.smove("nokey", "str", "x") == 0


# ------------------------------------------------------------------------------------------------ algebra


@pytest.fixture
def abc(r):
    r.sadd("a", "1", "2", "3", "x")
    r.sadd("b", "2", "3", "y")
    r.sadd("c", "3", "x", "y")
    return r


def test_sinter(abc):
    assert abc.sinter("a", "b") == {b"2", b"3"}
    assert abc.sinter("a", "b", "c") == {b"3"}
    assert abc.sinter("a", "nokey") == set()
    assert abc.sinter("a") == {b"1", b"2", b"3", b"x"}


def test_sunion(abc):
    assert abc.sunion("a", "b", "nokey") == {b"1", b"2", b"3", b"x", b"y"}
    assert abc.sunion("nokey") == set()


def test_sdiff(abc):
    assert abc.sdiff("a", "b") == {b"1", b"x"}
    assert abc.sdiff("a", "b", "c") == {b"1"}
    assert abc.sdiff("nokey", "a") == set()
    assert abc.sdiff("a", "nokey") == {b"1", b"2", b"3", b"x"}


def test_integer_results_sorted(r, raw):
    r.sadd("i", 5, 3, 1)
    r.sadd("j", 9, 2)
    assert raw.command("SUNION", "i", "j") == b"*5\r\n$1\r\n1\r\n$1\r\n2\r\n$1\r\n3\r\n$1\r\n5\r\n$1\r\n9\r\n"
    assert raw.command("SDIFF", "i", "j") == b"*3\r\n$1\r\n1\r\n$1\r\n3\r\n$1\r\n5\r\n"


def test_sintercard(abc):
    assert abc.sintercard(2, ["a", "b"]) == 2
    assert abc.sintercard(2, ["a", "b"], limit=1) == 1
    assert abc.sintercard(2, ["a", "b"], limit=0) == 2
    assert abc.sintercard(2, ["a", "nokey"]) == 0
    assert abc.execute_command("SINTERCARD", "1", "a", "LIMIT", "1", "LIMIT", "3") == 3


@pytest.mark.parametrize(("args", "message"), [
    (("0", "a"), "ERR numkeys should be greater than 0"),
    (("x", "a"), "ERR numkeys should be greater than 0"),
    (("3", "a"), "ERR Number of keys can't be greater than number of args"),
    (("1", "a", "LIMIT", "-1"), "ERR LIMIT can't be negative"),
    (("1", "a", "LIMIT", "x"), "ERR LIMIT can't be negative"),
    (("1", "a", "LIMIT"), "ERR syntax error"),
    (("1", "a", "b"), "ERR syntax error"),
])
def test_sintercard_errors(abc, args, message):
    assert _err(abc, "SINTERCARD", *args) == message


@pytest.mark.parametrize(("cmd", "expected"), [
    ("SINTERSTORE", {b"2", b"3"}), ("SUNIONSTORE", {b"1", b"2", b"3", b"x", b"y"}), ("SDIFFSTORE", {b"1", b"x"}),
])
def test_store_variants(abc, cmd, expected):
    abc.set("d", "old", ex=100)
    assert abc.execute_command(cmd, "d", "a", "b") == len(expected)
    assert abc.smembers("d") == expected
    assert abc.ttl("d") == -1
    assert abc.execute_command(cmd, "d", "nokey", "nokey2") == 0
    assert abc.exists("d") == 0


def test_store_into_a_source_key(abc):
    assert abc.sinterstore("a", "a", "c") == 2
    assert abc.smembers("a") == {b"3", b"x"}


def test_algebra_wrongtype_checks_every_key(abc):
    abc.set("str", "v")
    for cmd in ("SINTER", "SUNION", "SDIFF"):
        assert _err(abc, cmd, "nokey", "str") == WRONGTYPE
    assert _err(abc, "SINTERSTORE", "d", "nokey", "str") == WRONGTYPE
    assert _err(abc, "SINTERCARD", "2", "nokey", "str") == WRONGTYPE


# ------------------------------------------------------------------------------------------------ SSCAN


def test_sscan_intset_whole_in_one_call(r):
    r.sadd("i", *range(30))
    cursor, members = r.sscan("i", 0, count=2)
    assert cursor == 0
    assert members == [str(i).encode() for i in range(30)]
    assert r.sscan("i", 0, match="2*")[1] == [b"2"] + [str(i).encode() for i in range(20, 30)]


def test_sscan_hashtable_iterates_everything(r):
    members = {f"m{i}".encode() for i in range(300)}
    r.sadd("s", *members)
    seen: set[bytes] = set()
    cursor = 0
    for _ in range(1000):
        cursor, got = r.sscan("s", cursor, count=7)
        assert len(got) <= 14
        seen.update(got)
        if cursor == 0:
            break
    assert seen == members


def test_sscan_match_and_missing_key(r):
    r.sadd("s", "apple", "banana", "avocado")
    assert sorted(r.sscan("s", 0, match="a*", count=100)[1]) == [b"apple", b"avocado"]
    assert r.sscan("nokey", 0) == (0, [])


def test_sscan_errors(r):
    r.sadd("s", "a")
    assert _err(r, "SSCAN", "s", "x") == "ERR invalid cursor"
    assert _err(r, "SSCAN", "s", "0", "COUNT", "0") == "ERR syntax error"
    assert _err(r, "SSCAN", "s", "0", "TYPE", "set") == "ERR syntax error"
    r.set("str", "v")
    assert _err(r, "SSCAN", "str", "0") == WRONGTYPE


# ----------------------------------------------------------------------------------------- DEBUG / MEMORY


def test_memory_usage_on_set(r):
    r.sadd("i", *range(100))
    r.sadd("h", *(f"m{i}" for i in range(100)))
    assert r.memory_usage("i") > 100
    assert r.memory_usage("h") > 100


def test_debug_object_on_set(server_factory):
    sp = server_factory(enable_debug_command="yes", rdbcompression="no")
    client = redis.Redis(port=sp.port, socket_timeout=10)
    try:
        # Numbers checked on redis-server 7.0.15 with rdbcompression no.
        client.sadd("i", 1, 2, 300, -5, 70000)
        text = client.execute_command("DEBUG", "OBJECT", "i")
        text = text.decode() if isinstance(text, bytes) else str(text)
        assert "encoding:intset serializedlength:29 " in text
        client.sadd("j", 1, 2, 5000000000)
        text = client.execute_command("DEBUG", "OBJECT", "j")
        text = text.decode() if isinstance(text, bytes) else str(text)
        assert "encoding:intset serializedlength:33 " in text
        client.sadd("h", "x", "y", 1, 300, 70000, "abcdefghijklmnopqrstuvwxyz")
        text = client.execute_command("DEBUG", "OBJECT", "h")
        text = text.decode() if isinstance(text, bytes) else str(text)
        assert "encoding:hashtable serializedlength:42 " in text
    finally:
        client.close()


def test_sscan_returns_stable_members_despite_writes(r):
    stable = {f"s{i}".encode() for i in range(200)}
    r.sadd("s", *stable)
    seen: set[bytes] = set()
    cursor = 0
    for step in range(1000):
        cursor, got = r.sscan("s", cursor, count=10)
        seen.update(got)
        r.sadd("s", f"new{step}")
        r.srem("s", f"new{step - 3}")
        if cursor == 0:
            break
    assert stable <= seen


def test_sscan_large_set_full_iteration_is_fast(r):
    r.sadd("s", *(f"m{i}" for i in range(20000)))
    seen: set[bytes] = set()
    cursor = 0
    calls = 0
    while True:
        cursor, got = r.sscan("s", cursor, count=100)
        seen.update(got)
        calls += 1
        if cursor == 0:
            break
    assert len(seen) == 20000
    assert calls <= 201
