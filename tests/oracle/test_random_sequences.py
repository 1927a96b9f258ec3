"""Random command sequences (hypothesis, derandomized and bounded) over the string/key/expiry/server commands,
sent to pyredcache and a real redis-server 7.0.15; every raw reply must be identical.

Small key and value alphabets make commands collide (overwrites, WRONGTYPE, integer overflow, renames onto
existing keys). Nondeterministic replies are normalised: TTLs within a tolerance, RANDOMKEY by reply type,
SCAN (COUNT 1000 on a small keyspace: one full pass) by cursor and sorted keys, DBSIZE after a SCAN pass
(which reclaims keys set with an expire time in the past).
"""
from __future__ import annotations

import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from helpers.procs import ServerProcess
from helpers.rawclient import RawClient, encode_command
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

pytestmark = pytest.mark.oracle

Arg = str | bytes | int

# Absolute times far from any relative TTL the sequences use, so GT/LT comparisons never tie.
NOW_S = int(time.time())
FUTURE_S = [NOW_S + 5_000, NOW_S + 9_000]
PAST_S = [1, NOW_S - 100]
FUTURE_MS = [t * 1000 + 123 for t in FUTURE_S]
PAST_MS = [1, (NOW_S - 100) * 1000]

TTL_DELTA_S = 1
PTTL_DELTA_MS = 2_000

# The commands the generator draws from; the coverage test below asks pyredcache for every one of them.
CORE_COMMANDS = [
    "GET", "SET", "SETNX", "SETEX", "PSETEX", "GETSET", "GETDEL", "GETEX", "MSET", "MSETNX", "MGET",
    "APPEND", "STRLEN", "GETRANGE", "SUBSTR", "SETRANGE", "INCR", "DECR", "INCRBY", "DECRBY",
    "INCRBYFLOAT", "LCS", "DEL", "UNLINK", "EXISTS", "TYPE", "RENAME", "RENAMENX", "COPY", "MOVE", "KEYS",
    "SCAN", "RANDOMKEY", "TOUCH", "OBJECT|ENCODING", "EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT", "TTL",
    "PTTL", "EXPIRETIME", "PEXPIRETIME", "PERSIST", "DBSIZE", "SELECT", "SWAPDB", "FLUSHDB", "ECHO", "PING",
    "HELLO",
]
# Other types, only so the sequences meet WRONGTYPE; used when pyredcache has them.
TYPE_MAKERS = ["LPUSH", "SADD", "HSET"]


# ------------------------------------------------------------------------------------ generation

@dataclass(frozen=True)
class Cmd:
    check: str              # exact | sorted | ttl | pttl | type | scan | dbsize
    argv: tuple[Arg, ...]

    @property
    def name(self) -> str:
        return str(self.argv[0]).upper()

    def __repr__(self) -> str:
        return " ".join(repr(a) if isinstance(a, bytes) else str(a) for a in self.argv)


KEYS = st.sampled_from(["a", "b", "c", "n", "{t}x", "{t}y", b"\x00bin"])
VALUES = st.sampled_from([
    "", "0", "1", "-5", "10", "007", " 1", "+1", "1.5", "-0", "3.0e2", "abc", "hello world", "x" * 45,
    "9223372036854775807", "-9223372036854775808", "18446744073709551616", b"\xff\x00\r\n",
])
INTS = st.sampled_from(["-3", "0", "1", "100", "abc", "1.5", "9223372036854775807", "-9223372036854775808", ""])
FLOATS = st.sampled_from(["1.5", "-0.25", "0", "1e3", "abc", "inf", "-inf", "5.0e-1", "1.7976931348623157e308"])
OFFSETS = st.sampled_from(["0", "1", "3", "10", "-1", "-100", "100", "abc", "9223372036854775807"])
SETRANGE_OFFSETS = st.sampled_from(["0", "2", "7", "20", "-1", "abc", "536870912"])
JUNK = st.lists(st.sampled_from(["NX", "XX", "GT", "LT", "GET", "KEEPTTL", "EX", "PX", "10", "foo"]),
                min_size=1, max_size=3)
DBS = st.sampled_from(["0", "1", "2", "16", "-1", "x"])
PATTERNS = st.sampled_from(["*", "a*", "?", "[ab]*", "{t}*", "\\{*", "*x", "[^a]", "n"])


