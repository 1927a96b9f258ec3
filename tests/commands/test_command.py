"""COMMAND, COMMAND COUNT/INFO/DOCS/LIST/GETKEYS/GETKEYSANDFLAGS/HELP on a running pyredcache: every
subcommand and option, the error replies, RESP2/RESP3 shapes, redis-py's parsers, the well-formedness of
COMMAND DOCS for every command, and interactive redis-cli (which builds its help and hints from COMMAND DOCS)
against a real redis-server.
"""
from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import shutil
import signal
import struct
import termios
import time
from typing import Any

import hiredis
import pytest
import redis
from helpers.procs import ServerProcess
from helpers.rawclient import RawClient

import pyredcache.commands  # noqa: F401
from pyredcache.commands.command_docs import ARG_TYPES
from pyredcache.commands.table import ACL_CATEGORIES, GROUPS, TABLE, all_specs

TOP_LEVEL = sorted(s.fullname for s in all_specs() if s.parent is None)
EVERY_NAME = sorted(s.fullname for s in all_specs())


def decode(raw: bytes) -> Any:
    reader = hiredis.Reader()
    reader.feed(raw)
    return reader.gets()


def pairs(flat: list[Any]) -> dict[Any, Any]:
    return dict(zip(flat[::2], flat[1::2], strict=True))


@pytest.fixture
def raw3(pyredcache_proc: ServerProcess) -> RawClient:
    c = RawClient(pyredcache_proc.port)
    c.command("HELLO", "3")
    yield c
    c.close()


# ---------------------------------------------------------------------------------------- COMMAND (alone)


def test_command_returns_every_top_level_row(raw: RawClient) -> None:
    rows = decode(raw.command("COMMAND"))
    assert sorted(r[0].decode() for r in rows) == TOP_LEVEL
    assert all(len(r) == 10 for r in rows)


def test_command_is_served_from_one_cached_encoding(raw: RawClient) -> None:
    first = raw.command("COMMAND")
    assert raw.command("command") == first == raw.command("COMMAND", "INFO")


def test_command_in_resp3_uses_sets_and_maps(raw3: RawClient) -> None:
    reply = raw3.command("COMMAND", "INFO", "get")
    assert reply.startswith(b"*1\r\n*10\r\n$3\r\nget\r\n:2\r\n~2\r\n+readonly\r\n+fast\r\n:1\r\n:1\r\n:1\r\n~3\r\n")
    assert b"%3\r\n$5\r\nflags\r\n~2\r\n+RO\r\n+access\r\n$12\r\nbegin_search\r\n%2\r\n" in reply
    assert reply.endswith(b"~0\r\n")                       # no subcommands: an empty set
    assert raw3.command("COMMAND") == raw3.command("COMMAND", "INFO")


def test_command_with_redis_py(r: redis.Redis) -> None:
    table = r.command()
    assert set(table) >= {"get", "set", "command"}
    assert table["get"]["arity"] == 2 and table["get"]["first_key_pos"] == 1
    assert table["set"]["flags"] == ["write", "denyoom"]


# ------------------------------------------------------------------------------------------------ COUNT


def test_command_count(r: redis.Redis) -> None:
    assert r.command_count() == len(TOP_LEVEL) == len(TABLE)


def test_command_count_arity(raw: RawClient) -> None:
    assert raw.command("COMMAND", "COUNT", "x") == b"-ERR wrong number of arguments for 'command|count' command\r\n"


# ------------------------------------------------------------------------------------------------- INFO


def test_command_info_row_fields(raw: RawClient) -> None:
    name, arity, flags, first, last, step, cats, tips, specs, subs = decode(raw.command("COMMAND", "INFO", "get"))[0]
    assert (name, arity, flags, first, last, step) == (b"get", 2, [b"readonly", b"fast"], 1, 1, 1)
    assert cats == [b"@read", b"@string", b"@fast"] and tips == [] and subs == []
    spec = pairs(specs[0])
    assert spec[b"flags"] == [b"RO", b"access"]
    assert pairs(spec[b"begin_search"]) == {b"type": b"index", b"spec": [b"index", 1]}
    assert pairs(spec[b"find_keys"]) == {b"type": b"range", b"spec": [b"lastkey", 0, b"keystep", 1, b"limit", 0]}


