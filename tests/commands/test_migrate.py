"""MIGRATE and RESTORE-ASKING compared with redis-server 7.0.15: the same scenario runs with a pyredcache
source and a redis-server source, each migrating to its own target (both redis-server, or both pyredcache),
and the replies must be byte-identical; the effects on source and target are checked too.
"""
from __future__ import annotations

import shutil
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from helpers.procs import ServerProcess, free_port, start_server
from helpers.rawclient import RawClient
from helpers.replstream import StreamReader

pytestmark = pytest.mark.oracle

T = "{T}"     # stands for the target's port in a scenario's commands


class Side:
    """One source server and the target it migrates to."""

    def __init__(self, src: ServerProcess, tgt: ServerProcess) -> None:
        self.src_proc = src
        self.tgt_proc = tgt
        self.src = RawClient(src.port)
        self.tgt = RawClient(tgt.port)

    def run(self, *args: Any) -> bytes:
        return self.src.command(*[str(self.tgt_proc.port) if a == T else a for a in args])

    def reconnect_target(self) -> None:
        self.tgt.close()
        self.tgt = RawClient(self.tgt_proc.port)

    def close(self) -> None:
        self.src.close()
        self.tgt.close()


class Pair:
    def __init__(self, ours: Side, theirs: Side) -> None:
        self.ours = ours
        self.theirs = theirs
        self.sides = (ours, theirs)

    def src(self, *args: Any) -> bytes:
        """A setup command on both sources (must agree)."""
        return self._same([s.src.command(*args) for s in self.sides], args)

    def tgt(self, *args: Any) -> bytes:
        """A command on both targets (must agree)."""
        return self._same([s.tgt.command(*args) for s in self.sides], args)

    def do(self, *args: Any) -> bytes:
        """MIGRATE (or anything) on both sources, `T` replaced by each side's target port."""
        return self._same([s.run(*args) for s in self.sides], args)

    @staticmethod
    def _same(replies: list[bytes], args: Any) -> bytes:
        assert replies[0] == replies[1], f"{args!r}: pyredcache {replies[0]!r} != redis {replies[1]!r}"
        return replies[0]


@pytest.fixture(scope="module")
def sources() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    ours = start_server("pyredcache")
    try:
        theirs = start_server("redis")
    except BaseException:
        ours.cleanup()
        raise
    yield ours, theirs
    ours.cleanup()
    theirs.cleanup()


@pytest.fixture(scope="module", params=["redis", "pyredcache"])
def targets(request: Any) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    a = start_server(request.param)
    try:
        b = start_server(request.param)
    except BaseException:
        a.cleanup()
        raise
    yield a, b
    a.cleanup()
    b.cleanup()


@pytest.fixture
def pair(sources: tuple[ServerProcess, ServerProcess],
         targets: tuple[ServerProcess, ServerProcess]) -> Iterator[Pair]:
    p = Pair(Side(sources[0], targets[0]), Side(sources[1], targets[1]))
    for side in p.sides:
        for c in (side.src, side.tgt):
            assert c.command("FLUSHALL") == b"+OK\r\n"
            c.command("CONFIG", "SET", "requirepass", "")
    yield p
    for side in p.sides:
        side.close()


def test_migrate_argument_errors(pair: Pair) -> None:
    pair.src("SET", "k", "v")
    assert pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "1000", "FOO") == b"-ERR syntax error\r\n"
    pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "1000", "COPY", "AUTH")
    pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "1000", "AUTH2", "user")
    pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "1000", "REPLACE", "NOPE", "KEYS", "k")
    assert pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "1000", "KEYS", "k").startswith(
        b"-ERR When using MIGRATE KEYS option")
    assert pair.do("MIGRATE", "127.0.0.1", T, "k", "x", "1000") == \
        b"-ERR value is not an integer or out of range\r\n"
    pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "1.5")
    pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "99999999999999999999")
    pair.do("MIGRATE", "127.0.0.1", T, "k")
    pair.do("MIGRATE", "127.0.0.1", T, "k", "0")
    # A syntax error is found before the missing key is noticed: options are parsed first.
    pair.do("MIGRATE", "127.0.0.1", T, "nokey", "0", "1000", "BAD")
    pair.src("GET", "k")


def test_migrate_nokey(pair: Pair) -> None:
    assert pair.do("MIGRATE", "127.0.0.1", T, "missing", "0", "1000") == b"+NOKEY\r\n"
    assert pair.do("MIGRATE", "127.0.0.1", T, "", "0", "1000", "KEYS", "a", "b") == b"+NOKEY\r\n"
    # NOKEY is decided before connecting: an unreachable target does not matter.
    assert pair.do("MIGRATE", "127.0.0.1", str(free_port()), "missing", "0", "1000") == b"+NOKEY\r\n"