def _name(name: str) -> st.SearchStrategy[str]:
    return st.sampled_from([name, name.lower(), name.capitalize()])


def _cmd(check: str, name: str, *parts: st.SearchStrategy[Any]) -> st.SearchStrategy[Cmd]:
    return st.tuples(_name(name), *parts).map(lambda t: Cmd(check, tuple(_flatten(t))))


def _flatten(items: Any) -> Iterator[Arg]:
    for x in items:
        if isinstance(x, (list, tuple)):
            yield from _flatten(x)
        elif x is not None:
            yield x


def _opt(*choices: Any) -> st.SearchStrategy[Any]:
    return st.sampled_from([None, *choices])


def _relative_expire_s() -> st.SearchStrategy[str]:
    return st.sampled_from(["100", "1000", "0", "-1", "abc", "9223372036854775807"])


def _relative_expire_ms() -> st.SearchStrategy[str]:
    return st.sampled_from(["100000", "5000000", "0", "-5", "x"])


EXPIRY_OPTION = st.one_of(
    st.none(),
    st.tuples(st.just("EX"), _relative_expire_s()),
    st.tuples(st.just("PX"), _relative_expire_ms()),
    st.tuples(st.just("EXAT"), st.sampled_from([str(t) for t in FUTURE_S + PAST_S] + ["0"])),
    st.tuples(st.just("PXAT"), st.sampled_from([str(t) for t in FUTURE_MS + PAST_MS])),
)


@st.composite
def set_cmd(draw: Any) -> Cmd:
    groups: list[list[str]] = []
    cond = draw(_opt("NX", "XX"))
    if cond:
        groups.append([cond])
    if draw(st.booleans()):
        groups.append(["GET"])
    exp = draw(st.one_of(EXPIRY_OPTION, st.just(("KEEPTTL",))))
    if exp:
        groups.append(list(exp))
    groups = draw(st.permutations(groups))
    if draw(st.integers(0, 9)) == 0:
        groups.append(draw(JUNK))
    return Cmd("exact", (draw(_name("SET")), draw(KEYS), draw(VALUES), *_flatten(groups)))


@st.composite
def getex_cmd(draw: Any) -> Cmd:
    opt = draw(st.one_of(EXPIRY_OPTION, st.just(("PERSIST",)), JUNK.map(tuple)))
    return Cmd("exact", (draw(_name("GETEX")), draw(KEYS), *(opt or ())))


@st.composite
def expire_cmd(draw: Any) -> Cmd:
    # Relative times never get GT/LT alone: two servers could see the same TTL a millisecond apart.
    name = draw(st.sampled_from(["EXPIRE", "PEXPIRE"]))
    value = draw(_relative_expire_s() if name == "EXPIRE" else _relative_expire_ms())
    opts = draw(st.sampled_from([[], ["NX"], ["XX"], ["NX", "XX"], ["GT", "LT"], ["NX", "GT"], ["bogus"]]))
    return Cmd("exact", (draw(_name(name)), draw(KEYS), value, *opts))


@st.composite
def expireat_cmd(draw: Any) -> Cmd:
    name = draw(st.sampled_from(["EXPIREAT", "PEXPIREAT"]))
    values = FUTURE_S + PAST_S if name == "EXPIREAT" else FUTURE_MS + PAST_MS
    value = str(draw(st.sampled_from(values)))
    opts = draw(st.sampled_from([[], ["NX"], ["XX"], ["GT"], ["LT"], ["XX", "GT"], ["GT", "LT"]]))
    return Cmd("exact", (draw(_name(name)), draw(KEYS), value, *opts))


@st.composite
def lcs_cmd(draw: Any) -> Cmd:
    opts = draw(st.sampled_from([[], ["LEN"], ["IDX"], ["IDX", "WITHMATCHLEN"], ["IDX", "MINMATCHLEN", "2"],
                                 ["LEN", "IDX"], ["MINMATCHLEN", "x"], ["foo"]]))
    return Cmd("exact", (draw(_name("LCS")), draw(KEYS), draw(KEYS), *opts))


@st.composite
def copy_cmd(draw: Any) -> Cmd:
    opts = draw(st.sampled_from([[], ["REPLACE"], ["DB", "1"], ["DB", "2", "REPLACE"], ["DB", "x"], ["foo"]]))
    return Cmd("exact", (draw(_name("COPY")), draw(KEYS), draw(KEYS), *opts))


