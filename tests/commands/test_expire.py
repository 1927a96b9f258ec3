"""Expiry commands against our server: EXPIRE PEXPIRE EXPIREAT PEXPIREAT (NX XX GT LT), TTL PTTL EXPIRETIME
PEXPIRETIME PERSIST, and lazy/active expiry of keys with short TTLs."""
from __future__ import annotations

import time

import pytest
import redis
from helpers.wait import wait_until

WRONG_ARGS = "wrong number of arguments"
NOT_INT = "value is not an integer or out of range"


def _error(r: redis.Redis, *args: object) -> str:
    with pytest.raises(redis.ResponseError) as info:
        r.execute_command(*args)
    return str(info.value)


def _now_ms() -> int:
    return int(time.time() * 1000)


# ------------------------------------------------------------------------------------------------ setting TTLs


def test_expire_sets_ttl_in_seconds(r):
    r.set("a", "1")
    assert r.execute_command("EXPIRE", "a", 100) == 1
    assert 99 <= r.ttl("a") <= 100
    assert 99000 <= r.pttl("a") <= 100000


def test_pexpire_sets_ttl_in_milliseconds(r):
    r.set("a", "1")
    assert r.execute_command("PEXPIRE", "a", 100500) == 1
    assert 100000 <= r.pttl("a") <= 100500
    assert r.ttl("a") in (100, 101)     # TTL rounds to the nearest second


def test_expireat_sets_absolute_seconds(r):
    r.set("a", "1")
    when = int(time.time()) + 1000
    assert r.execute_command("EXPIREAT", "a", when) == 1
    assert r.expiretime("a") == when
    assert r.execute_command("PEXPIRETIME", "a") == when * 1000


def test_pexpireat_sets_absolute_milliseconds(r):
    r.set("a", "1")
    when = _now_ms() + 1_000_123
    assert r.execute_command("PEXPIREAT", "a", when) == 1
    assert r.execute_command("PEXPIRETIME", "a") == when
    assert r.expiretime("a") == (when + 500) // 1000     # rounded to the nearest second


def test_expire_missing_key_is_zero(r):
    for cmd in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        assert r.execute_command(cmd, "nokey", 100) == 0
    assert r.exists("nokey") == 0


def test_expire_replaces_previous_ttl(r):
    r.set("a", "1", ex=1000)
    r.execute_command("EXPIRE", "a", 10)
    assert r.ttl("a") <= 10


def test_expire_in_the_past_deletes_the_key(r):
    for cmd, arg in (("EXPIRE", 0), ("EXPIRE", -5), ("PEXPIRE", -1), ("EXPIREAT", 1), ("PEXPIREAT", 0)):
        r.set("a", "1")
        assert r.execute_command(cmd, "a", arg) == 1, cmd
        assert r.exists("a") == 0, cmd


def test_expire_at_exactly_now_deletes_the_key(r):
    r.set("a", "1")
    # A time not after now counts as already expired (checkAlreadyExpired uses <=).
    assert r.execute_command("PEXPIREAT", "a", _now_ms()) == 1
    assert r.exists("a") == 0


def test_expire_works_on_mutable_string(r):
    r.set("a", "1")
    r.append("a", "1")
    assert r.execute_command("EXPIRE", "a", 100) == 1
    assert r.ttl("a") > 0


# ------------------------------------------------------------------------------------------------ NX XX GT LT


def test_expire_nx_only_without_ttl(r):
    r.set("a", "1")
    assert r.execute_command("EXPIRE", "a", 100, "NX") == 1
    assert r.execute_command("EXPIRE", "a", 200, "NX") == 0
    assert r.ttl("a") <= 100


def test_expire_xx_only_with_ttl(r):
    r.set("a", "1")
    assert r.execute_command("EXPIRE", "a", 100, "XX") == 0
    assert r.ttl("a") == -1
    r.execute_command("EXPIRE", "a", 100)
    assert r.execute_command("EXPIRE", "a", 200, "XX") == 1
    assert r.ttl("a") > 100