def test_command_info_key_spec_notes_and_tips(raw: RawClient) -> None:
    row = decode(raw.command("COMMAND", "INFO", "set"))[0]
    assert pairs(row[8][0])[b"notes"] == b"RW and ACCESS due to the optional `GET` argument"
    ping = decode(raw.command("COMMAND", "INFO", "ping"))[0]
    assert ping[7] == [b"request_policy:all_shards", b"response_policy:all_succeeded"]


def test_command_info_several_names_unknown_is_null(raw: RawClient, raw3: RawClient) -> None:
    reply = decode(raw.command("COMMAND", "INFO", "get", "nosuch", "GET"))
    assert reply[0] == reply[2] and reply[1] is None
    assert raw.command("COMMAND", "INFO", "nosuch") == b"*1\r\n$-1\r\n"
    assert raw3.command("COMMAND", "INFO", "nosuch") == b"*1\r\n_\r\n"


def test_command_info_subcommand_by_pipe_name(raw: RawClient) -> None:
    row = decode(raw.command("COMMAND", "INFO", "Command|Info"))[0]
    assert row[:2] == [b"command|info", -2]
    for name in ("command|", "|", "get|x", "command|info|x", "command|nosuch", ""):
        assert raw.command("COMMAND", "INFO", name) == b"*1\r\n$-1\r\n", name


def test_command_info_container_lists_its_subcommands(raw: RawClient) -> None:
    row = decode(raw.command("COMMAND", "INFO", "command"))[0]
    assert row[:7] == [b"command", -1, [b"loading", b"stale"], 0, 0, 0, [b"@slow", b"@connection"]]
    assert sorted(sub[0] for sub in row[9]) == sorted(
        b"command|" + n for n in TABLE[b"command"].subcommands)


# ------------------------------------------------------------------------------------------------- DOCS


def _check_arg(arg: dict[bytes, Any], nspecs: int, where: str) -> None:
    keys = list(arg)
    order = [b"name", b"type", b"key_spec_index", b"token", b"summary", b"since", b"deprecated_since", b"flags",
             b"arguments"]
    assert keys == [k for k in order if k in arg], where
    assert arg[b"name"] and arg[b"type"].decode() in ARG_TYPES, where
    assert set(arg.get(b"flags", [])) <= {b"optional", b"multiple", b"multiple_token"}, where
    if b"key_spec_index" in arg:
        assert 0 <= arg[b"key_spec_index"] < nspecs, where
    if arg[b"type"] == b"key":
        assert b"key_spec_index" in arg, where
    if arg[b"type"] == b"pure-token":
        assert b"token" in arg, where
    if arg[b"type"] in (b"oneof", b"block"):
        assert arg[b"arguments"], where
        for sub in arg[b"arguments"]:
            _check_arg(pairs(sub), nspecs, where)
    else:
        assert b"arguments" not in arg, where


def _check_docs(name: str, docs: dict[bytes, Any]) -> None:
    order = [b"summary", b"since", b"group", b"complexity", b"module", b"doc_flags", b"deprecated_since",
             b"replaced_by", b"history", b"arguments", b"subcommands"]
    assert list(docs) == [k for k in order if k in docs], name
    assert docs[b"summary"] and re.fullmatch(rb"\d+\.\d+\.\d+", docs[b"since"]), name
    assert docs[b"group"].decode() in GROUPS, name
    assert set(docs.get(b"doc_flags", [])) <= {b"deprecated", b"syscmd"}, name
    for entry in docs.get(b"history", []):
        assert len(entry) == 2 and re.fullmatch(rb"\d+\.\d+\.\d+", entry[0]), name
    spec = TABLE[name.encode()] if "|" not in name else TABLE[name.split("|")[0].encode()].subcommands[
        name.split("|")[1].encode()]
    for arg in docs.get(b"arguments", []):
        _check_arg(pairs(arg), len(spec.key_specs), name)
    for sub, sub_docs in pairs(docs.get(b"subcommands", [])).items():
        assert sub.decode().startswith(name + "|")
        _check_docs(sub.decode(), pairs(sub_docs))