def test_migrate_moves_key_with_ttl_and_timeout_zero(pair: Pair) -> None:
    pair.src("SET", "k", "hello")
    pair.src("RPUSH", "l", "a", "b")
    pair.src("PEXPIRE", "l", 50_000)
    assert pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "0") == b"+OK\r\n"
    assert pair.do("MIGRATE", "127.0.0.1", T, "l", "0", "-5") == b"+OK\r\n"
    pair.src("EXISTS", "k", "l")
    assert pair.tgt("GET", "k") == b"$5\r\nhello\r\n"
    pair.tgt("LRANGE", "l", "0", "-1")
    for side in pair.sides:
        assert 45_000 < int(side.tgt.command("PTTL", "l")[1:-2]) <= 50_000
        assert side.tgt.command("PTTL", "k") == b":-1\r\n"


def test_migrate_copy_replace_and_busykey(pair: Pair) -> None:
    pair.src("SET", "k", "v1")
    pair.tgt("SET", "k", "old")
    busy = pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "1000")
    assert busy == b"-ERR Target instance replied with error: BUSYKEY Target key name already exists.\r\n"
    pair.src("GET", "k")
    assert pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "1000", "COPY", "REPLACE") == b"+OK\r\n"
    assert pair.src("GET", "k") == b"$2\r\nv1\r\n"
    assert pair.tgt("GET", "k") == b"$2\r\nv1\r\n"
    pair.src("SET", "k", "v2")
    assert pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "1000", "REPLACE") == b"+OK\r\n"
    assert pair.src("EXISTS", "k") == b":0\r\n"
    assert pair.tgt("GET", "k") == b"$2\r\nv2\r\n"


def test_migrate_keys_form_some_missing_some_busy(pair: Pair) -> None:
    pair.src("MSET", "a", "1", "b", "2", "c", "3")
    pair.tgt("SET", "b", "taken")
    reply = pair.do("MIGRATE", "127.0.0.1", T, "", "0", "1000", "KEYS", "a", "missing", "b", "c")
    assert reply.startswith(b"-ERR Target instance replied with error: BUSYKEY")
    # Keys the target accepted left the source; the refused one stayed.
    assert pair.src("MGET", "a", "b", "c") == b"*3\r\n$-1\r\n$1\r\n2\r\n$-1\r\n"
    assert pair.tgt("MGET", "a", "b", "c") == b"*3\r\n$1\r\n1\r\n$5\r\ntaken\r\n$1\r\n3\r\n"
    assert pair.do("MIGRATE", "127.0.0.1", T, "", "0", "1000", "replace", "keys", "b", "zz") == b"+OK\r\n"
    assert pair.tgt("GET", "b") == b"$1\r\n2\r\n"


def test_migrate_selects_target_db(pair: Pair) -> None:
    pair.src("MSET", "x", "1", "y", "2", "z", "3")
    assert pair.do("MIGRATE", "127.0.0.1", T, "x", "3", "1000") == b"+OK\r\n"
    assert pair.do("MIGRATE", "127.0.0.1", T, "y", "5", "1000") == b"+OK\r\n"
    assert pair.do("MIGRATE", "127.0.0.1", T, "z", "3", "1000") == b"+OK\r\n"
    pair.tgt("SELECT", "3")
    assert pair.tgt("MGET", "x", "y", "z") == b"*3\r\n$1\r\n1\r\n$-1\r\n$1\r\n3\r\n"
    pair.tgt("SELECT", "5")
    assert pair.tgt("GET", "y") == b"$1\r\n2\r\n"
    pair.tgt("SELECT", "0")
    pair.src("SET", "w", "4")
    assert pair.do("MIGRATE", "127.0.0.1", T, "w", "99", "1000").startswith(
        b"-ERR Target instance replied with error: ERR DB index is out of range")
    # The pipelined RESTORE still ran in the target's current db (3): the source keeps its copy anyway.
    assert pair.src("GET", "w") == b"$1\r\n4\r\n"
    pair.tgt("SELECT", "3")
    assert pair.tgt("GET", "w") == b"$1\r\n4\r\n"
    # The failed SELECT forgot the target's db: the next MIGRATE to db 3 selects again.
    pair.tgt("SELECT", "0")
    pair.src("SET", "v", "5")
    assert pair.do("MIGRATE", "127.0.0.1", T, "v", "3", "1000") == b"+OK\r\n"
    pair.tgt("SELECT", "3")
    assert pair.tgt("GET", "v") == b"$1\r\n5\r\n"