@st.composite
def scan_cmd(draw: Any) -> Cmd:
    opts: list[str] = []
    if draw(st.booleans()):
        opts += ["MATCH", draw(PATTERNS)]
    if draw(st.booleans()):
        opts += ["TYPE", draw(st.sampled_from(["string", "list", "set", "hash", "nosuchtype"]))]
    return Cmd("scan", (draw(_name("SCAN")), "0", *opts, "COUNT", "1000"))


@st.composite
def wrong_arity_cmd(draw: Any) -> Cmd:
    name = draw(st.sampled_from(["GET", "SET", "APPEND", "GETRANGE", "SETEX", "MSET", "INCRBY", "RENAME",
                                 "EXPIRE", "TTL", "SELECT", "ECHO", "MOVE", "SWAPDB", "LCS", "OBJECT"]))
    extra = draw(st.sampled_from([[], ["a"], ["a", "b", "c", "d", "e", "f"]]))
    return Cmd("exact", (draw(_name(name)), *extra))


def _weighted(*pairs: tuple[int, st.SearchStrategy[Cmd]]) -> st.SearchStrategy[Cmd]:
    pool = [s for w, s in pairs for _ in range(w)]
    return st.sampled_from(pool).flatmap(lambda s: s)


def command_strategy(type_makers: list[str]) -> st.SearchStrategy[Cmd]:
    pairs: list[tuple[int, st.SearchStrategy[Cmd]]] = [
        (6, _cmd("exact", "GET", KEYS)),
        (8, set_cmd()),
        (2, _cmd("exact", "SETNX", KEYS, VALUES)),
        (2, _cmd("exact", "SETEX", KEYS, _relative_expire_s(), VALUES)),
        (1, _cmd("exact", "PSETEX", KEYS, _relative_expire_ms(), VALUES)),
        (2, _cmd("exact", "GETSET", KEYS, VALUES)),
        (2, _cmd("exact", "GETDEL", KEYS)),
        (3, getex_cmd()),
        (2, _cmd("exact", "MSET", st.lists(st.tuples(KEYS, VALUES), min_size=1, max_size=3))),
        (1, _cmd("exact", "MSET", KEYS)),
        (2, _cmd("exact", "MSETNX", st.lists(st.tuples(KEYS, VALUES), min_size=1, max_size=3))),
        (2, _cmd("exact", "MGET", st.lists(KEYS, min_size=1, max_size=4))),
        (3, _cmd("exact", "APPEND", KEYS, VALUES)),
        (2, _cmd("exact", "STRLEN", KEYS)),
        (2, _cmd("exact", "GETRANGE", KEYS, OFFSETS, OFFSETS)),
        (1, _cmd("exact", "SUBSTR", KEYS, OFFSETS, OFFSETS)),
        (2, _cmd("exact", "SETRANGE", KEYS, SETRANGE_OFFSETS, VALUES)),
        (4, _cmd("exact", "INCR", KEYS)),
        (2, _cmd("exact", "DECR", KEYS)),
        (3, _cmd("exact", "INCRBY", KEYS, INTS)),
        (2, _cmd("exact", "DECRBY", KEYS, INTS)),
        (3, _cmd("exact", "INCRBYFLOAT", KEYS, FLOATS)),
        (1, lcs_cmd()),
        (3, _cmd("exact", "DEL", st.lists(KEYS, min_size=1, max_size=3))),
        (1, _cmd("exact", "UNLINK", st.lists(KEYS, min_size=1, max_size=3))),
        (3, _cmd("exact", "EXISTS", st.lists(KEYS, min_size=1, max_size=3))),
        (3, _cmd("exact", "TYPE", KEYS)),
        (2, _cmd("exact", "RENAME", KEYS, KEYS)),
        (2, _cmd("exact", "RENAMENX", KEYS, KEYS)),
        (2, copy_cmd()),
        (2, _cmd("exact", "MOVE", KEYS, DBS)),
        (2, _cmd("sorted", "KEYS", PATTERNS)),
        (1, scan_cmd()),
        (1, _cmd("type", "RANDOMKEY")),
        (1, _cmd("exact", "TOUCH", st.lists(KEYS, min_size=1, max_size=3))),
        (3, _cmd("exact", "OBJECT", st.just("ENCODING"), KEYS)),
        (3, expire_cmd()),
        (3, expireat_cmd()),
        (4, _cmd("ttl", "TTL", KEYS)),
        (2, _cmd("pttl", "PTTL", KEYS)),
        (1, _cmd("ttl", "EXPIRETIME", KEYS)),
        (1, _cmd("pttl", "PEXPIRETIME", KEYS)),
        (2, _cmd("exact", "PERSIST", KEYS)),
        (2, _cmd("dbsize", "DBSIZE")),
        (2, _cmd("exact", "SELECT", DBS)),
        (1, _cmd("exact", "SWAPDB", DBS, DBS)),
        (1, _cmd("exact", "FLUSHDB", _opt("ASYNC", "SYNC", "bogus"))),
        (1, _cmd("exact", "ECHO", VALUES)),
        (1, _cmd("exact", "PING", _opt("hi", ""))),
        (2, wrong_arity_cmd()),
        (1, _cmd("exact", "NOSUCHCOMMAND", st.lists(KEYS, max_size=2))),
    ]
    if "LPUSH" in type_makers:
        pairs.append((1, _cmd("exact", "LPUSH", KEYS, st.lists(VALUES, min_size=1, max_size=3))))
    if "SADD" in type_makers:
        pairs.append((1, _cmd("exact", "SADD", KEYS, VALUES)))
    if "HSET" in type_makers:
        pairs.append((1, _cmd("exact", "HSET", KEYS, VALUES, VALUES)))
    return _weighted(*pairs)