def test_expire_gt_only_when_greater(r):
    r.set("a", "1")
    assert r.execute_command("EXPIRE", "a", 100, "GT") == 0    # no TTL counts as infinite
    assert r.ttl("a") == -1
    r.execute_command("EXPIRE", "a", 100)
    assert r.execute_command("EXPIRE", "a", 50, "GT") == 0
    assert r.execute_command("EXPIRE", "a", 200, "GT") == 1
    assert r.ttl("a") > 100


def test_expire_lt_only_when_less(r):
    r.set("a", "1")
    assert r.execute_command("EXPIRE", "a", 100, "LT") == 1    # no TTL counts as infinite
    assert r.execute_command("EXPIRE", "a", 200, "LT") == 0
    assert r.execute_command("EXPIRE", "a", 50, "LT") == 1
    assert r.ttl("a") <= 50


def test_expire_xx_with_gt_or_lt(r):
    r.set("a", "1")
    assert r.execute_command("EXPIRE", "a", 100, "XX", "LT") == 0
    r.execute_command("EXPIRE", "a", 100)
    assert r.execute_command("EXPIRE", "a", 200, "XX", "GT") == 1
    assert r.execute_command("EXPIRE", "a", 50, "xx", "lt") == 1
    assert r.ttl("a") <= 50


def test_expire_lt_into_the_past_deletes(r):
    r.set("a", "1", ex=100)
    assert r.execute_command("PEXPIRE", "a", 0, "GT") == 0
    assert r.execute_command("PEXPIRE", "a", 0, "LT") == 1
    assert r.exists("a") == 0


def test_expire_repeated_flags_are_fine(r):
    r.set("a", "1")
    assert r.execute_command("EXPIRE", "a", 100, "NX", "NX") == 1
    assert r.execute_command("EXPIRE", "a", 200, "GT", "gt") == 1


def test_expire_incompatible_flags(r):
    r.set("a", "1")
    nx_msg = "NX and XX, GT or LT options at the same time are not compatible"
    for flags in (("NX", "XX"), ("NX", "GT"), ("NX", "LT"), ("xx", "nx")):
        assert _error(r, "EXPIRE", "a", 10, *flags) == nx_msg
    assert _error(r, "EXPIRE", "a", 10, "GT", "LT") == "GT and LT options at the same time are not compatible"
    assert _error(r, "PEXPIRE", "a", 10, "XX", "GT", "LT") == \
        "GT and LT options at the same time are not compatible"


def test_expire_unsupported_option(r):
    r.set("a", "1")
    assert _error(r, "EXPIRE", "a", 10, "FOO") == "Unsupported option FOO"
    # Options are checked before the time argument.
    assert _error(r, "EXPIRE", "a", "notanumber", "FOO") == "Unsupported option FOO"
    assert _error(r, "EXPIRE", "a", 10, b"x\r\ny") == "Unsupported option x  y"
    assert _error(r, "EXPIRE", "a", 10, b"x\x00y") == "Unsupported option x"


# ------------------------------------------------------------------------------------------------ time errors


