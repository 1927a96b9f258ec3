"""Generic keyspace commands against our server: DEL UNLINK EXISTS TYPE KEYS RANDOMKEY RENAME RENAMENX COPY
MOVE SWAPDB TOUCH OBJECT (expiry commands: test_expire.py; SCAN: test_scan.py)."""
from __future__ import annotations

import pytest
import redis
from helpers.rawclient import RawClient
from helpers.wait import wait_until

WRONG_ARGS = "wrong number of arguments"


def _error(r: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command(*args)
    return str(info.value)


# ------------------------------------------------------------------------------------------------ DEL / UNLINK


def test_del_counts_removed_keys(r):
    r.mset({"a": "1", "b": "2", "c": "3"})
    assert r.delete("a", "b", "nokey") == 2
    assert r.exists("a", "b") == 0
    assert r.get("c") == b"3"


def test_del_same_key_twice_counts_once(r):
    r.set("a", "1")
    assert r.execute_command("DEL", "a", "a") == 1


def test_del_missing_key_is_zero(r):
    assert r.delete("nokey") == 0


def test_del_expired_key_is_not_counted(raw):
    raw.command("SET", "k", "v", "PX", "1")
    # KEYS skips logically expired keys without deleting them, so DEL meets the stale key itself.
    wait_until(lambda: raw.command("KEYS", "*") == b"*0\r\n", timeout=5, message="k to be logically expired")
    assert raw.command("DEL", "k") == b":0\r\n"


def test_del_works_on_any_type_of_value(r):
    r.set("s", "x")
    r.set("b", "x")
    r.append("b", "x")     # a bytearray-backed string
    assert r.delete("s", "b") == 2


def test_del_arity(r):
    assert WRONG_ARGS in _error(r, "DEL")


def test_unlink_counts_removed_keys(r):
    r.mset({"a": "1", "b": "2"})
    assert r.unlink("a", "b", "c") == 2
    assert r.dbsize() == 0


def test_unlink_arity(r):
    assert WRONG_ARGS in _error(r, "UNLINK")


# ------------------------------------------------------------------------------------------------ EXISTS / TYPE


def test_exists_counts_repeated_keys(r):
    r.set("a", "1")
    assert r.exists("a") == 1
    assert r.exists("a", "a", "nokey") == 2
    assert r.exists("nokey") == 0


def test_exists_arity(r):
    assert WRONG_ARGS in _error(r, "EXISTS")


def test_exists_counts_keyspace_hits_and_misses(server_factory):
    sp = server_factory()
    c = redis.Redis(port=sp.port)
    c.set("a", "1")
    before = c.info("stats")
    c.exists("a", "a", "nokey")
    after = c.info("stats")
    assert after["keyspace_hits"] - before["keyspace_hits"] == 2
    assert after["keyspace_misses"] - before["keyspace_misses"] == 1
    c.close()


def test_type_of_strings_and_missing_keys(r):
    r.set("s", "v")
    r.set("b", "v")
    r.append("b", "v")
    assert r.type("s") == b"string"
    assert r.type("b") == b"string"
    assert r.type("nokey") == b"none"


def test_type_reply_is_a_status(raw):
    raw.command("SET", "s", "v")
    assert raw.command("TYPE", "s") == b"+string\r\n"
    assert raw.command("TYPE", "nokey") == b"+none\r\n"


def test_type_arity(r):
    assert WRONG_ARGS in _error(r, "TYPE")
    assert WRONG_ARGS in _error(r, "TYPE", "a", "b")


# ------------------------------------------------------------------------------------------------ KEYS


def test_keys_star_returns_everything(r):
    r.mset({"one": "1", "two": "2", "three": "3"})
    assert sorted(r.keys("*")) == [b"one", b"three", b"two"]


def test_keys_glob_patterns(r):
    r.mset({"hello": "1", "hallo": "2", "hxllo": "3", "heeeello": "4", "world": "5"})
    assert sorted(r.keys("h?llo")) == [b"hallo", b"hello", b"hxllo"]
    assert sorted(r.keys("h*llo")) == [b"hallo", b"heeeello", b"hello", b"hxllo"]
    assert sorted(r.keys("h[ae]llo")) == [b"hallo", b"hello"]
    assert sorted(r.keys("h[^e]llo")) == [b"hallo", b"hxllo"]
    assert r.keys("nomatch*") == []


def test_keys_escaped_glob_characters(r):
    r.mset({"a*b": "1", "axb": "2"})
    assert r.keys("a\\*b") == [b"a*b"]


def test_keys_on_empty_db(r):
    assert r.keys("*") == []


def test_keys_skips_logically_expired_keys(raw):
    raw.command("SET", "live", "v")
    raw.command("SET", "gone", "v", "PX", "1")
    wait_until(lambda: raw.command("KEYS", "*") == b"*1\r\n$4\r\nlive\r\n", timeout=5, message="KEYS to drop 'gone'")


def test_keys_binary_key_names(r):
    r.set(b"k\x00\xff", "v")
    assert r.keys("k*") == [b"k\x00\xff"]


def test_keys_arity(r):
    assert WRONG_ARGS in _error(r, "KEYS")
    assert WRONG_ARGS in _error(r, "KEYS", "a", "b")


# ------------------------------------------------------------------------------------------------ RANDOMKEY


def test_randomkey_empty_db_is_nil(r):
    assert r.randomkey() is None


def test_randomkey_returns_existing_keys(r):
    keys = {b"k%d" % i for i in range(20)}
    r.mset({k: "v" for k in keys})
    seen = {r.randomkey() for _ in range(200)}
    assert seen <= keys
    assert len(seen) > 1


def test_randomkey_single_key(r):
    r.set("only", "v")
    assert r.randomkey() == b"only"


def test_randomkey_arity(r):
    assert WRONG_ARGS in _error(r, "RANDOMKEY", "x")


# ------------------------------------------------------------------------------------------------ RENAME / RENAMENX


def test_rename_moves_value(r):
    r.set("a", "1")
    assert r.rename("a", "b") is True
    assert r.get("a") is None
    assert r.get("b") == b"1"


def test_rename_overwrites_destination_and_its_ttl(r):
    r.set("a", "1")
    r.set("b", "2", ex=100)
    r.rename("a", "b")
    assert r.get("b") == b"1"
    assert r.ttl("b") == -1


def test_rename_keeps_source_ttl(r):
    r.set("a", "1", ex=100)
    r.rename("a", "b")
    assert 95 <= r.ttl("b") <= 100


def test_rename_missing_key_errors(r):
    assert _error(r, "RENAME", "nokey", "b") == "no such key"


def test_rename_same_key(r):
    r.set("a", "1", ex=100)
    assert r.rename("a", "a") is True
    assert r.get("a") == b"1"
    assert r.ttl("a") > 0
    assert _error(r, "RENAME", "nokey", "nokey") == "no such key"


def test_rename_keeps_mutable_value_identity(r):
    r.set("a", "x")
    r.append("a", "y")     # bytearray value
    r.rename("a", "b")
    assert r.append("b", "z") == 3
    assert r.get("b") == b"xyz"


def test_rename_arity(r):
    assert WRONG_ARGS in _error(r, "RENAME", "a")
    assert WRONG_ARGS in _error(r, "RENAME", "a", "b", "c")


def test_renamenx_only_when_destination_missing(r):
    r.mset({"a": "1", "b": "2"})
    assert r.renamenx("a", "b") is False
    assert r.get("a") == b"1" and r.get("b") == b"2"
    assert r.renamenx("a", "c") is True
    assert r.get("c") == b"1"
    assert r.exists("a") == 0


def test_renamenx_same_key_is_zero(r):
    r.set("a", "1")
    assert r.execute_command("RENAMENX", "a", "a") == 0


def test_renamenx_missing_key_errors(r):
    assert _error(r, "RENAMENX", "nokey", "b") == "no such key"


def test_renamenx_keeps_ttl(r):
    r.set("a", "1", px=100000)
    assert r.renamenx("a", "b") is True
    assert 95000 <= r.pttl("b") <= 100000


def test_renamenx_arity(r):
    assert WRONG_ARGS in _error(r, "RENAMENX", "a")


# ------------------------------------------------------------------------------------------------ COPY


def test_copy_same_db(r):
    r.set("a", "1")
    assert r.copy("a", "b") is True
    assert r.get("b") == b"1"
    assert r.get("a") == b"1"


def test_copy_existing_destination_needs_replace(r):
    r.mset({"a": "1", "b": "2"})
    assert r.copy("a", "b") is False
    assert r.get("b") == b"2"
    assert r.copy("a", "b", replace=True) is True
    assert r.get("b") == b"1"


def test_copy_missing_source_is_zero(r):
    assert r.copy("nokey", "b") is False
    assert r.exists("b") == 0


def test_copy_keeps_ttl(r):
    r.set("a", "1", ex=100)
    r.copy("a", "b")
    assert 95 <= r.ttl("b") <= 100


def test_copy_replace_drops_destination_ttl(r):
    r.set("a", "1")
    r.set("b", "2", ex=100)
    r.copy("a", "b", replace=True)
    assert r.ttl("b") == -1


def test_copy_to_other_db(r):
    r.set("a", "1")
    assert r.copy("a", "a", destination_db=1) is True
    other = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=1)
    assert other.get("a") == b"1"
    assert r.copy("a", "a", destination_db=1) is False
    r.set("a", "2")
    assert r.copy("a", "a", destination_db=1, replace=True) is True
    assert other.get("a") == b"2"
    other.close()


