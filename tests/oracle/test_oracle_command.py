"""COMMAND and the command table against redis-server 7.0.15: every COMMAND INFO row and COMMAND DOCS entry we
serve (RESP2 and RESP3) equals Redis's, GETKEYS/GETKEYSANDFLAGS agree on argument vectors generated from
Redis's own docs, and the table machinery (legacy ranges, MOVABLEKEYS, implicit ACL categories, key-spec
walking, the args syntax parser) reproduces Redis's data for all of Redis's commands, not only ours.

Redis iterates its command dicts in hash-seed order, so subcommand lists are compared as sets; commands we
have not implemented yet are skipped (a container is compared on the subcommands we have).
"""
from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import hiredis
import pytest
from helpers.oracle import Oracle
from helpers.procs import ServerProcess
from helpers.rawclient import RawClient, _reply_end

import pyredcache.commands  # noqa: F401  (registers every row)
from pyredcache.commands.command_docs import parse_args
from pyredcache.commands.table import (
    FLAG_NAMES,
    KEY_FLAG_NAMES,
    CommandSpec,
    Flag,
    KeySpec,
    all_specs,
    build_row,
    key_keyword,
    key_keyword_num,
    key_num,
    key_range,
    key_unknown,
)

pytestmark = pytest.mark.oracle

OUR_NAMES = sorted(s.fullname for s in all_specs())

# Known divergences, each waiting on a change in another module (see the note in the reason).
KNOWN_GETKEYS_FLAG_GAPS: dict[str, str] = {}


# ------------------------------------------------------------------------------------------- RESP helpers


def elements(raw: bytes) -> tuple[bytes, list[bytes]]:
    """(type byte, raw elements) of one aggregate reply; a map yields its keys and values alternately."""
    kind = raw[:1]
    nl = raw.index(b"\r\n")
    n = int(raw[1:nl])
    if kind == b"%":
        n *= 2
    pos = nl + 2
    out = []
    for _ in range(max(n, 0)):
        end = _reply_end(raw, pos)
        assert end is not None, raw
        out.append(raw[pos:end])
        pos = end
    assert pos == len(raw), raw
    return kind, out


def decode(raw: bytes) -> Any:
    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets()


def pairs(flat: list[Any]) -> dict[Any, Any]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


@pytest.fixture(scope="module", params=[2, 3], ids=["resp2", "resp3"])
def clients(request: pytest.FixtureRequest, pyredcache_proc: ServerProcess,
            redis_proc: ServerProcess) -> Iterator[tuple[RawClient, RawClient]]:
    """(ours, redis) raw connections speaking the same RESP version."""
    ours, theirs = RawClient(pyredcache_proc.port), RawClient(redis_proc.port)
    if request.param == 3:
        ours.command("HELLO", "3")
        theirs.command("HELLO", "3")
    yield ours, theirs
    ours.close()
    theirs.close()


@pytest.fixture(scope="module")
def redis_table(redis_proc: ServerProcess) -> dict[str, Any]:
    """Redis's whole table, decoded: {"info": {fullname: row}, "docs": {fullname: docs map}}."""
    c = RawClient(redis_proc.port)
    info: dict[str, Any] = {}

    def add_rows(rows: list[Any]) -> None:
        for row in rows:
            info[row[0].decode()] = row
            add_rows(row[9])

    add_rows(decode(c.command("COMMAND")))
    docs: dict[str, Any] = {}

    def add_docs(flat: list[Any]) -> None:
        for name, doc in pairs(flat).items():
            doc = pairs(doc)
            docs[name.decode()] = doc
            if b"subcommands" in doc:
                add_docs(doc[b"subcommands"])

    add_docs(decode(c.command("COMMAND", "DOCS")))
    c.close()
    return {"info": info, "docs": docs}


# ------------------------------------------------------------------------------------ COMMAND INFO rows


