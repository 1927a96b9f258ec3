"""SCAN against our server: the iteration guarantee while the table grows and shrinks, MATCH / COUNT / TYPE,
cursor parsing, and expired keys."""
from __future__ import annotations

import pytest
import redis
from helpers.wait import wait_until

WRONG_ARGS = "wrong number of arguments"


def _error(r: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command(*args)
    return str(info.value)


def _fill(r: redis.Redis, keys: list[str]) -> None:
    pipe = r.pipeline(transaction=False)
    for k in keys:
        pipe.set(k, "v")
    pipe.execute()


def _full_scan(r: redis.Redis, max_calls: int = 100_000, **kwargs: object) -> list[bytes]:
    out: list[bytes] = []
    cursor = 0
    for _ in range(max_calls):
        cursor, keys = r.scan(cursor, **kwargs)
        out.extend(keys)
        if cursor == 0:
            return out
    raise AssertionError("SCAN did not return cursor 0")


# ------------------------------------------------------------------------------------------------ basics


def test_scan_empty_db(r):
    assert r.scan(0) == (0, [])


def test_scan_full_iteration_returns_every_key_once(r):
    keys = [f"key:{i}" for i in range(1000)]
    _fill(r, keys)
    seen = _full_scan(r)
    assert len(seen) == len(keys)
    assert set(seen) == {k.encode() for k in keys}


def test_scan_reply_shape(raw):
    raw.command("SET", "a", "1")
    assert raw.command("SCAN", "0") == b"*2\r\n$1\r\n0\r\n*1\r\n$1\r\na\r\n"


def test_scan_cursor_is_a_bulk_string(raw):
    for i in range(100):
        raw.command("SET", f"k{i}", "v")
    reply = raw.command("SCAN", "0", "COUNT", "5")
    assert reply.startswith(b"*2\r\n$")
    assert not reply.startswith(b"*2\r\n$1\r\n0\r\n")


# ------------------------------------------------------------------------------------------------ the guarantee


def test_scan_guarantee_with_growth_and_shrink(r):
    """Every key present for the whole iteration is returned at least once, while the table resizes."""
    stable = [f"stable:{i}" for i in range(500)]
    _fill(r, stable)
    _fill(r, [f"doomed:{i}" for i in range(300)])
    r.delete(*[f"doomed:{i}" for i in range(300)])      # never present during the iteration
    seen: set[bytes] = set()
    cursor = 0
    calls = 0
    batch = 0
    while True:
        cursor, keys = r.scan(cursor, count=10)
        seen.update(keys)
        calls += 1
        if cursor == 0:
            break
        assert calls < 50_000
        # Grow the table a lot during the first half, then shrink it far below its start size.
        if calls < 40:
            _fill(r, [f"extra:{batch}:{j}" for j in range(100)])
            batch += 1
        elif calls == 40:
            extra = [k for k in r.keys("extra:*")]
            pipe = r.pipeline(transaction=False)
            for i in range(0, len(extra), 500):
                pipe.delete(*extra[i:i + 500])
            pipe.execute()
        elif calls == 45:
            r.delete(*stable[250:])        # these were not present for the whole iteration
    assert {k.encode() for k in stable[:250]} <= seen
    assert not any(k.startswith(b"doomed:") for k in seen)


def test_scan_guarantee_with_interleaved_inserts_and_deletes(r):
    stable = [f"s{i}" for i in range(300)]
    _fill(r, stable)
    seen: set[bytes] = set()
    cursor = 0
    step = 0
    while True:
        cursor, keys = r.scan(cursor, count=7)
        seen.update(keys)
        if cursor == 0:
            break
        step += 1
        assert step < 50_000
        r.set(f"t{step}", "v")
        if step % 3 == 0:
            r.delete(f"t{step - 1}")
    assert {k.encode() for k in stable} <= seen


# ------------------------------------------------------------------------------------------------ options


def test_scan_match(r):
    _fill(r, [f"user:{i}" for i in range(50)] + [f"item:{i}" for i in range(50)])
    seen = _full_scan(r, match="user:*")
    assert sorted(seen) == sorted(f"user:{i}".encode() for i in range(50))
    assert _full_scan(r, match="nothing*") == []
    assert len(_full_scan(r, match="*")) == 100


def test_scan_match_may_return_empty_pages(r):
    _fill(r, [f"k{i}" for i in range(200)])
    cursor, keys = r.scan(0, match="zzz*", count=10)
    assert keys == []
    assert cursor != 0


def test_scan_count_bounds_the_work(r):
    _fill(r, [f"k{i}" for i in range(1000)])
    cursor, keys = r.scan(0, count=5)
    assert cursor != 0
    assert 1 <= len(keys) <= 60
    cursor, keys = r.scan(0, count=100000)
    assert cursor == 0
    assert len(keys) == 1000


def test_scan_count_one_completes(r):
    _fill(r, [f"k{i}" for i in range(100)])
    assert len(set(_full_scan(r, count=1))) == 100


def test_scan_type(r):
    r.set("s1", "v")
    r.set("s2", "v")
    r.append("s2", "v")
    assert sorted(_full_scan(r, _type="string")) == [b"s1", b"s2"]
    assert sorted(_full_scan(r, _type="STRING")) == [b"s1", b"s2"]
    assert _full_scan(r, _type="list") == []
    assert _full_scan(r, _type="nosuchtype") == []


def test_scan_all_options_together(r):
    _fill(r, [f"a{i}" for i in range(30)] + [f"b{i}" for i in range(30)])
    seen = _full_scan(r, match="a*", count=1000, _type="string")
    assert len(seen) == 30


def test_scan_options_repeat_last_wins(r):
    _fill(r, ["a1", "b1"])
    assert r.execute_command("SCAN", "0", "MATCH", "a*", "MATCH", "b*")[1] == [b"b1"]


def test_scan_option_errors(r):
    assert _error(r, "SCAN", "0", "COUNT", "0") == "syntax error"
    assert _error(r, "SCAN", "0", "COUNT", "-1") == "syntax error"
    assert _error(r, "SCAN", "0", "COUNT", "x") == "value is not an integer or out of range"
    assert _error(r, "SCAN", "0", "COUNT") == "syntax error"
    assert _error(r, "SCAN", "0", "MATCH") == "syntax error"
    assert _error(r, "SCAN", "0", "TYPE") == "syntax error"
    assert _error(r, "SCAN", "0", "FOO", "bar") == "syntax error"


def test_scan_arity(r):
    assert WRONG_ARGS in _error(r, "SCAN")


# ------------------------------------------------------------------------------------------------ cursors


@pytest.mark.parametrize("cursor", ["x", " 5", "\t5", "5 ", "0x10", "1.5", "-", "+", "18446744073709551616",
                                    "-18446744073709551616"])
def test_scan_invalid_cursor(r, cursor):
    assert _error(r, "SCAN", cursor) == "invalid cursor"


@pytest.mark.parametrize("cursor", ["", "00", "-0", "+0", "-1", "+7", "18446744073709551615",
                                    "-18446744073709551615"])
def test_scan_cursor_strtoul_forms_are_accepted(r, cursor):
    r.set("a", "1")
    next_cursor, keys = r.execute_command("SCAN", cursor)
    assert int(next_cursor) >= 0


def test_scan_cursor_checked_before_options(r):
    assert _error(r, "SCAN", "x", "COUNT", "0") == "invalid cursor"


def test_scan_resumes_from_returned_cursor(r):
    _fill(r, [f"k{i}" for i in range(100)])
    cursor, first = r.scan(0, count=10)
    cursor2, second = r.scan(cursor, count=10)
    assert not set(first) & set(second)


# ------------------------------------------------------------------------------------------------ expiry


def test_scan_never_returns_expired_keys(r):
    _fill(r, [f"live{i}" for i in range(20)])
    pipe = r.pipeline(transaction=False)
    for i in range(20):
        pipe.set(f"dead{i}", "v", px=1)
    pipe.execute()
    wait_until(lambda: len(r.keys("*")) == 20, timeout=5, message="dead keys to be logically expired")
    seen = _full_scan(r)
    assert sorted(seen) == sorted(f"live{i}".encode() for i in range(20))