def test_copy_is_deep_for_mutable_values(r):
    r.set("a", "x")
    r.append("a", "y")     # bytearray value: the copy must not share it
    r.copy("a", "b")
    r.append("a", "z")
    r.setrange("b", 0, "Q")
    assert r.get("a") == b"xyz"
    assert r.get("b") == b"Qy"


def test_copy_same_key_same_db_errors(r):
    r.set("a", "1")
    assert _error(r, "COPY", "a", "a") == "source and destination objects are the same"
    assert _error(r, "COPY", "a", "a", "DB", "0") == "source and destination objects are the same"


def test_copy_option_errors(r):
    r.set("a", "1")
    assert _error(r, "COPY", "a", "b", "DB") == "syntax error"
    assert _error(r, "COPY", "a", "b", "FOO") == "syntax error"
    assert _error(r, "COPY", "a", "b", "DB", "x") == "value is not an integer or out of range"
    assert _error(r, "COPY", "a", "b", "DB", "16") == "DB index is out of range"
    assert _error(r, "COPY", "a", "b", "DB", "-1") == "DB index is out of range"
    assert _error(r, "COPY", "a", "b", "DB", "99999999999") == \
        "value is out of range, value must between -2147483648 and 2147483647"


def test_copy_options_are_case_insensitive(r):
    r.set("a", "1")
    assert r.execute_command("COPY", "a", "b", "db", "1", "rEpLaCe") == 1