# -------------------------------------------------------------------------------------- replies

def parse(raw: bytes, pos: int = 0) -> tuple[Any, int]:
    """A raw RESP2/RESP3 reply as nested Python values (aggregates as lists); returns (value, end)."""
    nl = raw.index(b"\r\n", pos)
    kind, line, after = raw[pos:pos + 1], raw[pos + 1:nl], nl + 2
    if kind in (b"$", b"=", b"!"):
        n = int(line)
        if n < 0:
            return None, after
        return raw[after:after + n], after + n + 2
    if kind in (b"*", b"~", b"%", b">"):
        n = int(line)
        if n < 0:
            return None, after
        if kind == b"%":
            n *= 2
        items = []
        for _ in range(n):
            item, after = parse(raw, after)
            items.append(item)
        return items, after
    if kind == b"_":
        return None, after
    return kind + line, after


def _int_reply(raw: bytes) -> int | None:
    return int(raw[1:-2]) if raw[:1] == b":" else None


def replies_agree(cmd: Cmd, ours: bytes, theirs: bytes) -> bool:
    if ours == theirs:
        return True
    if cmd.check in ("ttl", "pttl"):
        a, b = _int_reply(ours), _int_reply(theirs)
        if a is None or b is None or a < 0 or b < 0:
            return False
        return abs(a - b) <= (TTL_DELTA_S if cmd.check == "ttl" else PTTL_DELTA_MS)
    if cmd.check == "type":
        return ours[:1] == theirs[:1]
    if cmd.check == "sorted":
        if ours[:1] not in (b"*", b"~") or theirs[:1] not in (b"*", b"~"):
            return False
        return sorted(parse(ours)[0]) == sorted(parse(theirs)[0])
    if cmd.check == "scan":
        if ours[:1] != b"*" or theirs[:1] != b"*":
            return False
        (c1, k1), (c2, k2) = parse(ours)[0], parse(theirs)[0]
        return bool(c1 == c2 and sorted(k1) == sorted(k2))
    return False


# ----------------------------------------------------------------------------------------- runner

