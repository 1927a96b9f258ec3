"""CLUSTER subcommands on a single node, pyredcache and redis-server side by side (both cluster-enabled).

Node ids and ports differ between the two servers, so replies that carry them are compared after masking.
The standalone "cluster support disabled" errors use the shared (standalone) oracle pair.
"""
from __future__ import annotations

import os
import re
import shutil
import tempfile
from collections.abc import Iterator

import pytest
from helpers.oracle import Oracle
from helpers.procs import REDIS_SERVER, ServerProcess, start_server
from helpers.rawclient import RawClient
from helpers.wait import wait_until

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="redis-server is not installed")

CLUSTER = {"cluster-enabled": "yes", "cluster-node-timeout": "1000"}


@pytest.fixture(scope="module")
def pair() -> Iterator[tuple[ServerProcess, ServerProcess]]:
    ours = start_server("pyredcache", CLUSTER)
    try:
        theirs = start_server("redis", CLUSTER)
    except BaseException:
        ours.cleanup()
        raise
    yield ours, theirs
    ours.cleanup()
    theirs.cleanup()


@pytest.fixture
def co(pair: tuple[ServerProcess, ServerProcess]) -> Iterator[Oracle]:
    """Oracle over the two cluster nodes, each reset to an empty, slot-less node with epochs 0."""
    o = Oracle(pair[0].port, pair[1].port)
    for conn in (o.ours, o.redis):
        conn.command("FLUSHALL")
        assert conn.command("CLUSTER", "RESET", "HARD") == b"+OK\r\n"
    yield o
    o.close()


def myid(conn: RawClient) -> bytes:
    reply = conn.command("CLUSTER", "MYID")
    return reply.split(b"\r\n")[1]


def masked(conn: RawClient, reply: bytes) -> bytes:
    """Replace the node's id and its ports by placeholders."""
    port = conn.sock.getpeername()[1]
    out = reply.replace(myid(conn), b"<ID>")
    out = re.sub(rb"\b%d\b" % (port + 10000), b"<CPORT>", out)
    return re.sub(rb"\b%d\b" % port, b"<PORT>", out)


def same_masked(o: Oracle, *args: str | int | bytes) -> bytes:
    ours, theirs = o.both(*args)
    a, b = masked(o.ours, ours), masked(o.redis, theirs)
    # Verbatim/bulk lengths change with the id-independent port width only; compare the text.
    a = re.sub(rb"^([$=])\d+\r\n", rb"\1N\r\n", a)
    b = re.sub(rb"^([$=])\d+\r\n", rb"\1N\r\n", b)
    assert a == b, f"{args!r}:\npyredcache {ours!r}\nredis      {theirs!r}"
    return a


def wait_state_ok(o: Oracle) -> None:
    for conn in (o.ours, o.redis):
        wait_until(lambda conn=conn: b"cluster_state:ok" in conn.command("CLUSTER", "INFO"), timeout=10,
                   message="cluster_state:ok")


# ------------------------------------------------------------------------------------------------ standalone

STANDALONE_FORMS = [
    ("HELP",), ("INFO",), ("NODES",), ("MYID",), ("SLOTS",), ("SHARDS",), ("LINKS",), ("KEYSLOT", "a"),
    ("COUNTKEYSINSLOT", "1"), ("GETKEYSINSLOT", "1", "1"), ("ADDSLOTS", "1"), ("DELSLOTS", "1"),
    ("ADDSLOTSRANGE", "1", "2"), ("ADDSLOTSRANGE", "1", "2", "3"), ("DELSLOTSRANGE", "1", "2"),
    ("FLUSHSLOTS",), ("SETSLOT", "1", "STABLE"), ("MEET", "127.0.0.1", "1"), ("FORGET", "x"),
    ("REPLICATE", "x"), ("REPLICAS", "x"), ("SLAVES", "x"), ("COUNT-FAILURE-REPORTS", "x"), ("FAILOVER",),
    ("RESET",), ("SAVECONFIG",), ("BUMPEPOCH",), ("SET-CONFIG-EPOCH", "1"),
]