def test_copy_arity(r):
    assert WRONG_ARGS in _error(r, "COPY", "a")


# ------------------------------------------------------------------------------------------------ MOVE


def test_move_to_other_db(r):
    r.set("a", "1", ex=100)
    assert r.move("a", 1) is True
    assert r.exists("a") == 0
    other = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=1)
    assert other.get("a") == b"1"
    assert 95 <= other.ttl("a") <= 100
    other.close()


def test_move_fails_when_destination_has_key(r):
    other = redis.Redis(port=r.connection_pool.connection_kwargs["port"], db=1)
    other.set("a", "other")
    r.set("a", "1")
    assert r.move("a", 1) is False
    assert r.get("a") == b"1"
    assert other.get("a") == b"other"
    other.close()


def test_move_missing_key_is_zero(r):
    assert r.move("nokey", 1) is False


def test_move_errors(r):
    r.set("a", "1")
    assert _error(r, "MOVE", "a", "0") == "source and destination objects are the same"
    assert _error(r, "MOVE", "nokey", "0") == "source and destination objects are the same"
    assert _error(r, "MOVE", "a", "16") == "DB index is out of range"
    assert _error(r, "MOVE", "a", "-1") == "DB index is out of range"
    assert _error(r, "MOVE", "a", "x") == "value is not an integer or out of range"
    assert _error(r, "MOVE", "a", "4294967296") == \
        "value is out of range, value must between -2147483648 and 2147483647"


