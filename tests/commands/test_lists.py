"""List commands on pyredcache alone: happy paths, every option, errors, edge cases, encodings, DEBUG/MEMORY."""
from __future__ import annotations

import pytest
import redis

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"


def _err(r: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command(*args)
    return str(info.value)


# ------------------------------------------------------------------------------------------------ pushes


def test_lpush_prepends_in_argument_order(r):
    assert r.lpush("l", "a", "b", "c") == 3
    assert r.lrange("l", 0, -1) == [b"c", b"b", b"a"]


def test_rpush_appends_and_returns_length(r):
    assert r.rpush("l", "a") == 1
    assert r.rpush("l", "b", "c") == 3
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c"]
    assert r.type("l") == b"list"


def test_rpush_binary_and_empty_elements(r):
    r.rpush("l", b"\x00\xff\r\n", b"")
    assert r.lrange("l", 0, -1) == [b"\x00\xff\r\n", b""]


def test_lpushx_rpushx_only_on_existing_list(r):
    assert r.lpushx("l", "a") == 0
    assert r.rpushx("l", "a") == 0
    assert r.exists("l") == 0
    r.rpush("l", "m")
    assert r.lpushx("l", "a", "b") == 3
    assert r.rpushx("l", "z") == 4
    assert r.lrange("l", 0, -1) == [b"b", b"a", b"m", b"z"]


def test_push_arity_errors(r):
    for cmd in ("LPUSH", "RPUSH", "LPUSHX", "RPUSHX"):
        assert _err(r, cmd, "l") == f"wrong number of arguments for '{cmd.lower()}' command"


@pytest.mark.parametrize("args", [
    ("LPUSH", "s", "x"), ("RPUSH", "s", "x"), ("LPUSHX", "s", "x"), ("RPUSHX", "s", "x"), ("LPOP", "s"),
    ("RPOP", "s", "1"), ("LLEN", "s"), ("LRANGE", "s", 0, 1), ("LINDEX", "s", 0), ("LSET", "s", 0, "x"),
    ("LINSERT", "s", "BEFORE", "a", "b"), ("LREM", "s", 0, "a"), ("LTRIM", "s", 0, 1), ("LPOS", "s", "a"),
    ("LMOVE", "s", "d", "LEFT", "LEFT"), ("RPOPLPUSH", "s", "d"), ("LMPOP", 1, "s", "LEFT"),
])
def test_list_commands_wrongtype(r, args):
    r.set("s", "v")
    assert _err(r, *args) == WRONGTYPE
    assert r.get("s") == b"v"


def test_lmove_destination_wrongtype_leaves_source(r):
    r.rpush("l", "a")
    r.set("s", "v")
    assert _err(r, "LMOVE", "l", "s", "LEFT", "LEFT") == WRONGTYPE
    assert _err(r, "RPOPLPUSH", "l", "s") == WRONGTYPE
    assert r.lrange("l", 0, -1) == [b"a"]
    assert r.lmove("nokey", "s") is None


# -------------------------------------------------------------------------------------------------- pops


def test_lpop_rpop_single(r):
    r.rpush("l", "a", "b", "c")
    assert r.lpop("l") == b"a"
    assert r.rpop("l") == b"c"
    assert r.lpop("l") == b"b"
    assert r.exists("l") == 0
    assert r.lpop("l") is None
    assert r.rpop("l") is None


def test_lpop_rpop_count(r):
    r.rpush("l", "a", "b", "c", "d")
    assert r.lpop("l", 2) == [b"a", b"b"]
    assert r.rpop("l", 1) == [b"d"]
    assert r.rpop("l", 0) == []
    assert r.rpop("l", 10) == [b"c"]
    assert r.exists("l") == 0


def test_lpop_count_missing_key_is_null_array(raw):
    assert raw.command("LPOP", "nokey", "1") == b"*-1\r\n"
    assert raw.command("RPOP", "nokey", "0") == b"*-1\r\n"
    assert raw.command("LPOP", "nokey") == b"$-1\r\n"
    raw.command("RPUSH", "l", "a")
    assert raw.command("LPOP", "l", "0") == b"*0\r\n"


def test_lpop_resp3_null_shapes(raw):
    raw.command("HELLO", "3")
    assert raw.command("LPOP", "nokey") == b"_\r\n"
    assert raw.command("RPOP", "nokey", "2") == b"_\r\n"
    assert raw.command("LMPOP", "1", "nokey", "LEFT") == b"_\r\n"
    raw.command("RPUSH", "l", "a", "b")
    assert raw.command("RPOP", "l", "5") == b"*2\r\n$1\r\nb\r\n$1\r\na\r\n"


def test_lpop_count_errors(r):
    r.rpush("l", "a")
    assert _err(r, "LPOP", "l", "-1") == "value is out of range, must be positive"
    assert _err(r, "RPOP", "l", "x") == "value is out of range, must be positive"
    assert _err(r, "LPOP", "l", "1", "2") == "wrong number of arguments for 'lpop' command"
    assert _err(r, "RPOP", "l", "1", "2") == "wrong number of arguments for 'rpop' command"
    assert _err(r, "LPOP") == "wrong number of arguments for 'lpop' command"


# ---------------------------------------------------------------------------------------------- reading


def test_llen(r):
    assert r.llen("l") == 0
    r.rpush("l", "a", "b")
    assert r.llen("l") == 2


def test_lrange_indexes(r):
    r.rpush("l", *"abcde")
    assert r.lrange("l", 0, -1) == [b"a", b"b", b"c", b"d", b"e"]
    assert r.lrange("l", 1, 2) == [b"b", b"c"]
    assert r.lrange("l", -2, -1) == [b"d", b"e"]
    assert r.lrange("l", -100, 100) == [b"a", b"b", b"c", b"d", b"e"]
    assert r.lrange("l", 3, 1) == []
    assert r.lrange("l", 5, 10) == []
    assert r.lrange("nokey", 0, -1) == []
    assert _err(r, "LRANGE", "l", "a", "1") == "value is not an integer or out of range"


def test_lrange_near_tail_of_long_list(r):
    r.rpush("l", *range(5000))
    assert r.lrange("l", -3, -1) == [b"4997", b"4998", b"4999"]
    assert r.lrange("l", 4990, 4992) == [b"4990", b"4991", b"4992"]
    assert r.lrange("l", 2, 4) == [b"2", b"3", b"4"]
    assert r.lindex("l", -1) == b"4999"
    assert r.lindex("l", 2500) == b"2500"


def test_lindex(r):
    r.rpush("l", "a", "b", "c")
    assert r.lindex("l", 0) == b"a"
    assert r.lindex("l", -1) == b"c"
    assert r.lindex("l", 3) is None
    assert r.lindex("l", -4) is None
    assert r.lindex("nokey", 0) is None
    assert _err(r, "LINDEX", "l", "1.0") == "value is not an integer or out of range"


def test_lpos_basic_and_rank(r):
    r.rpush("l", "a", "b", "c", "b", "b")
    assert r.lpos("l", "b") == 1
    assert r.lpos("l", "b", rank=2) == 3
    assert r.lpos("l", "b", rank=-1) == 4
    assert r.lpos("l", "b", rank=-3) == 1
    assert r.lpos("l", "b", rank=4) is None
    assert r.lpos("l", "z") is None
    assert r.lpos("nokey", "z") is None


def test_lpos_count_and_maxlen(r):
    r.rpush("l", "a", "b", "c", "b", "b")
    assert r.lpos("l", "b", count=0) == [1, 3, 4]
    assert r.lpos("l", "b", count=2) == [1, 3]
    assert r.lpos("l", "b", count=2, rank=-1) == [4, 3]
    assert r.lpos("l", "b", count=0, maxlen=2) == [1]
    assert r.lpos("l", "b", count=0, maxlen=2, rank=-1) == [4, 3]
    assert r.lpos("l", "z", count=0) == []
    assert r.lpos("nokey", "z", count=1) == []


def test_lpos_errors(r):
    r.rpush("l", "a")
    assert _err(r, "LPOS", "l", "a", "RANK", "0").startswith("RANK can't be zero")
    assert _err(r, "LPOS", "l", "a", "COUNT", "-1") == "COUNT can't be negative"
    assert _err(r, "LPOS", "l", "a", "MAXLEN", "-1") == "MAXLEN can't be negative"
    assert _err(r, "LPOS", "l", "a", "RANK", "x") == "value is not an integer or out of range"
    assert _err(r, "LPOS", "l", "a", "FOO", "1") == "syntax error"
    assert _err(r, "LPOS", "l", "a", "COUNT") == "syntax error"


# ------------------------------------------------------------------------------------------------ writes


def test_lset(r):
    r.rpush("l", "a", "b", "c")
    assert r.lset("l", 0, "x") is True
    assert r.lset("l", -1, "z") is True
    assert r.lrange("l", 0, -1) == [b"x", b"b", b"z"]
    assert _err(r, "LSET", "l", "3", "v") == "index out of range"
    assert _err(r, "LSET", "nokey", "0", "v") == "no such key"
    assert _err(r, "LSET", "nokey", "x", "v") == "no such key"
    assert _err(r, "LSET", "l", "x", "v") == "value is not an integer or out of range"


def test_linsert(r):
    assert r.linsert("nokey", "BEFORE", "a", "x") == 0
    r.rpush("l", "a", "b", "a")
    assert r.linsert("l", "BEFORE", "a", "x") == 4
    assert r.linsert("l", "AFTER", "b", "y") == 5
    assert r.linsert("l", "after", "zz", "y") == -1
    assert r.lrange("l", 0, -1) == [b"x", b"a", b"b", b"y", b"a"]
    assert _err(r, "LINSERT", "l", "MIDDLE", "a", "x") == "syntax error"


def test_lrem_directions(r):
    r.rpush("l", "a", "b", "a", "c", "a")
    assert r.lrem("l", 1, "a") == 1
    assert r.lrange("l", 0, -1) == [b"b", b"a", b"c", b"a"]
    assert r.lrem("l", -1, "a") == 1
    assert r.lrange("l", 0, -1) == [b"b", b"a", b"c"]
    assert r.lrem("l", 0, "zz") == 0
    assert r.lrem("l", 0, "a") == 1
    assert r.lrem("nokey", 0, "a") == 0
    assert _err(r, "LREM", "l", "x", "a") == "value is not an integer or out of range"


def test_lrem_removing_everything_deletes_key(r):
    r.rpush("l", "a", "a")
    assert r.lrem("l", 0, "a") == 2
    assert r.exists("l") == 0


def test_ltrim(r):
    r.rpush("l", *"abcdef")
    assert r.ltrim("l", 1, -2) is True
    assert r.lrange("l", 0, -1) == [b"b", b"c", b"d", b"e"]
    assert r.ltrim("l", -2, 100) is True
    assert r.lrange("l", 0, -1) == [b"d", b"e"]
    assert r.ltrim("l", 5, 1) is True
    assert r.exists("l") == 0
    assert r.ltrim("nokey", 0, 1) is True
    assert _err(r, "LTRIM", "l", "0", "x") == "value is not an integer or out of range"


# ------------------------------------------------------------------------------------------ moving around


def test_lmove_all_directions(r):
    r.rpush("src", "a", "b", "c")
    assert r.lmove("src", "dst", "LEFT", "RIGHT") == b"a"
    assert r.lmove("src", "dst", "RIGHT", "LEFT") == b"c"
    assert r.lrange("dst", 0, -1) == [b"c", b"a"]
    assert r.lmove("src", "dst", "LEFT", "LEFT") == b"b"
    assert r.exists("src") == 0
    assert r.lmove("src", "dst") is None
    assert r.lrange("dst", 0, -1) == [b"b", b"c", b"a"]
    assert _err(r, "LMOVE", "dst", "x", "UP", "LEFT") == "syntax error"


def test_lmove_same_key_rotates(r):
    r.rpush("l", "a", "b", "c")
    assert r.lmove("l", "l", "LEFT", "RIGHT") == b"a"
    assert r.lrange("l", 0, -1) == [b"b", b"c", b"a"]
    r.delete("l")
    r.rpush("l", "only")
    assert r.rpoplpush("l", "l") == b"only"
    assert r.lrange("l", 0, -1) == [b"only"]


def test_rpoplpush(r):
    r.rpush("src", "a", "b")
    assert r.rpoplpush("src", "dst") == b"b"
    assert r.rpoplpush("src", "dst") == b"a"
    assert r.rpoplpush("src", "dst") is None
    assert r.lrange("dst", 0, -1) == [b"a", b"b"]


def test_lmpop(r):
    r.rpush("a", "1", "2", "3")
    r.rpush("b", "x")
    assert r.lmpop(2, "nokey", "a", direction="LEFT") == [b"a", [b"1"]]
    assert r.lmpop(2, "a", "b", direction="RIGHT", count=5) == [b"a", [b"3", b"2"]]
    assert r.exists("a") == 0
    assert r.lmpop(2, "a", "b", direction="LEFT") == [b"b", [b"x"]]
    assert r.lmpop(2, "a", "b", direction="LEFT") is None


def test_lmpop_errors(r):
    assert _err(r, "LMPOP", "0", "a", "LEFT") == "numkeys should be greater than 0"
    assert _err(r, "LMPOP", "x", "a", "LEFT") == "numkeys should be greater than 0"
    assert _err(r, "LMPOP", "2", "a", "LEFT") == "syntax error"
    assert _err(r, "LMPOP", "1", "a", "UP") == "syntax error"
    assert _err(r, "LMPOP", "1", "a", "LEFT", "COUNT", "0") == "count should be greater than 0"
    assert _err(r, "LMPOP", "1", "a", "LEFT", "COUNT", "1", "COUNT", "1") == "syntax error"
    assert _err(r, "LMPOP", "1", "a") == "wrong number of arguments for 'lmpop' command"


def test_lmpop_getkeys(raw):
    assert raw.command("COMMAND", "GETKEYS", "LMPOP", "2", "a", "b", "LEFT") == b"*2\r\n$1\r\na\r\n$1\r\nb\r\n"


# ---------------------------------------------------------------------------------- encodings and memory


def test_object_encoding_is_quicklist(r):
    r.rpush("small", "a")
    r.rpush("big", *["x" * 100] * 200)
    assert r.object("encoding", "small") == b"quicklist"
    assert r.object("encoding", "big") == b"quicklist"


def test_list_survives_copy_independently(r):
    r.rpush("l", "a", "b")
    assert r.copy("l", "c") is True
    r.rpush("c", "z")
    assert r.lrange("l", 0, -1) == [b"a", b"b"]
    assert r.lrange("c", 0, -1) == [b"a", b"b", b"z"]


def test_memory_usage_on_list(r):
    r.rpush("l", *range(100))
    assert r.memory_usage("l") > 100


def test_debug_object_on_list(server_factory):
    sp = server_factory(enable_debug_command="yes", rdbcompression="no")
    client = redis.Redis(port=sp.port, socket_timeout=10)
    try:
        # Numbers checked on redis-server 7.0.15 with rdbcompression no.
        client.rpush("a", "x", "y", "1", "2", "300", "-5", "70000", "abcdefghijklmnopqrstuvwxyz" * 3)
        line = client.execute_command("DEBUG", "OBJECT", "a")
        text = line.decode() if isinstance(line, bytes) else str(line)
        assert "encoding:quicklist" in text
        assert "ql_nodes:1 ql_avg_node:8.00" in text
        assert "ql_uncompressed_size:109" in text
        client.rpush("b", *[str(i) * 20 for i in range(1000)])
        text = client.execute_command("DEBUG", "OBJECT", "b")
        text = text.decode() if isinstance(text, bytes) else str(text)
        assert "serializedlength:59881" in text
        assert "ql_nodes:8 ql_avg_node:125.00" in text
        assert "ql_uncompressed_size:59856" in text
    finally:
        client.close()