def _compare_info_row(ours: bytes, theirs: bytes, name: str) -> None:
    assert theirs not in (b"*1\r\n$-1\r\n", b"*1\r\n_\r\n"), f"redis-server 7.0.15 has no command {name!r}"
    _, [our_row] = elements(ours)
    _, [their_row] = elements(theirs)
    _, mine = elements(our_row)
    _, redis = elements(their_row)
    labels = ("name", "arity", "flags", "first key", "last key", "step", "ACL categories", "tips", "key specs")
    for label, a, b in zip(labels, mine[:9], redis[:9], strict=True):
        assert a == b, f"{name}: {label} differ\n pyredcache: {decode(a)!r}\n redis:      {decode(b)!r}"
    our_kind, our_subs = elements(mine[9])
    their_kind, their_subs = elements(redis[9])
    if not our_subs:
        assert mine[9] == redis[9], f"{name}: subcommands {mine[9]!r} != {redis[9]!r}"
        return
    assert our_kind == their_kind
    extra = [decode(s)[0] for s in our_subs if s not in their_subs]
    assert not extra, f"{name}: subcommand rows differ from redis-server's: {extra}"


@pytest.mark.parametrize("name", OUR_NAMES)
def test_command_info_row_matches_redis(clients: tuple[RawClient, RawClient], name: str) -> None:
    ours, theirs = clients
    _compare_info_row(ours.command("COMMAND", "INFO", name), theirs.command("COMMAND", "INFO", name), name)


def test_command_info_unknown_and_mixed_names(clients: tuple[RawClient, RawClient]) -> None:
    ours, theirs = clients
    for args in (("nosuch",), ("get", "nosuch", "GET", "Config|Get"), ("config|",), ("|",), ("get|x",),
                 ("config|get|x",), ("config|nosuch",), ("",)):
        a = ours.command("COMMAND", "INFO", *args)
        b = theirs.command("COMMAND", "INFO", *args)
        assert a == b, (args, a, b)


def test_command_no_args_lists_every_row(clients: tuple[RawClient, RawClient]) -> None:
    ours, theirs = clients
    all_rows = ours.command("COMMAND")
    assert all_rows == ours.command("COMMAND", "INFO")
    _, rows = elements(all_rows)
    _, their_rows = elements(theirs.command("COMMAND"))
    by_name = {decode(r)[0]: r for r in their_rows}
    assert len(rows) == len({s.name for s in all_specs() if s.parent is None})
    for row in rows:
        name = decode(row)[0]
        _compare_info_row(b"*1\r\n" + row, b"*1\r\n" + by_name[name], name.decode())


# ------------------------------------------------------------------------------------- COMMAND DOCS maps


def _compare_docs(ours: bytes, theirs: bytes, name: str) -> None:
    _, mine = elements(ours)
    _, redis = elements(theirs)
    assert len(redis) == 2, f"redis-server 7.0.15 has no docs for {name!r}"
    assert mine[0] == redis[0]
    _, our_fields = elements(mine[1])
    _, their_fields = elements(redis[1])
    a = dict(zip(our_fields[::2], our_fields[1::2], strict=True))
    b = dict(zip(their_fields[::2], their_fields[1::2], strict=True))
    assert list(a) == list(b), f"{name}: DOCS fields {list(map(decode, a))} != {list(map(decode, b))}"
    for key, value in a.items():
        if key == b"$11\r\nsubcommands\r\n":
            _, our_subs = elements(value)
            _, their_subs = elements(b[key])
            theirs_by_name = dict(zip(their_subs[::2], their_subs[1::2], strict=True))
            for sub, doc in zip(our_subs[::2], our_subs[1::2], strict=True):
                assert doc == theirs_by_name.get(sub), (
                    f"{name}: DOCS of {decode(sub)!r} differ\n pyredcache: {decode(doc)!r}\n"
                    f" redis:      {decode(theirs_by_name.get(sub, b'_'))!r}")
            continue
        assert value == b[key], (f"{name}: DOCS {decode(key)!r} differ\n pyredcache: {decode(value)!r}\n"
                                 f" redis:      {decode(b[key])!r}")


@pytest.mark.parametrize("name", OUR_NAMES)
def test_command_docs_match_redis(clients: tuple[RawClient, RawClient], name: str) -> None:
    ours, theirs = clients
    _compare_docs(ours.command("COMMAND", "DOCS", name), theirs.command("COMMAND", "DOCS", name), name)


