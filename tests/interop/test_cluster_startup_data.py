"""A node started in cluster mode over an existing dump (verifyClusterConfigWithData), on pyredcache and on
redis-server: keys in a db other than 0 stop the start; keys of unassigned slots make the node take them."""
from __future__ import annotations

import os
import shutil

import pytest
from helpers.procs import REDIS_SERVER, start_server
from helpers.rawclient import RawClient

pytestmark = pytest.mark.skipif(REDIS_SERVER is None, reason="Debian's redis-server is not installed")

KINDS = ["pyredcache", "redis"]


def _dump_with(kind: str, commands: list[list[str]]) -> str:
    """A directory holding the dump.rdb a standalone server of `kind` saved after `commands`."""
    sp = start_server(kind)
    try:
        raw = RawClient(sp.port)
        for cmd in commands:
            raw.command(*cmd)
        assert raw.command("SAVE") == b"+OK\r\n"
        raw.sock.close()
        keep = sp.workdir + "-dump"
        os.makedirs(keep)
        shutil.copy(os.path.join(sp.workdir, "dump.rdb"), keep)
        return keep
    finally:
        sp.cleanup()


def _cluster_opts(workdir: str) -> dict[str, str]:
    return {"dir": workdir, "cluster-enabled": "yes", "cluster-config-file": "nodes.conf",
            "logfile": os.path.join(workdir, "server.log")}


def test_keys_outside_db0_stop_a_cluster_node() -> None:
    """pyredcache only: redis-server 7.0.15 crashes (SIGSEGV in slotToKeyAddEntry) while loading such a dump,
    before its own check (verifyClusterConfigWithData) can print this line and exit 1 as intended."""
    kind = "pyredcache"
    workdir = _dump_with(kind, [["SELECT", "3"], ["SET", "k", "v"]])
    try:
        sp = start_server(kind, _cluster_opts(workdir), wait=False)
        try:
            assert sp.proc.wait(20) == 1
        finally:
            sp.cleanup()
        with open(os.path.join(workdir, "server.log")) as fh:
            assert "You can't have keys in a DB different than DB 0 when in Cluster mode. Exiting." in fh.read()
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.parametrize("kind", KINDS)
def test_keys_of_unassigned_slots_are_taken(kind: str) -> None:
    # foo -> slot 12182, {foo}x the same slot, bar -> slot 5061
    workdir = _dump_with(kind, [["SET", "foo", "1"], ["SET", "{foo}x", "2"], ["SET", "bar", "3"]])
    sp = start_server(kind, _cluster_opts(workdir))
    try:
        raw = RawClient(sp.port)
        myself = next(line for line in raw.command("CLUSTER", "NODES").decode().splitlines() if "myself" in line)
        assert myself.split()[8:] == ["5061", "12182"]
        assert raw.command("CLUSTER", "COUNTKEYSINSLOT", "12182") == b":2\r\n"
        raw.sock.close()
        with open(os.path.join(workdir, "server.log")) as fh:
            log = fh.read()
        assert "I have keys for unassigned slot 5061. Taking responsibility for it." in log
        assert "I have keys for unassigned slot 12182. Taking responsibility for it." in log
    finally:
        sp.cleanup()
        shutil.rmtree(workdir, ignore_errors=True)
