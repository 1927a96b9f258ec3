"""CLUSTER FAILOVER's and REPLICAOF's errors on a single cluster-mode node, compared with redis-server in
cluster mode: a primary refuses CLUSTER FAILOVER in every mode, an unknown mode is a syntax error, too many
arguments a subcommand error, and REPLICAOF / SLAVEOF (even NO ONE) are not allowed in cluster mode.
"""
from __future__ import annotations

from collections.abc import Iterator

import pytest
from helpers.oracle import Oracle
from helpers.procs import REDIS_SERVER, ServerProcess, start_server


@pytest.fixture(scope="module")
def oc() -> Iterator[Oracle]:
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed")
    directives = {"cluster-enabled": "yes", "cluster-config-file": "nodes.conf"}
    procs: list[ServerProcess] = []
    try:
        procs.append(start_server("pyredcache", directives))
        procs.append(start_server("redis", directives))
        o = Oracle(procs[0].port, procs[1].port)
        yield o
        o.close()
    finally:
        for sp in procs:
            sp.cleanup()


def test_cluster_failover_on_a_primary(oc: Oracle) -> None:
    refused = b"-ERR You should send CLUSTER FAILOVER to a replica\r\n"
    assert oc.error("CLUSTER", "FAILOVER") == refused
    assert oc.error("CLUSTER", "FAILOVER", "FORCE") == refused
    assert oc.error("CLUSTER", "failover", "takeover") == refused
    assert oc.error("CLUSTER", "FAILOVER", "NOW") == b"-ERR syntax error\r\n"
    oc.error("CLUSTER", "FAILOVER", "FORCE", "TAKEOVER")


def test_replicaof_not_allowed_in_cluster_mode(oc: Oracle) -> None:
    refused = b"-ERR REPLICAOF not allowed in cluster mode.\r\n"
    assert oc.error("REPLICAOF", "127.0.0.1", "1") == refused
    assert oc.error("REPLICAOF", "NO", "ONE") == refused
    assert oc.error("SLAVEOF", "127.0.0.1", "x") == refused
    assert oc.error("SLAVEOF", "no", "one") == refused
    oc.error("REPLICAOF", "127.0.0.1")
    assert oc.do("ROLE").startswith(b"*3\r\n$6\r\nmaster\r\n")