def test_move_arity(r):
    assert WRONG_ARGS in _error(r, "MOVE", "a")


# ------------------------------------------------------------------------------------------------ SWAPDB


def test_swapdb_exchanges_contents(r):
    port = r.connection_pool.connection_kwargs["port"]
    db1 = redis.Redis(port=port, db=1)
    r.set("a", "in0", ex=100)
    db1.set("b", "in1")
    assert r.swapdb(0, 1) is True
    assert r.get("a") is None and r.get("b") == b"in1"
    assert db1.get("a") == b"in0" and 95 <= db1.ttl("a") <= 100
    assert r.swapdb(1, 0) is True
    assert r.get("a") == b"in0"
    db1.close()


def test_swapdb_same_db_is_ok(r):
    r.set("a", "1")
    assert r.swapdb(0, 0) is True
    assert r.get("a") == b"1"


def test_swapdb_errors(r):
    assert _error(r, "SWAPDB", "x", "0") == "invalid first DB index"
    assert _error(r, "SWAPDB", "0", "x") == "invalid second DB index"
    assert _error(r, "SWAPDB", "x", "y") == "invalid first DB index"
    assert _error(r, "SWAPDB", "99999999999", "0") == "invalid first DB index"
    assert _error(r, "SWAPDB", "0", "99999999999") == "invalid second DB index"
    assert _error(r, "SWAPDB", "0", "16") == "DB index is out of range"
    assert _error(r, "SWAPDB", "-1", "0") == "DB index is out of range"


def test_swapdb_arity(r):
    assert WRONG_ARGS in _error(r, "SWAPDB", "0")


# ------------------------------------------------------------------------------------------------ TOUCH


def test_touch_counts_existing_keys(r):
    r.mset({"a": "1", "b": "2"})
    assert r.touch("a", "b", "nokey", "a") == 3


def test_touch_resets_idle_time_and_notouch_reads_do_not(r):
    r.set("a", "hello")
    wait_until(lambda: r.object("idletime", "a") >= 2, timeout=5, message="idle time to reach 2 s")
    # EXISTS TYPE TTL OBJECT read without touching (LOOKUP_NOTOUCH).
    r.exists("a")
    r.type("a")
    r.ttl("a")
    r.object("encoding", "a")
    assert r.object("idletime", "a") >= 2
    r.touch("a")
    assert r.object("idletime", "a") <= 1


def test_touch_arity(r):
    assert WRONG_ARGS in _error(r, "TOUCH")


# ------------------------------------------------------------------------------------------------ OBJECT


@pytest.mark.parametrize(("value", "encoding"), [
    (b"0", b"int"), (b"12345", b"int"), (b"-12345", b"int"),
    (b"9223372036854775807", b"int"), (b"-9223372036854775808", b"int"),
    (b"9223372036854775808", b"embstr"), (b"012", b"embstr"), (b"-0", b"embstr"), (b"+1", b"embstr"),
    (b" 1", b"embstr"), (b"1.5", b"embstr"), (b"", b"embstr"), (b"x" * 44, b"embstr"), (b"x" * 45, b"raw"),
    (b"1" * 21, b"embstr"),
])
def test_object_encoding_of_strings(r, value, encoding):
    r.set("k", value)
    assert r.object("encoding", "k") == encoding


def test_object_encoding_of_appended_string_is_raw(r):
    r.append("k", "1")
    assert r.object("encoding", "k") == b"int"     # a new key stores the argument as SET would
    r.append("k", "2")
    assert r.object("encoding", "k") == b"raw"


def test_object_encoding_missing_key_is_nil(raw):
    assert raw.command("OBJECT", "ENCODING", "nokey") == b"$-1\r\n"


def test_object_refcount(r):
    r.set("small", "100")
    r.set("big", "10000")
    r.set("text", "hello")
    assert r.object("refcount", "small") == 2147483647
    assert r.object("refcount", "big") == 1
    assert r.object("refcount", "text") == 1
    assert r.object("refcount", "nokey") is None