def test_command_docs_unknown_and_mixed_names(clients: tuple[RawClient, RawClient]) -> None:
    ours, theirs = clients
    for args in (("nosuch",), ("nosuch", "get|x", "config|", ""), ("GET", "nosuch", "get")):
        assert ours.command("COMMAND", "DOCS", *args) == theirs.command("COMMAND", "DOCS", *args), args


def test_command_docs_without_names_covers_every_command(clients: tuple[RawClient, RawClient]) -> None:
    ours, theirs = clients
    _, mine = elements(ours.command("COMMAND", "DOCS"))
    _, redis = elements(theirs.command("COMMAND", "DOCS"))
    theirs_by_name = dict(zip(redis[::2], redis[1::2], strict=True))
    top = {s.fullname for s in all_specs() if s.parent is None}
    assert {decode(k).decode() for k in mine[::2]} == top
    for key, doc in zip(mine[::2], mine[1::2], strict=True):
        _compare_docs(b"*2\r\n" + key + doc, b"*2\r\n" + key + theirs_by_name[key], decode(key).decode())


# ------------------------------------------------------------------------------- COUNT LIST HELP errors


def test_command_count_is_the_number_of_top_level_commands(oracle: Oracle) -> None:
    ours, theirs = oracle.both("COMMAND", "COUNT")
    assert ours == b":%d\r\n" % len({s.name for s in all_specs() if s.parent is None})
    assert theirs.startswith(b":")
    oracle.error("COMMAND", "COUNT", "x")


def _names(raw: bytes) -> set[bytes]:
    return set(decode(raw))


@pytest.mark.parametrize("args", [(), ("FILTERBY", "PATTERN", "*"), ("FILTERBY", "PATTERN", "config*"),
                                  ("filterby", "pattern", "C?IENT|*"), ("FILTERBY", "PATTERN", "*[xy]*"),
                                  ("FILTERBY", "ACLCAT", "keyspace"), ("FILTERBY", "ACLCAT", "WRITE"),
                                  ("FILTERBY", "ACLCAT", "slow"), ("FILTERBY", "ACLCAT", "dangerous"),
                                  ("FILTERBY", "ACLCAT", "connection")])
def test_command_list_matches_redis_on_our_commands(oracle: Oracle, args: tuple[str, ...]) -> None:
    ours, theirs = oracle.both("COMMAND", "LIST", *args)
    mine = _names(ours)
    assert mine == {n.encode() for n in OUR_NAMES} & _names(theirs), args
    assert len(mine) == len(decode(ours)), "no duplicates"


def test_command_list_empty_filters_and_errors(oracle: Oracle) -> None:
    for args in (("FILTERBY", "MODULE", "x"), ("FILTERBY", "ACLCAT", "nosuch"), ("FILTERBY", "ACLCAT", "@read"),
                 ("FILTERBY", "PATTERN", "nosuch*")):
        oracle.do("COMMAND", "LIST", *args)
    bad_args: tuple[tuple[str, ...], ...] = (("x",), ("FILTERBY",), ("FILTERBY", "ACLCAT"), ("FILTERBY", "x", "y"),
                 ("FILTERBY", "ACLCAT", "a", "b"), ("FILTERBY", "PATTERN", "*", "FILTERBY"))
    for bad in bad_args:
        oracle.error("COMMAND", "LIST", *bad)


def test_command_help_and_unknown_subcommand(oracle: Oracle) -> None:
    oracle.do("COMMAND", "HELP")
    oracle.do("command", "help")
    oracle.error("COMMAND", "HELP", "x")
    oracle.error("COMMAND", "nosuch")
    oracle.error("COMMAND", "nosuch", "x")


def test_command_getkeys_errors(oracle: Oracle) -> None:
    for args in ((), ("get",), ("nosuch",), ("get", "a", "b"), ("set", "k"), ("nosuch", "a"), ("ping", "x"),
                 ("config", "get"), ("config", "get", "x"), ("object", "nosuch", "x"),
                 ("OBJECT", "ENCODING", "k", "extra"), ("dbsize", "x"), ("echo", "x"), ("rename", "a"),
                 ("mset", "a"), ("command", "info")):
        oracle.error("COMMAND", "GETKEYS", *args)
        oracle.error("COMMAND", "GETKEYSANDFLAGS", *args)