@pytest.mark.parametrize("form", STANDALONE_FORMS, ids=lambda f: " ".join(f))
def test_cluster_standalone_disabled(oracle: Oracle, form: tuple[str, ...]) -> None:
    assert oracle.error("CLUSTER", *form) == b"-ERR This instance has cluster support disabled\r\n"


def test_cluster_standalone_unknown_and_arity(oracle: Oracle) -> None:
    oracle.error("CLUSTER", "foo")
    oracle.error("CLUSTER", "MEET", "a")
    oracle.error("CLUSTER", "NODES", "x")
    oracle.error("CLUSTER")


# ------------------------------------------------------------------------------------------------ errors

ERROR_FORMS = [
    ("MEET", "a"), ("NODES", "x"), ("ADDSLOTSRANGE", "1", "2", "3"), ("DELSLOTSRANGE", "1", "2", "3"),
    ("SETSLOT", "1", "node"), ("SETSLOT", "1", "bogus"), ("SETSLOT", "x", "node", "abc"),
    ("SETSLOT", "16384", "stable"), ("SETSLOT", "1", "stable", "x"), ("SETSLOT", "9", "migrating", "abc"),
    ("SETSLOT", "9", "importing", "abc"), ("SETSLOT", "9", "node", "abc"),
    ("FAILOVER", "a", "b"), ("FAILOVER", "x"), ("FAILOVER",), ("FAILOVER", "force"), ("FAILOVER", "TAKEOVER"),
    ("RESET", "x"), ("RESET", "hard", "x"), ("COUNTKEYSINSLOT", "x"), ("COUNTKEYSINSLOT", "-1"),
    ("COUNTKEYSINSLOT", "16384"), ("GETKEYSINSLOT", "1", "-1"), ("GETKEYSINSLOT", "1", "x"),
    ("GETKEYSINSLOT", "x", "1"), ("GETKEYSINSLOT", "16384", "1"), ("ADDSLOTS", "1", "x"),
    ("ADDSLOTS", "100000"), ("ADDSLOTS", "-1"), ("ADDSLOTS", "1", "1"), ("DELSLOTS", "5"),
    ("ADDSLOTSRANGE", "5", "4"), ("ADDSLOTSRANGE", "1", "x"), ("ADDSLOTSRANGE", "1", "3", "2", "2"),
    ("DELSLOTSRANGE", "0", "1"), ("SET-CONFIG-EPOCH", "-1"), ("SET-CONFIG-EPOCH", "x"), ("FORGET", "abc"),
    ("FORGET", "0" * 40), ("REPLICATE", "abc"), ("SLAVES", "abc"), ("REPLICAS", "abc"),
    ("COUNT-FAILURE-REPORTS", "abc"), ("MEET", "1.2.3.4", "x"), ("MEET", "1.2.3.4", "1", "x"),
    ("MEET", "nohost", "1"), ("MEET", "127.0.0.1", "99999"), ("MEET", "127.0.0.1", "0"),
    ("MEET", "127.0.0.1", "-5"), ("MEET", "127.0.0.1", "1", "70000"), ("MEET", "1.2.3.4", "1", "2", "3"),
    ("MEET", "a\r\nb", "1"), ("FORGET", "a\r\nb"), ("BUMPEPOCH", "x"), ("FOO",),
]


@pytest.mark.parametrize("form", ERROR_FORMS, ids=lambda f: " ".join(f))
def test_cluster_errors(co: Oracle, form: tuple[str, ...]) -> None:
    co.error("CLUSTER", *form)


ODD_FORMS = [
    ("ADDSLOTS", "01"), ("ADDSLOTS", "+1"), ("ADDSLOTS", " 1"), ("ADDSLOTS", "16383"), ("DELSLOTS", "16383"),
    ("COUNTKEYSINSLOT", "007"), ("COUNTKEYSINSLOT", "9223372036854775808"), ("GETKEYSINSLOT", "0", "0"),
    ("GETKEYSINSLOT", "0", "9223372036854775807"), ("KEYSLOT", "{"), ("KEYSLOT", "}{a}"), ("KEYSLOT", "{{a}}"),
    ("ADDSLOTSRANGE", "7", "7"), ("DELSLOTSRANGE", "7", "7"), ("SET-CONFIG-EPOCH", "0"),
    ("RESET", "SOFT"), ("reset", "hard"), ("FAILOVER", "FORCE", "x"),
]