def test_command_docs_are_complete_and_well_formed_for_every_command(raw: RawClient) -> None:
    docs = pairs(decode(raw.command("COMMAND", "DOCS")))
    assert sorted(k.decode() for k in docs) == TOP_LEVEL
    for name, entry in docs.items():
        _check_docs(name.decode(), pairs(entry))


def test_command_docs_in_resp3_is_a_map(raw3: RawClient) -> None:
    reply = raw3.command("COMMAND", "DOCS", "get")
    assert reply.startswith(b"%1\r\n$3\r\nget\r\n%5\r\n$7\r\nsummary\r\n")
    assert raw3.command("COMMAND", "DOCS", "nosuch") == b"%0\r\n"
    assert raw3.command("COMMAND", "DOCS").startswith(b"%%%d\r\n" % len(TOP_LEVEL))


def test_command_docs_names_and_unknowns(raw: RawClient) -> None:
    reply = pairs(decode(raw.command("COMMAND", "DOCS", "GET", "nosuch", "command|count", "get|x")))
    assert list(reply) == [b"get", b"command|count"]
    assert raw.command("COMMAND", "DOCS", "nosuch") == b"*0\r\n"


def test_command_docs_of_a_container_nest_subcommands(raw: RawClient) -> None:
    docs = pairs(pairs(decode(raw.command("COMMAND", "DOCS", "command")))[b"command"])
    subs = pairs(docs[b"subcommands"])
    assert set(subs) == {b"command|" + n for n in TABLE[b"command"].subcommands}
    info = pairs(subs[b"command|info"])
    assert info[b"history"] == [[b"7.0.0", b"Allowed to be called with no argument to get info on all commands."]]
    assert [pairs(a) for a in info[b"arguments"]] == [
        {b"name": b"command-name", b"type": b"string", b"flags": [b"optional", b"multiple"]}]


def test_command_docs_argument_tree_of_set(raw: RawClient) -> None:
    docs = pairs(pairs(decode(raw.command("COMMAND", "DOCS", "set")))[b"set"])
    args = [pairs(a) for a in docs[b"arguments"]]
    assert [a[b"name"] for a in args] == [b"key", b"value", b"condition", b"get", b"expiration"]
    assert args[0][b"key_spec_index"] == 0
    expiration = [pairs(a) for a in args[4][b"arguments"]]
    assert expiration[0] == {b"name": b"seconds", b"type": b"integer", b"token": b"EX", b"since": b"2.6.12"}


def test_command_docs_are_cached(raw: RawClient) -> None:
    assert raw.command("COMMAND", "DOCS") == raw.command("COMMAND", "DOCS")


# ------------------------------------------------------------------------------------------------- LIST


def test_command_list_every_name_with_subcommands(r: redis.Redis) -> None:
    names = sorted(n.decode() if isinstance(n, bytes) else n for n in r.command_list())
    assert names == EVERY_NAME
    assert "command|getkeys" in names


def test_command_list_filterby_pattern(r: redis.Redis) -> None:
    assert sorted(r.command_list(pattern="command|*")) == sorted(
        b"command|" + n for n in TABLE[b"command"].subcommands)
    assert r.command_list(pattern="COMMAND|COUNT") == [b"command|count"]     # case-insensitive
    assert b"get" in r.command_list(pattern="g?t") and r.command_list(pattern="nosuch*") == []


@pytest.mark.parametrize("category", ["read", "write", "keyspace", "string", "fast", "slow", "connection",
                                      "dangerous", "admin"])