def test_command_alone_and_info_without_names_agree_in_resp3(pyredcache_proc: ServerProcess) -> None:
    c = RawClient(pyredcache_proc.port)
    c.command("HELLO", "3")
    assert c.command("COMMAND") == c.command("COMMAND", "INFO")
    c.close()


# ---------------------------------------------------------- argv generation from Redis's argument trees


_VALUES: dict[str, str] = {"string": "s1", "integer": "2", "double": "1.5", "pattern": "p*",
           "unix-time": "1700000000"}


class _Gen:
    def __init__(self) -> None:
        self.keys = 0

    def value(self, arg: dict[bytes, Any]) -> list[str]:
        typ = arg[b"type"].decode()
        if typ == "key":
            self.keys += 1
            return [f"k{self.keys}"]
        if typ == "pure-token":
            return []
        return [_VALUES[typ]]


def _expand(arg: dict[bytes, Any], gen: _Gen, choose: dict[int, int], full: bool) -> list[str]:
    """One occurrence of arg (with its token), taking alternative choose.get(id) of a oneof."""
    typ = arg[b"type"].decode()
    if typ == "oneof":
        alts = [pairs(a) for a in arg[b"arguments"]]
        body = _occurrence(alts[choose.get(id(arg), 0) % len(alts)], gen, choose, full)
    elif typ == "block":
        body = [w for a in arg[b"arguments"] for w in _occurrence(pairs(a), gen, choose, full)]
    else:
        body = gen.value(arg)
    token = arg.get(b"token")
    return ([token.decode()] if token is not None else []) + body


def _occurrence(arg: dict[bytes, Any], gen: _Gen, choose: dict[int, int], full: bool) -> list[str]:
    flags = {f.decode() for f in arg.get(b"flags", [])}
    if "optional" in flags and not full:
        return []
    once = _expand(arg, gen, choose, full)
    if "multiple" not in flags:
        return once
    second = _expand(arg, gen, choose, full)
    if "multiple_token" not in flags and arg.get(b"token") is not None:
        second = second[1:]
    return once + second


def generated_argvs(name: str, docs: dict[bytes, Any]) -> list[list[str]]:
    """A few argument vectors for a command built from its docs: required arguments only, everything,
    and each optional argument (each oneof alternative) on its own."""
    head = name.split("|")
    args = [pairs(a) for a in docs.get(b"arguments", [])]
    variants: list[list[str]] = []

    def build(include: int | None, full: bool, choice: int) -> list[str]:
        gen = _Gen()
        out: list[str] = list(head)
        for i, a in enumerate(args):
            on = full or i == include
            choose = {id(a): choice} if i == include else {}
            if on:
                a = {**a, b"flags": [f for f in a.get(b"flags", []) if f != b"optional"]}
                choose = {id(a): choice}
            out += _occurrence(a, gen, choose, full)
        return out

    variants.append(build(None, False, 0))
    variants.append(build(None, True, 0))
    for i, a in enumerate(args):
        if b"optional" in a.get(b"flags", []) or a[b"type"] == b"oneof":
            n = len(a[b"arguments"]) if a[b"type"] == b"oneof" else 1
            for choice in range(n):
                variants.append(build(i, False, choice))
    seen: set[tuple[str, ...]] = set()
    unique = []
    for v in variants:
        if tuple(v) not in seen:
            seen.add(tuple(v))
            unique.append(v)
    return unique


@pytest.mark.parametrize("name", OUR_NAMES)
def test_command_getkeys_matches_redis_on_generated_argvs(oracle: Oracle, redis_table: dict[str, Any],
                                                          name: str) -> None:
    docs = redis_table["docs"].get(name)
    if docs is None:
        pytest.fail(f"redis-server 7.0.15 has no command {name!r}")
    try:
        for argv in generated_argvs(name, docs):
            oracle.do("COMMAND", "GETKEYS", *argv)
            oracle.do("COMMAND", "GETKEYSANDFLAGS", *argv)
    except AssertionError:
        if name in KNOWN_GETKEYS_FLAG_GAPS:
            pytest.xfail(KNOWN_GETKEYS_FLAG_GAPS[name])
        raise
    assert name not in KNOWN_GETKEYS_FLAG_GAPS, "fixed: remove it from KNOWN_GETKEYS_FLAG_GAPS"