@pytest.mark.parametrize("cmd", ["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
def test_expire_time_not_an_integer(r, cmd):
    r.set("a", "1")
    for bad in ("x", "1.5", "", " 1", "99999999999999999999"):
        assert _error(r, cmd, "a", bad) == NOT_INT
    assert _error(r, cmd, "a", "x", "NX") == NOT_INT


@pytest.mark.parametrize(("cmd", "value"), [
    ("EXPIRE", "9223372036854775807"), ("EXPIRE", "9223372036854776"), ("EXPIRE", "-9223372036854776"),
    ("EXPIRE", "9223372036854775"),   # fits the unit conversion, overflows when now is added
    ("PEXPIRE", "9223372036854775807"), ("EXPIREAT", "9223372036854775807"),
])
def test_expire_time_overflow(r, cmd, value):
    r.set("a", "1")
    assert _error(r, cmd, "a", value) == f"invalid expire time in '{cmd.lower()}' command"
    assert r.exists("a") == 1


def test_expire_overflow_error_on_missing_key_too(r):
    assert _error(r, "EXPIRE", "nokey", "9223372036854775807") == "invalid expire time in 'expire' command"


def test_expire_huge_but_valid_times(r):
    r.set("a", "1")
    assert r.execute_command("PEXPIREAT", "a", "9223372036854775807") == 1
    assert r.execute_command("PEXPIRETIME", "a") == 9223372036854775807
    assert r.execute_command("EXPIREAT", "a", "9223372036854775") == 1
    assert r.execute_command("PEXPIRETIME", "a") == 9223372036854775000
    assert r.execute_command("EXPIRE", "a", "-9223372036854775") == 1    # far past: deleted
    assert r.exists("a") == 0


def test_expire_arity(r):
    for cmd in ("EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"):
        assert WRONG_ARGS in _error(r, cmd, "a")


# ------------------------------------------------------------------------------------------------ TTL family


def test_ttl_missing_and_persistent(r):
    r.set("a", "1")
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert r.execute_command(cmd, "nokey") == -2
        assert r.execute_command(cmd, "a") == -1


def test_ttl_rounds_to_nearest_second(r):
    r.set("a", "1", px=1600)
    assert r.ttl("a") == 2
    r.set("a", "1", px=1400)
    assert r.ttl("a") == 1


def test_ttl_arity(r):
    for cmd in ("TTL", "PTTL", "EXPIRETIME", "PEXPIRETIME"):
        assert WRONG_ARGS in _error(r, cmd)
        assert WRONG_ARGS in _error(r, cmd, "a", "b")


def test_expiretime_rounds_to_nearest_second(r):
    r.set("a", "1")
    r.execute_command("PEXPIREAT", "a", 4000000000999)
    assert r.expiretime("a") == 4000000001    # (ms + 500) / 1000, as ttlGenericCommand


# ------------------------------------------------------------------------------------------------ PERSIST


def test_persist_removes_ttl(r):
    r.set("a", "1", ex=100)
    assert r.persist("a") is True
    assert r.ttl("a") == -1
    assert r.persist("a") is False


def test_persist_missing_key(r):
    assert r.persist("nokey") is False


def test_persist_arity(r):
    assert WRONG_ARGS in _error(r, "PERSIST")
    assert WRONG_ARGS in _error(r, "PERSIST", "a", "b")


def test_set_clears_ttl_and_keepttl_keeps_it(r):
    r.set("a", "1", ex=100)
    r.set("a", "2")
    assert r.ttl("a") == -1
    r.set("a", "1", ex=100)
    r.set("a", "2", keepttl=True)
    assert r.ttl("a") > 0


# ------------------------------------------------------------------------------------------------ expiry itself


def test_lazy_expiry_key_gone_when_polled(r):
    r.set("a", "1", px=50)
    assert r.get("a") == b"1"
    wait_until(lambda: r.get("a") is None, timeout=5, message="a to expire")
    assert r.exists("a") == 0
    assert r.ttl("a") == -2


def test_pexpire_then_lazy_expiry(r):
    r.set("a", "1")
    r.execute_command("PEXPIRE", "a", 50)
    wait_until(lambda: r.exists("a") == 0, timeout=5, message="a to expire")


def test_active_expiry_removes_keys_without_access(r):
    pipe = r.pipeline(transaction=False)
    for i in range(200):
        pipe.set(f"k{i}", "v", px=50)
    pipe.set("persistent", "v")
    pipe.execute()
    # DBSIZE counts logically expired keys until something deletes them: only the cron can, here.
    wait_until(lambda: r.dbsize() == 1, timeout=10, message="active expiry to remove 200 keys")
    assert r.keys("*") == [b"persistent"]


def test_expired_key_can_be_set_again(r):
    r.set("a", "1", px=20)
    wait_until(lambda: r.exists("a") == 0, timeout=5, message="a to expire")
    r.set("a", "2")
    assert r.get("a") == b"2"
    assert r.ttl("a") == -1


def test_ttl_counts_down(r):
    r.set("a", "1", px=300)
    first = r.pttl("a")
    wait_until(lambda: r.pttl("a") < first - 50, timeout=5, message="PTTL to decrease")