def test_command_list_filterby_aclcat(r: redis.Redis, category: str) -> None:
    expected = sorted(s.fullname.encode() for s in all_specs() if category in s.acl_categories)
    assert sorted(r.command_list(category=category)) == expected
    assert sorted(r.command_list(category=category.upper())) == expected


def test_command_list_filterby_unknown_category_or_module_is_empty(r: redis.Redis) -> None:
    assert r.command_list(category="nosuch") == []
    assert r.command_list(category="@read") == []
    assert r.command_list(module="json") == []
    assert len(ACL_CATEGORIES) == 21


@pytest.mark.parametrize("args", [("x",), ("FILTERBY",), ("FILTERBY", "ACLCAT"), ("FILTERBY", "x", "y"),
                                  ("FILTERBY", "ACLCAT", "read", "x"), ("FILTERBY", "PATTERN", "*", "FILTERBY")])
def test_command_list_syntax_errors(raw: RawClient, args: tuple[str, ...]) -> None:
    assert raw.command("COMMAND", "LIST", *args) == b"-ERR syntax error\r\n"


# ------------------------------------------------------------------------------ GETKEYS / GETKEYSANDFLAGS


def test_command_getkeys(r: redis.Redis) -> None:
    assert r.command_getkeys("GET", "k") == ["k"]
    assert r.command_getkeys("del", "a", "b", "c") == ["a", "b", "c"]
    assert r.command_getkeys("MSET", "a", "1", "b", "2") == ["a", "b"]
    assert r.command_getkeys("rename", "a", "b") == ["a", "b"]
    assert r.command_getkeys("object", "encoding", "k") == ["k"]


def test_command_getkeysandflags(raw: RawClient, raw3: RawClient) -> None:
    assert decode(raw.command("COMMAND", "GETKEYSANDFLAGS", "rename", "a", "b")) == [
        [b"a", [b"RW", b"access", b"delete"]], [b"b", [b"OW", b"update"]]]
    assert raw3.command("COMMAND", "GETKEYSANDFLAGS", "get", "k") == b"*1\r\n*2\r\n$1\r\nk\r\n~2\r\n+RO\r\n+access\r\n"


@pytest.mark.parametrize("sub", ["GETKEYS", "GETKEYSANDFLAGS"])
@pytest.mark.parametrize("args, error", [
    (("nosuch", "a"), "Invalid command specified"),
    (("command", "nosuch"), "Invalid command specified"),
    (("ping", "x"), "The command has no key arguments"),
    (("command", "info"), "The command has no key arguments"),
    (("get", "a", "b"), "Invalid number of arguments specified for command"),
    (("object", "encoding"), "Invalid number of arguments specified for command"),
    (("mset", "a"), "Invalid number of arguments specified for command"),
])
def test_command_getkeys_errors(raw: RawClient, sub: str, args: tuple[str, ...], error: str) -> None:
    assert raw.command("COMMAND", sub, *args) == f"-ERR {error}\r\n".encode()


@pytest.mark.parametrize("sub", ["getkeys", "getkeysandflags"])
def test_command_getkeys_arity(raw: RawClient, sub: str) -> None:
    for args in ((), ("get",)):
        assert raw.command("COMMAND", sub.upper(), *args) == (
            f"-ERR wrong number of arguments for 'command|{sub}' command\r\n".encode())


# -------------------------------------------------------------------------------------- HELP and errors


def test_command_help(raw: RawClient) -> None:
    lines = decode(raw.command("COMMAND", "HELP"))
    assert lines[0] == b"COMMAND <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert lines[-2:] == [b"HELP", b"    Prints this help."] and len(lines) == 21
    assert raw.command("COMMAND", "HELP").startswith(b"*21\r\n+COMMAND <subcommand>")
    assert raw.command("COMMAND", "HELP", "x") == b"-ERR wrong number of arguments for 'command|help' command\r\n"


def test_command_unknown_subcommand(raw: RawClient) -> None:
    assert raw.command("COMMAND", "nosuch") == b"-ERR unknown subcommand 'nosuch'. Try COMMAND HELP.\r\n"