class Pair:
    """One connection to each server, reset to db 0 / RESP2 with an empty keyspace."""

    def __init__(self, ports: tuple[int, int]) -> None:
        self.ours = RawClient(ports[0])
        self.redis = RawClient(ports[1])
        self.log: list[str] = []

    def close(self) -> None:
        self.ours.close()
        self.redis.close()

    def both(self, *argv: Arg) -> tuple[bytes, bytes]:
        data = encode_command(*argv)
        self.ours.send(data)
        self.redis.send(data)
        return self.ours.read_reply(), self.redis.read_reply()

    def check(self, cmd: Cmd) -> None:
        if cmd.check == "dbsize":
            # DBSIZE counts keys whose (past) expire time has not been reclaimed yet, and active expiry
            # reclaims them at its own pace. SCAN lazily expires every key it visits (scanGenericCommand),
            # so one full pass first makes the count deterministic on both servers.
            self.both("SCAN", "0", "COUNT", "1000")
        ours, theirs = self.both(*cmd.argv)
        self.log.append(f"{cmd!r} -> {ours[:120]!r}")
        if not replies_agree(cmd, ours, theirs):
            history = "\n  ".join(self.log[-40:])
            raise AssertionError(f"{cmd!r}:\n  pyredcache {ours!r}\n  redis      {theirs!r}\n"
                                 f"sequence so far (last 40):\n  {history}")

    def compare_state(self, with_encoding: bool) -> None:
        """Every db: the same keys, and per key the same type, value (strings) and TTL (±1s)."""
        for db in ("0", "1", "2"):
            self.check(Cmd("exact", ("SELECT", db)))
            self.check(Cmd("sorted", ("KEYS", "*")))
            self.check(Cmd("dbsize", ("DBSIZE",)))
            keys = parse(self.ours.command("KEYS", "*"))[0]
            for key in keys:
                self.check(Cmd("exact", ("TYPE", key)))
                self.check(Cmd("ttl", ("TTL", key)))
                if self.ours.command("TYPE", key) == b"+string\r\n":
                    self.check(Cmd("exact", ("GET", key)))
                    if with_encoding:
                        self.check(Cmd("exact", ("OBJECT", "ENCODING", key)))


def _supported(port: int, names: list[str]) -> set[str]:
    """Which commands pyredcache knows (anything but "unknown command"/"unknown subcommand")."""
    c = RawClient(port)
    try:
        known = set()
        for name in names:
            reply = c.command(*name.split("|"))
            if not reply.startswith((b"-ERR unknown command", b"-ERR unknown subcommand")):
                known.add(name)
        c.command("FLUSHALL")
        return known
    finally:
        c.close()


@dataclass
class Servers:
    ports: tuple[int, int]
    supported: set[str]


@pytest.fixture(scope="module")
def servers(pyredcache_proc: ServerProcess, redis_proc: ServerProcess) -> Servers:
    # Probing with a bare name is safe: the write commands here all fail arity without arguments,
    # and the argument-less ones (DBSIZE, RANDOMKEY, FLUSHDB, PING, SCAN...) touch nothing that matters.
    supported = _supported(pyredcache_proc.port, CORE_COMMANDS + TYPE_MAKERS)
    return Servers((pyredcache_proc.port, redis_proc.port), supported)


def test_random_sequences_cover_every_command(servers: Servers) -> None:
    missing = [n for n in CORE_COMMANDS if n not in servers.supported]
    assert not missing, f"pyredcache lacks commands the random sequences exercise: {missing}"


SETTINGS = settings(derandomize=True, max_examples=500, deadline=None, database=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def test_random_command_sequences_match_redis(servers: Servers) -> None:
    supported = servers.supported
    missing = [n for n in CORE_COMMANDS if n not in supported]
    if missing:
        warnings.warn(f"random sequences skip commands pyredcache lacks: {missing}", stacklevel=1)
    wanted = {n.split("|")[0] for n in supported} | {"NOSUCHCOMMAND"}
    makers = [n for n in TYPE_MAKERS if n in supported]
    commands = command_strategy(makers).filter(lambda c: c.name in wanted)
    protocols = [2, 3] if "HELLO" in supported else [2]
    with_encoding = "OBJECT|ENCODING" in supported

    @SETTINGS
    @given(st.sampled_from(protocols), st.lists(commands, min_size=10, max_size=60))
    def run(protocol: int, sequence: list[Cmd]) -> None:
        pair = Pair(servers.ports)
        try:
            pair.both("FLUSHALL")
            if protocol == 3:
                ours, theirs = pair.both("HELLO", "3")
                assert ours[:1] == theirs[:1] == b"%", (ours, theirs)
            pair.log.append(f"(RESP{protocol})")
            for cmd in sequence:
                pair.check(cmd)
            pair.compare_state(with_encoding)
        finally:
            pair.close()

    run()