# --------------------------------------------- the table machinery on every redis-server 7.0.15 row


def _key_spec_from_redis(raw: list[Any]) -> KeySpec:
    k = pairs(raw)
    flags = " ".join(f.decode().upper() for f in k[b"flags"])
    notes = k.get(b"notes", b"").decode()
    bs, fk = pairs(k[b"begin_search"]), pairs(k[b"find_keys"])
    bss, fks = pairs(bs[b"spec"]), pairs(fk[b"spec"])
    if bs[b"type"] == b"unknown":
        return key_unknown(flags, notes=notes)
    if fk[b"type"] == b"range":
        kw = dict(lastkey=fks[b"lastkey"], step=fks[b"keystep"], limit=fks[b"limit"], notes=notes)
        if bs[b"type"] == b"index":
            return key_range(bss[b"index"], flags, **kw)
        return key_keyword(bss[b"keyword"], bss[b"startfrom"], flags, **kw)
    if bs[b"type"] == b"index":
        return key_num(bss[b"index"], fks[b"keynumidx"], fks[b"firstkey"], flags, step=fks[b"keystep"],
                       notes=notes)
    return key_keyword_num(bss[b"keyword"], bss[b"startfrom"], fks[b"keynumidx"], fks[b"firstkey"], flags,
                           step=fks[b"keystep"], notes=notes)


_IMPLICIT = {"WRITE": ("write",), "READONLY": ("read",), "ADMIN": ("admin", "dangerous"),
             "PUBSUB": ("pubsub",), "FAST": ("fast",), "BLOCKING": ("blocking",)}


def row_from_redis(row: list[Any]) -> CommandSpec:
    """Our table's row for a redis-server COMMAND INFO row: its flags (without the derived movablekeys),
    key specs and only the ACL categories the implicit rules would not add."""
    name, arity, flags = row[0].decode(), row[1], [f.decode().upper() for f in row[2]]
    flags = [f for f in flags if f != "MOVABLEKEYS"]
    cats = [c.decode()[1:] for c in row[6]]
    implicit = {"slow"} | {c for f in flags for c in _IMPLICIT.get(f, ())}
    explicit = " ".join("@" + c for c in cats if c not in implicit)
    return build_row(name.split("|")[-1], arity, " ".join(flags),
                     keys=[_key_spec_from_redis(ks) for ks in row[8]], acl=explicit, group="server",
                     since="1.0.0", summary="x", tips=tuple(t.decode() for t in row[7]))


def test_legacy_range_movablekeys_and_acl_categories_match_every_redis_row(redis_table: dict[str, Any]) -> None:
    bad = []
    for name, row in redis_table["info"].items():
        spec = row_from_redis(row)
        mine = (list(spec.legacy_range), [n for f, n in FLAG_NAMES if spec.flags & f],
                [b"@" + c.encode() for c in spec.acl_categories])
        theirs = (row[3:6], row[2], row[6])
        if mine != theirs:
            bad.append((name, mine, theirs))
    assert len(redis_table["info"]) > 300
    assert not bad, "\n".join(map(repr, bad))


def test_args_syntax_round_trips_every_redis_argument_tree(redis_table: dict[str, Any]) -> None:
    bad = []
    for name, docs in redis_table["docs"].items():
        if b"arguments" not in docs:
            continue
        nspecs = len(redis_table["info"][name][8])
        want = [_plain_arg(a) for a in docs[b"arguments"]]
        line = to_syntax(want, nspecs)
        got = [a.as_dict() for a in parse_args(line, nspecs)]
        if got != want:
            bad.append((name, line, got, want))
    assert not bad, "\n\n".join(map(repr, bad[:5]))