def test_migrate_auth_and_auth2(pair: Pair) -> None:
    pair.tgt("CONFIG", "SET", "requirepass", "s3cret")
    try:
        pair.tgt("AUTH", "s3cret")
        # Cached connections would stay authenticated: drop them (MIGRATE then reconnects, see the retry).
        pair.tgt("CLIENT", "KILL", "TYPE", "normal", "SKIPME", "yes")
        pair.src("MSET", "k1", "v1", "k2", "v2", "k3", "v3")
        noauth = pair.do("MIGRATE", "127.0.0.1", T, "k1", "0", "1000")
        assert noauth == b"-ERR Target instance replied with error: NOAUTH Authentication required.\r\n"
        wrong = pair.do("MIGRATE", "127.0.0.1", T, "k1", "0", "1000", "AUTH", "nope")
        assert wrong.startswith(b"-ERR Target instance replied with error: WRONGPASS")
        pair.do("MIGRATE", "127.0.0.1", T, "k1", "0", "1000", "AUTH2", "default", "nope")
        pair.do("MIGRATE", "127.0.0.1", T, "k1", "0", "1000", "AUTH2", "nobody", "s3cret")
        assert pair.src("EXISTS", "k1") == b":1\r\n"
        assert pair.do("MIGRATE", "127.0.0.1", T, "k1", "0", "1000", "AUTH", "s3cret") == b"+OK\r\n"
        assert pair.do("MIGRATE", "127.0.0.1", T, "", "0", "1000", "AUTH2", "default", "s3cret", "KEYS", "k2",
                       "k3") == b"+OK\r\n"
        assert pair.tgt("MGET", "k1", "k2", "k3") == b"*3\r\n$2\r\nv1\r\n$2\r\nv2\r\n$2\r\nv3\r\n"
        assert pair.src("DBSIZE") == b":0\r\n"
    finally:
        pair.tgt("CONFIG", "SET", "requirepass", "")


def test_migrate_auth_arguments_are_redacted(pair: Pair) -> None:
    pair.src("CONFIG", "SET", "slowlog-log-slower-than", "0")
    pair.src("SLOWLOG", "RESET")
    pair.src("SET", "k", "v")
    pair.do("MIGRATE", "127.0.0.1", T, "k", "0", "1000", "COPY", "AUTH2", "default", "pw")
    for side in pair.sides:
        log = side.src.command("SLOWLOG", "GET", "10")
        assert b"(redacted)" in log and b"pw\r\n" not in log
    pair.src("CONFIG", "SET", "slowlog-log-slower-than", "10000")


def test_migrate_unreachable_target(pair: Pair) -> None:
    pair.src("SET", "k", "v")
    refused = str(free_port())
    # A refused connect is only noticed on the first write (connBlockingConnect does not check SO_ERROR).
    assert pair.do("MIGRATE", "127.0.0.1", refused, "k", "0", "500") == \
        b"-IOERR error or timeout writing to target instance\r\n"
    assert pair.do("MIGRATE", "256.1.1.1", "1234", "k", "0", "500") == \
        b"-IOERR error or timeout connecting to the client\r\n"
    pair.do("MIGRATE", "127.0.0.1", "-5", "k", "0", "500")
    pair.do("MIGRATE", "127.0.0.1", "abc", "k", "0", "500")
    assert pair.src("GET", "k") == b"$1\r\nv\r\n"


def test_migrate_restore_asking_runs_restore(pair: Pair) -> None:
    pair.src("SET", "k", "v")
    payload = pair.ours.src.command("DUMP", "k")
    assert payload == pair.theirs.src.command("DUMP", "k")
    blob = payload.split(b"\r\n", 1)[1][:-2]
    pair.src("RESTORE-ASKING", "k", "0", blob)
    pair.src("RESTORE-ASKING", "k2", "0", blob, "REPLACE", "IDLETIME", "10")
    pair.src("RESTORE-ASKING", "k2", "0", blob, "REPLACE", "FREQ")
    pair.src("RESTORE-ASKING", "k3", "0", b"garbage")
    pair.src("RESTORE-ASKING", "k3")
    assert pair.src("GET", "k2") == b"$1\r\nv\r\n"