def test_object_refcount_no_shared_integers_with_lru_maxmemory(server_factory):
    sp = server_factory(maxmemory="100mb", maxmemory_policy="allkeys-lru")
    c = redis.Redis(port=sp.port)
    c.set("small", "100")
    assert c.object("refcount", "small") == 1
    c.close()


def test_object_idletime(r):
    r.set("a", "1")
    assert r.object("idletime", "a") <= 1      # 1 s resolution: a second boundary may pass in between
    assert r.object("idletime", "nokey") is None


def test_object_freq_needs_lfu_policy(r):
    r.set("a", "1")
    assert _error(r, "OBJECT", "FREQ", "a").startswith("An LFU maxmemory policy is not selected")
    assert r.object("freq", "nokey") is None


def test_object_idletime_errors_under_lfu_policy(server_factory):
    sp = server_factory(maxmemory_policy="allkeys-lfu")
    c = redis.Redis(port=sp.port)
    c.set("a", "1")
    assert _error(c, "OBJECT", "IDLETIME", "a").startswith("An LFU maxmemory policy is selected")
    assert isinstance(c.object("freq", "a"), int)
    c.close()


def test_object_help(raw):
    reply = raw.command("OBJECT", "HELP")
    assert reply.startswith(b"*15\r\n+OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:\r\n")
    assert reply.endswith(b"+HELP\r\n+    Prints this help.\r\n")


def test_object_errors(r):
    assert _error(r, "OBJECT", "FOO") == "unknown subcommand 'FOO'. Try OBJECT HELP."
    assert WRONG_ARGS in _error(r, "OBJECT")
    assert WRONG_ARGS in _error(r, "OBJECT", "ENCODING")
    assert WRONG_ARGS in _error(r, "OBJECT", "ENCODING", "a", "b")
    assert WRONG_ARGS in _error(r, "OBJECT", "HELP", "x")


def test_object_subcommands_are_case_insensitive(r):
    r.set("a", "abc")
    assert r.execute_command("object", "EnCoDiNg", "a") == b"embstr"


def test_object_encoding_binary_key(raw):
    raw.command("SET", b"\x00\xff", b"\x01")
    assert raw.command("OBJECT", "ENCODING", b"\x00\xff") == b"$6\r\nembstr\r\n"


def test_type_and_object_do_not_require_db_zero(r):
    port = r.connection_pool.connection_kwargs["port"]
    c = RawClient(port)
    c.command("SELECT", "5")
    c.command("SET", "k", "10")
    assert c.command("TYPE", "k") == b"+string\r\n"
    assert c.command("OBJECT", "ENCODING", "k") == b"$3\r\nint\r\n"
    c.close()


# ------------------------------------------------------------------------------------------------ value protocol


class _FakeList:
    """A stand-in for a future container type: the shape datatypes.encoding expects."""

    redis_type = b"list"

    def __init__(self, items: list[bytes]) -> None:
        self.items = items

    @property
    def encoding(self) -> bytes:
        return b"listpack" if len(self.items) <= 128 else b"quicklist"

    def copy(self) -> _FakeList:
        return _FakeList(list(self.items))


def test_type_and_encoding_names_for_value_types():
    from pyredcache.datatypes import RedisValue, copy_value, encoding_name, type_name

    assert type_name(b"x") == b"string" and type_name(bytearray(b"x")) == b"string"
    assert type_name(None) == b"none"
    assert encoding_name(b"123") == b"int" and encoding_name(bytearray(b"123")) == b"raw"
    value = _FakeList([b"a"])
    assert isinstance(value, RedisValue)
    assert type_name(value) == b"list"
    assert encoding_name(value) == b"listpack"
    dup = copy_value(value)
    assert isinstance(dup, _FakeList) and dup is not value and dup.items == value.items
    dup.items.append(b"b")
    assert value.items == [b"a"]


def test_copy_value_of_strings():
    from pyredcache.datatypes import copy_value

    raw = b"abc"
    assert copy_value(raw) is raw          # immutable: shared safely
    mutable = bytearray(b"abc")
    dup = copy_value(mutable)
    assert dup == mutable and dup is not mutable
