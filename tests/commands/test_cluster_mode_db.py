"""Database commands in cluster mode (cluster-enabled yes), against a redis-server in cluster mode.

Redis 7.0 keeps only db 0 in cluster mode: SELECT of another db, MOVE, SWAPDB and COPY ... DB n are refused
with their own errors (db.c). A redis-server that serves no slot answers key commands with CLUSTERDOWN, so
both nodes are given every slot first (CLUSTER ADDSLOTSRANGE) and COPY uses keys of one hash tag.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers.oracle import Oracle
from helpers.procs import REDIS_SERVER, ServerProcess, start_server
from helpers.rawclient import RawClient
from helpers.wait import wait_until


def _serve_every_slot(ports: list[int]) -> None:
    # Both nodes at once: a fresh primary waits ~2 s (CLUSTER_WRITABLE_DELAY) before cluster_state:ok.
    clients = [RawClient(p) for p in ports]
    try:
        waiting = [c for c in clients
                   if not c.command("CLUSTER", "ADDSLOTSRANGE", "0", "16383").startswith(b"-")]
        for c in waiting:
            wait_until(lambda c=c: b"cluster_state:ok" in c.command("CLUSTER", "INFO"), timeout=10,
                       message="cluster_state:ok")
    finally:
        for c in clients:
            c.close()


@pytest.fixture(scope="module")
def cluster_oracle() -> Iterator[Oracle]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    directives = {"cluster-enabled": "yes", "cluster-config-file": "nodes.conf", "enable-debug-command": "yes"}
    procs: list[ServerProcess] = []
    try:
        procs.append(start_server("pyredcache", directives))
        procs.append(start_server("redis", directives))
        _serve_every_slot([sp.port for sp in procs])
        o = Oracle(procs[0].port, procs[1].port)
        yield o
        o.close()
    finally:
        for sp in procs:
            sp.cleanup()


@pytest.fixture
def oc(cluster_oracle: Oracle) -> Oracle:
    cluster_oracle.do("FLUSHALL")
    return cluster_oracle


def test_select_only_db_zero(oc: Oracle) -> None:
    oc.do("SELECT", "0")
    for index in ("1", "15", "16", "-1", "2147483647"):
        assert oc.error("SELECT", index) == b"-ERR SELECT is not allowed in cluster mode\r\n"   # even out of range
    oc.error("SELECT", "x")                 # the integer is parsed first
    oc.error("SELECT", "2147483648")
    oc.error("SELECT")


def test_move_is_refused_before_anything_else(oc: Oracle) -> None:
    oc.do("SET", "k", "v")
    for db in ("1", "0", "x", "99"):
        assert oc.error("MOVE", "k", db) == b"-ERR MOVE is not allowed in cluster mode\r\n"
    oc.error("MOVE", "missing", "1")
    oc.do("GET", "k")


def test_swapdb_is_refused_before_parsing(oc: Oracle) -> None:
    for a, b in (("0", "1"), ("0", "0"), ("1", "1"), ("x", "1"), ("0", "99")):
        assert oc.error("SWAPDB", a, b) == b"-ERR SWAPDB is not allowed in cluster mode\r\n"


def test_copy_to_another_db(oc: Oracle) -> None:
    oc.do("SET", "{t}src", "v")
    refused = b"-ERR Copying to another database is not allowed in cluster mode\r\n"
    assert oc.error("COPY", "{t}src", "{t}dst", "DB", "1") == refused
    oc.error("COPY", "{t}src", "{t}dst", "REPLACE", "DB", "1")
    oc.error("COPY", "{t}src", "{t}dst", "DB", "1", "REPLACE")
    oc.error("COPY", "{t}src", "{t}dst", "DB", "0", "DB", "1")       # the last DB counts
    oc.error("COPY", "{t}missing", "{t}dst", "DB", "1")
    oc.error("COPY", "{t}src", "{t}src", "DB", "1")
    oc.error("COPY", "{t}src", "{t}dst", "DB", "99")                # range is checked first
    oc.error("COPY", "{t}src", "{t}dst", "DB", "-1")
    oc.error("COPY", "{t}src", "{t}dst", "DB", "x")
    oc.error("COPY", "{t}src", "{t}dst", "DB")
    oc.error("COPY", "{t}src", "{t}src", "DB", "0")
    assert oc.do("COPY", "{t}src", "{t}dst", "DB", "1", "DB", "0") == b":1\r\n"
    assert oc.do("COPY", "{t}src", "{t}dst", "DB", "0", "REPLACE") == b":1\r\n"
    assert oc.do("GET", "{t}dst") == b"$1\r\nv\r\n"


def test_slot_index_through_writes_and_reload(oc: Oracle) -> None:
    # The per-slot key index seen from CLUSTER COUNTKEYSINSLOT/GETKEYSINSLOT, including after DEBUG RELOAD
    # (RDB load path) and RENAME/DEL/RESTORE-style rewrites.
    for i in range(30):
        oc.do("SET", f"{{a}}{i}", "v")
        oc.do("SADD", f"{{b}}{i}", "m")
    oc.do("RENAME", "{a}0", "{b}renamed")
    oc.do("DEL", "{a}1", "{b}1")
    oc.do("EXPIRE", "{a}2", "1000")
    slots = [int(oc.do("CLUSTER", "KEYSLOT", tag)[1:-2]) for tag in ("{a}", "{b}", "{c}")]
    for _ in range(2):
        for slot in slots:
            oc.do("CLUSTER", "COUNTKEYSINSLOT", slot)
            oc.sorted("CLUSTER", "GETKEYSINSLOT", slot, 100)
        oc.do("DEBUG", "RELOAD")
    oc.do("FLUSHALL")
    for slot in slots:
        assert oc.do("CLUSTER", "COUNTKEYSINSLOT", slot) == b":0\r\n"
