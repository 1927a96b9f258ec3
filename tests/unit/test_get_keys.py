"""Key positions from key specs, walked as Redis 7.0's getKeysUsingKeySpecs / getKeysFromCommandWithSpecs do
(no sockets): index and keyword begin-search, range (with negative lastkey and limit) and keynum find-keys,
invalid specs, INCOMPLETE / NOT_KEY / VARIABLE_FLAGS, the row's own key finder as the fallback, and the fast
path for one plain range. The same walk is checked against redis-server for all its commands in
tests/oracle/test_oracle_command.py.
"""
from __future__ import annotations

import pytest

import pyredcache.commands  # noqa: F401
from pyredcache.commands.table import (
    TABLE,
    CommandSpec,
    KeyFlag,
    KeySpec,
    build_row,
    key_keyword,
    key_keyword_num,
    key_num,
    key_range,
    key_unknown,
)

RO, RW, OW, RM = KeyFlag.RO, KeyFlag.RW, KeyFlag.OW, KeyFlag.RM


def argv(line: str) -> list[bytes]:
    return [w.encode() for w in line.split()]


def row(*keys: KeySpec, arity: int = -1, flags: str = "", **kwargs: object) -> CommandSpec:
    return build_row("t", arity, flags, keys=keys, group="server", since="1.0.0", summary="t", **kwargs)


# ---------------------------------------------------------------------------------------- KeySpec.find


@pytest.mark.parametrize("spec, line, expected", [
    (key_range(1, "RO"), "get k", [1]),
    (key_range(1, "RO"), "get", None),                                   # out of bounds: invalid
    (key_range(2, "RO"), "object encoding k", [2]),
    (key_range(1, "RO", lastkey=1), "lcs a b", [1, 2]),
    (key_range(1, "RM", lastkey=-1), "del a b c", [1, 2, 3]),
    (key_range(1, "RM", lastkey=-1), "del", None),
    (key_range(1, "OW", lastkey=-1, step=2), "mset a 1 b 2", [1, 3]),
    (key_range(1, "OW", lastkey=-1, step=2), "mset a 1 b", [1, 3]),     # Redis still reports b
    (key_range(1, "RW", lastkey=-2), "blpop a b 0", [1, 2]),
    (key_range(1, "RW", lastkey=-2), "blpop 0", None),
])
def test_get_keys_index_range(spec: KeySpec, line: str, expected: list[int] | None) -> None:
    assert spec.find(argv(line)) == expected


@pytest.mark.parametrize("line, expected", [
    ("xread streams a b 0 0", [2, 3]),
    ("xread count 2 streams a 0", [4]),
    ("xread count 2 STREAMS a b c 1 2 3", [4, 5, 6]),
    ("xread streams a b 0", [2]),             # odd tail: (argc - first) / limit truncates
    ("xread streams a b c 0 0", [2, 3]),      # as redis-server answers, too
    ("xread count 2", []),                   # keyword absent: no keys from this spec
    ("xread streams", []),                   # the last argument is never taken as the keyword
    ("xread streams a", None) ,              # last < first: invalid
])
def test_get_keys_keyword_forward_with_limit(line: str, expected: list[int] | None) -> None:
    spec = key_keyword(b"STREAMS", 1, "RO ACCESS", lastkey=-1, limit=2)
    assert spec.find(argv(line)) == expected


def test_get_keys_keyword_startfrom_skips_earlier_arguments() -> None:
    spec = key_keyword(b"STORE", 6, "OW UPDATE")
    assert spec.find(argv("georadius k 1 2 3 m store d")) == [7]
    assert spec.find(argv("georadius store 1 2 3 m x")) == []          # before startfrom
    assert spec.find(argv("georadius k 1 2 3 m STORE")) == []


def test_get_keys_keyword_backward() -> None:
    spec = key_keyword(b"KEYS", -2, "RW ACCESS DELETE", lastkey=-1)
    assert spec.find(argv('migrate h p "" 0 0 keys a b')) == [7, 8]
    assert spec.find(argv("migrate h p k 0 0")) == []
    # backward search stops before argv[1]
    assert spec.find(argv("x keys a")) == []
    assert spec.find(argv("x y keys a")) == [3]
    assert key_keyword(b"KEYS", 0, "RO").find(argv("x keys a b")) == []   # startfrom 0 never matches


@pytest.mark.parametrize("line, expected", [
    ("zunionstore d 2 a b", [3, 4]),
    ("zunionstore d 2 a b weights 1 2", [3, 4]),
    ("zunionstore d 1 a b", [3]),
    ("zunionstore d 0 a", None),            # no keys: last < first
    ("zunionstore d -1 a", None),
    ("zunionstore d x a", None),
    ("zunionstore d 02 a b", None),         # string2ll: no leading zeros
    ("zunionstore d +2 a b", None),
    ("zunionstore d 3 a b", None),          # past the end
])
def test_get_keys_keynum(line: str, expected: list[int] | None) -> None:
    assert key_num(2, 0, 1, "RO ACCESS").find(argv(line)) == expected


