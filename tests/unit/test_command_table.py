"""The command table's self-validation and derived data (no sockets): bad rows raise at registration, the
implicit ACL categories, legacy (first, last, step) ranges and MOVABLEKEYS follow Redis 7.0's rules, every
registered row is complete and its `args=` syntax line parses into a well-formed COMMAND DOCS tree.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import pyredcache.commands  # noqa: F401  (registers every row)
from pyredcache.commands.command_docs import ArgSyntaxError, docs_reply, info_reply, parse_args, validate_args
from pyredcache.commands.table import (
    ACL_CATEGORIES,
    GROUPS,
    TABLE,
    CommandSpec,
    Flag,
    all_specs,
    build_row,
    command,
    container,
    key_keyword,
    key_num,
    key_range,
    key_unknown,
    lookup_by_name,
    lookup_command,
    subcommand,
)

DOCS: dict[str, Any] = dict(group="server", since="1.0.0", summary="A test row")


def row(flags: str = "", keys: tuple = (), arity: int = -1, **kwargs: object) -> CommandSpec:
    return build_row("t", arity, flags, keys=keys, **{**DOCS, **kwargs})


def _noop(c: object, argv: list[bytes]) -> None:
    return None


@pytest.fixture
def scratch() -> Iterator[list[bytes]]:
    """Names registered by a test, removed from the global table afterwards."""
    names: list[bytes] = []
    yield names
    for name in names:
        TABLE.pop(name, None)


# --------------------------------------------------------------------------------------- validation


@pytest.mark.parametrize("kwargs, message", [
    (dict(arity=0), "arity 0"),
    (dict(flags="WRITE READONLY"), "WRITE and READONLY"),
    (dict(flags="NOSUCHFLAG"), "unknown command flag"),
    (dict(summary=""), "missing summary"),
    (dict(since=""), "missing since"),
    (dict(group="strings"), "unknown group"),
    (dict(acl="@nosuch"), "unknown ACL category"),
    (dict(doc_flags=("obsolete",)), "unknown doc flag"),
    (dict(tips="nondeterministic_output"), None),       # a string is split into tips: allowed
    (dict(history=(("1.0.0",),)), "history entries"),
    (dict(arity=2, keys=(key_range(2, "RO"),)), "index past arity"),
    (dict(arity=3, keys=(key_range(1, "RO", lastkey=2),)), "last key past arity"),
    (dict(keys=(key_range(0, "RO"),)), "index must be >= 1"),
    (dict(keys=(key_range(1, "RO", step=0),)), "step must be >= 1"),
    (dict(keys=(key_range(1, "RO RW"),)), "one of RO/RW/OW/RM"),
    (dict(keys=(key_range(1, "RO", lastkey=-2, limit=2),)), "limit needs lastkey -1"),
    (dict(flags="MOVABLE_KEYS"), "MOVABLE_KEYS is derived"),
    (dict(nosuchfield=1), "unexpected keyword"),
])
def test_command_table_rejects_bad_rows(kwargs: dict, message: str | None) -> None:
    args = {**DOCS, **kwargs}
    arity = args.pop("arity", -1)
    flags = args.pop("flags", "")
    keys = args.pop("keys", ())
    if message is None:
        build_row("t", arity, flags, keys=keys, **args)
        return
    with pytest.raises(ValueError, match=message):
        build_row("t", arity, flags, keys=keys, **args)


def test_command_table_rejects_unknown_key_spec_flag() -> None:
    with pytest.raises(ValueError, match="unknown key-spec flag"):
        key_range(1, "RO SOMETIMES")


def test_command_table_rejects_duplicate_names(scratch: list[bytes]) -> None:
    with pytest.raises(ValueError, match="duplicate command"):
        command("get", 2, **DOCS)(_noop)
    with pytest.raises(ValueError, match="duplicate command"):
        container("GET", **DOCS)
    container("__box__", **DOCS)
    scratch.append(b"__box__")
    subcommand("__box__", "one", 2, **DOCS)(_noop)
    with pytest.raises(ValueError, match="duplicate subcommand"):
        subcommand("__box__", "ONE", 2, **DOCS)(_noop)


def test_command_bad_row_is_not_registered() -> None:
    with pytest.raises(ValueError):
        command("__bad__", 0, **DOCS)(_noop)
    assert b"__bad__" not in TABLE


def test_subcommand_inherits_group_and_gets_full_name(scratch: list[bytes]) -> None:
    box = container("__box__", group="generic", since="1.0.0", summary="box")
    scratch.append(b"__box__")
    subcommand("__box__", "Sub", 3, "READONLY", keys=[key_range(2, "RO")], since="2.0.0", summary="s")(_noop)
    sub = box.subcommands[b"sub"]
    assert (sub.fullname, sub.group, sub.parent, sub.log_name) == ("__box__|sub", "generic", box, b"__box__|sub")
    assert lookup_by_name(b"__BOX__|SUB") is sub
    assert lookup_command([b"__box__", b"sub", b"k"]) is sub
    assert lookup_command([b"__box__", b"nosuch"]) is None
    assert lookup_command([b"__box__"]) is box


def test_container_handler_runs_without_subcommand(scratch: list[bytes]) -> None:
    box = container("__box__", -1, handler=_noop, **DOCS)
    scratch.append(b"__box__")
    assert box.handler is _noop


def test_lookup_by_name_is_strict() -> None:
    assert lookup_by_name(b"GET") is TABLE[b"get"]
    for name in (b"nosuch", b"get|x", b"|", b"", b"command|", b"command|info|x", b"|get"):
        assert lookup_by_name(name) is None
    assert lookup_by_name(b"Command|Info") is TABLE[b"command"].subcommands[b"info"]


# ---------------------------------------------------------------------------------- derived categories


@pytest.mark.parametrize("flags, acl, expected", [
    ("READONLY FAST", "@string", ("read", "string", "fast")),
    ("WRITE DENYOOM", "@string", ("write", "string", "slow")),
    ("ADMIN NOSCRIPT", "", ("admin", "slow", "dangerous")),
    ("PUBSUB LOADING STALE FAST", "", ("pubsub", "fast")),
    ("WRITE BLOCKING", "@list", ("write", "list", "slow", "blocking")),
    ("READONLY", "@scripting", ("slow", "scripting")),       # no @read for read-only scripts
    ("", "@fast @connection", ("fast", "connection")),       # explicit @fast also means "not slow"
    ("WRITE", "@keyspace @dangerous", ("keyspace", "write", "slow", "dangerous")),
    ("", "", ("slow",)),
])
def test_implicit_acl_categories(flags: str, acl: str, expected: tuple[str, ...]) -> None:
    assert row(flags, acl=acl).acl_categories == expected


def test_acl_categories_come_in_redis_order() -> None:
    spec = row("FAST", acl=" ".join("@" + c for c in reversed(ACL_CATEGORIES)))
    assert spec.acl_categories == ACL_CATEGORIES


# ------------------------------------------------------------------------------ legacy range, movable


@pytest.mark.parametrize("keys, legacy, movable", [
    ((), (0, 0, 0), False),
    ((key_range(1, "RO"),), (1, 1, 1), False),
    ((key_range(1, "RW", lastkey=-1),), (1, -1, 1), False),
    ((key_range(1, "OW", lastkey=-1, step=2),), (1, -1, 2), False),
    ((key_range(2, "RO", lastkey=1),), (2, 3, 1), False),
    ((key_range(1, "RW"), key_range(2, "OW")), (1, 2, 1), False),                 # RENAME: glued
    ((key_range(1, "RO"), key_range(3, "OW")), (1, 3, 1), False),                 # gaps are glued too
    ((key_range(1, "OW"), key_range(2, "RO", lastkey=-1)), (1, -1, 1), False),    # -1 wins (unsigned)
    ((key_range(1, "RO", lastkey=-2), key_range(2, "RO", lastkey=-1)), (1, -1, 1), False),
    ((key_range(1, "OW", step=2), key_range(3, "RO")), (0, 0, 0), False),         # step != 1: none
    ((key_range(1, "OW"), key_num(2, 0, 1, "RO")), (1, 1, 1), True),              # ZUNIONSTORE
    ((key_num(1, 0, 1, "RO"),), (0, 0, 0), True),                                 # ZUNION
    ((key_keyword(b"STREAMS", 1, "RO", lastkey=-1, limit=2),), (0, 0, 0), True),  # XREAD
    ((key_range(1, "RO"), key_unknown("RO")), (1, 1, 1), True),                   # SORT
    ((key_range(1, "RW", lastkey=-1, limit=2, notes="n"),), (1, -1, 1), False),
])
def test_legacy_range_and_movablekeys(keys: tuple, legacy: tuple[int, int, int], movable: bool) -> None:
    spec = row("WRITE", keys=keys)
    assert spec.legacy_range == legacy
    assert bool(spec.flags & Flag.MOVABLE_KEYS) is movable


def test_movablekeys_from_key_finder_unless_it_only_refines_flags() -> None:
    assert row("WRITE", keys=(key_range(1, "RW"),), get_keys_fn=lambda argv: [1]).flags & Flag.MOVABLE_KEYS
    varflags = row("WRITE", keys=(key_range(1, "RW ACCESS UPDATE VARIABLE_FLAGS"),), get_keys_fn=lambda a: [1])
    assert not varflags.flags & Flag.MOVABLE_KEYS          # SET and BITFIELD are not movable in 7.0.15


def test_has_keys_needs_a_real_key_spec_or_a_finder() -> None:
    assert not row().has_keys
    assert not row(keys=(key_range(1, "RO NOT_KEY"),)).has_keys
    assert row(keys=(key_range(1, "RO NOT_KEY"), key_range(2, "RO"))).has_keys
    assert row(get_keys_fn=lambda argv: []).has_keys


# ----------------------------------------------------------------------------- every registered row


@pytest.mark.parametrize("spec", all_specs(), ids=lambda s: s.fullname)
def test_command_table_row_is_complete(spec: CommandSpec) -> None:
    assert spec.summary and spec.since and spec.group in GROUPS
    assert spec.name == spec.name.lower() and spec.log_name == spec.fullname.encode()
    assert spec.fullname == (spec.name.decode() if spec.parent is None
                             else f"{spec.parent.fullname}|{spec.name.decode()}")
    if spec.subcommands:
        assert spec.arity < 0 and not spec.key_specs
    else:
        assert spec.handler is not None, "a leaf row needs a handler"
    assert spec.handler is None or spec.handler.__doc__, "handler docstring is its syntax line"
    validate_args(spec)
    for resp in (2, 3):
        assert info_reply(spec, resp) is info_reply(spec, resp)      # encoded once, then cached
        assert docs_reply(spec, resp) is docs_reply(spec, resp)


def test_command_table_has_the_command_container() -> None:
    box = TABLE[b"command"]
    assert set(box.subcommands) == {b"count", b"info", b"docs", b"list", b"getkeys", b"getkeysandflags",
                                    b"help"}
    assert box.handler is not None and box.arity == -1


# --------------------------------------------------------------------------------- args syntax parser


def tree(line: str, nspecs: int | None = None) -> list[dict]:
    return [a.as_dict() for a in parse_args(line, nspecs)]


def test_args_syntax_plain_arguments_and_key_indexes() -> None:
    assert tree("key:key value:string") == [
        {"name": "key", "type": "key", "key_spec_index": 0}, {"name": "value", "type": "string"}]
    assert tree("source:key destination:key n:integer d:double p:pattern t:unix-time") == [
        {"name": "source", "type": "key", "key_spec_index": 0},
        {"name": "destination", "type": "key", "key_spec_index": 1},
        {"name": "n", "type": "integer"}, {"name": "d", "type": "double"}, {"name": "p", "type": "pattern"},
        {"name": "t", "type": "unix-time"}]
    # one range spec covering two key arguments (LCS)
    assert [a["key_spec_index"] for a in tree("key1:key key2:key", 1)] == [0, 0]
    # explicit indexes, also on non-key arguments (SORT's BY pattern)
    assert tree("key:key [pattern:BY=pattern@1] [destination:STORE=key]")[1:] == [
        {"name": "pattern", "type": "pattern", "key_spec_index": 1, "token": "BY", "flags": ["optional"]},
        {"name": "destination", "type": "key", "key_spec_index": 2, "token": "STORE", "flags": ["optional"]}]
    assert tree("key") == [{"name": "key", "type": "key", "key_spec_index": 0}]


def test_args_syntax_tokens_fold_into_the_next_argument() -> None:
    assert tree("[EX seconds:integer]") == [
        {"name": "seconds", "type": "integer", "token": "EX", "flags": ["optional"]}]
    assert tree("[count:COUNT=integer]") == tree("[COUNT count:integer]")
    assert tree("NX") == [{"name": "nx", "type": "pure-token", "token": "NX"}]
    assert tree("sorting:ALPHA auto_id:* empty:\"\" equal:=") == [
        {"name": "sorting", "type": "pure-token", "token": "ALPHA"},
        {"name": "auto_id", "type": "pure-token", "token": "*"},
        {"name": "empty", "type": "pure-token", "token": ""},
        {"name": "equal", "type": "pure-token", "token": "="}]
    # a token before an optional argument stays a pure token
    assert [a["type"] for a in tree("NO [x:integer]")] == ["pure-token", "integer"]
    assert tree("NO ONE") == [{"name": "no", "type": "pure-token", "token": "NO"},
                              {"name": "one", "type": "pure-token", "token": "ONE"}]


def test_args_syntax_groups() -> None:
    assert tree("[condition:{NX|XX}]") == [{"name": "condition", "type": "oneof", "flags": ["optional"],
                                           "arguments": [{"name": "nx", "type": "pure-token", "token": "NX"},
                                                         {"name": "xx", "type": "pure-token", "token": "XX"}]}]
    assert tree("data:{key:key value:string}...") == [
        {"name": "data", "type": "block", "flags": ["multiple"],
         "arguments": [{"name": "key", "type": "key", "key_spec_index": 0}, {"name": "value", "type": "string"}]}]
    assert tree("[offset_count:LIMIT={offset:integer count:integer}]")[0]["token"] == "LIMIT"
    # anonymous groups are named after their children, as most of Redis's are
    assert tree("[LIMIT {offset:integer count:integer}]")[0] == tree(
        "[offset_count:LIMIT={offset:integer count:integer}]")[0]
    assert tree("[a:integer b:integer]")[0] == {"name": "a_b", "type": "block", "flags": ["optional"],
                                                "arguments": [{"name": "a", "type": "integer"},
                                                              {"name": "b", "type": "integer"}]}
    assert tree("{x:integer}") == [{"name": "x", "type": "integer"}]
    assert tree("parameter:{parameter:string}...") == [
        {"name": "parameter", "type": "block", "flags": ["multiple"],
         "arguments": [{"name": "parameter", "type": "string"}]}]
    assert tree("mode:{A|B c:integer}")[0]["arguments"][1] == {"name": "c", "type": "integer", "token": "B"}
    assert tree("mode:{A|B C c:integer}")[0]["arguments"][1] == {
        "name": "b_c", "type": "block", "arguments": [{"name": "b", "type": "pure-token", "token": "B"},
                                                     {"name": "c", "type": "integer", "token": "C"}]}


def test_args_syntax_multiple_and_multiple_token() -> None:
    assert tree("key:key...") == [{"name": "key", "type": "key", "key_spec_index": 0, "flags": ["multiple"]}]
    assert tree("[KEYS key:key...]")[0]["flags"] == ["optional", "multiple"]
    assert tree("[GET pattern:pattern]...")[0] == {"name": "pattern", "type": "pattern", "token": "GET",
                                                   "flags": ["optional", "multiple", "multiple_token"]}
    assert tree("{GET p:string}...")[0]["flags"] == ["multiple", "multiple_token"]
    assert tree("[x:integer]...")[0]["flags"] == ["optional", "multiple"]


def test_args_syntax_since_and_deprecated_since() -> None:
    assert tree("[GET]<6.2.0>") == [{"name": "get", "type": "pure-token", "token": "GET", "since": "6.2.0",
                                     "flags": ["optional"]}]
    assert tree("ip:port:string<,2.8.12>") == [{"name": "ip:port", "type": "string",
                                                "deprecated_since": "2.8.12"}]
    assert tree("{EX s:integer<2.6.12>|KEEPTTL<6.0.0>}")[0]["arguments"] == [
        {"name": "s", "type": "integer", "token": "EX", "since": "2.6.12"},
        {"name": "keepttl", "type": "pure-token", "token": "KEEPTTL", "since": "6.0.0"}]


def test_args_syntax_empty_line() -> None:
    assert parse_args("") == [] and parse_args("   ") == []


@pytest.mark.parametrize("line", ["[x:integer", "x:integer]", "{a|b", "{}", "[]", "{a|}", "x:nosuchtype=",
                                  "x:TOKEN=nosuchtype", ":integer", "a | b", "x:integer }"])
def test_args_syntax_errors(line: str) -> None:
    with pytest.raises(ArgSyntaxError):
        parse_args(line)


def test_validate_args_checks_key_spec_indexes() -> None:
    with pytest.raises(ValueError, match="names key spec 1"):
        validate_args(row(keys=(key_range(1, "RO"),), args="a:key b:key@1"))
    with pytest.raises(ValueError, match="bad args syntax"):
        validate_args(row(args="[x"))
    assert validate_args(row(keys=(key_range(1, "RO", lastkey=1),), args="a:key b:key")) is not None


def test_docs_reply_survives_a_broken_args_line() -> None:
    assert b"arguments" not in docs_reply(row(args="[broken"), 2)