def test_command_inside_multi(raw: RawClient) -> None:
    if b"multi" not in TABLE:
        pytest.skip("MULTI is not implemented yet")
    assert raw.command("MULTI") == b"+OK\r\n"
    assert raw.command("COMMAND", "COUNT") == b"+QUEUED\r\n"
    assert raw.command("EXEC") == b"*1\r\n:%d\r\n" % len(TABLE)


# ----------------------------------------------------------------------------- interactive redis-cli


CLI = shutil.which("redis-cli")
_ANSI = re.compile(rb"\x1b\[[0-9;]*[A-Za-z]")


def _cli_session(port: int, lines: list[bytes], timeout: float = 5.0) -> list[bytes]:
    """Drive an interactive redis-cli on a pty (it loads COMMAND DOCS at start-up); return what it printed
    in answer to each line."""
    assert CLI is not None
    pid, fd = pty.fork()
    if pid == 0:   # pragma: no cover - the child
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 400, 0, 0))   # no cursor queries
        os.execv(CLI, [CLI, "-h", "127.0.0.1", "-p", str(port)])
    out = b""
    prompt = b"127.0.0.1:%d> " % port
    answers: list[bytes] = []

    def read_until(done: Any, limit: float) -> bool:
        nonlocal out
        deadline = time.monotonic() + limit
        while time.monotonic() < deadline:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                try:
                    chunk = os.read(fd, 65536)
                except OSError:
                    return False
                if not chunk:
                    return False
                out += chunk
                if done(out):
                    return True
        return False

    try:
        assert read_until(lambda o: o.endswith(prompt), timeout), out
        for line in lines:
            mark = len(out)
            os.write(fd, line)
            if line.endswith(b"\r"):
                assert read_until(lambda o, m=mark: len(o) > m and o.endswith(prompt), timeout), out[mark:]
            else:       # typed but not entered: wait for the line editor to redraw the (cleared) line
                cleared = b"\r\x1b[0K" + prompt + b"\r\x1b[%dC" % len(prompt)
                assert read_until(lambda o, m=mark, c=cleared: len(o) > m and o.endswith(c), timeout), out[mark:]
            answers.append(out[mark:])
        os.write(fd, b"quit\r")
        read_until(lambda o: False, 0.3)
    finally:
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        os.waitpid(pid, 0)
        os.close(fd)
    return answers


def _help_text(out: bytes) -> bytes:
    """What redis-cli printed for a `help ...` line, without colours and line redraws."""
    text = _ANSI.sub(b"", out).replace(b"\r", b"")
    return text.split(b"\n", 1)[1].rsplit(b"\n", 1)[0].strip()


def _last_hint(out: bytes) -> bytes:
    # the hint is drawn in grey (ESC[0;90;49m) after the typed text
    hints = re.findall(rb"\x1b\[0;90;49m(.*?)\x1b\[0m", out)
    return hints[-1] if hints else b""


@pytest.mark.oracle
@pytest.mark.skipif(CLI is None, reason="redis-cli is not installed (apt-get install redis-tools)")
def test_command_docs_drive_interactive_redis_cli(pyredcache_proc: ServerProcess,
                                                  redis_proc: ServerProcess) -> None:
    names = [n for n in ("set", "get", "command getkeys", "command info", "client kill", "lcs", "mset")
             if n.replace(" ", "|") in EVERY_NAME]
    lines = [b"help " + n.encode() + b"\r" for n in names] + [b"SET k v \x15"]
    ours = _cli_session(pyredcache_proc.port, lines)
    theirs = _cli_session(redis_proc.port, lines)
    for name, a, b in zip(names, ours[:-1], theirs[:-1], strict=True):
        assert _help_text(a) == _help_text(b), name
    assert b"summary: Set the string value of a key" in _help_text(ours[0])
    assert _last_hint(ours[-1]) == _last_hint(theirs[-1]) == (
        b"[NX|XX] [GET] [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL]")