def test_get_keys_keynum_with_step_and_keyword() -> None:
    # Redis computes the last key as first + numkeys - 1 whatever the step (no 7.0 command uses a step)
    assert key_num(1, 0, 1, "RO", step=2).find(argv("x 2 a 1 b 2")) == [2]
    assert key_num(1, 0, 1, "RO", step=2).find(argv("x 3 a 1 b 2")) == [2, 4]
    spec = key_keyword_num(b"KEYS", 1, 0, 1, "RO")
    assert spec.find(argv("x y KEYS 2 a b")) == [4, 5]
    assert spec.find(argv("x y z")) == []


def test_get_keys_incomplete_and_unknown_specs_are_invalid() -> None:
    assert key_range(1, "RO INCOMPLETE").find(argv("x k")) is None
    assert key_unknown("RO").find(argv("sort k by p")) is None


# ------------------------------------------------------------------------------- CommandSpec.get_keys


def test_get_keys_joins_specs_in_order_with_flags() -> None:
    spec = row(key_range(1, "RW ACCESS DELETE"), key_range(2, "RW INSERT"), arity=5)
    assert spec.get_keys(argv("lmove a b left right")) == [1, 2]
    assert spec.key_refs(argv("lmove a b left right")) == [
        (1, RW | KeyFlag.ACCESS | KeyFlag.DELETE), (2, RW | KeyFlag.INSERT)]


def test_get_keys_one_invalid_spec_voids_the_walk() -> None:
    spec = row(key_range(1, "OW UPDATE"), key_num(2, 0, 1, "RO ACCESS"))
    assert spec.get_keys(argv("zunionstore d 0 a")) == []
    assert spec.get_keys(argv("zunionstore d 1 a")) == [1, 3]


def test_get_keys_skips_not_key_specs() -> None:
    spec = row(key_range(1, "RO NOT_KEY"), key_range(2, "RW"))
    assert spec.get_keys(argv("x a b")) == [2]
    assert not row(key_range(1, "RO NOT_KEY")).has_keys


def test_get_keys_falls_back_to_the_rows_key_finder() -> None:
    def finder(av: list[bytes]) -> list[int | tuple[int, int]]:
        return [1, (len(av) - 1, OW | KeyFlag.UPDATE)] if av[-2:-1] == [b"store"] else [1]

    spec = row(key_range(1, "RO ACCESS"), key_unknown("OW UPDATE"), get_keys_fn=finder)
    assert spec.key_refs(argv("sort k store d")) == [(1, 0), (3, OW | KeyFlag.UPDATE)]
    assert spec.get_keys(argv("sort k")) == [1]
    # an INCOMPLETE spec walks, fails, then the finder answers
    spec = row(key_range(3, "RW"), key_keyword(b"KEYS", -2, "RW INCOMPLETE", lastkey=-1),
               get_keys_fn=lambda av: [7, 8])
    assert spec.get_keys(argv('migrate h p "" 0 0 keys a b')) == [7, 8]


def test_get_keys_variable_flags_prefer_the_key_finder() -> None:
    spec = row(key_range(1, "RW ACCESS UPDATE VARIABLE_FLAGS"),
               get_keys_fn=lambda av: [(1, RW | KeyFlag.ACCESS | KeyFlag.UPDATE if b"get" in av[3:]
                                        else OW | KeyFlag.UPDATE)])
    assert spec.key_refs(argv("set k v")) == [(1, OW | KeyFlag.UPDATE)]
    assert spec.key_refs(argv("set k v get")) == [(1, RW | KeyFlag.ACCESS | KeyFlag.UPDATE)]
    # without a finder, positions still come from the specs (with the declared flags)
    plain = row(key_range(1, "RW ACCESS UPDATE VARIABLE_FLAGS"))
    assert plain.get_keys(argv("set k v")) == [1]


def test_get_keys_no_key_specs_means_no_keys() -> None:
    assert row().get_keys(argv("ping x")) == []


@pytest.mark.parametrize("line", ["get", "get k", "get k x", "t a b c d"])
def test_get_keys_fast_path_equals_the_walk(line: str) -> None:
    for spec in (row(key_range(1, "RO")), row(key_range(1, "RO", lastkey=2, step=2))):
        assert spec.fast_range is not None
        walked = spec._walk(argv(line))
        assert spec.get_keys(argv(line)) == ([p for p, _ in walked] if walked is not None else [])


def test_get_keys_fast_path_only_for_one_plain_range() -> None:
    assert row(key_range(1, "RO", lastkey=-1)).fast_range is None
    assert row(key_range(1, "RO"), key_range(2, "RO")).fast_range is None
    assert row(key_range(1, "RO INCOMPLETE")).fast_range is None
    assert row(key_range(1, "RO"), get_keys_fn=lambda av: [1]).fast_range is None


def test_get_keys_on_registered_rows() -> None:
    assert TABLE[b"get"].get_keys(argv("get k")) == [1]
    assert TABLE[b"del"].get_keys(argv("del a b")) == [1, 2]
    assert TABLE[b"mset"].get_keys(argv("mset a 1 b 2")) == [1, 3]
    assert TABLE[b"rename"].key_refs(argv("rename a b"))[1][0] == 2
    assert TABLE[b"object"].subcommands[b"encoding"].get_keys(argv("object encoding k")) == [2]
    assert TABLE[b"ping"].get_keys(argv("ping")) == []