@pytest.mark.parametrize("form", ODD_FORMS, ids=lambda f: " ".join(f))
def test_cluster_odd_arguments(co: Oracle, form: tuple[str, ...]) -> None:
    co.do("CLUSTER", *form)


def test_cluster_errors_about_myself(co: Oracle) -> None:
    for conn in (co.ours, co.redis):
        me = myid(conn)
        for args, text in (
            (("FORGET", me), b"-ERR I tried hard but I can't forget myself...\r\n"),
            (("REPLICATE", me), b"-ERR Can't replicate myself\r\n"),
            (("SETSLOT", "7", "importing", me), None),
        ):
            reply = conn.command("CLUSTER", *args)
            if text is not None:
                assert reply == text, (conn, args, reply)
            else:
                assert reply == b"+OK\r\n"
        assert conn.command("CLUSTER", "SETSLOT", "7", "stable") == b"+OK\r\n"
        assert conn.command("CLUSTER", "ADDSLOTS", "7") == b"+OK\r\n"
        assert conn.command("CLUSTER", "SETSLOT", "7", "importing", me) == \
            b"-ERR I'm already the owner of hash slot 7\r\n"
        assert conn.command("CLUSTER", "SET", "x") .startswith(b"-ERR unknown subcommand")
        assert conn.command("CLUSTER", "REPLICAS", me) == b"*0\r\n"
        assert conn.command("CLUSTER", "SLAVES", me) == b"*0\r\n"
        assert conn.command("CLUSTER", "COUNT-FAILURE-REPORTS", me) == b":0\r\n"
    co.do("CLUSTER", "FLUSHSLOTS")


# ------------------------------------------------------------------------------------------------ slots

def test_cluster_addslots_delslots_nodes(co: Oracle) -> None:
    same_masked(co, "CLUSTER", "NODES")
    co.do("CLUSTER", "ADDSLOTS", "5", "1", "2", "3", "100", "16383")
    same_masked(co, "CLUSTER", "NODES")
    co.error("CLUSTER", "ADDSLOTS", "4", "5")    # 5 busy: nothing of the command applies
    same_masked(co, "CLUSTER", "NODES")
    co.do("CLUSTER", "ADDSLOTSRANGE", "10", "20", "30", "30", "16000", "16382")
    same_masked(co, "CLUSTER", "NODES")
    co.do("CLUSTER", "DELSLOTS", "15", "100")
    co.do("CLUSTER", "DELSLOTSRANGE", "16010", "16020", "1", "2")
    same_masked(co, "CLUSTER", "NODES")
    same_masked(co, "CLUSTER", "SLOTS")
    same_masked(co, "CLUSTER", "SHARDS")
    co.do("CLUSTER", "FLUSHSLOTS")
    same_masked(co, "CLUSTER", "NODES")
    co.do("CLUSTER", "SLOTS")
    same_masked(co, "CLUSTER", "SHARDS")


def test_cluster_setslot_markers(co: Oracle) -> None:
    co.do("CLUSTER", "ADDSLOTSRANGE", "0", "99")
    ids = (myid(co.ours), myid(co.redis))
    for conn, me in zip((co.ours, co.redis), ids, strict=True):
        assert conn.command("CLUSTER", "SETSLOT", "5", "MIGRATING", me) == b"+OK\r\n"
        assert conn.command("CLUSTER", "SETSLOT", "200", "IMPORTING", me) == b"+OK\r\n"
        assert conn.command("CLUSTER", "SETSLOT", "3", "migrating", me) == b"+OK\r\n"
    same_masked(co, "CLUSTER", "NODES")
    co.do("CLUSTER", "SETSLOT", "5", "STABLE")
    same_masked(co, "CLUSTER", "NODES")
    # Closing an import on myself bumps the configEpoch without consensus.
    for conn, me in zip((co.ours, co.redis), ids, strict=True):
        assert conn.command("CLUSTER", "SETSLOT", "200", "NODE", me) == b"+OK\r\n"
    same_masked(co, "CLUSTER", "NODES")
    co.do("CLUSTER", "BUMPEPOCH")
    # ADDSLOTS of an importing slot clears the mark.
    for conn, me in zip((co.ours, co.redis), ids, strict=True):
        assert conn.command("CLUSTER", "SETSLOT", "300", "IMPORTING", me) == b"+OK\r\n"
    co.do("CLUSTER", "ADDSLOTS", "300")
    same_masked(co, "CLUSTER", "NODES")