def test_migrate_keyspace_events_and_propagation(pair: Pair) -> None:
    """Each moved key is a "del" event; the stream gets one DEL with the moved keys (nothing with COPY)."""
    subs = []
    streams = []
    for side in pair.sides:
        side.src.command("CONFIG", "SET", "notify-keyspace-events", "KEA")
        sub = RawClient(side.src_proc.port)
        sub.command("PSUBSCRIBE", "__key*@0__:*")
        subs.append(sub)
        streams.append(StreamReader(side.src_proc.port))
    try:
        pair.src("MSET", "a", "1", "b", "2", "c", "3")
        pair.tgt("SET", "b", "busy")
        pair.do("MIGRATE", "127.0.0.1", T, "", "0", "1000", "KEYS", "a", "b", "c")
        pair.do("MIGRATE", "127.0.0.1", T, "b", "0", "1000", "COPY", "REPLACE")
        pair.src("SET", "__end__", "1")
        got = []
        for sub, stream in zip(subs, streams, strict=True):
            events = [sub.read_reply() for _ in range(10)]   # 3 sets, then del a, del c: two events each
            got.append((events, stream.commands_until(b"__end__")))
        assert got[0][0] == got[1][0]
        assert [b"del" in e for e in got[0][0]].count(True) == 4
        ours, theirs = got[0][1], got[1][1]
        assert ours == theirs
        assert [b"DEL", b"a", b"c"] in ours
    finally:
        for sub, stream in zip(subs, streams, strict=True):
            sub.close()
            stream.close()
        for side in pair.sides:
            side.src.command("CONFIG", "SET", "notify-keyspace-events", "")


def _restart(sp: ServerProcess) -> None:
    """Stop the server and start a fresh one on the same port, in place."""
    sp.stop()
    fresh = start_server(sp.kind, port=sp.port)
    shutil.rmtree(sp.workdir, ignore_errors=True)
    sp.proc, sp.workdir, sp.logfile, sp.server = fresh.proc, fresh.workdir, fresh.logfile, fresh.server


def _target_clients(side: Side) -> list[bytes]:
    lines = side.tgt.command("CLIENT", "LIST").split(b"\n")
    return [ln for ln in lines if b"cmd=restore" in ln]


def test_migrate_reuses_cached_connection_and_reconnects(pair: Pair) -> None:
    pair.src("MSET", "a", "1", "b", "2", "c", "3")
    assert pair.do("MIGRATE", "127.0.0.1", T, "a", "0", "1000") == b"+OK\r\n"
    assert pair.do("MIGRATE", "127.0.0.1", T, "b", "0", "1000") == b"+OK\r\n"
    for side in pair.sides:
        assert len(_target_clients(side)) == 1
    for side in pair.sides:
        _restart(side.tgt_proc)
        side.reconnect_target()
    # The cached socket is dead: the first write or read fails, the socket is dropped and MIGRATE retries once.
    assert pair.do("MIGRATE", "127.0.0.1", T, "c", "0", "1000") == b"+OK\r\n"
    assert pair.tgt("GET", "c") == b"$1\r\n3\r\n"
    for side in pair.sides:
        assert len(_target_clients(side)) == 1


def test_migrate_target_that_never_answers(pair: Pair) -> None:
    """Connected, but no reply within the timeout: no retry after a timeout, the key stays."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)     # the kernel completes the handshakes; nobody ever reads or answers
    try:
        pair.src("SET", "k", "v")
        port = str(silent.getsockname()[1])
        assert pair.do("MIGRATE", "127.0.0.1", port, "k", "0", "200") == \
            b"-IOERR error or timeout reading to target instance\r\n"
        assert pair.src("GET", "k") == b"$1\r\nv\r\n"
    finally:
        silent.close()


def test_migrate_target_that_hangs_up(pair: Pair) -> None:
    """The target closes every connection: retried once on a fresh socket, then IOERR."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.05)
    accepted: list[int] = []
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            accepted.append(1)
            conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        pair.src("SET", "k", "v")
        port = str(listener.getsockname()[1])
        assert pair.do("MIGRATE", "127.0.0.1", port, "k", "0", "2000") == \
            b"-IOERR error or timeout reading to target instance\r\n"
        assert pair.src("GET", "k") == b"$1\r\nv\r\n"
        assert len(accepted) == 4      # two attempts from each source
    finally:
        stop.set()
        thread.join(5)
        listener.close()


def test_migrate_getkeys(pair: Pair) -> None:
    """migrateGetKeys: AUTH/AUTH2 arguments are skipped; KEYS with a non-empty key argument has no keys."""
    for argv in (["h", "1", "k", "0", "0"], ["h", "1", "", "0", "0", "KEYS", "a", "b"],
                 ["h", "1", "", "0", "0", "AUTH", "keys", "keys", "a"],
                 ["h", "1", "", "0", "0", "AUTH2", "keys", "keys", "KEYS", "a"],
                 ["h", "1", "k", "0", "0", "KEYS", "a"], ["h", "1", "", "0", "0", "COPY"]):
        pair.src("COMMAND", "GETKEYS", "MIGRATE", *argv)
        pair.src("COMMAND", "GETKEYSANDFLAGS", "MIGRATE", *argv)