def test_key_spec_walk_matches_redis_getkeysandflags_for_every_redis_command(
        redis_proc: ServerProcess, redis_table: dict[str, Any]) -> None:
    """Where Redis answers from its key specs, our KeySpec walking gives the same keys and flags."""
    c = RawClient(redis_proc.port)
    checked = bad = 0
    report = []
    for name, row in redis_table["info"].items():
        spec = row_from_redis(row)
        if not spec.walk_specs:
            continue
        for argv in generated_argvs(name, redis_table["docs"][name]):
            found = spec._walk([a.encode() for a in argv])
            if found is None:
                continue        # Redis falls back to its getkeys_proc here
            argc = len(argv)
            theirs = c.command("COMMAND", "GETKEYSANDFLAGS", *argv)
            if (spec.arity > 0 and spec.arity != argc) or argc < -spec.arity:
                expected = b"-ERR Invalid number of arguments specified for command\r\n"
            elif not found:
                expected = (b"*0\r\n" if spec.flags & Flag.NO_MANDATORY_KEYS
                            else b"-ERR Invalid arguments specified for command\r\n")
            else:
                parts = [b"*%d\r\n" % len(found)]
                for pos, flags in found:
                    names = [n for f, n in KEY_FLAG_NAMES if flags & f]
                    parts.append(b"*2\r\n$%d\r\n%s\r\n*%d\r\n" % (len(argv[pos]), argv[pos].encode(), len(names)))
                    parts.extend(b"+%s\r\n" % n for n in names)
                expected = b"".join(parts)
            checked += 1
            if expected != theirs:
                bad += 1
                report.append((argv, expected, theirs))
    c.close()
    assert checked > 400
    assert not bad, "\n".join(map(repr, report[:10]))


# ------------------------------------------------- Redis argument tree -> syntax line (for the round trip)


_BARE = re.compile(r"^[A-Z][A-Z0-9_\-]*$")


def _plain_arg(raw: list[Any]) -> dict[str, Any]:
    a = pairs(raw)
    out: dict[str, Any] = {}
    for k, v in a.items():
        key = k.decode()
        if key == "arguments":
            out[key] = [_plain_arg(x) for x in v]
        elif key == "flags":
            out[key] = [f.decode() for f in v]
        else:
            out[key] = v.decode() if isinstance(v, bytes) else v
    return out


def to_syntax(args: list[dict[str, Any]], nspecs: int) -> str:
    state = {"top": -1}
    return " ".join(_syntax(a, state, nspecs) for a in args)


def _quote(token: str) -> str:
    return f'"{token}"' if token == "" or any(ch in token for ch in ' []{}|<."') else token


def _syntax(a: dict[str, Any], state: dict[str, int], nspecs: int) -> str:
    name: str = a["name"]
    typ: str = a["type"]
    token: Any = a.get("token")
    flags = a.get("flags", [])
    index = ""
    ksi = a.get("key_spec_index")
    if ksi is not None:
        default = min(state["top"] + 1, max(nspecs - 1, 0))
        if typ != "key" or ksi != default:
            index = f"@{ksi}"
        state["top"] = max(state["top"], ksi)
    if typ == "pure-token":
        expr = token if name == token.lower() and _BARE.match(token) else f"{name}:{_quote(token)}"
    elif typ in ("oneof", "block"):
        inner = (" | " if typ == "oneof" else " ").join(_syntax(x, state, nspecs) for x in a["arguments"])
        head = f"{name}:{_quote(token)}=" if token is not None else f"{name}:"
        expr = head + "{" + inner + "}"
    else:
        expr = f"{name}:{_quote(token)}={typ}{index}" if token is not None else f"{name}:{typ}{index}"
    optional, multiple = "optional" in flags, "multiple" in flags
    if "multiple_token" in flags:
        expr = ("[" + expr + "]" if optional else "{" + expr + "}") + "..."
    elif optional:
        expr = "[" + expr + ("..." if multiple else "") + "]"
    elif multiple:
        expr += "..."
    if "since" in a or "deprecated_since" in a:
        since = str(a.get("since", ""))
        if "deprecated_since" in a:
            since += "," + str(a["deprecated_since"])
        expr += f"<{since}>"
    return expr