def test_cluster_info_single_node_all_slots(co: Oracle) -> None:
    co.do("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
    wait_state_ok(co)
    info = co.do("CLUSTER", "INFO")
    assert b"cluster_slots_assigned:16384\r\n" in info
    assert b"cluster_size:1\r\n" in info
    co.both("HELLO", "3")
    co.do("CLUSTER", "INFO")
    same_masked(co, "CLUSTER", "SLOTS")
    same_masked(co, "CLUSTER", "SHARDS")
    same_masked(co, "CLUSTER", "NODES")
    co.do("CLUSTER", "LINKS")


def test_cluster_preferred_endpoint_and_hostname(co: Oracle) -> None:
    co.do("CLUSTER", "ADDSLOTSRANGE", "0", "100")
    try:
        co.do("CONFIG", "SET", "cluster-announce-hostname", "node-x.example")
        for conn in (co.ours, co.redis):
            wait_until(lambda conn=conn: b",node-x.example " in conn.command("CLUSTER", "NODES"), timeout=5,
                       message="hostname in CLUSTER NODES")
        same_masked(co, "CLUSTER", "NODES")
        for kind in ("ip", "hostname", "unknown-endpoint"):
            co.do("CONFIG", "SET", "cluster-preferred-endpoint-type", kind)
            same_masked(co, "CLUSTER", "SLOTS")
            same_masked(co, "CLUSTER", "SHARDS")
        co.both("HELLO", "3")
        same_masked(co, "CLUSTER", "SLOTS")
        same_masked(co, "CLUSTER", "SHARDS")
    finally:
        co.both("HELLO", "2")
        co.both("CONFIG", "SET", "cluster-preferred-endpoint-type", "ip")
        co.both("CONFIG", "SET", "cluster-announce-hostname", "")


def test_cluster_announce_ip(co: Oracle) -> None:
    try:
        co.do("CONFIG", "SET", "cluster-announce-ip", "10.9.9.9")
        for conn in (co.ours, co.redis):
            wait_until(lambda conn=conn: b" 10.9.9.9:" in conn.command("CLUSTER", "NODES"), timeout=5,
                       message="announced ip in CLUSTER NODES")
        same_masked(co, "CLUSTER", "NODES")
    finally:
        co.both("CONFIG", "SET", "cluster-announce-ip", "")
    for conn in (co.ours, co.redis):
        wait_until(lambda conn=conn: b" :" in conn.command("CLUSTER", "NODES"), timeout=5,
                   message="ip auto-detection again")


def test_cluster_keys_in_slots(co: Oracle) -> None:
    co.do("CLUSTER", "ADDSLOTSRANGE", "0", "16383")
    wait_state_ok(co)
    for key in ("a", "b", "{user1}x", "{user1}y", "{user1}z", "", "{}", "foo{bar}"):
        co.do("CLUSTER", "KEYSLOT", key)
        co.do("SET", key, "v")
    slot = int(co.do("CLUSTER", "KEYSLOT", "{user1}")[1:-2])
    co.do("CLUSTER", "COUNTKEYSINSLOT", slot)
    co.do("CLUSTER", "COUNTKEYSINSLOT", 0)
    co.sorted("CLUSTER", "GETKEYSINSLOT", slot, 10)
    co.do("CLUSTER", "GETKEYSINSLOT", slot, 0)
    assert len(co.ours.command("CLUSTER", "GETKEYSINSLOT", slot, 2).split(b"\r\n")) == 6
    co.do("CLUSTER", "GETKEYSINSLOT", 1, 5)
    # A slot holding keys cannot be given away, nor the node reset or made empty of slots.
    co.error("CLUSTER", "FLUSHSLOTS")
    co.error("CLUSTER", "RESET")
    co.error("CLUSTER", "REPLICATE", "f" * 40)
    for conn in (co.ours, co.redis):
        # Our own node as target: allowed (n == myself).
        assert conn.command("CLUSTER", "SETSLOT", slot, "NODE", myid(conn)) == b"+OK\r\n"


# ------------------------------------------------------------------------------------------------ epochs

def test_cluster_epochs(co: Oracle) -> None:
    co.do("CLUSTER", "BUMPEPOCH")
    co.do("CLUSTER", "BUMPEPOCH")
    co.error("CLUSTER", "SET-CONFIG-EPOCH", "5")
    co.do("CLUSTER", "RESET", "HARD")
    co.do("CLUSTER", "SET-CONFIG-EPOCH", "0")
    co.do("CLUSTER", "SET-CONFIG-EPOCH", "7")
    co.error("CLUSTER", "SET-CONFIG-EPOCH", "8")
    co.do("CLUSTER", "BUMPEPOCH")
    info = co.do("CLUSTER", "INFO")
    assert b"cluster_current_epoch:7\r\n" in info and b"cluster_my_epoch:7\r\n" in info
    co.do("CLUSTER", "RESET", "SOFT")
    assert b"cluster_my_epoch:7\r\n" in co.do("CLUSTER", "INFO")
    before = myid(co.ours)
    co.do("CLUSTER", "RESET", "hard")
    assert myid(co.ours) != before
    assert b"cluster_current_epoch:0\r\n" in co.do("CLUSTER", "INFO")
    co.do("CLUSTER", "RESET")


def test_cluster_help_myid(co: Oracle) -> None:
    co.do("CLUSTER", "HELP")
    co.do("INFO", "cluster")
    for conn in (co.ours, co.redis):
        assert b"cluster_connections:0\r\n" in conn.command("INFO", "clients")
        assert b"redis_mode:cluster\r\n" in conn.command("INFO", "server")
    co.do("cluster", "help")
    for conn in (co.ours, co.redis):
        reply = conn.command("CLUSTER", "MYID")
        assert re.fullmatch(rb"\$40\r\n[0-9a-f]{40}\r\n", reply)


# ------------------------------------------------------------------------------------------------ nodes.conf

def _nodes_conf(sp: ServerProcess) -> str:
    with open(os.path.join(sp.workdir, "nodes.conf")) as fh:
        return fh.read()


def test_cluster_saveconfig_restart_keeps_identity() -> None:
    sp = start_server("pyredcache", CLUSTER)
    workdir = sp.workdir
    try:
        conn = RawClient(sp.port)
        me = myid(conn)
        assert conn.command("CLUSTER", "ADDSLOTSRANGE", "0", "99", "200", "200") == b"+OK\r\n"
        assert conn.command("CLUSTER", "SETSLOT", "300", "IMPORTING", me) == b"+OK\r\n"
        assert conn.command("CLUSTER", "BUMPEPOCH") == b"+BUMPED 1\r\n"
        assert conn.command("CLUSTER", "SAVECONFIG") == b"+OK\r\n"
        text = _nodes_conf(sp)
        line = f"{me.decode()} :{sp.port}@{sp.port + 10000} myself,master - 0 0 1 connected 0-99 200 [300-<-{me.decode()}]"
        assert text == line + "\nvars currentEpoch 1 lastVoteEpoch 0\n"
        nodes_before = conn.command("CLUSTER", "NODES")
        conn.close()
        sp.stop()
        sp2 = start_server("pyredcache", {**CLUSTER, "dir": workdir}, port=sp.port)
        try:
            conn = RawClient(sp2.port)
            assert myid(conn) == me
            assert conn.command("CLUSTER", "NODES") == nodes_before
            info = conn.command("CLUSTER", "INFO")
            assert b"cluster_current_epoch:1\r\n" in info and b"cluster_my_epoch:1\r\n" in info
            assert b"cluster_slots_assigned:101\r\n" in info
            with open(sp2.logfile) as fh:
                assert f"Node configuration loaded, I'm {me.decode()}" in fh.read()
            conn.close()
        finally:
            sp2.cleanup()
    finally:
        sp.cleanup()


ME, PRIMARY, REPLICA = "a" * 40, "b" * 40, "c" * 40
# A nodes.conf as redis-server writes it: a failed primary with a hostname, a replica in fail?, open slots.
LOADED_CONF = (
    f"{PRIMARY} 127.0.0.1:30001@40001,host-b master,fail - 1700000000000 1700000000001 3 disconnected "
    "100-200 16383\n"
    f"{ME} 127.0.0.1:0@0 myself,master - 0 0 2 connected 0-99 [5->-{PRIMARY}] [300-<-{PRIMARY}]\n"
    f"{REPLICA} 127.0.0.1:30002@40002 slave,fail? {PRIMARY} 0 1700000000000 3 disconnected\n"
    "vars currentEpoch 5 lastVoteEpoch 4\n")


def _start_with_conf(kind: str, conf: str, **extra: str) -> ServerProcess:
    workdir = tempfile.mkdtemp(prefix=f"conf-{kind}-")
    with open(os.path.join(workdir, "nodes.conf"), "w") as fh:
        fh.write(conf)
    sp = start_server(kind, {**CLUSTER, "dir": workdir, **extra})
    sp.workdir_conf = workdir   # type: ignore[attr-defined]
    return sp


@pytest.fixture
def loaded() -> Iterator[Oracle]:
    """Both servers started from the same hand-written nodes.conf (same node ids on both)."""
    ours = _start_with_conf("pyredcache", LOADED_CONF)
    theirs = _start_with_conf("redis", LOADED_CONF)
    o = Oracle(ours.port, theirs.port)
    yield o
    o.close()
    for sp in (ours, theirs):
        sp.cleanup()
        shutil.rmtree(sp.workdir_conf, ignore_errors=True)   # type: ignore[attr-defined]


def test_cluster_loads_nodes_conf(loaded: Oracle) -> None:
    conn = loaded.ours
    port = conn.sock.getpeername()[1]
    assert myid(conn) == ME.encode()
    text = conn.command("CLUSTER", "NODES").split(b"\r\n", 1)[1].decode()
    fields = sorted(ln.split() for ln in text.strip().split("\n"))
    assert fields[0][:4] == [ME, f"127.0.0.1:{port}@{port + 10000}", "myself,master", "-"]
    assert fields[0][6:] == ["2", "connected", "0-99", f"[5->-{PRIMARY}]", f"[300-<-{PRIMARY}]"]
    assert fields[1][:4] == [PRIMARY, "127.0.0.1:30001@40001,host-b", "master,fail", "-"]
    assert fields[1][6:] == ["3", "disconnected", "100-200", "16383"]
    assert int(fields[1][5]) > 1700000000001    # non-zero times become "now" at load
    assert fields[2][:4] == [REPLICA, "127.0.0.1:30002@40002", "slave,fail?", PRIMARY]
    info = conn.command("CLUSTER", "INFO")
    assert b"cluster_current_epoch:5\r\n" in info and b"cluster_known_nodes:3\r\n" in info
    assert b"cluster_slots_assigned:202\r\n" in info and b"cluster_slots_fail:102\r\n" in info


def test_cluster_loaded_nodes_commands(loaded: Oracle) -> None:
    o = loaded
    o.do("CLUSTER", "MYID")
    o.do("CLUSTER", "COUNT-FAILURE-REPORTS", PRIMARY)
    o.do("CLUSTER", "REPLICAS", ME)
    o.error("CLUSTER", "REPLICAS", REPLICA)
    o.error("CLUSTER", "REPLICATE", PRIMARY)      # we have slots
    o.error("CLUSTER", "REPLICATE", REPLICA)
    o.error("CLUSTER", "SETSLOT", "150", "MIGRATING", PRIMARY)
    o.error("CLUSTER", "SETSLOT", "50", "MIGRATING", REPLICA)
    o.error("CLUSTER", "SETSLOT", "150", "IMPORTING", REPLICA)
    o.error("CLUSTER", "SETSLOT", "150", "NODE", REPLICA)
    o.error("CLUSTER", "SET-CONFIG-EPOCH", "9")
    o.do("CLUSTER", "SETSLOT", "150", "IMPORTING", PRIMARY)
    o.do("CLUSTER", "SETSLOT", "150", "NODE", ME)       # closes the import: BUMPED epoch
    o.do("CLUSTER", "SETSLOT", "16383", "NODE", ME)
    o.do("CLUSTER", "SETSLOT", "40", "NODE", PRIMARY)
    o.do("CLUSTER", "SETSLOT", "5", "STABLE")
    for conn in (o.ours, o.redis):
        text = conn.command("CLUSTER", "NODES").decode()
        assert f"connected 0-39 41-99 150 16383 [300-<-{PRIMARY}]\n" in text, text
        assert " 40 100-149 151-200\n" in text, text
        assert b"cluster_current_epoch:6\r\n" in conn.command("CLUSTER", "INFO")
    o.error("CLUSTER", "FORGET", ME)
    o.do("CLUSTER", "FORGET", REPLICA)
    o.do("CLUSTER", "FORGET", REPLICA.upper())
    o.do("CLUSTER", "DELSLOTS", "40")
    o.do("CLUSTER", "FLUSHSLOTS")
    o.do("CLUSTER", "REPLICATE", PRIMARY)
    o.do("CLUSTER", "SETSLOT", "1", "STABLE")         # no slot check before "Please use ..."? compared
    o.error("CLUSTER", "SETSLOT", "1", "NODE", PRIMARY)
    o.error("CLUSTER", "FORGET", PRIMARY)
    o.error("CLUSTER", "FAILOVER")
    same_masked(o, "CLUSTER", "SLAVES", PRIMARY)
    o.do("CLUSTER", "RESET", "SOFT")
    for conn in (o.ours, o.redis):
        assert b"cluster_known_nodes:1\r\n" in conn.command("CLUSTER", "INFO")
        assert myid(conn) == ME.encode()


def test_cluster_config_file_lock(pair: tuple[ServerProcess, ServerProcess]) -> None:
    """A second process (ours or redis-server) on a file held by either refuses to start, as Redis does."""
    expected = ("Sorry, the cluster configuration file nodes.conf is already used by a different Redis "
                "Cluster node. Please make sure that different nodes use different cluster configuration files.")
    for holder in pair:
        for kind in ("pyredcache", "redis"):
            logdir = tempfile.mkdtemp(prefix="lock-")
            logfile = os.path.join(logdir, "second.log")
            sp = start_server(kind, {**CLUSTER, "dir": holder.workdir, "logfile": logfile}, wait=False)
            try:
                assert sp.proc.wait(20) == 1, (holder.kind, kind)
                with open(logfile) as fh:
                    assert expected in fh.read(), (holder.kind, kind)
            finally:
                sp.cleanup()
                shutil.rmtree(logdir, ignore_errors=True)
    for holder in pair:
        conn = RawClient(holder.port)
        assert conn.command("PING") == b"+PONG\r\n"
        conn.close()


# The other malformed forms are covered by tests/unit/test_cluster_conf.py (parse).
@pytest.mark.parametrize("content", [
    "garbage\n",
    f"{'a' * 40} 127.0.0.1:1@2 master - 0 0 0 connected\n",               # no myself
    f"{'a' * 40} 127.0.0.1:1@2 myself,master - 0 0 0 connected 0-16384\n",  # slot out of range
    f"{'a' * 40} 127.0.0.1:1@2 myself,master XYZ 0 0 0 connected\n",       # bad primary id
])
def test_cluster_corrupt_config_aborts(content: str) -> None:
    for kind in ("pyredcache", "redis"):
        workdir = tempfile.mkdtemp(prefix="corrupt-")
        with open(os.path.join(workdir, "nodes.conf"), "w") as fh:
            fh.write(content)
        sp = start_server(kind, {**CLUSTER, "dir": workdir}, wait=False)
        try:
            assert sp.proc.wait(20) == 1, kind
            with open(sp.logfile) as fh:
                assert "Unrecoverable error: corrupted cluster config file." in fh.read(), kind
        finally:
            sp.cleanup()
            shutil.rmtree(workdir, ignore_errors=True)
